package mail

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Errors of [NewMDN].
var (
	// ErrNoReceiptRequested: the message has no Disposition-Notification-To;
	// RFC 8098 forbids sending an MDN for it. For an integration error, send
	// a plain mail instead (see [NewIntegrationErrorMail]).
	ErrNoReceiptRequested = errors.New("mail: the message does not request a read receipt")
	// ErrMDNLoopRule: Disposition-Notification-To differs from Return-Path,
	// so RFC 8098 §2.1 forbids an automatic MDN without the user's consent.
	ErrMDNLoopRule = errors.New("mail: Disposition-Notification-To differs from Return-Path: no automatic MDN without the user's consent")
)

// MDNOptions describe the disposition notification [NewMDN] builds.
type MDNOptions struct {
	// From is the mailbox that reports (Final-Recipient): the recipient of
	// the original message. Required.
	From Address
	// Type is the disposition. Zero means Displayed when ErrorCode is 0 and
	// Processed otherwise.
	Type DispositionType
	// Automatic marks an MDN sent by a program (automatic-action/
	// MDN-sent-automatically), as an application mailbox does after
	// integrating a document. False means the user asked for it
	// (manual-action/MDN-sent-manually).
	Automatic bool
	// ErrorCode, when not 0, makes an error MDN: disposition
	// "processed/error", a CI-SIS Error field and the subject
	// "[KO Intégration système !][<code>] <original subject>".
	ErrorCode IntegrationErrorCode
	// ErrorText replaces the code's label in the Error field. ASCII is
	// kept; accents are dropped (the field is US-ASCII).
	ErrorText string
	// ReportingUA names the software, e.g. "MonLogiciel 4.2". Empty means
	// "mssante-go".
	ReportingUA string
	// Text is the human-readable part. Empty means a short French text.
	Text string
	// Original returns the raw original message, attached as
	// message/rfc822 as the CI-SIS requires. Nil means only its header is
	// returned, as text/rfc822-headers.
	Original func() (io.ReadCloser, error)
	// Force sends an automatic MDN even when the RFC 8098 loop rule
	// (Disposition-Notification-To differs from Return-Path, or no
	// Return-Path) says to ask the user first.
	Force bool
	// ProductRef is the X-MSS-NIL value of the MDN.
	ProductRef string
}

// mdnOriginal is what an MDN returns of the original message.
type mdnOriginal struct {
	open   func() (io.ReadCloser, error)
	header gomail.Header
}

// NewMDN builds the disposition notification of a received message
// (RFC 8098): a multipart/report with a human-readable text, the
// message/disposition-notification fields and the original message. The
// result is a Message to send like any other; its MDN field holds the
// report.
//
// It refuses a message that asks for no read receipt (ErrNoReceiptRequested)
// and, for an automatic MDN, one whose Disposition-Notification-To differs
// from its Return-Path (ErrMDNLoopRule) unless opts.Force is set.
func NewMDN(received *Message, opts MDNOptions) (*Message, error) {
	if received == nil || !received.RequestReadReceipt || received.ReadReceiptTo == nil {
		return nil, ErrNoReceiptRequested
	}
	if opts.From.IsZero() {
		return nil, ErrNoSender
	}
	to := *received.ReadReceiptTo
	if opts.Automatic && !opts.Force && (received.ReturnPath == nil || !received.ReturnPath.Equal(to)) {
		return nil, ErrMDNLoopRule
	}
	if opts.ErrorCode != 0 && !opts.ErrorCode.Valid() {
		return nil, fmt.Errorf("mail: integration error code %d is not a CI-SIS code (900-906)", int(opts.ErrorCode))
	}
	d := Disposition{ActionMode: ManualAction, SendingMode: MDNSentManually, Type: opts.Type}
	if opts.Automatic {
		d.ActionMode, d.SendingMode = AutomaticAction, MDNSentAutomatically
	}
	if d.Type == "" {
		d.Type = Displayed
		if opts.ErrorCode != 0 {
			d.Type = Processed
		}
	}
	ua := opts.ReportingUA
	if ua == "" {
		ua = "mssante-go"
	}
	if err := checkHeaderValue("Reporting-UA", ua); err != nil {
		return nil, err
	}
	report := &MDN{
		ReportingUA:       ua,
		FinalRecipient:    opts.From.Addr,
		OriginalMessageID: received.MessageID,
		Disposition:       d,
	}
	if orcpt := received.Header.Get("Original-Recipient"); orcpt != "" {
		report.OriginalRecipient = stripType(orcpt)
	}
	subject := mdnSubject(received.Subject, d.Type)
	if opts.ErrorCode != 0 {
		report.Disposition.Modifiers = []string{dispositionModifError}
		text := opts.ErrorText
		if text == "" {
			text = opts.ErrorCode.String()
		}
		text, _ = asciiFallback(hl7Separators.Replace(text))
		report.Error = strconv.Itoa(int(opts.ErrorCode)) + "^" + text + "^applicationErrorCondition" + errorSeverityComponent
		report.ErrorCode = opts.ErrorCode
		subject = IntegrationErrorSubject(opts.ErrorCode, received.Subject)
	}
	report.Text = opts.Text
	if report.Text == "" {
		report.Text = mdnText(received, d.Type, report)
	}
	m := &Message{
		From:       opts.From,
		To:         []Address{to},
		Subject:    subject,
		ProductRef: opts.ProductRef,
		MDN:        report,
		original:   &mdnOriginal{open: opts.Original, header: received.Header},
	}
	if received.MessageID != "" {
		m.InReplyTo = []string{received.MessageID}
		m.References = append(append([]string(nil), received.References...), received.MessageID)
	}
	return m, nil
}

// errorSeverityComponent ends the Error field of an error MDN with the HL7
// ERR severity, as the CI-SIS writes it: "902^Identifiant de patient
// inconnu^applicationErrorCondition| E^Error^errorSeverity", the '|' right
// after the condition and one space before "E". Source: CI-SIS "Transmission
// au LPS d'un document CDA provenant d'un courriel MSSanté" v1.1.3, page
// "Structure du MDN (MSSanté)" (ansforge/IG-hl7v2-volet-trans-lps-doc-cda-
// courriel-mss), quoted in ../shared/spec/mssante-protocol.md §3.4 ("Error
// MDN"); the same string appears in the page's example MDN and, in earlier
// versions, after "processed/Error:".
const errorSeverityComponent = "| E^Error^errorSeverity"

// IntegrationErrorSubject is the CI-SIS subject of a message reporting that a
// document could not be integrated: "[KO Intégration système !][<code>]
// <original subject>".
func IntegrationErrorSubject(code IntegrationErrorCode, originalSubject string) string {
	return "[KO Intégration système !][" + strconv.Itoa(int(code)) + "] " + originalSubject
}

// mdnSubject is the subject of a successful MDN: the CI-SIS keeps the
// subject of a document mail; other mails get a French prefix.
func mdnSubject(original string, t DispositionType) string {
	if _, ok := SplitXDMSubject(original); ok {
		return original
	}
	if t == Displayed {
		return "Accusé de lecture : " + original
	}
	return "Accusé de traitement : " + original
}

func mdnText(received *Message, t DispositionType, r *MDN) string {
	subject := received.DisplaySubject()
	switch {
	case r.ErrorCode != 0:
		return fmt.Sprintf("Le message « %s » n'a pas pu être intégré : erreur %d (%s).\n", subject, int(r.ErrorCode), r.ErrorCode)
	case t == Displayed:
		return fmt.Sprintf("Le message « %s » a été affiché par son destinataire.\n", subject)
	default:
		return fmt.Sprintf("Le message « %s » a été %s par son destinataire.\n", subject, map[DispositionType]string{
			Processed: "traité", Deleted: "supprimé", Dispatched: "transmis",
		}[t])
	}
}

// mdnPart builds the multipart/report of an MDN.
func (e *encoder) mdnPart(m *Message) (*part, error) {
	r := m.MDN
	var fields strings.Builder
	line := func(name, value string) {
		if value != "" {
			fields.WriteString(name + ": " + value + "\r\n")
		}
	}
	line("Reporting-UA", r.ReportingUA)
	if r.OriginalRecipient != "" {
		line("Original-Recipient", "rfc822;"+r.OriginalRecipient)
	}
	line("Final-Recipient", "rfc822;"+r.FinalRecipient)
	if r.OriginalMessageID != "" {
		line("Original-Message-ID", formatMsgID(r.OriginalMessageID))
	}
	line("Disposition", r.Disposition.String())
	line("Error", r.Error)
	for _, v := range []string{r.ReportingUA, r.FinalRecipient, r.OriginalRecipient, r.OriginalMessageID, r.Error} {
		if err := checkHeaderValue("disposition-notification", v); err != nil {
			return nil, err
		}
	}
	reportHeader := &fieldWriter{}
	reportHeader.add("Content-Type", "message/disposition-notification")
	notification := &part{header: reportHeader, body: func(w io.Writer) error {
		_, err := io.WriteString(w, fields.String())
		return err
	}}
	children := []*part{textPart("plain", r.Text), notification}
	if o := m.original; o != nil {
		orig := &fieldWriter{}
		if o.open != nil {
			orig.add("Content-Type", "message/rfc822")
			orig.add("Content-Disposition", "inline")
			children = append(children, &part{header: orig, body: func(w io.Writer) error {
				rc, err := o.open()
				if err != nil {
					return fmt.Errorf("mail: original message: %w", err)
				}
				defer rc.Close()
				_, err = io.Copy(w, rc)
				return err
			}})
		} else if o.header.Len() > 0 {
			orig.add("Content-Type", "text/rfc822-headers")
			h := o.header.Header.Header
			children = append(children, &part{header: orig, body: func(w io.Writer) error {
				return textproto.WriteHeader(w, h)
			}})
		}
	}
	return e.multipart("report", map[string]string{"report-type": "disposition-notification"}, children...)
}

// NewIntegrationErrorMail builds the plain mail the CI-SIS prescribes when a
// document cannot be integrated and the sender asked for no read receipt
// ("courriel standard"): addressed to Reply-To or else From of the received
// message, with the subject of [IntegrationErrorSubject], the code and text
// in the body, and the original attached as message/rfc822 when original is
// not nil.
func NewIntegrationErrorMail(received *Message, from Address, code IntegrationErrorCode, text string, original func() (io.ReadCloser, error)) (*Message, error) {
	if !code.Valid() {
		return nil, fmt.Errorf("mail: integration error code %d is not a CI-SIS code (900-906)", int(code))
	}
	if text == "" {
		text = code.String()
	}
	m := received.Reply(from)
	m.Subject = IntegrationErrorSubject(code, received.Subject)
	m.Text = fmt.Sprintf("Le document du message « %s » n'a pas pu être intégré.\nErreur %d : %s\n", received.DisplaySubject(), int(code), text)
	if original != nil {
		m.Attachments = []*Attachment{{Filename: "original.eml", ContentType: "message/rfc822", Open: original, Size: -1}}
	}
	return m, nil
}
