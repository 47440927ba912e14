package mail

import (
	"bufio"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/unicode/norm"
)

// EncodeOptions tune [Message.Encode]. A nil *EncodeOptions means defaults.
type EncodeOptions struct {
	// Now gives the time written in Date when the message has none. Nil
	// means time.Now.
	Now func() time.Time
	// Rand is the source of random bytes for generated Message-IDs and MIME
	// boundaries. Nil means crypto/rand. Tests inject a fixed source to get
	// byte-stable output.
	Rand io.Reader
}

// Errors of [Message.Validate].
var (
	ErrNoSender     = errors.New("mail: message has no From address")
	ErrNoRecipients = errors.New("mail: message has no recipient")
)

// WriteTo encodes the message with default options; see [Message.Encode].
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	err := m.Encode(cw, nil)
	return cw.n, err
}

// Encode writes the message to w as RFC 5322 / MIME, streaming attachments
// and documents from their sources: the encoder holds no whole part in
// memory. It validates the message first (see [Message.Validate]) and
// assigns MessageID and Date when they are empty, storing them in m so that
// the caller can track the message.
//
// The layout: a text/plain UTF-8 quoted-printable body (multipart/alternative
// with the HTML when there is one); with attachments or documents, a
// multipart/mixed holding the body, the IHE_XDM.ZIP, the PDF copies and then
// the other attachments, base64-encoded; for an MDN, a multipart/report
// (RFC 8098). Non-ASCII header text is RFC 2047-encoded; non-ASCII file names
// get an ASCII fallback and an RFC 2231 UTF-8 filename*.
func (m *Message) Encode(w io.Writer, opts *EncodeOptions) error {
	var o EncodeOptions
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if err := m.Validate(); err != nil {
		return err
	}
	var docs []DocumentInfo
	if m.Documents != nil {
		docs = m.Documents.Documents()
		if err := checkDocuments(docs); err != nil {
			return err
		}
	}
	if m.MessageID == "" {
		id, err := newMessageID(o.Rand, m.From.Domain())
		if err != nil {
			return err
		}
		m.MessageID = id
	}
	if m.Date.IsZero() {
		m.Date = o.Now()
	}

	e := &encoder{rand: o.Rand}
	var body *part
	var err error
	switch {
	case m.MDN != nil:
		body, err = e.mdnPart(m)
	default:
		body, err = e.contentPart(m, docs)
	}
	if err != nil {
		return err
	}
	h := m.topHeader(docs)
	return e.write(w, h, body)
}

// Validate checks what the encoder would refuse, without writing anything:
// a valid From whose display name follows ECO.2.2.7 ([CheckDisplayName]),
// at least one recipient, and no header injection through any value
// (subject, names, message ids, product reference, file names, content
// types). Addresses made by hand (not by ParseAddress) must be RFC 5321
// mailboxes: a dot-atom or quoted local part, one '@', a domain. Message
// ids must be printable ASCII without spaces or brackets (the message's
// own with an '@'), and the product reference printable ASCII.
func (m *Message) Validate() error {
	if m.From.IsZero() {
		return ErrNoSender
	}
	if len(m.To)+len(m.Cc)+len(m.Bcc) == 0 {
		return ErrNoRecipients
	}
	check := func(field string, list ...Address) error {
		for _, a := range list {
			if err := a.Validate(); err != nil {
				return fmt.Errorf("%s: %w", field, err)
			}
		}
		return nil
	}
	for _, c := range []struct {
		field string
		list  []Address
	}{{"From", []Address{m.From}}, {"Reply-To", m.ReplyTo}, {"To", m.To}, {"Cc", m.Cc}, {"Bcc", m.Bcc}} {
		if err := check(c.field, c.list...); err != nil {
			return err
		}
	}
	if err := CheckDisplayName(m.From.Name); err != nil {
		return err
	}
	for _, a := range []*Address{m.Sender, m.ReadReceiptTo} {
		if a != nil {
			if err := check("Sender/Disposition-Notification-To", *a); err != nil {
				return err
			}
		}
	}
	if err := checkHeaderValue("Subject", m.Subject); err != nil {
		return err
	}
	if err := CheckProductRef(m.ProductRef); err != nil {
		return err
	}
	if m.MessageID != "" {
		if err := checkMsgID("Message-ID", m.MessageID, true); err != nil {
			return err
		}
	}
	for _, id := range m.InReplyTo {
		if err := checkMsgID("In-Reply-To", id, false); err != nil {
			return err
		}
	}
	for _, id := range m.References {
		if err := checkMsgID("References", id, false); err != nil {
			return err
		}
	}
	for _, a := range m.Attachments {
		if a == nil {
			return errors.New("mail: nil attachment")
		}
		if err := checkAttachment(a.Filename, a.mediaType()); err != nil {
			return err
		}
	}
	return nil
}

// checkAttachment validates what goes into a part header.
func checkAttachment(filename, contentType string) error {
	if err := checkHeaderValue("filename", filename); err != nil {
		return err
	}
	if err := checkHeaderValue("attachment content type", contentType); err != nil {
		return err
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return &HeaderError{Field: "attachment content type", Value: contentType, Err: err}
	}
	// Parse converts text/* attachments to UTF-8 (go-message), so another
	// declared charset would not survive a round trip.
	switch strings.ToLower(params["charset"]) {
	case "", "utf-8", "us-ascii":
	default:
		return &HeaderError{Field: "attachment content type", Value: contentType, Err: errors.New("only utf-8 and us-ascii charsets can be declared")}
	}
	return nil
}

// topHeader builds the message header fields, in the order they are written.
func (m *Message) topHeader(docs []DocumentInfo) *fieldWriter {
	f := &fieldWriter{}
	f.add("Date", m.Date.Format(time.RFC1123Z))
	f.add("From", m.From.String())
	if m.Sender != nil {
		f.add("Sender", m.Sender.String())
	}
	if len(m.ReplyTo) > 0 {
		f.add("Reply-To", formatAddressList(m.ReplyTo))
	}
	if len(m.To) > 0 {
		f.add("To", formatAddressList(m.To))
	}
	if len(m.Cc) > 0 {
		f.add("Cc", formatAddressList(m.Cc))
	}
	f.add(HeaderMessageID, formatMsgID(m.MessageID))
	if len(m.InReplyTo) > 0 {
		f.add("In-Reply-To", formatMsgIDs(m.InReplyTo))
	}
	if len(m.References) > 0 {
		f.add("References", formatMsgIDs(m.References))
	}
	f.add("Subject", encodeSubject(m.encodedSubject(docs)))
	f.add("MIME-Version", "1.0")
	if m.ProductRef != "" {
		f.add(HeaderNIL, m.ProductRef)
	}
	if len(docs) > 0 {
		codes := make([]string, len(docs))
		qualified := true
		for i, d := range docs {
			codes[i] = d.Code
			qualified = qualified && d.Patient.QualifiedINS
		}
		f.add(HeaderCodeCDA, strings.Join(codes, ","))
		if qualified {
			f.add(HeaderINS, INSQualified)
		} else {
			f.add(HeaderINS, INSNotQualified)
		}
	}
	if m.EndConversation {
		f.add(HeaderMES, MESEnd)
	}
	if m.RequestReadReceipt {
		to := m.From
		if m.ReadReceiptTo != nil {
			to = *m.ReadReceiptTo
		}
		f.add(HeaderDispositionNotificationTo, to.String())
	}
	if m.ReturnReceiptTo {
		f.add(HeaderReturnReceiptTo, m.From.String())
	}
	return f
}

// encodedSubject is the subject as written: for a document mail, the XDM
// subject built from the first document and the patient.
func (m *Message) encodedSubject(docs []DocumentInfo) string {
	if len(docs) == 0 {
		return m.Subject
	}
	if _, ok := SplitXDMSubject(m.Subject); ok {
		return m.Subject
	}
	label := m.Subject
	if label == "" {
		label = docs[0].Label
	}
	p := docs[0].Patient
	return XDMSubject(label, p.Family, p.Given, p.BirthDate)
}

func formatMsgIDs(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = formatMsgID(id)
	}
	return strings.Join(out, " ")
}

// NewMessageID returns a globally unique message id in domain: 128 random
// bits (crypto/rand), base32-encoded, without angle brackets.
func NewMessageID(domain string) (string, error) { return newMessageID(rand.Reader, domain) }

// newMessageID returns a globally unique id in the sender's domain: 128
// random bits from r, base32-encoded.
func newMessageID(r io.Reader, domain string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("mail: message id: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(b[:])) + "@" + domain, nil
}

// part is a MIME entity to write: a header, and either a body writer or
// children.
type part struct {
	header   *fieldWriter
	body     func(w io.Writer) error // leaf content, already transfer-encoded
	boundary string                  // of a multipart
	children []*part
}

type encoder struct {
	rand io.Reader
}

// boundary returns a fresh MIME boundary. "=_" cannot occur in
// quoted-printable or base64 text, so the boundary never collides with
// encoded content.
func (e *encoder) boundary() (string, error) {
	var b [12]byte
	if _, err := io.ReadFull(e.rand, b[:]); err != nil {
		return "", fmt.Errorf("mail: boundary: %w", err)
	}
	return "=_" + hex.EncodeToString(b[:]), nil
}

// multipart returns a multipart part of the given subtype holding children.
func (e *encoder) multipart(subtype string, params map[string]string, children ...*part) (*part, error) {
	b, err := e.boundary()
	if err != nil {
		return nil, err
	}
	p := map[string]string{"boundary": b}
	for k, v := range params {
		p[k] = v
	}
	f := &fieldWriter{}
	f.add("Content-Type", mime.FormatMediaType("multipart/"+subtype, p))
	return &part{header: f, boundary: b, children: children}, nil
}

// textPart is an inline UTF-8 quoted-printable text part.
func textPart(subtype, text string) *part {
	f := &fieldWriter{}
	f.add("Content-Type", "text/"+subtype+"; charset=utf-8")
	f.add("Content-Transfer-Encoding", "quoted-printable")
	return &part{header: f, body: func(w io.Writer) error {
		qp := quotedprintable.NewWriter(w)
		if _, err := io.WriteString(qp, text); err != nil {
			return err
		}
		return qp.Close()
	}}
}

// attachmentPart is a base64 attachment streamed from open.
func attachmentPart(filename, contentType string, open func() (io.ReadCloser, error)) *part {
	f := &fieldWriter{}
	mt, params, _ := mime.ParseMediaType(contentType)
	ctParams := []string{mime.FormatMediaType(mt, params)}
	dispParams := []string{"attachment"}
	if filename != "" {
		ctParams = append(ctParams, filenameParams("name", filename)...)
		dispParams = append(dispParams, filenameParams("filename", filename)...)
	}
	f.addParams("Content-Type", ctParams)
	f.addParams("Content-Disposition", dispParams)
	// RFC 2046 §5.2.1: a message/rfc822 body is never base64-encoded.
	raw := strings.EqualFold(mt, "message/rfc822")
	if !raw {
		f.add("Content-Transfer-Encoding", "base64")
	}
	return &part{header: f, body: func(w io.Writer) error {
		if open == nil {
			return nil
		}
		rc, err := open()
		if err != nil {
			return fmt.Errorf("mail: attachment %q: %w", filename, err)
		}
		defer rc.Close()
		if raw {
			_, err = io.Copy(w, rc)
		} else {
			err = copyBase64(w, rc)
		}
		if err != nil {
			return fmt.Errorf("mail: attachment %q: %w", filename, err)
		}
		return nil
	}}
}

// base64 lines: 57 bytes of content make one 76-character line (RFC 2045).
const (
	base64LineIn    = 57
	base64LineOut   = 76
	base64LinesPerW = 512
)

// copyBase64 writes r to w in base64, in lines of 76 characters separated
// by CRLF (none after the last: the boundary that follows starts with
// one). It encodes whole blocks of lines at a time, which is several times
// faster than a line-wrapping writer behind encoding/base64's encoder.
func copyBase64(w io.Writer, r io.Reader) error {
	bufs := base64Buffers.Get().(*base64Bufs)
	defer base64Buffers.Put(bufs)
	in, out := bufs.in, bufs.out
	first := true
	for {
		n, rerr := io.ReadFull(r, in)
		if n > 0 {
			out = out[:0]
			for off := 0; off < n; off += base64LineIn {
				if !first {
					out = append(out, '\r', '\n')
				}
				first = false
				out = base64.StdEncoding.AppendEncode(out, in[off:min(off+base64LineIn, n)])
			}
			if _, err := w.Write(out); err != nil {
				return err
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return nil
		default:
			return rerr
		}
	}
}

// base64Bufs are the buffers of copyBase64, reused from one attachment to
// the next: a client sending document mails would otherwise allocate
// 70 KB per attachment.
type base64Bufs struct{ in, out []byte }

var base64Buffers = sync.Pool{New: func() any {
	return &base64Bufs{
		in:  make([]byte, base64LineIn*base64LinesPerW),
		out: make([]byte, 0, (base64LineOut+2)*base64LinesPerW+2),
	}
}}

// contentPart builds the body of an ordinary or document mail.
func (e *encoder) contentPart(m *Message, docs []DocumentInfo) (*part, error) {
	body := textPart("plain", m.Text)
	if m.HTML != "" {
		var err error
		if body, err = e.multipart("alternative", nil, body, textPart("html", m.HTML)); err != nil {
			return nil, err
		}
	}
	if len(docs) == 0 && len(m.Attachments) == 0 {
		return body, nil
	}
	children := []*part{body}
	if len(docs) > 0 {
		set := m.Documents
		var recipients []string
		for _, a := range append(append([]Address(nil), m.To...), m.Cc...) {
			recipients = append(recipients, a.Addr)
		}
		children = append(children, attachmentPart(XDMFilename, "application/zip", func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(set.WriteXDM(pw, recipients)) }()
			return pr, nil
		}))
		for _, d := range docs {
			name := PDFName(d.ActDate, d.Label, d.Patient.Family, d.Patient.Given, d.Dossier)
			children = append(children, attachmentPart(name, "application/pdf", d.PDF))
		}
	}
	for _, a := range m.Attachments {
		children = append(children, attachmentPart(a.Filename, a.mediaType(), a.Open))
	}
	return e.multipart("mixed", nil, children...)
}

// write encodes p after the message fields of h. Leaves write their own
// transfer encoding; go-message's multipart writer frames the parts.
func (e *encoder) write(w io.Writer, h *fieldWriter, p *part) error {
	bw := messageWriters.Get().(*bufio.Writer)
	bw.Reset(w)
	defer func() {
		bw.Reset(nil)
		messageWriters.Put(bw)
	}()
	bw.WriteString(h.b.String())
	bw.WriteString(p.header.b.String())
	bw.WriteString("\r\n")
	if err := e.writeBody(bw, p); err != nil {
		return err
	}
	return bw.Flush()
}

// messageWriters are the output buffers of Encode, reused.
var messageWriters = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}

func (e *encoder) writeBody(w io.Writer, p *part) error {
	if p.children == nil {
		if p.body == nil {
			return nil
		}
		return p.body(w)
	}
	mw := textproto.NewMultipartWriter(w)
	if err := mw.SetBoundary(p.boundary); err != nil {
		return err
	}
	for _, c := range p.children {
		var hdr textproto.Header
		addFields(&hdr, c.header)
		pw, err := mw.CreatePart(hdr)
		if err != nil {
			return err
		}
		if err := e.writeBody(pw, c); err != nil {
			return err
		}
	}
	return mw.Close()
}

// addFields adds the formatted fields of f to hdr so that they are written
// in f's order and with f's spelling. go-message writes fields in reverse
// order of addition, hence the backwards walk.
func addFields(hdr *textproto.Header, f *fieldWriter) {
	if f == nil {
		return
	}
	lines := splitFields(f.b.String())
	for i := len(lines) - 1; i >= 0; i-- {
		hdr.AddRaw([]byte(lines[i]))
	}
}

// splitFields cuts formatted header text into fields, continuation lines
// staying with their field.
func splitFields(s string) []string {
	var out []string
	for len(s) > 0 {
		end := 0
		for {
			i := strings.Index(s[end:], "\r\n")
			if i < 0 {
				end = len(s)
				break
			}
			end += i + 2
			if end >= len(s) || (s[end] != ' ' && s[end] != '\t') {
				break
			}
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// addParams writes a structured field whose parameters are folded one per
// line when the field is long.
func (f *fieldWriter) addParams(name string, params []string) {
	line := name + ": " + params[0]
	for _, p := range params[1:] {
		if len(line)+2+len(p) > 78 {
			f.b.WriteString(line + ";\r\n")
			line = " " + p
			continue
		}
		line += "; " + p
	}
	f.b.WriteString(line + "\r\n")
}

// filenameParams returns the name parameter(s) for a file name: a quoted
// ASCII value, plus an RFC 2231 UTF-8 extended value when the name is not
// ASCII.
func filenameParams(key, name string) []string {
	fallback, ascii := asciiFallback(name)
	out := []string{key + "=" + quoteParam(fallback)}
	if !ascii {
		out = append(out, key+"*=UTF-8''"+percentEncode(name))
	}
	return out
}

// asciiFallback transliterates name to printable ASCII (accents dropped,
// other characters replaced by '_') and reports whether it already was.
func asciiFallback(name string) (string, bool) {
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] < 0x20 || name[i] >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return name, true
	}
	var b strings.Builder
	for _, r := range norm.NFD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// combining accent: dropped
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String(), false
}

// quoteParam quotes a parameter value per RFC 2045.
func quoteParam(v string) string {
	return `"` + quotedPairs.Replace(v) + `"`
}

// percentEncode encodes a value for an RFC 2231 extended parameter.
func percentEncode(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
