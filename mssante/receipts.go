package mssante

import (
	"context"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// KeywordMDNSent is the IMAP keyword that records that a disposition
// notification was sent for a message (RFC 3503), so that none is sent twice.
const KeywordMDNSent = "$MDNSent"

// ErrReceiptAlreadySent: the message carries $MDNSent; RFC 8098 §2.1 allows
// one MDN per message and disposition.
var ErrReceiptAlreadySent = errors.New("mssante: a read receipt was already sent for this message")

// IntegrationReceiptOptions tune Client.AcknowledgeIntegration. A nil
// pointer means defaults.
type IntegrationReceiptOptions struct {
	// ReportingUA names the software in the MDN. Empty means "mssante-go".
	ReportingUA string
	// Original returns the raw received message, attached to error reports
	// as the CI-SIS requires. Nil means the client fetches it from the
	// folder and UID of the received message (streamed, not held in memory).
	Original func() (io.ReadCloser, error)
	// Force sends the automatic MDN even when the RFC 8098 loop rule
	// (Disposition-Notification-To differs from Return-Path) forbids it.
	// False means such a message gets no acceptance MDN, and its rejection
	// goes as the CI-SIS plain mail.
	Force bool
}

// IntegrationReceipt tells what Client.AcknowledgeIntegration sent.
type IntegrationReceipt struct {
	// Sent is the MDN or the plain mail sent, nil when nothing was sent.
	Sent   *mail.Message
	Result *SendResult
	// Skipped says why no MDN was sent: ErrNoReceiptRequested (the sender
	// asked for none) or ErrMDNLoopRule. Nil when an MDN was sent.
	Skipped error
}

// AcknowledgeIntegration tells the sender of a document mail what an
// application mailbox did with it, as the CI-SIS "Transmission au LPS d'un
// document CDA provenant d'un courriel MSSanté" prescribes. outcome is what
// the vendor's integration returned:
//
//   - nil: the document was integrated. When the sender asked for a read
//     receipt, a "processed" MDN is sent (automatic-action); otherwise
//     nothing.
//   - an *IntegrationError (errors.As) with a CI-SIS code (900 to 906, e.g.
//     902 unknown patient, 904 INS mismatch): the document was refused. An
//     error MDN carrying the code and the original message is sent when a
//     read receipt was asked for; otherwise the plain mail of
//     NewIntegrationErrorMail, with the original attached.
//   - any other error: nothing was decided (a database down, say); nothing
//     is sent and the error is returned, so that the message is handled
//     again later.
//
// received.Received gives the folder and UID used to fetch the original
// when opts.Original is nil.
//
// The IntegrationReceipt comes with an error only when the report was
// submitted: the $MDNSent flag could not be set after it, or the operator
// refused its recipient (Result tells). Otherwise an error comes alone.
func (c *Client) AcknowledgeIntegration(ctx context.Context, received *Received, outcome error, opts *IntegrationReceiptOptions) (*IntegrationReceipt, error) {
	if received == nil || received.Message == nil {
		return nil, errors.New("mssante: AcknowledgeIntegration needs a received message")
	}
	var o IntegrationReceiptOptions
	if opts != nil {
		o = *opts
	}
	var ie *mail.IntegrationError
	if outcome != nil && !errors.As(outcome, &ie) {
		return nil, outcome
	}
	if ie != nil && !ie.Code.Valid() {
		return nil, errors.New("mssante: an integration refusal needs a CI-SIS code (900-906)")
	}
	msg := received.Message
	if msg.Kind() == mail.KindDSN || msg.Kind() == mail.KindMDN {
		return &IntegrationReceipt{Skipped: mail.ErrNoReceiptRequested}, nil // never a report on a report
	}
	original := o.Original
	if original == nil && received.UID != 0 {
		original = c.rawOpener(ctx, received.Folder, received.UID)
	}
	mo := mail.MDNOptions{From: c.cfg.Address, Type: mail.Processed, Automatic: true, ReportingUA: o.ReportingUA, Force: o.Force, ProductRef: c.cfg.ProductRef}
	if ie != nil {
		mo.ErrorCode, mo.ErrorText, mo.Original = ie.Code, ie.Text, original
	}
	rcpt := &IntegrationReceipt{}
	report, err := mail.NewMDN(msg, mo)
	switch {
	case err == nil:
	case errors.Is(err, mail.ErrNoReceiptRequested), errors.Is(err, mail.ErrMDNLoopRule):
		rcpt.Skipped = err
		if ie == nil {
			return rcpt, nil
		}
		// CI-SIS: without a read receipt request, a refusal is told by mail.
		report, err = mail.NewIntegrationErrorMail(msg, c.cfg.Address, ie.Code, ie.Text, original)
		if err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	res, err := c.Send(ctx, report)
	if res == nil {
		return nil, err
	}
	rcpt.Sent, rcpt.Result = report, res
	if err == nil && rcpt.Skipped == nil && received.UID != 0 {
		err = c.SetFlags(ctx, received.Folder, []uint32{received.UID}, true, KeywordMDNSent)
	}
	return rcpt, err
}

// rawOpener returns an Original function that streams a message from the
// server.
func (c *Client) rawOpener(ctx context.Context, folder string, uid uint32) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(c.FetchRaw(ctx, folder, uid, pw)) }()
		return pr, nil
	}
}

// ReadReceiptRequest describes the read receipt a received message asks for,
// to propose to the user (Ref#2 ECO.3.1.6: propose it, never send it
// without the user's consent).
type ReadReceiptRequest struct {
	// To is where the receipt would go.
	To mail.Address
	// OtherAddress reports that To is not the address the message came from
	// (Disposition-Notification-To differs from Return-Path, or no
	// Return-Path): RFC 8098 §2.1 asks to tell the user before sending.
	OtherAddress bool
	// AlreadySent reports that the message carries $MDNSent.
	AlreadySent bool
}

// ReadReceiptRequested returns what a received message asks for, and false
// when there is nothing to propose: no Disposition-Notification-To, or the
// message is itself a report (RFC 8098 forbids answering a report with
// an MDN).
func ReadReceiptRequested(r *Received) (ReadReceiptRequest, bool) {
	if r == nil || r.Message == nil {
		return ReadReceiptRequest{}, false
	}
	m := r.Message
	if !m.RequestReadReceipt || m.ReadReceiptTo == nil || m.Kind() == mail.KindDSN || m.Kind() == mail.KindMDN {
		return ReadReceiptRequest{}, false
	}
	req := ReadReceiptRequest{To: *m.ReadReceiptTo}
	req.OtherAddress = m.ReturnPath == nil || !m.ReturnPath.Equal(req.To)
	req.AlreadySent = slices.ContainsFunc(r.Flags, func(f string) bool { return strings.EqualFold(f, KeywordMDNSent) })
	return req, true
}

// ReadReceiptOptions tune Client.SendReadReceipt. A nil pointer means
// defaults.
type ReadReceiptOptions struct {
	// ReportingUA names the software in the MDN. Empty means "mssante-go".
	ReportingUA string
	// Text is the human-readable part. Empty means a short French text.
	Text string
}

// SendReadReceipt sends a "displayed" MDN for a message of a personal
// mailbox. Call it only when the user chose to (ECO.3.1.6): the MDN is
// marked manual-action/MDN-sent-manually, which is why the RFC 8098 loop
// rule does not stop it; show the user ReadReceiptRequested's OtherAddress
// first. The message is flagged $MDNSent, and a second call returns
// ErrReceiptAlreadySent. The SendResult comes with the error when the
// receipt went out but the flag could not be set, and when the operator
// refused the recipient (as Send's).
func (c *Client) SendReadReceipt(ctx context.Context, received *Received, opts *ReadReceiptOptions) (*SendResult, error) {
	req, ok := ReadReceiptRequested(received)
	if !ok {
		return nil, mail.ErrNoReceiptRequested
	}
	if req.AlreadySent {
		return nil, ErrReceiptAlreadySent
	}
	var o ReadReceiptOptions
	if opts != nil {
		o = *opts
	}
	mdn, err := mail.NewMDN(received.Message, mail.MDNOptions{From: c.cfg.Address, Type: mail.Displayed, ReportingUA: o.ReportingUA, Text: o.Text, ProductRef: c.cfg.ProductRef})
	if err != nil {
		return nil, err
	}
	res, err := c.Send(ctx, mdn)
	if err != nil {
		return res, err
	}
	if received.UID != 0 {
		if err := c.SetFlags(ctx, received.Folder, []uint32{received.UID}, true, KeywordMDNSent); err != nil {
			return res, err
		}
		received.Flags = append(received.Flags, KeywordMDNSent)
	}
	return res, nil
}
