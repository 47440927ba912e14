package trust_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mssante-go/sdk/trust"
)

const exampleList = `<?xml version="1.0" encoding="UTF-8"?><ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
    <DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>
    <ListeDomaines>
        <Domaine>
            <Nom>medecin.mssante.fr</Nom>
            <Description>Mailiz</Description>
            <DNCertificatOperateur>CN=bus.mssante.fr,OU=318751275100020,O=ASIP-SANTE,ST=Paris (75),C=FR</DNCertificatOperateur>
            <ResponsableContact>-</ResponsableContact>
            <SupportContact>-</SupportContact>
            <DateMAJ>2025-03-13T14:54:10Z</DateMAJ>
        </Domaine>
        <Domaine>
            <Nom>patient.mssante.fr</Nom>
            <Description>Mon espace santé</Description>
            <DNCertificatOperateur>CN=smtps1.ens.atos-infogerance.fr,OU=318003502400041,O=CNAM,ST=Paris (75),C=FR</DNCertificatOperateur>
            <ResponsableContact>-</ResponsableContact>
            <SupportContact>-</SupportContact>
            <DateMAJ>2025-03-13T14:54:10Z</DateMAJ>
        </Domaine>
    </ListeDomaines>
`

// The published list lacks its closing root tag; ParseList accepts that.
func ExampleParseList() {
	l, err := trust.ParseList(strings.NewReader(exampleList), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(l.Generated().Format("2006-01-02"), l.Len(), "entries")
	for _, addr := range []string{
		"jean.dupont@Medecin.MSSante.fr",
		"279035121518989@patient.mssante.fr",
		"x@cabinet.medecin.mssante.fr",
		"x@evil-mssante.fr",
	} {
		if err := l.CheckAddress(addr); err != nil {
			var ae *trust.AddressError
			errors.As(err, &ae)
			fmt.Println(addr, "out:", ae.Explain())
			continue
		}
		fmt.Println(addr, "in")
	}
	// Output:
	// 2025-03-13 2 entries
	// jean.dupont@Medecin.MSSante.fr in
	// 279035121518989@patient.mssante.fr in
	// x@cabinet.medecin.mssante.fr out: domain not listed (only exact names count; parent medecin.mssante.fr is listed)
	// x@evil-mssante.fr out: domain not listed
}

// A Source keeps the list current. Here it reads the ANS URL with the
// IGC-Santé anchors: Refresh loads it once before the first send, then Run,
// in a goroutine, refreshes it every Interval (a day by default; 10 minutes
// after a failure) until its context ends. (No Output: it downloads from
// the ANS.)
func ExampleSource() {
	ctx := context.Background()
	anchors, err := trust.FetchAnchors(ctx, nil, trust.DefaultBundleURL, &trust.AnchorOptions{SkipUnknownRoots: true})
	if err != nil {
		log.Fatal(err)
	}
	src := &trust.Source{Anchors: anchors} // Location defaults to DefaultListURL
	if _, err := src.Refresh(ctx); err != nil {
		log.Fatal(err)
	}
	go src.Run(ctx) // kept fresh (its first refresh is a conditional request)
	// The send guard takes a trust.Checker: *Source is one.
	var guard trust.Checker = src
	fmt.Println(guard.CheckAddress("jean.dupont@medecin.mssante.fr") == nil)
	if st := src.Status(); st.Age > 72*time.Hour {
		log.Printf("liste blanche generated %s is stale", st.Generated)
	}
}

// The list loaded once before the first send, then kept fresh by Run in a
// goroutine until the context ends: Run refreshes at once, then every
// Interval, and after a failure every RetryInterval, keeping the last good
// list meanwhile. Here the list is a file; Location can as well be the ANS
// URL (ExampleSource).
func ExampleSource_Run() {
	dir, err := os.MkdirTemp("", "liste-blanche")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "listeblanchemssante.xml")
	if err := os.WriteFile(path, []byte(exampleList), 0o600); err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends Run
	src := &trust.Source{Location: path, Interval: time.Hour}
	if _, err := src.Refresh(ctx); err != nil {
		log.Fatal(err)
	}
	go src.Run(ctx)
	fmt.Println(src.CheckAddress("jean.dupont@medecin.mssante.fr") == nil, src.Status().Domains)
	// Output:
	// true 2
}

// Connecting to an operator: IGC-Santé roots only, TLS 1.2 or later, and
// revocation checked in VerifyConnection. Pass the configuration to the
// SMTP or IMAP client's STARTTLS. (No Output: it downloads the ANS bundle
// and reads a certificate file.)
func ExampleVerifier_ClientTLSConfig() {
	ctx := context.Background()
	anchors, err := trust.FetchAnchors(ctx, nil, "", &trust.AnchorOptions{SkipUnknownRoots: true})
	if err != nil {
		log.Fatal(err)
	}
	v := &trust.Verifier{Anchors: anchors, Revocation: trust.RevocationSoftFail}
	conf, err := v.ClientTLSConfig("smtp.operateur.example")
	if err != nil {
		log.Fatal(err)
	}
	// A BAL APP mailbox authenticates with its IGC-Santé organisation
	// certificate (clientAuth).
	cert, err := tls.LoadX509KeyPair("bal-app.pem", "bal-app.key")
	if err != nil {
		log.Fatal(err)
	}
	conf.Certificates = []tls.Certificate{cert}
	_ = conf
}

// The send guard checks every recipient before any byte goes out, and names
// each one that is outside.
func ExampleCheckAll() {
	l, err := trust.ParseList(strings.NewReader(exampleList), nil)
	if err != nil {
		log.Fatal(err)
	}
	err = trust.CheckAll(l, []string{"jean.dupont@medecin.mssante.fr", "jean.dupont@gmail.com", "x@mssante.fr.evil.com"})
	fmt.Println(errors.Is(err, trust.ErrNotInTrustSpace))
	fmt.Println(err)
	// Output:
	// true
	// trust: 2 of 3 recipients outside the MSSanté trust space: "jean.dupont@gmail.com" (domain not listed); "x@mssante.fr.evil.com" (domain not listed)
}
