package mssante

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// fakeResolver answers SRV and host lookups from maps: no DNS involved.
type fakeResolver struct {
	srv   map[string][]*net.SRV // by "_service._proto.name"
	hosts map[string][]string
}

func (r *fakeResolver) LookupSRV(_ context.Context, service, proto, name string) (string, []*net.SRV, error) {
	key := "_" + service + "._" + proto + "." + name
	if recs, ok := r.srv[key]; ok {
		return key, recs, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", Name: key, IsNotFound: true}
}

func (r *fakeResolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if a, ok := r.hosts[strings.TrimSuffix(host, ".")]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// listeBlanche is a trust list for medecin.mssante.fr whose operator has
// the given DNCertificatOperateur.
func listeBlanche(t *testing.T, operatorDN string) *trust.List {
	t.Helper()
	l, err := trust.ParseList(strings.NewReader(`<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">`+
		`<DateDeGeneration>2026-11-20T08:00:00Z</DateDeGeneration><ListeDomaines>`+
		`<Domaine><Nom>medecin.mssante.fr</Nom><Description>test</Description><DNCertificatOperateur>`+operatorDN+`</DNCertificatOperateur>`+
		`<ResponsableContact>a@b.fr</ResponsableContact><SupportContact>s@b.fr</SupportContact><DateMAJ>2026-01-01T00:00:00Z</DateMAJ></Domaine>`+
		`</ListeDomaines>`), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// RFC 6186 §6 (issue 19 item 4): an SRV target is used only when it is in
// the mail domain, pinned, or carries the identity the liste blanche gives
// for the domain's operator; otherwise nothing reaches it, not even the
// token. Each case runs a real TLS submission server on loopback with a
// certificate of the test IGC-Santé PKI valid for the target's name.
func TestSRVBinding(t *testing.T) {
	p := testPKI(t)
	token := "psc-token-" + strings.Repeat("q", 30)
	tests := []struct {
		name   string
		target string
		trust  RecipientChecker // nil: AllowAnyRecipient
		pin    []string
		want   error // nil: sent
	}{
		{"in the mail domain", "smtp.medecin.mssante.fr", nil, nil, nil},
		{"the mail domain itself", "medecin.mssante.fr", nil, nil, nil},
		{"outside, no list, not pinned", "mail.attacker.example", nil, nil, ErrUntrustedSRVTarget},
		{"look-alike suffix", "evilmedecin.mssante.fr", nil, nil, ErrUntrustedSRVTarget},
		{"outside, pinned", "submission.operateur.example", nil, []string{"Submission.Operateur.Example."}, nil},
		{"outside, another operator's certificate", "mail.attacker.example",
			listeBlanche(t, "CN=smtp.operateur.example,OU=318751275100020,O=OPERATEUR LEGITIME,C=FR"), nil, ErrUntrustedSRVTarget},
		{"outside, the listed operator's certificate", "submission.operateur-test.example",
			listeBlanche(t, "CN=mx.operateur-test.example,O=OPERATEUR TEST,C=FR"), nil, nil},
		{"outside, list with a CN only, other host", "submission.operateur-test.example",
			listeBlanche(t, "CN=mx.operateur-test.example"), nil, ErrUntrustedSRVTarget},
		{"outside, list with a CN only, that host", "mx.operateur-test.example",
			listeBlanche(t, "CN=mx.operateur-test.example"), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startFakeSMTP(t, serverCert(t, p, tt.target), false)
			_, port, _ := net.SplitHostPort(srv.Addr)
			n, _ := strconv.Atoi(port)
			res := &fakeResolver{
				srv:   map[string][]*net.SRV{"_submission._tcp.medecin.mssante.fr": {{Target: tt.target + ".", Port: uint16(n), Priority: 0, Weight: 1}}},
				hosts: map[string][]string{tt.target: {"127.0.0.1"}},
			}
			cfg := Config{
				Address:  mail.MustParseAddress("alice.martin@medecin.mssante.fr"),
				Auth:     OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
				RootCAs:  p.Pool(),
				Resolver: res, SRVTargets: tt.pin, Trust: tt.trust, AllowAnyRecipient: tt.trust == nil,
				ProductRef: "DEV935997", DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second,
			}
			c, err := NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@medecin.mssante.fr")}, Subject: "s", Text: "t"})
			conns, auths, mails := srv.stats()
			if tt.want == nil {
				if err != nil || mails != 1 {
					t.Fatalf("Send = %v, %d messages delivered", err, mails)
				}
				return
			}
			var de *DiscoveryError
			if !errors.Is(err, tt.want) || !errors.As(err, &de) || !strings.Contains(err.Error(), "Config.Operator") {
				t.Fatalf("Send = %v, want %v naming Config.Operator", err, tt.want)
			}
			if auths != 0 || mails != 0 || srv.received(token) {
				t.Errorf("the unbound target got %d AUTH and %d messages", auths, mails)
			}
			if tt.trust == nil && conns != 0 {
				t.Errorf("the client connected %d times to a target it had to refuse first", conns)
			}
		})
	}
}

func TestSameOperator(t *testing.T) {
	listed := `CN=smtpmss.sante-ra.fr,OU=1630013605,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR`
	for _, tt := range []struct {
		cert string
		ok   bool
	}{
		{`CN=imap.sante-ra.fr,OU=1630013605,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR`, true},
		{`CN=smtpmss.sante-ra.fr,OU=1630013605,O=gcs sara,ST=Puy-de-Dôme (63),C=FR,L=Lyon`, true},
		{`CN=imap.sante-ra.fr,OU=1630013606,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR`, false},
		{`CN=imap.sante-ra.fr,O=GCS SARA,ST=Puy-de-Dôme (63),C=FR`, false},
		{`CN=smtpmss.sante-ra.fr,OU=1630013605,O=GCS SARA\, EVIL,ST=Puy-de-Dôme (63),C=FR`, false},
	} {
		if got := sameOperator(tt.cert, listed); got != tt.ok {
			t.Errorf("sameOperator(%q) = %v, want %v", tt.cert, got, tt.ok)
		}
	}
	if !sameOperator(`CN=a\2Cb,O=X\, Y,C=FR`, `O=X\2C Y`) {
		t.Error("escaped values are compared unescaped")
	}
	if sameOperator("CN=x", "") || sameOperator("CN=x", "garbage") {
		t.Error("an empty or unparsable listed DN matches nothing")
	}
	// No organisation in the listed DN: the whole DN must match, or any
	// certificate of the country would do.
	if sameOperator("CN=evil.example,O=Evil,C=FR", "CN=mss.operateur.fr,C=FR") {
		t.Error("a listed DN of CN and C only admits another CN of the same country")
	}
	if !sameOperator("CN=mss.operateur.fr,C=FR", "CN=mss.operateur.fr,C=FR") {
		t.Error("a listed DN of CN and C does not admit itself")
	}
}

// RFC 6186 §3.4: the priorities of _imap and _imaps are compared, the lowest
// wins; on a tie the client takes _imap (STARTTLS, Ref#2 ECO.1.0.2).
func TestSRVIMAPPreference(t *testing.T) {
	const domain = "medecin.mssante.fr"
	rec := func(prio uint16, target string, port uint16) []*net.SRV {
		return []*net.SRV{{Target: target + ".", Port: port, Priority: prio}}
	}
	for _, tt := range []struct {
		name         string
		imap, imaps  []*net.SRV
		wantAddr     string
		wantImplicit bool
	}{
		{"equal priority: STARTTLS", rec(10, "imap."+domain, 143), rec(10, "imaps."+domain, 993), "imap." + domain + ":143", false},
		{"lower _imaps priority", rec(20, "imap."+domain, 143), rec(10, "imaps."+domain, 993), "imaps." + domain + ":993", true},
		{"lower _imap priority", rec(5, "imap."+domain, 143), rec(10, "imaps."+domain, 993), "imap." + domain + ":143", false},
		{"_imaps alone", nil, rec(10, "imaps."+domain, 993), "imaps." + domain + ":993", true},
		{"_imap not offered", rec(0, "", 0), rec(10, "imaps."+domain, 993), "imaps." + domain + ":993", true},
	} {
		r := &fakeResolver{srv: map[string][]*net.SRV{}}
		if tt.imap != nil {
			r.srv["_imap._tcp."+domain] = tt.imap
		}
		r.srv["_imaps._tcp."+domain] = tt.imaps
		c := &Client{cfg: Config{Address: mail.MustParseAddress("dr@" + domain), Resolver: r}}
		ep, err := c.discover(context.Background(), "imap")
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if ep.addr != tt.wantAddr || ep.implicitTLS != tt.wantImplicit {
			t.Errorf("%s: %s implicit=%v, want %s implicit=%v", tt.name, ep.addr, ep.implicitTLS, tt.wantAddr, tt.wantImplicit)
		}
	}
}
