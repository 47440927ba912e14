package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mssante-go/sdk/trust"
)

// The cert command inspects IGC-Santé certificates:
//
//	mss cert inspect FILE [--anchors FILE] [--usage auto|server|client|email] [--at TIME] [--host NAME]
//	    [--revocation off|soft|hard] [--json]
//
// FILE is a PEM (the first certificate is inspected, the others serve as
// intermediates; private key blocks are ignored and never printed) or DER
// certificate. With --anchors (PEM or .p7b, whose roots are trusted as
// given), the chain is verified at --at (default now) for --usage (auto: from
// the certificate's extended key usage). Revocation is not checked unless
// --revocation says so (its CRL or OCSP responder is then asked: the
// command is offline by default).
//
// The exit status is 1, a finding, when the certificate is expired or not
// yet valid at --at, or when its chain was checked and is invalid (revoked
// included); the description is printed all the same.

// certInspectJSON is the --json output of "cert inspect".
type certInspectJSON struct {
	Subject     string        `json:"subject"`
	Issuer      string        `json:"issuer"`
	Serial      string        `json:"serial"`
	NotBefore   time.Time     `json:"notBefore"`
	NotAfter    time.Time     `json:"notAfter"`
	Expired     bool          `json:"expired"`     // at the time checked (--at, default now)
	NotYetValid bool          `json:"notYetValid"` // idem
	ExtKeyUsage []string      `json:"extKeyUsage"`
	SHA256      string        `json:"sha256"`
	Chain       certChainJSON `json:"chain"`
	Identity    certIDJSON    `json:"identity"`
}

type certChainJSON struct {
	Status     string   `json:"status"` // "valid", "invalid" or "not checked"
	Usage      string   `json:"usage,omitempty"`
	At         string   `json:"at,omitempty"`         // RFC 3339, when checked
	Revocation string   `json:"revocation,omitempty"` // off, soft or hard, when checked
	Revoked    bool     `json:"revoked"`
	Error      string   `json:"error,omitempty"`
	Path       []string `json:"path,omitempty"` // subjects, leaf to root
}

type certIDJSON struct {
	Kind            string   `json:"kind"`
	Test            bool     `json:"test"`
	CommonName      string   `json:"commonName,omitempty"`
	Organisation    string   `json:"organisation,omitempty"`
	StructureID     string   `json:"structureId,omitempty"`
	StructureIDKind string   `json:"structureIdKind,omitempty"`
	PSID            string   `json:"psId,omitempty"`
	RPPS            string   `json:"rpps,omitempty"`
	CardSerial      string   `json:"cardSerial,omitempty"`
	GivenName       string   `json:"givenName,omitempty"`
	Surname         string   `json:"surname,omitempty"`
	Title           string   `json:"title,omitempty"`
	UPN             string   `json:"upn,omitempty"`
	DNSNames        []string `json:"dnsNames,omitempty"`
}

func runCertInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("cert inspect")
	anchorsFile := fs.String("anchors", "", "IGC-Santé anchors `FILE` (PEM or .p7b) to verify the chain; its roots are trusted as given")
	usageFlag := fs.String("usage", "auto", "usage to verify for: auto, server, client or email")
	atFlag := fs.String("at", "", "verify at this `TIME` (RFC 3339 or YYYY-MM-DD; default now), e.g. for an expired TEST certificate")
	host := fs.String("host", "", "server `NAME` the certificate must match")
	revocation := fs.String("revocation", "off", "revocation check of the chain: off (offline), soft or hard (needs --anchors)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	policies := map[string]trust.RevocationPolicy{"off": trust.RevocationOff, "soft": trust.RevocationSoftFail, "hard": trust.RevocationHardFail}
	policy, ok := policies[*revocation]
	if !ok {
		return fs.usageErrorf("--revocation %q: want off, soft or hard", *revocation)
	}
	if *revocation != "off" && *anchorsFile == "" {
		return fs.usageErrorf("--revocation %s needs --anchors", *revocation)
	}
	data, err := readFileLimited(pos[0], 1<<20)
	if err != nil {
		return fileError(pos[0], err)
	}
	cert, intermediates, err := certParseFile(data)
	if err != nil {
		return fmt.Errorf("%s: %w", pos[0], err)
	}
	at := time.Now()
	if *atFlag != "" {
		if at, err = certParseTime(*atFlag); err != nil {
			return usageErrorf("%v", err)
		}
	}
	usage, err := certUsage(*usageFlag, cert)
	if err != nil {
		return usageErrorf("%v", err)
	}

	fp := trust.FingerprintOf(cert)
	out := certInspectJSON{
		Subject:     trust.SubjectDN(cert),
		Issuer:      trust.IssuerDN(cert),
		Serial:      strings.ToUpper(hex.EncodeToString(cert.SerialNumber.Bytes())),
		NotBefore:   cert.NotBefore.UTC(),
		NotAfter:    cert.NotAfter.UTC(),
		Expired:     at.After(cert.NotAfter),
		NotYetValid: at.Before(cert.NotBefore),
		ExtKeyUsage: certEKUNames(cert),
		SHA256:      fp.String(),
		Chain:       certChainJSON{Status: "not checked"},
		Identity:    certIdentityView(trust.IdentityOf(cert)),
	}
	if *anchorsFile != "" {
		anchors, err := loadAnchorsFile(*anchorsFile)
		if err != nil {
			return flagFileError("anchors", *anchorsFile, err)
		}
		v := &trust.Verifier{Anchors: anchors, Revocation: policy}
		out.Chain.Usage, out.Chain.At, out.Chain.Revocation = usage.String(), at.UTC().Truncate(time.Second).Format(time.RFC3339), *revocation
		res, err := v.Verify(ctx, cert, &trust.VerifyOptions{Usage: usage, DNSName: *host, Intermediates: intermediates, CurrentTime: at})
		var ce *trust.CertificateError
		out.Chain.Revoked = errors.Is(err, trust.ErrRevoked)
		switch {
		case errors.As(err, &ce) && ce.Subject == trust.SubjectDN(cert):
			// The subject is printed above: keep the reason only.
			out.Chain.Status, out.Chain.Error = "invalid", strings.TrimPrefix(ce.Err.Error(), "trust: ")+": "+ce.Detail
		case err != nil:
			out.Chain.Status, out.Chain.Error = "invalid", err.Error()
		default:
			out.Chain.Status = "valid"
			for _, c := range res.Chain {
				out.Chain.Path = append(out.Chain.Path, trust.SubjectDN(c))
			}
		}
	}
	var finding error
	switch {
	case out.Expired:
		finding = fmt.Errorf("%s: expired on %s", pos[0], out.NotAfter.Format(time.RFC3339))
	case out.NotYetValid:
		finding = fmt.Errorf("%s: not valid before %s", pos[0], out.NotBefore.Format(time.RFC3339))
	case out.Chain.Revoked:
		finding = fmt.Errorf("%s: revoked", pos[0])
	case out.Chain.Status == "invalid":
		finding = fmt.Errorf("%s: invalid chain: %s", pos[0], out.Chain.Error)
	}
	if *asJSON {
		if err := writeJSON(e.stdout, out); err != nil {
			return err
		}
		return finding
	}
	certPrint(e.stdout, out)
	return finding
}

// certParseFile returns the first certificate of a PEM or DER file, and the
// other certificates as intermediates. Non-certificate PEM blocks (keys) are
// skipped without being looked at.
func certParseFile(data []byte) (*x509.Certificate, []*x509.Certificate, error) {
	if !strings.Contains(string(data[:min(len(data), 4096)]), "-----BEGIN ") {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, nil, errors.New("not a PEM or DER certificate")
		}
		return c, nil, nil
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, nil, fmt.Errorf("bad certificate: %v", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("no certificate in the PEM file")
	}
	return certs[0], certs[1:], nil
}

func certParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--at %q: want RFC 3339 (2023-06-01T12:00:00Z) or YYYY-MM-DD", s)
}

// certUsage maps --usage to a trust.Usage; auto picks server, then client,
// then e-mail protection, from the certificate's extended key usage.
func certUsage(s string, c *x509.Certificate) (trust.Usage, error) {
	switch s {
	case "server":
		return trust.UsageServer, nil
	case "client":
		return trust.UsageClient, nil
	case "email":
		return trust.UsageEmail, nil
	case "auto":
		has := map[x509.ExtKeyUsage]bool{}
		for _, u := range c.ExtKeyUsage {
			has[u] = true
		}
		switch {
		case has[x509.ExtKeyUsageServerAuth]:
			return trust.UsageServer, nil
		case has[x509.ExtKeyUsageClientAuth]:
			return trust.UsageClient, nil
		case has[x509.ExtKeyUsageEmailProtection]:
			return trust.UsageEmail, nil
		}
		return trust.UsageServer, nil
	}
	return 0, fmt.Errorf("--usage %q: want auto, server, client or email", s)
}

func certEKUNames(c *x509.Certificate) []string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping: "timeStamping", x509.ExtKeyUsageOCSPSigning: "OCSPSigning",
	}
	out := []string{}
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku(%d)", int(u)))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		if o.String() == "1.3.6.1.4.1.311.20.2.2" {
			out = append(out, "msSmartcardLogin")
		} else {
			out = append(out, o.String())
		}
	}
	return out
}

func certIdentityView(id trust.Identity) certIDJSON {
	return certIDJSON{
		Kind: id.Kind.String(), Test: id.Test, CommonName: id.CommonName, Organisation: id.Organisation,
		StructureID: id.StructureID, StructureIDKind: id.StructureIDKind(), PSID: id.PSID, RPPS: id.RPPS(),
		CardSerial: id.CardSerial, GivenName: id.GivenName, Surname: id.Surname, Title: id.Title, UPN: id.UPN,
		DNSNames: id.DNSNames,
	}
}

func certPrint(w io.Writer, o certInspectJSON) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-13s %s\n", k+":", v)
		}
	}
	line("subject", o.Subject)
	line("issuer", o.Issuer)
	line("serial", o.Serial)
	validity := o.NotBefore.Format(time.RFC3339) + " to " + o.NotAfter.Format(time.RFC3339)
	if o.Expired {
		validity += " (expired)"
	} else if o.NotYetValid {
		validity += " (not yet valid)"
	}
	line("validity", validity)
	line("key usage", strings.Join(o.ExtKeyUsage, ", "))
	line("sha256", o.SHA256)
	switch o.Chain.Status {
	case "valid":
		rev := "revocation not checked"
		if o.Chain.Revocation != "off" {
			rev = "revocation checked, " + o.Chain.Revocation
		}
		line("chain", fmt.Sprintf("valid for %s use at %s (%s)", o.Chain.Usage, o.Chain.At, rev))
		for _, p := range o.Chain.Path {
			line("  path", p)
		}
	case "invalid":
		line("chain", fmt.Sprintf("invalid for %s use at %s: %s", o.Chain.Usage, o.Chain.At, o.Chain.Error))
	default:
		line("chain", "not checked (give --anchors FILE)")
	}
	id := o.Identity
	kind := id.Kind
	if id.Test {
		kind += " (IGC-Santé TEST)"
	}
	line("identity", kind)
	if id.StructureID != "" {
		s := id.StructureID
		if id.StructureIDKind != "" {
			s += " (" + id.StructureIDKind + ")"
		}
		line("structure", s)
	}
	line("organisation", id.Organisation)
	line("ps id", id.PSID)
	line("rpps", id.RPPS)
	line("card serial", id.CardSerial)
	line("name", strings.TrimSpace(id.GivenName+" "+id.Surname))
	line("title", id.Title)
	line("upn", id.UPN)
	line("dns names", strings.Join(id.DNSNames, ", "))
}
