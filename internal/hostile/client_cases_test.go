package hostile

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
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
	"sync/atomic"
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
			op.sendHandBuilt(addr.addr), all(is(mail.ErrInvalidAddress), counted("trust checks", 0), counted("connections", 0))})
	}

	// --- Header values (item 9): refused before any byte.
	out = append(out,
		hostileCase{"Headers", "Message-ID `<>`", "refused before any byte: `mail.ErrInvalidMessageID`",
			encode(func(m *mail.Message) { m.MessageID = "<>" }), all(is(mail.ErrInvalidMessageID), wroteNothing)},
		hostileCase{"Headers", "Message-ID with a control character (ESC)", "refused before any byte: `mail.ErrInvalidMessageID`",
			encode(func(m *mail.Message) { m.MessageID = "a\x1b[2Jb@medecin.mssante.fr" }), all(is(mail.ErrInvalidMessageID), wroteNothing)},
		hostileCase{"Headers", "non-ASCII X-MSS-NIL `DÉV935997`", "refused before any byte: `mail.ErrInvalidProductRef`",
			encode(func(m *mail.Message) { m.ProductRef = "DÉV935997" }), all(is(mail.ErrInvalidProductRef), wroteNothing)},
		hostileCase{"Headers", "From display name `Dr_MARTIN` (no first name, ECO.2.2.7)", "refused before any byte: `mail.ErrDisplayName`",
			encode(func(m *mail.Message) { m.From.Name = "Dr_MARTIN" }), all(is(mail.ErrDisplayName), wroteNothing)},
	)

	// --- Secrets (item 10).
	out = append(out,
		hostileCase{"Secrets", "a `Config` with a PLAIN password (and a pointer to it) printed with every `fmt` verb, as JSON and with slog",
			"the password appears nowhere, in clear or hex: `Auth` prints its mechanism alone under `%v %+v %s %q %x %X %d` and `[REDACTED]` under `%#v`",
			printConfig, all(counted("verbs printing the mechanism alone", int64(len(authVerbs))), counted("%#v printing [REDACTED]", 1), noSecret(passwordForms()...))},
		hostileCase{"Secrets", "a caller's struct holding the `Auth` in an unexported field, printed with every `fmt` verb",
			"the password appears under none of `%v %+v %#v %s %q %x %X %d`, in clear or hex: fmt cannot call `Auth`'s methods there, and the secrets sit behind a func, which it prints as an address",
			printHidden, func(o *outcome) error {
				for _, verb := range hiddenVerbs {
					if err := counted("password printed under "+verb, 0)(o); err != nil {
						return err
					}
				}
				return nil
			}},
		hostileCase{"Secrets", "server echoing the refused SASL response (base64, truncated, decoded)",
			"`mssante.ErrAuth`, the echo replaced by `[REDACTED]`; no token in the error nor the audit events; nothing logged",
			echoingServer, all(is(mssante.ErrAuth), errText("[REDACTED]"), noSecret(echoSecrets()...), counted("log records", 0), func(o *outcome) error {
				if o.counts["refused AUTH"] == 0 || o.counts["audit events"] == 0 {
					return fmt.Errorf("no refusal or no audit event: %v", o.counts)
				}
				return nil
			})},
	)

	// --- TLS (item 11).
	out = append(out,
		hostileCase{"TLS", "revocation status unknown, Verifier in soft-fail",
			"connection accepted, message delivered; per connection, one `tls.warning` audit event and one `Config.OnTLSWarning` call for each certificate below the root",
			op.softFailWarnings, all(accepted, counted("messages received", 1), oneWarningPerCertificate(op.s.RootCertificate(), op.s.IntermediateCertificate()))},
		hostileCase{"TLS", "`Config.TLS.VerifyConnection` accepting everything beside a hard-fail Verifier",
			"still refused: `mssante.ErrTLS` wrapping `trust.ErrRevocationUnknown`, nothing delivered; the caller's check is not even asked (it never replaces the Verifier's)",
			op.composed(trust.RevocationHardFail, nil),
			all(is(mssante.ErrTLS), is(trust.ErrRevocationUnknown), counted("messages received", 0), counted("caller's check calls", 0))},
		hostileCase{"TLS", "`Config.TLS.VerifyConnection` refusing beside a soft-fail Verifier that accepts",
			"refused: `mssante.ErrTLS` wrapping the caller's error, nothing delivered (the caller's check is added to the Verifier's)",
			op.composed(trust.RevocationSoftFail, errCallerRefuses),
			all(is(mssante.ErrTLS), is(errCallerRefuses), counted("messages received", 0))},
	)

	// --- DNS SRV (item 4).
	out = append(out,
		hostileCase{"TLS", "operator whose server certificate is revoked (its CRL and OCSP published), default hard-fail Verifier",
			"refused at the handshake: `mssante.ErrTLS` wrapping `trust.ErrRevoked`, nothing delivered; the same operator before the revocation delivers",
			revokedOperator, all(is(mssante.ErrTLS), is(trust.ErrRevoked), counted("messages received", 0), counted("messages received before the revocation", 1))})
	out = append(out, hostileCase{"TLS", "DNS SRV record naming a host outside the mail domain, no pin, no liste blanche entry",
		"`mssante.ErrUntrustedSRVTarget` before connecting (no connection to the target): no token is even asked for",
		op.unboundSRV, all(is(mssante.ErrUntrustedSRVTarget), counted("connections", 0), counted("token requests", 0))})

	// --- Patient safety (issue 14 §5), through Client.Send and Outbox.Send.
	other, err := mail.PatientAddress(otherINS)
	if err != nil {
		t.Fatal(err)
	}
	patient := mail.MustParseAddress(patientAddr)
	nothingSentNorStored := all(counted("connections", 0), counted("outbox entries", 0))
	out = append(out,
		hostileCase{"Patient safety", "document mail about patient A to patient B's Mon Espace Santé address",
			"`mail.ErrWrongPatient` (a `mail.ErrPatientSafety`) from `Send` and `Outbox.Send`: nothing sent (no connection), nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{patient}, Text: "x", Documents: oneDocument{otherINS}}
			}), all(bothRefused(mail.ErrWrongPatient), nothingSentNorStored)},
		hostileCase{"Patient safety", "plain mail to two patients (one in To, one in Bcc)",
			"`mail.ErrSeveralPatientRecipients` (a `mail.ErrPatientSafety`; `AllowPatientRecipientMismatch` does not lift it) from `Send` and `Outbox.Send`: nothing sent (no connection), nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{patient}, Bcc: []mail.Address{other}, Subject: "RDV", Text: "x", AllowPatientRecipientMismatch: true}
			}), all(bothRefused(mail.ErrSeveralPatientRecipients), nothingSentNorStored)},
		hostileCase{"Patient safety", "`ihe_xdm.zip` passed as an ordinary attachment",
			"`mail.ErrXDMAttachment` (a `mail.ErrPatientSafety`) from `Send` and `Outbox.Send`, pointing to `Message.Documents`: nothing sent (no connection), nothing stored",
			op.bothSends(func() *mail.Message {
				return &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "docs", Text: "x",
					Attachments: []*mail.Attachment{mail.BytesAttachment("ihe_xdm.zip", "application/zip", []byte("PK\x03\x04"))}}
			}), all(bothRefused(mail.ErrXDMAttachment), errText("Message.Documents"), nothingSentNorStored)},
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
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	s.MustAddMailbox(drA, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(drB, mssantetest.MailboxPER, nil)
	s.MustAddMailbox(patientAddr, mssantetest.MailboxPER, nil)
	return &operator{t: t, s: s}
}

// client returns a client closed at the end of the test.
func (o *operator) client(cfg mssante.Config) (*mssante.Client, error) {
	c, err := mssante.NewClient(cfg)
	if err == nil {
		o.t.Cleanup(func() {
			if err := c.Close(); err != nil {
				o.t.Error(err)
			}
		})
	}
	return c, err
}

// serverCounts records the messages the operator received during f, as
// "messages received".
func (o *operator) serverCounts(out *outcome, f func()) {
	before := o.s.Stats().Messages
	f()
	out.count("messages received", o.s.Stats().Messages-before)
}

// connectionCounter is a listener that counts the TCP connections made to
// it, as "connections", and closes them at once. A client pointed at it
// can send nothing: the rows that must not connect use it as the
// operator.
type connectionCounter struct {
	ln   net.Listener
	n    atomic.Int64
	errs serverErrors
	done chan struct{}
}

func newConnectionCounter() (*connectionCounter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &connectionCounter{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed
			}
			c.n.Add(1)
			c.errs.add(conn.Close())
		}
	}()
	return c, nil
}

// close stops the listener and records the count in out.
func (c *connectionCounter) close(out *outcome) error {
	err := c.ln.Close()
	<-c.done
	out.count("connections", c.n.Load())
	return errors.Join(err, c.errs.err())
}

// unreachable is a configuration of drA whose operator is a
// connectionCounter.
func (o *operator) unreachable() (mssante.Config, *connectionCounter, error) {
	cc, err := newConnectionCounter()
	if err != nil {
		return mssante.Config{}, nil, err
	}
	cfg := o.s.MustConfig(drA)
	cfg.Operator = mssante.Operator{SMTP: cc.ln.Addr().String(), IMAP: cc.ln.Addr().String()}
	return cfg, cc, nil
}

func shortCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func testMessage() *mail.Message {
	return &mail.Message{To: []mail.Address{mail.MustParseAddress(drB)}, Subject: "s", Text: "t"}
}

// sendHandBuilt sends to a hand-built address with a trust checker that
// counts the times it is asked.
func (o *operator) sendHandBuilt(addr string) func(out *outcome) error {
	return func(out *outcome) error {
		cfg, cc, err := o.unreachable()
		if err != nil {
			return err
		}
		var asked atomic.Int64
		cfg.Trust = mssante.RecipientCheckerFunc(func(string) error { asked.Add(1); return nil })
		c, err := o.client(cfg)
		if err != nil {
			return errors.Join(err, cc.close(out))
		}
		ctx, cancel := shortCtx()
		defer cancel()
		_, out.err = c.Send(ctx, &mail.Message{To: []mail.Address{{Addr: addr}}, Subject: "s", Text: "t"})
		out.count("trust checks", asked.Load())
		return cc.close(out)
	}
}

// bothSends runs a message through Client.Send (o.err) and Outbox.Send
// (o.next) of a client whose operator is a connectionCounter, counting the
// connections and what the outbox holds.
func (o *operator) bothSends(msg func() *mail.Message) func(out *outcome) error {
	return func(out *outcome) error {
		cfg, cc, err := o.unreachable()
		if err != nil {
			return err
		}
		c, err := o.client(cfg)
		if err != nil {
			return errors.Join(err, cc.close(out))
		}
		ob, err := delivery.NewOutbox(c, delivery.NewTracker(nil), nil)
		if err != nil {
			return errors.Join(err, cc.close(out))
		}
		ctx, cancel := shortCtx()
		defer cancel()
		_, out.err = c.Send(ctx, msg())
		id, obErr := ob.Send(ctx, msg())
		out.next = obErr
		var entries int
		for _, err := range ob.Entries(ctx) {
			if err != nil {
				return errors.Join(err, cc.close(out))
			}
			entries++
		}
		out.count("outbox entries", int64(entries+ob.Stats().Queued))
		if id != "" {
			out.count("outbox entries", 1)
		}
		return cc.close(out)
	}
}

// bothRefused: Send and Outbox.Send refused with target, a patient-safety
// rule.
func bothRefused(target error) check {
	return all(is(target), nextIs(target), is(mail.ErrPatientSafety), nextIs(mail.ErrPatientSafety))
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

// noSecret: none of secrets is in o.text nor in the SDK's error.
func noSecret(secrets ...string) check {
	return func(o *outcome) error {
		all := o.text + fmt.Sprintf("%v %+v", o.err, o.err)
		for _, s := range secrets {
			if strings.Contains(all, s) {
				return fmt.Errorf("secret %.10q… printed: %s", s, all)
			}
		}
		return nil
	}
}

const plainPassword = "pl41n-Passw0rd-in-config"

// authVerbs are the fmt verbs under which Auth must print its mechanism
// alone.
var authVerbs = []string{"%v", "%+v", "%s", "%q", "%x", "%X", "%d"}

// printConfig prints and logs a Config holding a PLAIN password every way
// a program might, into o.text, and counts the verbs under which Auth
// prints its mechanism alone.
func printConfig(o *outcome) error {
	cfg := mssante.Config{Address: mail.MustParseAddress(drA), Auth: mssante.Password(drA, plainPassword), ProductRef: "DEV935997"}
	var all strings.Builder
	for _, verb := range authVerbs {
		if fmt.Sprintf(verb, cfg.Auth) == cfg.Auth.String() {
			o.count("verbs printing the mechanism alone", 1)
		}
		fmt.Fprintf(&all, verb+" "+verb+"\n", cfg, &cfg)
	}
	if strings.Contains(fmt.Sprintf("%#v", cfg.Auth), "[REDACTED]") {
		o.count("%#v printing [REDACTED]", 1)
	}
	fmt.Fprintf(&all, "%#v %#v\n", cfg, &cfg)
	js, err := json.Marshal(cfg.Auth)
	if err != nil {
		return err
	}
	all.Write(js)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "cfg", cfg, "auth", cfg.Auth)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "cfg", cfg, "auth", cfg.Auth)
	all.Write(logs.Bytes())
	o.text = all.String()
	return nil
}

func passwordForms() []string {
	h := hex.EncodeToString([]byte(plainPassword))
	return []string{plainPassword, h, strings.ToUpper(h)}
}

// hiddenVerbs are the fmt verbs printHidden tries.
var hiddenVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d"}

// printHidden prints, with every verb, a struct holding a PLAIN Auth in an
// unexported field, and counts the verbs that print the password, in clear
// or hex, as "password printed under VERB".
func printHidden(o *outcome) error {
	hidden := struct{ auth mssante.Auth }{mssante.Password(drA, plainPassword)}
	for _, verb := range hiddenVerbs {
		printed := fmt.Sprintf(verb, hidden)
		for _, f := range passwordForms() {
			if strings.Contains(printed, f) {
				o.count("password printed under "+verb, 1)
				break
			}
		}
	}
	return nil
}

// The token the echoing server gets, and the forms in which it echoes it.
const echoToken = "psc-T0k3nT0k3nT0k3nT0k3nT0k3nT0k3nT0k3nT0k3nT0k3nT0k3n"

func echoSecrets() []string {
	resp := "user=" + drA + "\x01auth=Bearer " + echoToken + "\x01\x01"
	b64 := base64.StdEncoding.EncodeToString([]byte(resp))
	return []string{echoToken, b64, b64[:24], echoToken[:16]}
}

// echoingServer runs a submission server that refuses AUTH quoting the
// client's response; o.text gets the error, the audit events and the logs.
func echoingServer(o *outcome) error {
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
	var refused atomic.Int64
	srv := smtp.NewServer(echoBackend{&refused})
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	var mu sync.Mutex
	var logs, audit bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := mssante.NewClient(mssante.Config{
		Address: mail.MustParseAddress(drA), Operator: mssante.Operator{SMTP: ln.Addr().String()},
		Auth:    mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: echoToken})),
		RootCAs: p.Pool(), AllowAnyRecipient: true, ProductRef: "DEV935997",
		Logger: logger,
		Audit: mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
			mu.Lock()
			defer mu.Unlock()
			o.count("audit events", 1)
			fmt.Fprintf(&audit, "%+v %s\n", e, e.Result())
		}),
	})
	if err != nil {
		return err
	}
	ctx, cancel := shortCtx()
	defer cancel()
	_, o.err = c.Send(ctx, testMessage())
	if err := c.Close(); err != nil {
		return err
	}
	if err := srv.Close(); err != nil {
		return err
	}
	if err := <-served; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return err
	}
	mu.Lock()
	defer mu.Unlock()
	o.text = "logs: " + logs.String() + "\naudit: " + audit.String()
	o.count("log records", int64(bytes.Count(logs.Bytes(), []byte("\n"))))
	o.count("refused AUTH", refused.Load())
	return nil
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

type echoBackend struct{ refused *atomic.Int64 }

func (b echoBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return echoSession(b), nil }

type echoSession struct{ refused *atomic.Int64 }

func (echoSession) AuthMechanisms() []string             { return []string{"XOAUTH2"} }
func (s echoSession) Auth(string) (sasl.Server, error)   { return echoSASL(s), nil }
func (echoSession) Mail(string, *smtp.MailOptions) error { return nil }
func (echoSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (echoSession) Data(io.Reader) error                 { return nil }
func (echoSession) Reset()                               {}
func (echoSession) Logout() error                        { return nil }

type echoSASL struct{ refused *atomic.Int64 }

func (s echoSASL) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return nil, false, nil
	}
	s.refused.Add(1)
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
func (o *operator) verifierConfig(policy trust.RevocationPolicy) (mssante.Config, error) {
	anchors, err := trust.NewAnchors([]*x509.Certificate{o.s.RootCertificate()}, []*x509.Certificate{o.s.IntermediateCertificate()})
	if err != nil {
		return mssante.Config{}, err
	}
	cfg := o.s.MustConfig(drA)
	cfg.RootCAs = nil
	cfg.Verifier = &trust.Verifier{Anchors: anchors, Revocation: policy}
	return cfg, nil
}

// softFailWarnings sends one message through a soft-fail Verifier,
// counting the connections (smtp.connect audit events) and, per
// certificate subject, the tls.warning audit events and the OnTLSWarning
// calls.
func (o *operator) softFailWarnings(out *outcome) error {
	cfg, err := o.verifierConfig(trust.RevocationSoftFail)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	subject := func(err error) string {
		var ce *trust.CertificateError
		if errors.As(err, &ce) && errors.Is(err, trust.ErrRevocationUnknown) {
			return ce.Subject
		}
		return fmt.Sprintf("not a revocation warning: %v", err)
	}
	cfg.Audit = mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
		mu.Lock()
		defer mu.Unlock()
		switch e.Action {
		case "tls.warning":
			out.count("tls.warning events: "+subject(e.Err), 1)
		case "smtp.connect":
			out.count("connections", 1)
		}
	})
	cfg.OnTLSWarning = func(w mssante.TLSWarning) {
		mu.Lock()
		defer mu.Unlock()
		out.count("OnTLSWarning calls: "+subject(w.Err), 1)
	}
	c, err := o.client(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := shortCtx()
	defer cancel()
	o.serverCounts(out, func() {
		_, out.err = c.Send(ctx, testMessage())
	})
	return nil
}

// revokedOperator sends through an operator that publishes its revocation
// status, with a default (hard-fail) Verifier: once before its server
// certificate is revoked, once after, with a fresh client (a Verifier
// caches the answers).
func revokedOperator(out *outcome) (err error) {
	s, err := mssantetest.NewServer(&mssantetest.Options{ServeRevocation: true})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	if _, err := s.AddMailbox(drA, mssantetest.MailboxPER, nil); err != nil {
		return err
	}
	if _, err := s.AddMailbox(drB, mssantetest.MailboxPER, nil); err != nil {
		return err
	}
	// send returns the messages the operator received, the SDK's error,
	// and the error of the setup (making or closing the client).
	send := func() (int64, error, error) {
		anchors, err := trust.NewAnchors([]*x509.Certificate{s.RootCertificate()}, []*x509.Certificate{s.IntermediateCertificate()})
		if err != nil {
			return 0, nil, err
		}
		cfg := s.MustConfig(drA)
		cfg.RootCAs = nil
		cfg.Verifier = &trust.Verifier{Anchors: anchors} // zero Revocation: hard-fail
		c, err := mssante.NewClient(cfg)
		if err != nil {
			return 0, nil, err
		}
		ctx, cancel := shortCtx()
		defer cancel()
		before := s.Stats().Messages
		_, sendErr := c.Send(ctx, testMessage())
		return s.Stats().Messages - before, sendErr, c.Close()
	}
	n, sendErr, err := send()
	if err != nil {
		return err
	}
	if sendErr != nil {
		return fmt.Errorf("before the revocation: %w", sendErr)
	}
	out.count("messages received before the revocation", n)
	if err := s.RevokeServerCertificate(); err != nil {
		return err
	}
	n, out.err, err = send()
	out.count("messages received", n)
	return err
}

// oneWarningPerCertificate: for the leaf and the intermediate (the
// certificates below the root), as many audit events and OnTLSWarning
// calls as connections; nothing for any other.
func oneWarningPerCertificate(rootCert, interCert *x509.Certificate) check {
	return func(o *outcome) error {
		conns := o.counts["connections"]
		if conns == 0 {
			return errors.New("no connection")
		}
		subjects := map[string]int64{}
		for name, n := range o.counts {
			for _, prefix := range []string{"tls.warning events: ", "OnTLSWarning calls: "} {
				if s, ok := strings.CutPrefix(name, prefix); ok {
					if n != conns {
						return fmt.Errorf("%s: %d for %d connections", name, n, conns)
					}
					subjects[s]++
				}
			}
		}
		root, inter := trust.SubjectDN(rootCert), trust.SubjectDN(interCert)
		if len(subjects) != 2 || subjects[inter] != 2 || subjects[root] != 0 {
			return fmt.Errorf("warnings by certificate %v, want the leaf and %q, each audited and hooked", subjects, inter)
		}
		for s, n := range subjects {
			if n != 2 {
				return fmt.Errorf("%q: audited or hooked, not both", s)
			}
		}
		return nil
	}
}

var errCallerRefuses = errors.New("the caller's check refuses")

// composed sends through a Verifier with that policy beside a caller's
// VerifyConnection that returns refuse, counting its calls.
func (o *operator) composed(policy trust.RevocationPolicy, refuse error) func(out *outcome) error {
	return func(out *outcome) error {
		cfg, err := o.verifierConfig(policy)
		if err != nil {
			return err
		}
		var calls atomic.Int64
		cfg.TLS.VerifyConnection = func(tls.ConnectionState) error { calls.Add(1); return refuse }
		c, err := o.client(cfg)
		if err != nil {
			return err
		}
		ctx, cancel := shortCtx()
		defer cancel()
		o.serverCounts(out, func() {
			_, out.err = c.Send(ctx, testMessage())
		})
		out.count("caller's check calls", calls.Load())
		return nil
	}
}

// srvResolver answers every SRV question with one target.
type srvResolver struct {
	target string
	port   uint16
}

func (r srvResolver) LookupSRV(context.Context, string, string, string) (string, []*net.SRV, error) {
	return "", []*net.SRV{{Target: r.target, Port: r.port}}, nil
}

// countingTokens counts the tokens asked of a token source.
type countingTokens struct {
	ts oauth2.TokenSource
	n  *atomic.Int64
}

func (c countingTokens) Token() (*oauth2.Token, error) {
	c.n.Add(1)
	return c.ts.Token()
}

// unboundSRV discovers the submission server through an SRV record naming
// localhost (outside medecin.mssante.fr) on the port of a
// connectionCounter, and counts the tokens asked for.
func (o *operator) unboundSRV(out *outcome) error {
	cfg, cc, err := o.unreachable()
	if err != nil {
		return err
	}
	cfg.Operator = mssante.Operator{}
	var tokens atomic.Int64
	cfg.Auth = mssante.OAuth2(countingTokens{o.s.TokenSource(drA), &tokens})
	_, port, err := net.SplitHostPort(cc.ln.Addr().String())
	if err != nil {
		return errors.Join(err, cc.close(out))
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return errors.Join(err, cc.close(out))
	}
	cfg.Resolver = srvResolver{target: "localhost.", port: uint16(n)}
	c, err := o.client(cfg)
	if err != nil {
		return errors.Join(err, cc.close(out))
	}
	ctx, cancel := shortCtx()
	defer cancel()
	_, out.err = c.Send(ctx, testMessage())
	out.count("token requests", tokens.Load())
	return cc.close(out)
}
