package hostile

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// clientCases are the client side's rows (issue 19 items 4, 8 to 11, issue
// 14 §5): inputs a caller builds by hand, secrets, TLS warnings, SRV
// targets and the patient-safety rules of Send and the Outbox.
func clientCases(t *testing.T) []hostileCase {
	op := newOperator(t)
	var out []hostileCase

	// --- Addresses built by hand (item 8): refused by Validate, before the
	// trust check and before any connection.
	for _, addr := range []struct{ show, addr string }{
		{"two `@`: `victim@evil.com@ch-test.mssante.fr`", "victim@evil.com@ch-test.mssante.fr"},
		{"source route `@evil.com:victim@ch-test.mssante.fr`", "@evil.com:victim@ch-test.mssante.fr"},
		{"list smuggled in one address `a>,<evil@evil.com@medecin.mssante.fr`", "a>,<evil@evil.com@medecin.mssante.fr"},
	} {
		out = append(out, hostileCase{"Addresses", "hand-built " + addr.show,
			"`mail.ErrInvalidAddress` from `Send`, before the trust check and any connection",
			func() error { return op.sendHandBuilt(addr.addr) }, is(mail.ErrInvalidAddress)})
	}

	// --- Header values (item 9): refused before any byte.
	encode := func(mod func(m *mail.Message)) func() error {
		return func() error {
			m := &mail.Message{From: mail.MustParseAddress("a@medecin.mssante.fr"), To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")}}
			mod(m)
			var b bytes.Buffer
			err := m.Encode(&b, nil)
			if err == nil || b.Len() != 0 {
				return fmt.Errorf("encoded %d bytes", b.Len())
			}
			return err
		}
	}
	out = append(out,
		hostileCase{"Headers", "Message-ID `<>`", "refused before any byte: `mail.ErrInvalidMessageID`",
			encode(func(m *mail.Message) { m.MessageID = "<>" }), is(mail.ErrInvalidMessageID)},
		hostileCase{"Headers", "Message-ID with a control character (ESC)", "refused before any byte: `mail.ErrInvalidMessageID`",
			encode(func(m *mail.Message) { m.MessageID = "a\x1b[2Jb@medecin.mssante.fr" }), is(mail.ErrInvalidMessageID)},
		hostileCase{"Headers", "non-ASCII X-MSS-NIL `DÉV935997`", "refused before any byte: `mail.ErrInvalidProductRef`",
			encode(func(m *mail.Message) { m.ProductRef = "DÉV935997" }), is(mail.ErrInvalidProductRef)},
		hostileCase{"Headers", "From display name `Dr_MARTIN` (no first name, ECO.2.2.7)", "refused before any byte: `mail.ErrDisplayName`",
			encode(func(m *mail.Message) { m.From.Name = "Dr_MARTIN" }), is(mail.ErrDisplayName)},
	)

	// --- Secrets (item 10).
	out = append(out,
		hostileCase{"Secrets", "`fmt.Sprintf(\"%#v\", cfg)` (and %v, %+v, JSON, slog) with a PLAIN password", "the password appears nowhere: `Auth` redacts every verb",
			printConfig, accepted},
		hostileCase{"Secrets", "server echoing the refused SASL response (base64, truncated, decoded)", "`mssante.ErrAuth`; no token in the error, the audit events or the logs (`[REDACTED]`)",
			func() error { return echoingServer(t) }, is(mssante.ErrAuth)},
	)

	// --- TLS (item 11).
	out = append(out,
		hostileCase{"TLS", "revocation status unknown, Verifier in soft-fail", "connection accepted; a `tls.warning` audit event and `Config.OnTLSWarning` call per certificate",
			op.softFailWarnings, accepted},
		hostileCase{"TLS", "`Config.TLS.VerifyConnection` set beside a hard-fail Verifier", "still refused: `trust.ErrRevocationUnknown` (the caller's check is added, never replaces)",
			op.composedHardFail, is(trust.ErrRevocationUnknown)},
	)

	// --- DNS SRV (item 4).
	out = append(out, hostileCase{"TLS", "DNS SRV record naming a host outside the mail domain, no pin, no liste blanche entry", "`mssante.ErrUntrustedSRVTarget` before connecting: no token sent",
		op.unboundSRV, is(mssante.ErrUntrustedSRVTarget)})

	// --- Patient safety (issue 14 §5), through Client.Send and Outbox.Send.
	other, err := mail.PatientAddress(otherINS)
	if err != nil {
		t.Fatal(err)
	}
	patient := mail.MustParseAddress(patientAddr)
	out = append(out,
		hostileCase{"Patient safety", "document mail about patient A to patient B's Mon Espace Santé address", "`mail.ErrWrongPatient` from `Send` and `Outbox.Send`: nothing sent, nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{patient}, Text: "x", Documents: oneDocument{otherINS}}
			}), is(mail.ErrWrongPatient)},
		hostileCase{"Patient safety", "plain mail to two patients (one in To, one in Bcc)", "`mail.ErrSeveralPatientRecipients` (no option lifts it): nothing sent, nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{patient}, Bcc: []mail.Address{other}, Subject: "RDV", Text: "x", AllowPatientRecipientMismatch: true}
			}), is(mail.ErrSeveralPatientRecipients)},
		hostileCase{"Patient safety", "`ihe_xdm.zip` passed as an ordinary attachment", "`mail.ErrXDMAttachment`, pointing to `Message.Documents`: nothing sent, nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "docs", Text: "x",
					Attachments: []*mail.Attachment{mail.BytesAttachment("ihe_xdm.zip", "application/zip", []byte("PK\x03\x04"))}}
			}), is(mail.ErrXDMAttachment)},
	)
	return out
}

const (
	drA         = "alice.martin@medecin.mssante.fr"
	drB         = "bruno.durand@ch-test.mssante.fr"
	patientAddr = "279035121518989@patient.mssante.fr"
	otherINS    = "146026322000196"
)

// operator is the in-process operator the rows run against.
type operator struct {
	t *testing.T
	s *mssantetest.Server
}

func newOperator(t *testing.T) *operator {
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.MustAddMailbox(drA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(drB, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(patientAddr, mssantetest.MailboxPER, nil)
	return &operator{t: t, s: s}
}

func (o *operator) client(cfg mssante.Config) (*mssante.Client, error) {
	c, err := mssante.NewClient(cfg)
	if err == nil {
		o.t.Cleanup(func() { c.Close() })
	}
	return c, err
}

func shortCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// sendHandBuilt sends to a hand-built address with a trust checker that
// records whether it was asked.
func (o *operator) sendHandBuilt(addr string) error {
	cfg := o.s.MustConfig(drA)
	asked := false
	cfg.Trust = mssante.RecipientCheckerFunc(func(string) error { asked = true; return nil })
	c, err := o.client(cfg)
	if err != nil {
		return err
	}
	before := o.s.Stats().SMTPConnections
	ctx, cancel := shortCtx()
	defer cancel()
	_, err = c.Send(ctx, &mail.Message{To: []mail.Address{{Addr: addr}}, Subject: "s", Text: "t"})
	if asked || o.s.Stats().SMTPConnections != before {
		return fmt.Errorf("the trust check ran or the client connected (error %v)", err)
	}
	return err
}

// bothSends runs a message through Client.Send and Outbox.Send; both must
// refuse it with the same rule, nothing connected, nothing stored.
func (o *operator) bothSends(msg func() *mail.Message) func() error {
	return func() error {
		c, err := o.client(o.s.MustConfig(drA))
		if err != nil {
			return err
		}
		ob, err := delivery.NewOutbox(c, delivery.NewTracker(nil), nil)
		if err != nil {
			return err
		}
		before := o.s.Stats().SMTPConnections
		ctx, cancel := shortCtx()
		defer cancel()
		_, sendErr := c.Send(ctx, msg())
		id, obErr := ob.Send(ctx, msg())
		if o.s.Stats().SMTPConnections != before {
			return errors.New("the client connected")
		}
		if id != "" || ob.Stats().Queued != 0 {
			return errors.New("the outbox stored the message")
		}
		var pe *mail.PatientSafetyError
		if !errors.As(sendErr, &pe) || !errors.Is(sendErr, mail.ErrPatientSafety) || !errors.Is(obErr, pe.Err) {
			return fmt.Errorf("Send: %v; Outbox.Send: %v", sendErr, obErr)
		}
		return sendErr
	}
}

// oneDocument is a document set about the patient of INS ins.
type oneDocument struct{ ins string }

func (d oneDocument) Documents() []mail.DocumentInfo {
	return []mail.DocumentInfo{{Code: "11490-0", Label: "Lettre de liaison", ActDate: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		Patient: mail.DocumentPatient{Family: "B", Given: "Patient", INS: d.ins, QualifiedINS: true},
		PDF:     func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF-1.4")), nil }}}
}

func (d oneDocument) WriteXDM(w io.Writer, _ []string) error {
	_, err := io.WriteString(w, "PK\x03\x04")
	return err
}

// printConfig prints and logs a Config holding a PLAIN password every way
// a program might, and reports the password if it shows.
func printConfig() error {
	const pw = "pl41n-Passw0rd-in-config"
	cfg := mssante.Config{Address: mail.MustParseAddress(drA), Auth: mssante.Password(drA, pw), ProductRef: "DEV935997"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg, "auth", cfg.Auth)
	js, _ := json.Marshal(cfg.Auth)
	all := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Auth) + fmt.Sprintf("%#v", struct{ a mssante.Auth }{cfg.Auth}) + string(js) + logs.String()
	if strings.Contains(all, pw) {
		return errors.New("the password was printed")
	}
	return nil
}

// echoingServer runs a submission server that refuses AUTH quoting the
// client's response, and checks that the token reaches neither the error,
// the audit events nor the logs.
func echoingServer(t *testing.T) error {
	p, err := testpki.New(nil)
	if err != nil {
		return err
	}
	cert, err := p.ServerCertificate("localhost", "127.0.0.1")
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := smtp.NewServer(echoBackend{})
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	go srv.Serve(ln)
	defer srv.Close()

	token := "psc-" + strings.Repeat("T0k3n", 10)
	var mu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &mu}, nil))
	c, err := mssante.NewClient(mssante.Config{
		Address: mail.MustParseAddress(drA), Operator: mssante.Operator{SMTP: ln.Addr().String()},
		Auth:    mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})),
		RootCAs: p.Pool(), AllowAnyRecipient: true, ProductRef: "DEV935997",
		Logger: logger, Audit: mssante.SlogAuditor(logger),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := shortCtx()
	defer cancel()
	_, sendErr := c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "s", Text: "t"})
	resp := "user=" + drA + "\x01auth=Bearer " + token + "\x01\x01"
	b64 := base64.StdEncoding.EncodeToString([]byte(resp))
	mu.Lock()
	all := fmt.Sprintf("%v %+v", sendErr, sendErr) + logs.String()
	mu.Unlock()
	for _, s := range []string{token, b64, b64[:24], token[:16]} {
		if strings.Contains(all, s) {
			return fmt.Errorf("secret %.10q… leaked: %s", s, all)
		}
	}
	if !strings.Contains(all, "[REDACTED]") {
		return fmt.Errorf("the server's echo was not seen: %v", sendErr)
	}
	return sendErr
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

type echoBackend struct{}

func (echoBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return echoSession{}, nil }

type echoSession struct{}

func (echoSession) AuthMechanisms() []string             { return []string{"XOAUTH2"} }
func (echoSession) Auth(string) (sasl.Server, error)     { return echoSASL{}, nil }
func (echoSession) Mail(string, *smtp.MailOptions) error { return nil }
func (echoSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (echoSession) Data(io.Reader) error                 { return nil }
func (echoSession) Reset()                               {}
func (echoSession) Logout() error                        { return nil }

type echoSASL struct{}

func (echoSASL) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return nil, false, nil
	}
	b64 := base64.StdEncoding.EncodeToString(resp)
	tok := string(resp)
	if i := strings.Index(tok, "Bearer "); i >= 0 {
		tok = strings.TrimRight(tok[i+7:], "\x01")
	}
	return nil, false, &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
		Message: "refused " + b64 + " (" + b64[:24] + "...) token " + tok}
}

// verifierConfig is a client configuration with a Verifier over the
// operator's PKI, whose certificates name no CRL nor OCSP responder.
func (o *operator) verifierConfig(policy trust.RevocationPolicy) mssante.Config {
	anchors, err := trust.NewAnchors([]*x509.Certificate{o.s.RootCertificate()}, []*x509.Certificate{o.s.IntermediateCertificate()})
	if err != nil {
		o.t.Fatal(err)
	}
	cfg := o.s.MustConfig(drA)
	cfg.RootCAs = nil
	cfg.Verifier = &trust.Verifier{Anchors: anchors, Revocation: policy}
	return cfg
}

func (o *operator) softFailWarnings() error {
	cfg := o.verifierConfig(trust.RevocationSoftFail)
	var mu sync.Mutex
	var audited, hooked int
	cfg.Audit = mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
		if e.Action == "tls.warning" && errors.Is(e.Err, trust.ErrRevocationUnknown) {
			mu.Lock()
			audited++
			mu.Unlock()
		}
	})
	cfg.OnTLSWarning = func(w mssante.TLSWarning) {
		if errors.Is(w.Err, trust.ErrRevocationUnknown) {
			mu.Lock()
			hooked++
			mu.Unlock()
		}
	}
	c, err := o.client(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := shortCtx()
	defer cancel()
	if _, err := c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "s", Text: "t"}); err != nil {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	if audited == 0 || hooked != audited {
		return fmt.Errorf("%d tls.warning events, %d OnTLSWarning calls", audited, hooked)
	}
	return nil
}

func (o *operator) composedHardFail() error {
	cfg := o.verifierConfig(trust.RevocationHardFail)
	cfg.TLS.VerifyConnection = func(tls.ConnectionState) error { return nil } // accepts everything
	c, err := o.client(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := shortCtx()
	defer cancel()
	_, err = c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "s", Text: "t"})
	if !errors.Is(err, mssante.ErrTLS) {
		return fmt.Errorf("not a TLS refusal: %v", err)
	}
	return err
}

// srvResolver answers every SRV question with one target.
type srvResolver struct {
	target string
	port   uint16
}

func (r srvResolver) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", []*net.SRV{{Target: r.target, Port: r.port}}, nil
}

func (o *operator) unboundSRV() error {
	cfg := o.s.MustConfig(drA)
	cfg.Operator = mssante.Operator{}
	_, port, _ := net.SplitHostPort(o.s.SMTPAddr)
	n, _ := strconv.Atoi(port)
	cfg.Resolver = srvResolver{target: "localhost.", port: uint16(n)} // the operator's valid certificate, outside medecin.mssante.fr
	c, err := o.client(cfg)
	if err != nil {
		return err
	}
	before := o.s.Stats().SMTPConnections
	ctx, cancel := shortCtx()
	defer cancel()
	_, err = c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "s", Text: "t"})
	if o.s.Stats().SMTPConnections != before {
		return fmt.Errorf("the client connected to the unbound target (error %v)", err)
	}
	return err
}
