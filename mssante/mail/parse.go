package mail

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
	"github.com/mssante-go/sdk/internal/mimeparse"
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
	// MaxReportFields bounds the fields kept from one delivery-status or
	// disposition-notification part; 0 means DefaultMaxReportFields.
	MaxReportFields int
	// MaxReportFieldBytes bounds one field of such a part, unfolded; 0
	// means DefaultMaxReportFieldBytes. A field over it is left out and
	// listed in Message.Problems (a *LimitError in a *ParseError): unlike
	// the limits above, the report limits never fail the parse.
	MaxReportFieldBytes int
	// Release, used by ParseBytes only, is called once with the input
	// when the message no longer refers to it: at once when the parse
	// fails or keeps nothing of it, else when the Message is closed and
	// every attachment reader opened on it is closed. Nil means the input
	// is never handed back (the garbage collector frees it). Sync and Fetch
	// give their pooled buffers back this way.
	Release func([]byte)
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
	if out.MaxReportFields <= 0 {
		out.MaxReportFields = DefaultMaxReportFields
	}
	if out.MaxReportFieldBytes <= 0 {
		out.MaxReportFieldBytes = DefaultMaxReportFieldBytes
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
// Every read is bounded by opts: the message size, the top-level header and
// each part header (MaxHeaderBytes), the number of parts and their depth.
// Malformed structure gives a [*ParseError], oversized input a
// [*LimitError], never a panic; an error quotes at most about a hundred
// bytes of the input. A header field that cannot be read (an address list
// with a syntax error, an unknown charset) does not fail the parse: it is
// listed in [Message.Problems] and the raw value stays in Message.Header,
// so that no message is lost.
//
// Reports are read as mail systems really write them: a defect inside a
// multipart/report (no closing boundary, a returned message cut short,
// lines that are not fields, a report without per-recipient fields, a
// broken human-readable part) never fails the parse. The message comes
// back marked as a report (DSN or MDN set) with every field that could be
// read, and each defect is listed in Problems with its part and a short
// quote; only the limits above stay fatal. A file that starts with an mbox
// "From " envelope line (a message saved from a mail client) is read from
// the line after it.
func Parse(r io.Reader, opts *ParseOptions) (*Message, error) {
	o := opts.withDefaults()
	lr := &limitReader{r: r, n: o.MaxMessageBytes, err: &LimitError{Limit: "message size", Max: o.MaxMessageBytes}}
	src, envelope, err := skipEnvelope(lr, o.MaxHeaderBytes)
	if err != nil {
		return nil, wrapReadErr("header", err)
	}
	e, err := message.ReadWithOptions(src, &message.ReadOptions{MaxHeaderBytes: o.MaxHeaderBytes})
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		if strings.Contains(err.Error(), "header exceeds maximum size") {
			return nil, &LimitError{Limit: "header size", Max: o.MaxHeaderBytes}
		}
		return nil, wrapReadErr("header", err)
	}
	return parseEntity(e, err, nil, lr, &parser{opts: o, envelope: envelope})
}

// skipEnvelope reads past an mbox "From " envelope line at the start of r,
// if there is one, and returns the message that follows it, and the line.
// The line must end within max bytes.
func skipEnvelope(r io.Reader, max int64) (io.Reader, []byte, error) {
	head := make([]byte, 512)
	n, err := io.ReadAtLeast(r, head, len(mboxFrom)+1)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, nil, err
	}
	head = head[:n]
	if envelopeLine(head) < 0 {
		return io.MultiReader(bytes.NewReader(head), r), nil, nil
	}
	for {
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			if int64(i) >= max {
				break
			}
			return io.MultiReader(bytes.NewReader(head[i+1:]), r), head[:i+1], nil
		}
		if int64(len(head)) > max {
			break
		}
		chunk := make([]byte, 4096)
		n, err := r.Read(chunk)
		head = append(head, chunk[:n]...)
		if err == io.EOF && !bytes.Contains(chunk[:n], []byte("\n")) {
			if int64(len(head)) > max {
				break
			}
			return bytes.NewReader(nil), head, nil // only the envelope line
		}
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
	}
	return nil, nil, &LimitError{Limit: "header size", Max: max}
}

const mboxFrom = "From "

// envelopeLine returns the length of the mbox envelope line at the start
// of b ("From sender date", the newline included, or all of b without
// one), or -1. "From:" and "From :" are header fields, not envelopes.
func envelopeLine(b []byte) int {
	if len(b) <= len(mboxFrom) || string(b[:len(mboxFrom)]) != mboxFrom {
		return -1
	}
	switch b[len(mboxFrom)] {
	case ' ', '\t', ':', '\r', '\n':
		return -1
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	return len(b)
}

// ParseBytes is Parse of a message held in memory, in place: its
// multipart bodies are split where they lie and its base64 attachments
// keep their bytes in b, which must not change until the message is closed
// (see ParseOptions.Release to get b back). The copies and boundary
// searches of the stream are most of what Parse costs on a document mail.
func ParseBytes(b []byte, opts *ParseOptions) (*Message, error) {
	var owner *rawBuffer
	if opts != nil && opts.Release != nil {
		owner = &rawBuffer{b: b, release: opts.Release}
	}
	m, err := parseInPlace(b, owner, opts)
	if owner != nil && (m == nil || m.raw != owner) {
		owner.close()
	}
	return m, err
}

func parseInPlace(b []byte, owner *rawBuffer, opts *ParseOptions) (*Message, error) {
	o := opts.withDefaults()
	if int64(len(b)) > o.MaxMessageBytes {
		return Parse(bytes.NewReader(b), opts) // for its error
	}
	var envelope []byte
	if n := envelopeLine(b); n >= 0 {
		if int64(n) > o.MaxHeaderBytes {
			return nil, &LimitError{Limit: "header size", Max: o.MaxHeaderBytes}
		}
		envelope, b = b[:n], b[n:]
	}
	// As message.ReadWithOptions reads the header, within MaxHeaderBytes.
	hb, limitErr := b, error(nil)
	if int64(len(b)) >= o.MaxHeaderBytes {
		hb, limitErr = b[:o.MaxHeaderBytes], &LimitError{Limit: "header size", Max: o.MaxHeaderBytes}
	}
	h, n, err := mimeparse.ReadHeaderInPlace(hb, true, limitErr)
	if err != nil {
		return nil, wrapReadErr("header", err)
	}
	body := b[n:]
	e, err := message.New(message.Header{Header: h}, bytes.NewReader(body))
	return parseEntity(e, err, body, nil, &parser{opts: o, raw: owner, envelope: envelope})
}

// parseEntity reads the parts of a message whose header is read, with p
// (its options set, and for a message in memory its buffers). eerr is what
// message.New said (an unknown charset or encoding); raw is the body when it
// is in memory; rest, when not nil, is drained at the end.
func parseEntity(e *message.Entity, eerr error, raw []byte, rest io.Reader, p *parser) (*Message, error) {
	m := &Message{Header: gomail.Header{Header: e.Header}, raw: p.raw}
	p.m = m
	if p.envelope != nil {
		p.report(&ParseError{Part: "header", Reason: "mbox envelope line skipped", Quote: quote(bytes.TrimRight(p.envelope, "\r\n"))})
	}
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
	p.finishReport()
	return m, nil
}

// finishReport completes the DSN or MDN of a report with what the other
// parts said: the human-readable text, the returned message's Message-ID
// and Subject, and for a DSN what the text says of each recipient. A
// multipart/report whose report part is missing (a report cut short before
// it) is still a report.
func (p *parser) finishReport() {
	m := p.m
	if m.DSN == nil && m.MDN == nil {
		switch p.reportType {
		case "delivery-status", "global-delivery-status":
			m.DSN = &DSN{}
			p.report(&ParseError{Part: "multipart/report", Reason: "no message/delivery-status part"})
		case "disposition-notification", "global-disposition-notification":
			m.MDN = &MDN{}
			p.report(&ParseError{Part: "multipart/report", Reason: "no message/disposition-notification part"})
		}
	}
	if d := m.DSN; d != nil {
		d.Text = m.Text
		d.OriginalMessageID, d.OriginalSubject = p.origID, p.origSubject
		for _, err := range d.infer(m.Text, m.Subject, "message/delivery-status") {
			p.report(err)
		}
	}
	if md := m.MDN; md != nil {
		md.Text = m.Text
		if md.OriginalMessageID == "" {
			md.OriginalMessageID = p.origID
		}
		if md.OriginalMessageID == "" && len(m.InReplyTo) == 1 {
			// Without Original-Message-ID and returned header, the MDN
			// still answers the original (RFC 8098 §2.3 leaves it optional).
			md.OriginalMessageID = m.InReplyTo[0]
		}
	}
}

type parser struct {
	opts        ParseOptions
	m           *Message
	raw         *rawBuffer // the pooled buffer of a message in memory, or nil
	parts       int
	envelope    []byte // the mbox "From " line skipped, or nil
	reportType  string // report-type of the first multipart/report, or ""
	origID      string // Message-ID of the original in a report
	origSubject string
}

// problem records a header field or part that could not be read.
func (p *parser) problem(where string, err error) {
	p.report(&ParseError{Part: where, Reason: "ignored", Err: shortError(err)})
}

// report records a problem.
func (p *parser) report(err error) {
	p.m.Problems = append(p.m.Problems, err)
}

// fatal tells the errors that end a parse even inside a report: the limits
// of the message (size, parts, depth, header bytes). Everything else
// inside a report is a problem.
func fatal(err error) bool {
	var le *LimitError
	return errors.As(err, &le)
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
// multipart/report ("unknown" when it has none), or "" outside reports:
// inside a report, a part that cannot be read is a problem, not an error.
// raw is the body of e when it is in memory, or nil.
func (p *parser) walk(e *message.Entity, depth int, report string, raw []byte) error {
	p.parts++
	if p.parts > p.opts.MaxParts {
		return &LimitError{Limit: "parts", Max: int64(p.opts.MaxParts)}
	}
	mt, params, err := mimeparse.ContentType(e.Header)
	if err != nil {
		if e.Header.Has("Content-Type") {
			p.problem("Content-Type", err)
		}
		mt, params = "text/plain", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		return p.walkMultipart(e, depth, mt, params, report, raw)
	}
	switch mt {
	case "message/delivery-status", "message/global-delivery-status":
		blocks, err := p.readReportFields(e.Body, mt)
		if err != nil {
			return err
		}
		d, probs := parseDSNFields(blocks, mt)
		p.m.Problems = append(p.m.Problems, probs...)
		if p.m.DSN != nil {
			p.report(&ParseError{Part: mt, Reason: "second delivery report in the message, ignored"})
			return nil
		}
		p.m.DSN = d
		return nil
	case "message/disposition-notification", "message/global-disposition-notification":
		blocks, err := p.readReportFields(e.Body, mt)
		if err != nil {
			return err
		}
		md, probs := parseMDNFields(blocks, mt)
		p.m.Problems = append(p.m.Problems, probs...)
		if p.m.MDN != nil {
			p.report(&ParseError{Part: mt, Reason: "second disposition report in the message, ignored"})
			return nil
		}
		p.m.MDN = md
		return nil
	case "text/rfc822-headers", "message/rfc822", "message/global", "message/global-headers":
		if report != "" {
			return p.readOriginal(e.Body, mt)
		}
	}
	disp, dparams, _ := mimeparse.ContentDisposition(e.Header)
	filename := attachmentName(dparams, params)
	isText := mt == "text/plain" || mt == "text/html"
	if isText && disp != "attachment" && filename == "" {
		b, err := readAllLimit(e.Body, p.opts.MaxMessageBytes, "message size")
		if err != nil {
			if report == "" || fatal(err) {
				return wrapReadErr(mt, err)
			}
			// A human-readable part cut short or badly encoded: keep
			// what could be decoded, for support.
			p.report(&ParseError{Part: mt, Reason: "read in part", Err: shortError(err)})
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

func (p *parser) walkMultipart(e *message.Entity, depth int, mt string, params map[string]string, report string, raw []byte) error {
	if depth >= p.opts.MaxDepth {
		return &LimitError{Limit: "depth", Max: int64(p.opts.MaxDepth)}
	}
	if mt == "multipart/report" {
		report = strings.ToLower(params["report-type"])
		if report == "" {
			report = "unknown"
		}
		if p.reportType == "" {
			p.reportType = report
		}
	}
	if params["boundary"] == "" {
		err := &ParseError{Part: mt, Reason: "no boundary parameter"}
		if report == "" {
			return err
		}
		p.report(err) // still a report, whose parts cannot be told apart
		return nil
	}
	// A part that cannot be read inside a report is a problem; elsewhere
	// it fails the parse, as it always did.
	lenient := func(err error) bool {
		if report == "" || fatal(err) {
			return false
		}
		p.report(err)
		return true
	}
	// The parts are read raw, so that base64 attachments, most of a
	// document mail, are kept encoded and decoded on demand by
	// base64Reader rather than go-message's slower readers; every other
	// part goes through go-message.
	var next partSource
	if raw != nil {
		next = p.memParts(raw, params["boundary"])
	} else {
		next = p.streamParts(e.Body, params["boundary"])
	}
	for {
		h, body, braw, err := next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if lenient(multipartProblem(mt, err)) {
				return nil // nothing can be read after it
			}
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
				if err = wrapReadErr(amt, err); lenient(err) {
					continue
				}
				return err
			}
			p.m.Attachments = append(p.m.Attachments, a)
			continue
		}
		child, err := message.New(h, body)
		if err != nil && !(message.IsUnknownCharset(err) || message.IsUnknownEncoding(err)) {
			if err = wrapReadErr(mt, err); lenient(err) {
				continue
			}
			return err
		}
		if err != nil {
			p.problem("part body", err)
		}
		if err := p.walk(child, depth+1, report, braw); err != nil && !lenient(err) {
			return err
		}
	}
}

// multipartProblem describes why the parts of a report stopped.
func multipartProblem(mt string, err error) error {
	if strings.Contains(err.Error(), "NextPart: EOF") || errors.Is(err, io.ErrUnexpectedEOF) {
		return &ParseError{Part: mt, Reason: "no closing boundary: the message was cut short"}
	}
	return &ParseError{Part: mt, Reason: "parts after this point left out", Err: shortError(err)}
}

// A partSource returns the parts of a multipart body in order: header,
// body, and the body's bytes when they are in memory (else nil); io.EOF
// after the last.
type partSource func() (h message.Header, body io.Reader, raw []byte, err error)

// streamParts reads the parts from a stream.
func (p *parser) streamParts(r io.Reader, boundary string) partSource {
	mr := mimeparse.NewStreamMultipart(r, boundary, p.opts.MaxHeaderBytes, p.partHeaderLimit())
	return func() (message.Header, io.Reader, []byte, error) {
		h, part, err := mr.Next()
		if err != nil {
			return message.Header{}, nil, nil, err
		}
		return message.Header{Header: h}, part, nil, nil
	}
}

// memParts splits an in-memory body. A part cut short (no boundary after
// it) is handed over as a stream, which fails where the stream's would.
func (p *parser) memParts(raw []byte, boundary string) partSource {
	mr := mimeparse.NewMemMultipart(raw, boundary, p.opts.MaxHeaderBytes, p.partHeaderLimit())
	return func() (message.Header, io.Reader, []byte, error) {
		part, err := mr.Next()
		if err != nil {
			return message.Header{}, nil, nil, err
		}
		h := message.Header{Header: part.Header}
		if !part.Terminated {
			return h, part.Reader(), nil, nil
		}
		return h, bytes.NewReader(part.Body), part.Body, nil
	}
}

// base64Attachment tells a base64 attachment that is not text (text
// attachments are converted to UTF-8 by go-message) and returns its name
// and media type.
func base64Attachment(h message.Header) (filename, mt string, ok bool) {
	if !strings.EqualFold(strings.TrimSpace(h.Get("Content-Transfer-Encoding")), "base64") {
		return "", "", false
	}
	mt, params, err := mimeparse.ContentType(h)
	if err != nil || strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") || strings.HasPrefix(mt, "text/") {
		return "", "", false
	}
	_, dparams, _ := mimeparse.ContentDisposition(h)
	return attachmentName(dparams, params), mt, true
}

// readReportFields reads the fields of a delivery-status or
// disposition-notification part within the report limits. What is over
// them, or cut short, is a problem; only the message's own limits end the
// parse.
func (p *parser) readReportFields(body io.Reader, mt string) ([]fieldBlock, error) {
	tooLong := &LimitError{Limit: "report size", Max: maxReportBytes}
	b, err := io.ReadAll(&limitReader{r: body, n: maxReportBytes, err: tooLong})
	switch {
	case err == nil:
	case err == tooLong:
		p.report(&ParseError{Part: mt, Reason: "rest of the report left out", Err: tooLong})
		if _, err := io.Copy(io.Discard, body); fatal(err) {
			return nil, err
		}
		b = b[:bytes.LastIndexByte(b, '\n')+1] // a line cut by the limit
	case fatal(err):
		return nil, err
	default:
		// The last line may be whole (the cut fell in the boundary line,
		// whose line end it owns) or not: it is kept, and the fields are
		// checked for what a cut would leave ("Status: 5.1" is not a
		// status).
		p.report(&ParseError{Part: mt, Reason: "cut short", Err: shortError(err)})
	}
	blocks, probs := readFieldBlocks(b, fieldLimits{maxFields: p.opts.MaxReportFields, maxFieldBytes: p.opts.MaxReportFieldBytes}, mt)
	p.m.Problems = append(p.m.Problems, probs...)
	return blocks, nil
}

// readOriginal reads the header of the message a report is about (its
// Message-ID and Subject); a returned message cut short or over the report
// limit is a problem.
func (p *parser) readOriginal(body io.Reader, mt string) error {
	tooLong := &LimitError{Limit: "report size", Max: maxReportBytes}
	br := bufio.NewReader(&limitReader{r: body, n: maxReportBytes, err: tooLong})
	h, err := textproto.ReadHeader(br)
	cut := false
	switch {
	case err == nil || errors.Is(err, io.EOF):
	case errors.Is(err, io.ErrUnexpectedEOF):
		cut = true
	case err == tooLong:
		p.report(&ParseError{Part: mt, Reason: "returned header over the limit, rest left out", Err: tooLong})
	case fatal(err):
		return err
	default:
		p.report(&ParseError{Part: mt, Reason: "returned header read in part", Err: shortError(err)})
	}
	if p.origID == "" && p.origSubject == "" {
		mh := gomail.Header{Header: message.Header{Header: h}}
		if id, err := mh.MessageID(); err == nil && id != "" {
			p.origID = id
		}
		if s, err := mh.Subject(); err == nil {
			p.origSubject = s
		}
	}
	// The returned body, if any, is not kept; drain it within the bounds
	// of the message.
	switch _, err := io.Copy(io.Discard, body); {
	case err == nil:
	case fatal(err):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		cut = true
	default:
		p.report(&ParseError{Part: mt, Reason: "returned message read in part", Err: shortError(err)})
	}
	if cut {
		p.report(&ParseError{Part: mt, Reason: "returned message cut short"})
	}
	return nil
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

// wrapReadErr passes limit errors through and makes the rest ParseErrors,
// their text cut to quote little of the input.
func wrapReadErr(part string, err error) error {
	if err == nil {
		return nil
	}
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	return &ParseError{Part: part, Reason: "read failed", Err: shortError(err)}
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

// partHeaderLimit is the error of a part header longer than MaxHeaderBytes.
func (p *parser) partHeaderLimit() error {
	return &LimitError{Limit: "header size", Max: p.opts.MaxHeaderBytes}
}
