package mssante

import (
	"bufio"
	"bytes"
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
// The base64 attachments of a multipart message are kept encoded and
// decoded when they are opened: parsing a document mail costs a copy of its
// bytes, not a decoding, and a broken base64 body fails the reads of its
// attachment ([ErrMalformed]) rather than the parse. An attachment larger
// than the spool threshold is decoded into a temporary file at once.
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
	return parseEntity(e, err, nil, lr, &parser{opts: o})
}

// parseBytes is Parse of a message held in memory. Its multipart bodies are
// split in place and its base64 attachments keep their bytes in b, which
// must not change afterwards: the copies and boundary searches of the
// stream are most of what Parse costs on a document mail.
func parseBytes(b []byte, opts *ParseOptions) (*Message, error) {
	return parseInPlace(b, nil, opts)
}

// parseRaw is parseBytes of a pooled buffer, which the message keeps until
// it is closed; the buffer is released at once when the message does not
// refer to it.
func parseRaw(rb *rawBuffer, opts *ParseOptions) (*Message, error) {
	m, err := parseInPlace(rb.b, rb, opts)
	if m == nil || m.raw != rb {
		rb.close()
	}
	return m, err
}

func parseInPlace(b []byte, owner *rawBuffer, opts *ParseOptions) (*Message, error) {
	o := opts.withDefaults()
	if int64(len(b)) > o.MaxMessageBytes {
		return Parse(bytes.NewReader(b), opts) // for its error
	}
	// As message.ReadWithOptions reads the header, within MaxHeaderBytes.
	hb, limitErr := b, error(nil)
	if int64(len(b)) >= o.MaxHeaderBytes {
		hb, limitErr = b[:o.MaxHeaderBytes], &LimitError{Limit: "header size", Max: o.MaxHeaderBytes}
	}
	h, n, err := readHeaderInPlace(hb, true, limitErr)
	if err != nil {
		return nil, wrapReadErr("header", err)
	}
	body := b[n:]
	e, err := message.New(message.Header{Header: h}, bytes.NewReader(body))
	return parseEntity(e, err, body, nil, &parser{opts: o, raw: owner})
}

// parseEntity reads the parts of a message whose header is read, with p
// (its options set, and for a message in memory its buffers). eerr is what
// message.New said (an unknown charset or encoding); raw is the body when it
// is in memory; rest, when not nil, is drained at the end.
func parseEntity(e *message.Entity, eerr error, raw []byte, rest io.Reader, p *parser) (*Message, error) {
	m := &Message{Header: gomail.Header{Header: e.Header}, raw: p.raw}
	p.m = m
	if eerr != nil {
		p.problem("body", eerr)
	}
	p.readHeader()
	if err := p.walk(e, 0, "", raw); err != nil {
		m.Close()
		return nil, err
	}
	// Drain what the MIME reader left (epilogue), so that an oversized
	// message is reported even when its excess follows the last part.
	if rest != nil {
		if _, err := io.Copy(io.Discard, rest); err != nil {
			m.Close()
			return nil, wrapReadErr("body", err)
		}
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
	raw         *rawBuffer // the pooled buffer of a message in memory, or nil
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
	if v := h.Get("Date"); v != "" {
		if d, err := parseMailDate(v); err == nil {
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
// multipart/report, or "". raw is the body of e when it is in memory, or
// nil.
func (p *parser) walk(e *message.Entity, depth int, report string, raw []byte) error {
	p.parts++
	if p.parts > p.opts.MaxParts {
		return &LimitError{Limit: "parts", Max: int64(p.opts.MaxParts)}
	}
	mt, params, err := contentType(e.Header)
	if err != nil {
		if e.Header.Has("Content-Type") {
			p.problem("Content-Type", err)
		}
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		return p.walkMultipart(e, depth, mt, params, raw)
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
	disp, dparams, _ := contentDisposition(e.Header)
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

func (p *parser) walkMultipart(e *message.Entity, depth int, mt string, params map[string]string, raw []byte) error {
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
	// document mail, are kept encoded and decoded on demand by
	// base64Reader rather than go-message's slower readers; every other
	// part goes through go-message.
	var next partSource
	if raw != nil {
		next = p.memParts(raw, params["boundary"])
	} else {
		next = streamParts(e.Body, params["boundary"])
	}
	for {
		h, body, braw, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wrapReadErr(mt, err)
		}
		if filename, amt, ok := base64Attachment(h); ok {
			p.parts++
			if p.parts > p.opts.MaxParts {
				return &LimitError{Limit: "parts", Max: int64(p.opts.MaxParts)}
			}
			var a *Attachment
			if braw != nil {
				a, err = p.base64AttachmentInPlace(filename, amt, braw)
			} else {
				a, err = p.readBase64Attachment(filename, amt, body)
			}
			if err != nil {
				return wrapReadErr(amt, err)
			}
			p.m.Attachments = append(p.m.Attachments, a)
			continue
		}
		child, err := message.New(h, body)
		if err != nil && !(message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
			return wrapReadErr(mt, err)
		}
		if err != nil {
			p.problem("part body", err)
		}
		if err := p.walk(child, depth+1, report, braw); err != nil {
			return err
		}
	}
}

// A partSource returns the parts of a multipart body in order: header,
// body, and the body's bytes when they are in memory (else nil); io.EOF
// after the last.
type partSource func() (h message.Header, body io.Reader, raw []byte, err error)

// streamParts reads the parts with go-message.
func streamParts(r io.Reader, boundary string) partSource {
	mr := textproto.NewMultipartReader(r, boundary)
	return func() (message.Header, io.Reader, []byte, error) {
		part, err := mr.NextPart()
		if err != nil {
			return message.Header{}, nil, nil, err
		}
		return message.Header{Header: part.Header}, part, nil, nil
	}
}

// memParts splits an in-memory body. A part cut short (no boundary after
// it) is handed over as a stream, which fails where go-message's would.
func (p *parser) memParts(raw []byte, boundary string) partSource {
	mr := newMemMultipart(raw, boundary)
	return func() (message.Header, io.Reader, []byte, error) {
		part, err := mr.next()
		if err != nil {
			return message.Header{}, nil, nil, err
		}
		h := message.Header{Header: part.header}
		if !part.terminated {
			return h, part.reader(), nil, nil
		}
		return h, bytes.NewReader(part.body), part.body, nil
	}
}

// base64Attachment tells a base64 attachment that is not text (text
// attachments are converted to UTF-8 by go-message) and returns its name
// and media type.
func base64Attachment(h message.Header) (filename, mt string, ok bool) {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
		return "", "", false
	}
	mt, params, err := contentType(h)
	if err != nil || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") || strings.HasPrefix(mt, "text/") {
		return "", "", false
	}
	_, dparams, _ := contentDisposition(h)
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
	t, err := parseMailDate(v)
	if err != nil {
		return time.Time{}
	}
	return t
}

// parseMailDate is mail.ParseDate with the layout every current mailer
// writes tried first: ParseDate tries 24 layouts before it, each failure
// an allocated error.
func parseMailDate(v string) (time.Time, error) {
	if t, err := time.Parse(rfc5322Date, strings.TrimSpace(v)); err == nil {
		return t, nil
	}
	return mail.ParseDate(v)
}

const rfc5322Date = "Mon, 2 Jan 2006 15:04:05 -0700"

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
