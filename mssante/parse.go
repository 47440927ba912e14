package mssante

import (
	"bufio"
	"errors"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// ParseOptions bound [Parse]. A nil *ParseOptions means defaults; a zero
// field means its default.
type ParseOptions struct {
	MaxMessageBytes int64 // raw message size; 0 means DefaultMaxMessageBytes
	MaxHeaderBytes  int64 // top-level header block; 0 means DefaultMaxHeaderBytes
	MaxParts        int   // MIME parts; 0 means DefaultMaxParts
	MaxDepth        int   // multipart nesting; 0 means DefaultMaxDepth
	// SpoolThreshold is the decoded size above which an attachment is
	// written to a temporary file rather than kept in memory; call
	// Message.Close to remove the files. 0 means DefaultSpoolThreshold; a
	// negative value keeps everything in memory.
	SpoolThreshold int64
	// SpoolDir is where those files go. "" means os.TempDir().
	SpoolDir string
}

func (o *ParseOptions) withDefaults() ParseOptions {
	var out ParseOptions
	if o != nil {
		out = *o
	}
	if out.MaxMessageBytes <= 0 {
		out.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if out.MaxHeaderBytes <= 0 {
		out.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if out.MaxParts <= 0 {
		out.MaxParts = DefaultMaxParts
	}
	if out.MaxDepth <= 0 {
		out.MaxDepth = DefaultMaxDepth
	}
	if out.SpoolThreshold == 0 {
		out.SpoolThreshold = DefaultSpoolThreshold
	}
	return out
}

// Parse reads an RFC 5322 message and returns what MSSanté cares about:
// addresses, the X-MSS-* headers, the body text (decoded from any charset to
// UTF-8, line ends as "\n"), the attachments (IHE_XDM.ZIP included, matched
// without case), and for reports the DSN (RFC 3464) or MDN (RFC 8098).
//
// Every read is bounded by opts. Malformed structure gives a [*ParseError],
// oversized input a [*LimitError], never a panic. A header field that
// cannot be read (an address list with a syntax error, an unknown charset)
// does not fail the parse: it is listed in [Message.Problems] and the raw
// value stays in Message.Header, so that no message is lost.
func Parse(r io.Reader, opts *ParseOptions) (*Message, error) {
	o := opts.withDefaults()
	lr := &limitReader{r: r, n: o.MaxMessageBytes, err: &LimitError{Limit: "message size", Max: o.MaxMessageBytes}}
	e, err := message.ReadWithOptions(lr, &message.ReadOptions{MaxHeaderBytes: o.MaxHeaderBytes})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		if strings.Contains(err.Error(), "header exceeds maximum size") {
			return nil, &LimitError{Limit: "header size", Max: o.MaxHeaderBytes}
		}
		return nil, wrapReadErr("header", err)
	}
	m := &Message{Header: gomail.Header{Header: e.Header}}
	p := &parser{opts: o, m: m}
	if err != nil {
		p.problem("body", err)
	}
	p.readHeader()
	if err := p.walk(e, 0, ""); err != nil {
		m.Close()
		return nil, err
	}
	// Drain what the MIME reader left (epilogue), so that an oversized
	// message is reported even when its excess follows the last part.
	if _, err := io.Copy(io.Discard, lr); err != nil {
		m.Close()
		return nil, wrapReadErr("body", err)
	}
	if m.DSN != nil {
		m.DSN.Text = m.Text
		m.DSN.OriginalMessageID, m.DSN.OriginalSubject = p.origID, p.origSubject
	}
	if m.MDN != nil {
		m.MDN.Text = m.Text
		if m.MDN.OriginalMessageID == "" {
			m.MDN.OriginalMessageID = p.origID
		}
	}
	return m, nil
}

type parser struct {
	opts        ParseOptions
	m           *Message
	parts       int
	origID      string // Message-ID of the original in a report
	origSubject string
}

func (p *parser) problem(where string, err error) {
	p.m.Problems = append(p.m.Problems, &ParseError{Part: where, Reason: "ignored", Err: err})
}

// readHeader fills the header-derived fields. Bad fields become problems.
func (p *parser) readHeader() {
	m, h := p.m, p.m.Header
	if id, err := h.MessageID(); err == nil {
		m.MessageID = id
	} else {
		m.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	}
	if h.Has("Date") {
		if d, err := h.Date(); err == nil {
			m.Date = d
		} else {
			p.problem("Date", err)
		}
	}
	addrs := func(field string) []Address {
		v := h.Get(field)
		if strings.TrimSpace(v) == "" {
			return nil
		}
		list, err := parseReceivedList(v)
		if err != nil {
			p.problem(field, err)
		}
		return list
	}
	if from := addrs("From"); len(from) > 0 {
		m.From = from[0]
	}
	if s := addrs("Sender"); len(s) > 0 {
		m.Sender = &s[0]
	}
	m.ReplyTo = addrs("Reply-To")
	m.To = addrs("To")
	m.Cc = addrs("Cc")
	m.Bcc = addrs("Bcc")
	if s, err := h.Subject(); err == nil {
		m.Subject = s
	} else {
		m.Subject = h.Get("Subject")
		p.problem("Subject", err)
	}
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.References, _ = h.MsgIDList("References")
	m.ProductRef = strings.TrimSpace(h.Get(HeaderNIL))
	for _, c := range strings.Split(h.Get(HeaderCodeCDA), ",") {
		if c = strings.TrimSpace(c); c != "" {
			m.CDACodes = append(m.CDACodes, c)
		}
	}
	m.INS = strings.ToUpper(strings.TrimSpace(h.Get(HeaderINS)))
	m.EndConversation = strings.EqualFold(strings.TrimSpace(h.Get(HeaderMES)), MESEnd)
	if dnt := addrs(HeaderDispositionNotificationTo); len(dnt) > 0 {
		m.RequestReadReceipt, m.ReadReceiptTo = true, &dnt[0]
	}
	m.ReturnReceiptTo = h.Has(HeaderReturnReceiptTo)
	if rp := strings.TrimSpace(h.Get("Return-Path")); rp != "" && rp != "<>" {
		if a, err := parseReceivedList(rp); err == nil && len(a) == 1 {
			m.ReturnPath = &a[0]
		} else if err != nil {
			p.problem("Return-Path", err)
		}
	}
}

// parseReceivedList reads an address list from a received message: RFC 5322
// syntax with charset-aware display names, domains lower-cased, and none of
// the sending-side rules, so that mail from outside conventions can still be
// read.
func parseReceivedList(v string) ([]Address, error) {
	ap := mail.AddressParser{WordDecoder: wordDecoder}
	list, err := ap.ParseList(v)
	if err != nil {
		// A lone "<addr>" without display name parses as a list of one;
		// anything else is reported.
		return nil, err
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		addr := a.Address
		if i := strings.LastIndexByte(addr, '@'); i >= 0 {
			addr = addrSpec(addr[:i], strings.ToLower(addr[i+1:]))
		}
		out = append(out, Address{Name: a.Name, Addr: addr})
	}
	return out, nil
}

// walk visits an entity. report is the report-type of the enclosing
// multipart/report, or "".
func (p *parser) walk(e *message.Entity, depth int, report string) error {
	p.parts++
	if p.parts > p.opts.MaxParts {
		return &LimitError{Limit: "parts", Max: int64(p.opts.MaxParts)}
	}
	mt, params, err := e.Header.ContentType()
	if err != nil {
		if e.Header.Has("Content-Type") {
			p.problem("Content-Type", err)
		}
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		return p.walkMultipart(e, depth, mt, params)
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		blocks, err := readFieldBlocks(e.Body)
		if err != nil {
			return err
		}
		d, err := parseDSNFields(blocks)
		if err != nil {
			return err
		}
		p.m.DSN = d
		return nil
	case "message/disposition-notification", "message/global-disposition-notification":
		blocks, err := readFieldBlocks(e.Body)
		if err != nil {
			return err
		}
		md, err := parseMDNFields(blocks)
		if err != nil {
			return err
		}
		p.m.MDN = md
		return nil
	case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
		if report != "" {
			return p.readOriginal(e.Body)
		}
	}
	disp, dparams, _ := e.Header.ContentDisposition()
	filename := attachmentName(dparams, params)
	isText := mt == "text/plain" || mt == "text/html"
	if isText && disp != "attachment" && filename == "" {
		b, err := readAllLimit(e.Body, p.opts.MaxMessageBytes, "message size")
		if err != nil {
			return wrapReadErr(mt, err)
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		switch {
		case mt == "text/plain" && p.m.Text == "":
			p.m.Text = text
			return nil
		case mt == "text/html" && p.m.HTML == "":
			p.m.HTML = text
			return nil
		}
		// A second inline text: keep it as an attachment, lose nothing.
		p.m.Attachments = append(p.m.Attachments, BytesAttachment(filename, mt, b))
		return nil
	}
	a, err := p.readAttachment(filename, mt, e.Body)
	if err != nil {
		return wrapReadErr(mt, err)
	}
	p.m.Attachments = append(p.m.Attachments, a)
	return nil
}

func (p *parser) walkMultipart(e *message.Entity, depth int, mt string, params map[string]string) error {
	if depth >= p.opts.MaxDepth {
		return &LimitError{Limit: "depth", Max: int64(p.opts.MaxDepth)}
	}
	if params["boundary"] == "" {
		return &ParseError{Part: mt, Reason: "no boundary parameter"}
	}
	report := ""
	if mt == "multipart/report" {
		report = strings.ToLower(params["report-type"])
	}
	// The parts are read raw, so that base64 attachments, most of a
	// document mail, are decoded by base64Reader rather than go-message's
	// slower readers; every other part goes through go-message.
	mr := textproto.NewMultipartReader(e.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wrapReadErr(mt, err)
		}
		h := message.Header{Header: part.Header}
		if filename, amt, ok := base64Attachment(h); ok {
			p.parts++
			if p.parts > p.opts.MaxParts {
				return &LimitError{Limit: "parts", Max: int64(p.opts.MaxParts)}
			}
			a, err := p.readAttachment(filename, amt, newBase64Reader(part))
			if err != nil {
				return wrapReadErr(amt, err)
			}
			p.m.Attachments = append(p.m.Attachments, a)
			continue
		}
		child, err := message.New(h, part)
		if err != nil && !(message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
			return wrapReadErr(mt, err)
		}
		if err != nil {
			p.problem("part body", err)
		}
		if err := p.walk(child, depth+1, report); err != nil {
			return err
		}
	}
}

// base64Attachment tells a base64 attachment that is not text (text
// attachments are converted to UTF-8 by go-message) and returns its name
// and media type.
func base64Attachment(h message.Header) (filename, mt string, ok bool) {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
		return "", "", false
	}
	mt, params, err := h.ContentType()
	if err != nil || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") || strings.HasPrefix(mt, "text/") {
		return "", "", false
	}
	_, dparams, _ := h.ContentDisposition()
	return attachmentName(dparams, params), mt, true
}

// readOriginal reads the header of the message a report is about.
func (p *parser) readOriginal(body io.Reader) error {
	br := bufio.NewReader(&limitReader{r: body, n: maxReportBytes, err: &LimitError{Limit: "report size", Max: maxReportBytes}})
	h, err := textproto.ReadHeader(br)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		if le := (*LimitError)(nil); errors.As(err, &le) {
			return err
		}
		p.problem("returned header", err)
	}
	mh := gomail.Header{Header: message.Header{Header: h}}
	if id, err := mh.MessageID(); err == nil && id != "" {
		p.origID = id
	}
	if s, err := mh.Subject(); err == nil {
		p.origSubject = s
	}
	// The returned body, if any, is not kept; drain it within the bounds
	// of the message.
	_, err = io.Copy(io.Discard, body)
	return wrapReadErr("returned message", err)
}

// attachmentName returns the file name of a part, from Content-Disposition
// then the Content-Type name parameter, RFC 2231 and RFC 2047 decoded.
func attachmentName(dparams, ctparams map[string]string) string {
	name := dparams["filename"]
	if name == "" {
		name = ctparams["name"]
	}
	if strings.Contains(name, "=?") {
		if dec, err := wordDecoder.DecodeHeader(name); err == nil {
			name = dec
		}
	}
	return name
}

// wrapReadErr passes limit errors through and makes the rest ParseErrors.
func wrapReadErr(part string, err error) error {
	if err == nil {
		return nil
	}
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	return &ParseError{Part: part, Reason: "read failed", Err: err}
}

// fieldBlock is one block of "Name: value" fields of a report body.
type fieldBlock []struct{ name, value string }

// get returns the first value of name, without case, or "".
func (b fieldBlock) get(name string) string {
	for _, f := range b {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// readFieldBlocks reads a report body (RFC 3464 / RFC 8098): blocks of
// fields separated by blank lines, continuation lines unfolded.
func readFieldBlocks(r io.Reader) ([]fieldBlock, error) {
	b, err := readAllLimit(r, maxReportBytes, "report size")
	if err != nil {
		return nil, wrapReadErr("report", err)
	}
	var blocks []fieldBlock
	var cur fieldBlock
	flush := func() {
		if len(cur) > 0 {
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			if len(cur) == 0 {
				return nil, &ParseError{Part: "report", Reason: "continuation line without a field"}
			}
			cur[len(cur)-1].value += " " + strings.TrimSpace(line)
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t") {
				return nil, &ParseError{Part: "report", Reason: "line is not a field: " + truncate(line, 60)}
			}
			cur = append(cur, struct{ name, value string }{name, strings.TrimSpace(value)})
		}
	}
	flush()
	return blocks, nil
}

// parseDate reads an RFC 5322 date as found in report fields, or zero.
func parseDate(v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	t, err := mail.ParseDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
