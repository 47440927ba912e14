package mssante

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"

	gosasl "github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/mssante-go/sdk/mssante/mail"
)

// SendResult is the outcome of a submission.
type SendResult struct {
	MessageID  string // the message's Message-ID
	EnvelopeID string // the ENVID given with the DSN request, "" when none
	// DSNRequested reports that delivery receipts were asked for.
	DSNRequested bool
	// DSNUnsupported reports that the message asked for delivery receipts
	// but the server does not offer the DSN extension, so none will come.
	DSNUnsupported bool
	Recipients     []RecipientResult
}

// RecipientResult is what the operator said of one recipient.
type RecipientResult struct {
	Address  string
	Accepted bool
	Err      error // a *RecipientError when refused
}

// Accepted returns the recipients the operator took.
func (r *SendResult) Accepted() []string {
	var out []string
	for _, rc := range r.Recipients {
		if rc.Accepted {
			out = append(out, rc.Address)
		}
	}
	return out
}

// Send submits msg. Before any connection it fills From (with Config.Address
// when empty) and ProductRef, validates the message, applies the
// patient-safety rules (a [mail.PatientSafetyError]: no IHE_XDM.ZIP as an
// ordinary attachment, at most one patient among To, Cc and Bcc, and a
// patient recipient of a document mail must be the documents' patient), and
// checks every recipient against the trust space (a [*TrustError] names
// those that are out, and wraps what Config.Trust said of each). It then
// opens an SMTP connection, authenticates, and submits the message
// streaming it from the encoder, requesting delivery receipts
// (NOTIFY=SUCCESS,FAILURE,DELAY, RET=HDRS, ENVID from the Message-ID) when
// msg.RequestDeliveryReceipt is set and the server offers DSN.
//
// The result lists each recipient; refused recipients do not fail the send
// when others were accepted. The error is non-nil when nothing was sent;
// when every recipient was refused, the result comes with it, to tell each
// refusal (the error is the first [*RecipientError]).
func (c *Client) Send(ctx context.Context, msg *mail.Message) (*SendResult, error) {
	if err := c.Prepare(ctx, msg); err != nil {
		return nil, err
	}
	s, err := c.OpenSubmission(ctx)
	if err != nil {
		return nil, err
	}
	defer s.Close() // the message was accepted or refused: a failed QUIT changes nothing
	return s.sendPrepared(ctx, msg)
}

// Submission is an SMTP submission session (RFC 6409): several messages
// submitted on one authenticated connection. (A message's Sender header is
// mail.Message.Sender, another thing.) It is not safe for concurrent use.
// Close it when done; Client.Close closes it too.
//
// Make a Submission with [Client.OpenSubmission] only. The zero Submission
// is a closed one: Send returns ErrClosed and Close does nothing.
type Submission struct {
	c       *Client
	smtp    *smtp.Client
	server  string
	release func() // unregisters from the client
	closed  bool
	lost    atomic.Bool // a transaction lost the connection: Close sends no QUIT
}

// OpenSubmission connects and authenticates to the submission server.
func (c *Client) OpenSubmission(ctx context.Context) (*Submission, error) {
	if c.isClosed() {
		return nil, ErrClosed
	}
	ctx, stop := c.opContext(ctx)
	defer stop()
	ep, err := c.endpoint(ctx, "submission")
	if err != nil {
		c.audit(ctx, "smtp.connect", c.cfg.Address.Addr, "", err)
		return nil, err
	}
	sc, err := c.dialSMTP(ctx, ep)
	c.audit(ctx, "smtp.connect", c.cfg.Address.Addr, ep.addr, err)
	if err != nil {
		return nil, err
	}
	s := &Submission{c: c, smtp: sc, server: ep.addr}
	release, ok := c.track(sc)
	if !ok {
		return nil, ErrClosed
	}
	s.release = release
	return s, nil
}

// Close ends the SMTP session with QUIT and closes the connection. It
// returns the error of QUIT (the connection is closed all the same):
// messages already submitted were accepted or refused when Send returned,
// whatever Close says. After a Send that lost the connection (a
// ConnectError, a timeout, a cancelled context) it only closes it: QUIT
// would wait for a peer that is gone. Only the first call does something.
func (s *Submission) Close() error {
	if s.smtp == nil || s.closed {
		return nil
	}
	s.closed = true
	s.release()
	if s.c.isClosed() {
		return nil // Client.Close closed the connection
	}
	if s.lost.Load() {
		// QUIT would wait for a peer that is gone, up to the command
		// timeout.
		s.smtp.Close()
		return nil
	}
	err := s.smtp.Quit()
	if err != nil {
		s.smtp.Close()
		return &ConnectError{Server: s.server, Err: err}
	}
	return nil
}

// dialSMTP connects, starts TLS and authenticates.
func (c *Client) dialSMTP(ctx context.Context, ep endpoint) (*smtp.Client, error) {
	addr, host, port := ep.addr, ep.host, ep.port
	token := "" // "" fetches one; after a refused token, the refreshed one
	for attempt := 0; ; attempt++ {
		conn, err := c.dial(ctx, ep)
		if err != nil {
			return nil, ctxErr(ctx, err)
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		ct := &connTLS{serverName: host, binding: ep.binding}
		sc, err := c.smtpHandshake(conn, addr, ct, ep.implicitTLS)
		c.reportTLS(ctx, addr, ct)
		if err != nil {
			stop()
			conn.Close()
			return nil, ctxErr(ctx, err)
		}
		sasl, tok, err := c.cfg.Auth.saslClient(ctx, c.cfg.Address.Addr, host, port, token)
		if err != nil {
			stop()
			sc.Close()
			return nil, ctxErr(ctx, c.authSetupError(addr, err))
		}
		if sasl == nil {
			stop()
			return sc, nil
		}
		rec := &saslRecorder{Client: sasl}
		err = sc.Auth(rec)
		stop()
		if err == nil {
			return sc, nil
		}
		sc.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		// The server's text may quote what it refused: never keep it.
		red := newEchoRedactor(rec, c.cfg.Auth.secretTexts(tok)...)
		var se *smtp.SMTPError
		var obe *gosasl.OAuthBearerError
		var ae *AuthError
		switch {
		case errors.As(err, &se):
			ae = &AuthError{Server: addr, Mechanism: c.cfg.Auth.String(), Status: saslStatus(sasl, err), Code: se.Code, Message: red.text(se.Message)}
		case errors.As(err, &obe):
			// OAUTHBEARER (RFC 7628 §3.2.2): the refusal is the JSON of a
			// 334 challenge, which go-smtp hands back as the SASL client's
			// error after cancelling the exchange.
			ae = &AuthError{Server: addr, Mechanism: c.cfg.Auth.String(), Status: saslStatus(sasl, err), Message: red.text(err.Error())}
		default:
			return nil, &ConnectError{Server: addr, Err: red.err(err)}
		}
		// A refused token: retry once with a new one, if the source gives one.
		if attempt == 0 && ae.Status != "" {
			if token, ae.Err = c.cfg.Auth.refreshedToken(ctx, tok); token != "" {
				continue
			}
		}
		return nil, ctxErr(ctx, ae)
	}
}

// authSetupError turns an error of Auth.saslClient, which is the token
// source's (NewClient refuses a Config without Auth), into an *AuthError.
func (c *Client) authSetupError(server string, err error) error {
	return &AuthError{Server: server, Mechanism: c.cfg.Auth.String(), Err: err}
}

// smtpHandshake greets the server and secures the connection. A server
// that does not advertise STARTTLS in its EHLO answer gets a
// *CapabilityError, before anything else is sent.
func (c *Client) smtpHandshake(conn net.Conn, addr string, ct *connTLS, implicit bool) (*smtp.Client, error) {
	conf := c.tlsConfig(ct)
	var sc *smtp.Client
	if implicit {
		tc := tlsClient(conn, conf)
		if err := tc.Handshake(); err != nil {
			return nil, tlsError(addr, conn, err)
		}
		sc = smtp.NewClient(tc)
		sc.CommandTimeout = c.cfg.CommandTimeout
		if err := sc.Hello(localName()); err != nil {
			return nil, &ConnectError{Server: addr, Err: err}
		}
	} else {
		// go-smtp checks the capability inside NewClientStartTLS and tells
		// only by its error text: keep the server's EHLO answer to read
		// the capability from it.
		ehlo := &ehloRecorder{Conn: conn}
		var err error
		sc, err = smtp.NewClientStartTLS(ehlo, conf)
		if err == nil {
			// EHLO again, now over TLS: this runs the handshake, so that its
			// failure is reported as such and not as an AUTH error.
			err = sc.Hello(localName())
		}
		switch {
		case err == nil:
		case ehlo.answered() && !ehlo.offers("STARTTLS"):
			return nil, &CapabilityError{Server: addr, Capability: "STARTTLS"}
		case isTLSError(err):
			return nil, tlsError(addr, conn, err)
		default:
			return nil, &ConnectError{Server: addr, Err: err}
		}
	}
	sc.CommandTimeout = c.cfg.CommandTimeout
	return sc, nil
}

// Send submits one message on the session's connection; see [Client.Send].
func (s *Submission) Send(ctx context.Context, msg *mail.Message) (*SendResult, error) {
	if s.smtp == nil || s.closed {
		return nil, ErrClosed
	}
	if err := s.c.Prepare(ctx, msg); err != nil {
		return nil, err
	}
	return s.sendPrepared(ctx, msg)
}

// sendPrepared submits a message that Prepare accepted.
func (s *Submission) sendPrepared(ctx context.Context, msg *mail.Message) (*SendResult, error) {
	if s.smtp == nil || s.closed {
		return nil, ErrClosed
	}
	res, err := s.submit(ctx, msg)
	s.c.audit(ctx, "smtp.send", msg.MessageID, s.server, err)
	return res, err
}

// Prepare completes and checks msg as Send does before any connection:
// From (Config.Address when empty), ProductRef (Config.ProductRef) and
// Message-ID filled, the message valid, the patient-safety rules kept
// ([mail.PatientSafetyError]), every recipient in the trust space
// ([TrustError]). Send calls it; call it yourself to keep a message that
// will be sent later exactly as it will go out (package delivery's Outbox
// does). Preparing twice changes nothing.
func (c *Client) Prepare(ctx context.Context, msg *mail.Message) error {
	if c.isClosed() {
		return ErrClosed
	}
	if msg.From.IsZero() {
		msg.From = c.cfg.Address
	}
	if msg.ProductRef == "" {
		msg.ProductRef = c.cfg.ProductRef
	}
	if msg.ProductRef == "" {
		return errors.New("mssante: no X-MSS-NIL product reference (Config.ProductRef)")
	}
	if err := msg.Validate(); err != nil {
		return err
	}
	if err := mail.CheckPatientSafety(msg); err != nil {
		c.audit(ctx, "smtp.send", msg.MessageID, "", err)
		return err
	}
	if err := c.checkRecipients(msg.Recipients()); err != nil {
		c.audit(ctx, "smtp.send", msg.MessageID, "", err)
		return err
	}
	// The Message-ID is known before the envelope, for the ENVID.
	if msg.MessageID == "" {
		id, err := mail.NewMessageID(msg.From.Domain())
		if err != nil {
			return err
		}
		msg.MessageID = id
	}
	return nil
}

func (s *Submission) submit(ctx context.Context, msg *mail.Message) (*SendResult, error) {
	rcpts := msg.Recipients()
	addrs := make([]string, len(rcpts))
	for i, r := range rcpts {
		addrs[i] = r.Addr
	}
	return s.transact(ctx, transaction{
		Envelope:  Envelope{MessageID: msg.MessageID, From: msg.From.Addr, Recipients: addrs, DeliveryReceipt: msg.RequestDeliveryReceipt},
		size:      estimatedSize(msg),
		writeBody: func(w io.Writer) error { return msg.Encode(w, nil) },
	})
}

// Envelope is the SMTP envelope of a submission.
type Envelope struct {
	// MessageID is the message's Message-ID; the DSN ENVID derives from
	// it (see EnvelopeID).
	MessageID string
	// From is the MAIL FROM address.
	From string
	// Recipients are the RCPT TO addresses, in order.
	Recipients []string
	// DeliveryReceipt asks for DSNs (NOTIFY=SUCCESS,FAILURE,DELAY,
	// RET=HDRS) when the server offers the extension.
	DeliveryReceipt bool
}

// RawOptions tune SendRaw. A nil *RawOptions means none.
type RawOptions struct {
	// BeforeData, if set, runs once a recipient was accepted and before
	// DATA; an error from it resets the transaction and is returned.
	// Package delivery's Outbox records there, durably, that the attempt
	// is in flight. Nil means nothing runs.
	BeforeData func() error
}

// SendRaw submits content that was encoded earlier (by an outbox that
// stored it, say): the transaction Send runs, with the same DSN request
// and audit event, but the bytes are sent as given, so that every attempt
// sends the same message. size is the length of body, for the SIZE check.
// The envelope should come from a message that Prepare accepted: SendRaw
// checks neither the trust space nor the content.
func (s *Submission) SendRaw(ctx context.Context, env Envelope, body io.Reader, size int64, opts *RawOptions) (*SendResult, error) {
	if s.smtp == nil || s.closed {
		return nil, ErrClosed
	}
	tx := transaction{Envelope: env, size: size, writeBody: func(w io.Writer) error {
		if _, err := io.Copy(w, body); err != nil {
			return &ConnectError{Server: s.server, Err: err}
		}
		return nil
	}}
	if opts != nil {
		tx.beforeData = opts.BeforeData
	}
	res, err := s.transact(ctx, tx)
	s.c.audit(ctx, "smtp.send", env.MessageID, s.server, err)
	return res, err
}

// transaction is one SMTP mail transaction: the envelope and a writer of
// the content.
type transaction struct {
	Envelope
	size int64 // exact or estimated size, for the SIZE check
	// beforeData, if set, runs once a recipient was accepted, before DATA.
	beforeData func() error
	// writeBody streams the message content.
	writeBody func(w io.Writer) error
}

// transact runs MAIL, RCPT for each recipient (with the DSN request:
// NOTIFY=SUCCESS,FAILURE,DELAY, RET=HDRS, ENVID from the Message-ID, ORCPT)
// and DATA. Refused recipients are reported, not fatal, unless all are.
func (s *Submission) transact(ctx context.Context, tx transaction) (res *SendResult, err error) {
	defer func() {
		if ce := (*ConnectError)(nil); errors.As(err, &ce) {
			s.lost.Store(true)
		}
	}()
	ctx, stopOp := s.c.opContext(ctx)
	defer stopOp()
	sc := s.smtp
	stop := context.AfterFunc(ctx, func() {
		s.lost.Store(true)
		sc.Close()
	})
	defer stop()
	res = &SendResult{MessageID: tx.MessageID}

	if max, ok := sc.MaxMessageSize(); ok && max > 0 && tx.size > int64(max) {
		return nil, &SizeError{Size: tx.size, Max: int64(max)}
	}
	mailOpts := &smtp.MailOptions{Size: tx.size}
	var rcptOpts *smtp.RcptOptions
	if tx.DeliveryReceipt {
		if dsn, _ := sc.Extension("DSN"); dsn {
			res.DSNRequested = true
			res.EnvelopeID = EnvelopeID(tx.MessageID)
			mailOpts.Return = smtp.DSNReturnHeaders
			mailOpts.EnvelopeID = res.EnvelopeID
			rcptOpts = &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifySuccess, smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}}
		} else {
			res.DSNUnsupported = true
		}
	}
	if err := sc.Mail(tx.From, mailOpts); err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	accepted := 0
	for _, rcpt := range tx.Recipients {
		opts := rcptOpts
		if opts != nil {
			o := *opts
			o.OriginalRecipientType, o.OriginalRecipient = smtp.DSNAddressTypeRFC822, rcpt
			opts = &o
		}
		rr := RecipientResult{Address: rcpt, Accepted: true}
		if err := sc.Rcpt(rcpt, opts); err != nil {
			var se *smtp.SMTPError
			if !errors.As(err, &se) {
				return nil, ctxErr(ctx, &ConnectError{Server: s.server, Err: err})
			}
			rr.Accepted = false
			rr.Err = &RecipientError{Address: rcpt, Code: se.Code, Enhanced: enhanced(se), Message: se.Message}
		} else {
			accepted++
		}
		res.Recipients = append(res.Recipients, rr)
	}
	if accepted == 0 {
		sc.Reset()
		return res, firstRecipientError(res)
	}
	if tx.beforeData != nil {
		if err := tx.beforeData(); err != nil {
			sc.Reset()
			return nil, err
		}
	}
	w, err := sc.Data()
	if err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	if err := tx.writeBody(w); err != nil {
		// The DATA stream cannot be cancelled cleanly: drop the connection.
		sc.Close()
		return nil, ctxErr(ctx, err)
	}
	if err := w.Close(); err != nil {
		return nil, ctxErr(ctx, smtpErr(err, s.server))
	}
	return res, nil
}

// checkRecipients applies the trust-space guard. (Patient addresses had
// their INS key checked by Validate.)
func (c *Client) checkRecipients(list []mail.Address) error {
	if c.cfg.AllowAnyRecipient {
		return nil
	}
	te := &TrustError{}
	for _, a := range list {
		if err := c.cfg.Trust.CheckAddress(a.Addr); err != nil {
			te.Recipients = append(te.Recipients, a.Addr)
			te.Errs = append(te.Errs, err)
		}
	}
	if len(te.Recipients) > 0 {
		return te
	}
	return nil
}

// EnvelopeID derives the DSN ENVID (RFC 3461) from a Message-ID: the id
// itself when it is short printable ASCII, else "sha256-" and a hash, so
// that reports can be matched to the message either way.
func EnvelopeID(messageID string) string {
	id := strings.Trim(messageID, "<>")
	ok := len(id) > 0 && len(id) <= 100
	for i := 0; ok && i < len(id); i++ {
		ok = id[i] > 0x20 && id[i] < 0x7f
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256-" + hex.EncodeToString(sum[:16])
}

// estimatedSize is an upper estimate of the encoded size of m, from the
// attachments' known sizes (base64 grows by 4/3, plus line ends).
func estimatedSize(m *mail.Message) int64 {
	n := int64(4096 + len(m.Text)*3 + len(m.HTML)*3)
	for _, a := range m.Attachments {
		if a.Size > 0 {
			n += a.Size*4/3 + a.Size/38 + 512
		}
	}
	return n
}

func enhanced(se *smtp.SMTPError) string {
	if se.EnhancedCode == smtp.NoEnhancedCode || se.EnhancedCode == (smtp.EnhancedCode{}) {
		return ""
	}
	return strconv.Itoa(se.EnhancedCode[0]) + "." + strconv.Itoa(se.EnhancedCode[1]) + "." + strconv.Itoa(se.EnhancedCode[2])
}

// smtpErr maps a transaction error to the client's types.
func smtpErr(err error, server string) error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		if se.Code == 552 || se.EnhancedCode == (smtp.EnhancedCode{5, 3, 4}) {
			return &SizeError{}
		}
		return &TransactionError{Server: server, Code: se.Code, Enhanced: enhanced(se), Message: se.Message}
	}
	return &ConnectError{Server: server, Err: err}
}

func firstRecipientError(res *SendResult) error {
	for _, r := range res.Recipients {
		if r.Err != nil {
			return r.Err
		}
	}
	return ErrRecipientRejected
}

// ctxErr prefers the context's cause when the context ended: a connection
// closed by cancellation reports the cancellation, or ErrClosed when
// Client.Close ended it.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func localName() string { return "localhost" }
