package trust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"
)

// Namespace is the XML namespace of the liste blanche.
const Namespace = "https://listeblanche.mssante.fr/schema"

// Limits applied by ParseList when ParseOptions leaves them zero, far above
// the ANS file: 6,554 entries, 3.7 MB (generated on 2025-03-13, in the ANS
// repository ansforge/MSS-liste-blanche).
const (
	DefaultMaxListBytes = 64 << 20
	DefaultMaxEntries   = 200_000
)

// ParseOptions bounds ParseList. A nil *ParseOptions means the defaults.
type ParseOptions struct {
	// MaxBytes is the largest input accepted, in bytes. Zero means
	// DefaultMaxListBytes.
	MaxBytes int64

	// MaxEntries is the largest number of <Domaine> entries accepted. Zero
	// means DefaultMaxEntries.
	MaxEntries int
}

// ParseError reports a liste blanche that is not well-formed or does not
// follow the ANS format. errors.Is(err, ErrMalformedList) holds for it.
type ParseError struct {
	Line   int   // 1-based line where the problem was seen
	Offset int64 // byte offset where the problem was seen
	Msg    string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("trust: malformed liste blanche at line %d (byte %d): %s", e.Line, e.Offset, e.Msg)
}

// Is makes errors.Is(err, ErrMalformedList) true.
func (e *ParseError) Is(target error) bool { return target == ErrMalformedList }

// ParseList reads a liste blanche, streaming: memory grows with the number of
// entries, not with the size of the input.
//
// The document as a whole is checked strictly. The ANS file ends after
// </ListeDomaines>, without the closing tag of its root element: ParseList
// accepts a document that ends there, and only there. Any other
// malformation (XML that is not well-formed, truncation elsewhere, a
// document type declaration, a wrong root element or namespace, a missing or
// bad <DateDeGeneration>, an element or text where the format has a plain
// value) is a *ParseError, and so is a list with no usable <Domaine>.
// Unknown elements are skipped, so that a field added by the ANS does not
// break parsing.
//
// Entries are checked leniently: a well-formed <Domaine> whose values are
// unusable (a <Nom> that is empty, absent, repeated or not a domain name,
// such as an e-mail address; a <DateMAJ> that is not an RFC 3339 date) is
// left out and recorded (List.Skipped), so that one bad entry among
// thousands does not empty the trust space. A skipped entry never widens it:
// no domain is guessed from a bad value.
//
// A domain may appear in several entries (one per operator certificate):
// the List groups them by lower-cased domain name.
func ParseList(r io.Reader, opts *ParseOptions) (*List, error) {
	maxBytes, maxEntries := int64(DefaultMaxListBytes), DefaultMaxEntries
	if opts != nil {
		if opts.MaxBytes > 0 {
			maxBytes = opts.MaxBytes
		}
		if opts.MaxEntries > 0 {
			maxEntries = opts.MaxEntries
		}
	}
	lr := &limitReader{r: r, n: maxBytes}
	p := &listParser{
		s:          newXMLScanner(lr),
		maxEntries: maxEntries,
		list:       &List{domains: make(map[string][]Entry, 1024)},
		intern:     make(map[string]string),
	}
	err := p.parse()
	if err != nil {
		if lr.exceeded {
			return nil, fmt.Errorf("trust: liste blanche larger than %d bytes: %w", maxBytes, ErrListTooLarge)
		}
		var se *syntaxError
		if errors.As(err, &se) {
			return nil, &ParseError{Line: p.s.line, Offset: p.s.off, Msg: se.msg}
		}
		return nil, fmt.Errorf("trust: reading liste blanche: %w", err)
	}
	return p.list, nil
}

// limitReader fails once more than n bytes have been read.
type limitReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

var errTooLarge = errors.New("input too large")

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n < 0 {
		l.exceeded = true
		return 0, errTooLarge
	}
	if int64(len(b)) > l.n+1 {
		b = b[:l.n+1]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	if l.n < 0 {
		l.exceeded = true
		return n, errTooLarge
	}
	return n, err
}

type listParser struct {
	s          *xmlScanner
	prefix     []byte // namespace prefix of the root element, usually empty
	rootName   string
	maxEntries int
	seen       int // <Domaine> elements read, skipped ones included
	list       *List
	intern     map[string]string // shared values: operator DNs and contacts repeat a lot
	val        []byte
}

func (p *listParser) parse() error {
	s := p.s
	s.skipBOM()
	// Prolog: up to the root start tag.
	for {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return errSyntax("no root element")
		case tokText:
			if !allSpace(s.text) {
				return errSyntax("text before the root element")
			}
			continue
		case tokEnd:
			return errSyntax("end tag </%s> before the root element", printable(s.tag))
		}
		if err := p.checkRoot(); err != nil {
			return err
		}
		if tok == tokEmpty {
			return errSyntax("empty root element")
		}
		break
	}
	rootName := p.rootName

	var seenDate, seenList, closedRoot bool
	for !closedRoot {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			if seenList {
				// The ANS file stops after </ListeDomaines>.
				closedRoot = true
				continue
			}
			return errSyntax("unexpected end of file inside <%s>", rootName)
		case tokText:
			if !allSpace(s.text) {
				return errSyntax("text %q inside <%s>", printable(bytes.TrimSpace(s.text)), rootName)
			}
		case tokEnd:
			if string(s.tag) != rootName {
				return errSyntax("end tag </%s> does not match <%s>", printable(s.tag), rootName)
			}
			closedRoot = true
			// Epilogue: only white space, comments and processing instructions.
			for {
				tok, err := s.next()
				if err != nil {
					return err
				}
				if tok == tokEOF {
					break
				}
				if tok != tokText || !allSpace(s.text) {
					return errSyntax("content after the root element")
				}
			}
		case tokStart, tokEmpty:
			name, ok := p.child()
			switch {
			case ok && string(name) == "DateDeGeneration":
				if seenDate {
					return errSyntax("more than one <DateDeGeneration>")
				}
				seenDate = true
				v, err := p.leaf(tok)
				if err != nil {
					return err
				}
				t, err := time.Parse(time.RFC3339, string(v))
				if err != nil {
					return errSyntax("<DateDeGeneration> %q is not an RFC 3339 date", printable(v))
				}
				p.list.generated = t
			case ok && string(name) == "ListeDomaines":
				if seenList {
					return errSyntax("more than one <ListeDomaines>")
				}
				seenList = true
				if tok == tokStart {
					if err := p.domains(); err != nil {
						return err
					}
				}
			default:
				if err := p.skip(tok); err != nil {
					return err
				}
			}
		}
	}
	if !seenDate {
		return errSyntax("no <DateDeGeneration>")
	}
	if !seenList {
		return errSyntax("no <ListeDomaines>")
	}
	if len(p.list.domains) == 0 {
		if len(p.list.skipped) > 0 {
			return errSyntax("no usable <Domaine>: %d skipped, the first: %s", p.list.skippedCount, p.list.skipped[0])
		}
		return errSyntax("no <Domaine> in <ListeDomaines>")
	}
	return nil
}

// endIs reports whether the current end tag closes the list element local.
func (p *listParser) endIs(local string) bool {
	prefix, l := localName(p.s.tag)
	return bytes.Equal(prefix, p.prefix) && string(l) == local
}

// checkRoot checks the root element's name and namespace, and records its prefix.
func (p *listParser) checkRoot() error {
	name, rest := splitName(p.s.tag)
	prefix, local := localName(name)
	if string(local) != "ListeBlancheMSSante" {
		return errSyntax("root element is <%s>, not <ListeBlancheMSSante>", printable(name))
	}
	attrs, err := parseAttrs(rest)
	if err != nil {
		return err
	}
	want := "xmlns"
	if len(prefix) > 0 {
		want = "xmlns:" + string(prefix)
	}
	ns, found := "", false
	for _, a := range attrs {
		if a.name == want {
			ns, found = a.value, true
		}
	}
	switch {
	case found && ns != Namespace:
		return errSyntax("root element in namespace %q, not %q", ns, Namespace)
	case !found && len(prefix) > 0:
		return errSyntax("undeclared namespace prefix %q", prefix)
	}
	p.prefix = append([]byte(nil), prefix...)
	p.rootName = string(name)
	return nil
}

// child returns the local name of the current start tag when it is in the
// list's namespace (same prefix as the root).
// The callers switch on string(local): that conversion does not allocate.
func (p *listParser) child() ([]byte, bool) {
	name, _ := splitName(p.s.tag)
	prefix, local := localName(name)
	if !bytes.Equal(prefix, p.prefix) {
		return nil, false
	}
	return local, true
}

// content reads the content of the list element local, opened by a start
// tag, up to its end tag: only white space between the child elements,
// whose start tags are handed to child.
func (p *listParser) content(local string, child func(tok tokKind) error) error {
	s := p.s
	for {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return errSyntax("unexpected end of file inside <%s>", local)
		case tokText:
			if !allSpace(s.text) {
				return errSyntax("text %q inside <%s>", printable(bytes.TrimSpace(s.text)), local)
			}
		case tokEnd:
			if !p.endIs(local) {
				return errSyntax("end tag </%s> does not match <%s>", printable(s.tag), local)
			}
			return nil
		case tokStart, tokEmpty:
			if err := child(tok); err != nil {
				return err
			}
		}
	}
}

// domains parses the content of <ListeDomaines>.
func (p *listParser) domains() error {
	return p.content("ListeDomaines", func(tok tokKind) error {
		if name, ok := p.child(); ok && string(name) == "Domaine" {
			if err := p.countEntry(); err != nil {
				return err
			}
			if tok == tokEmpty {
				p.skipEntry("Domaine", nil, "empty <Domaine>, no <Nom>")
				return nil
			}
			return p.domaine()
		}
		return p.skip(tok)
	})
}

// countEntry bounds the number of <Domaine> elements, skipped ones included.
func (p *listParser) countEntry() error {
	if p.seen >= p.maxEntries {
		return errSyntax("more than %d entries", p.maxEntries)
	}
	p.seen++
	return nil
}

// domaine parses the content of one <Domaine>. The content must be
// well-formed and shaped as the ANS writes it (anything else is a
// *ParseError); an entry whose values are unusable is skipped and recorded.
func (p *listParser) domaine() error {
	var e Entry
	var seenName bool
	var bad *SkippedEntry // the first unusable value
	flag := func(element string, v []byte, reason string) {
		if bad == nil {
			bad = &SkippedEntry{Line: p.s.line, Element: element, Value: quoteValue(v), Reason: reason}
		}
	}
	err := p.content("Domaine", func(tok tokKind) error {
		name, ok := p.child()
		if !ok {
			return p.skip(tok)
		}
		var dst *string
		intern := true
		switch string(name) {
		case "Nom":
			if seenName {
				v, err := p.leaf(tok)
				if err != nil {
					return err
				}
				flag("Nom", v, "more than one <Nom> in the <Domaine>")
				return nil
			}
			seenName = true
			dst, intern = &e.Domain, false
		case "Description":
			dst, intern = &e.Description, false
		case "DNCertificatOperateur":
			dst = &e.OperatorDN
		case "ResponsableContact":
			dst = &e.ResponsibleContact
		case "SupportContact":
			dst = &e.SupportContact
		case "DateMAJ":
			v, err := p.leaf(tok)
			if err != nil {
				return err
			}
			if len(v) > 0 {
				t, err := time.Parse(time.RFC3339, string(v))
				if err != nil {
					flag("DateMAJ", v, "not an RFC 3339 date")
					return nil
				}
				e.Updated = t
			}
			return nil
		default:
			return p.skip(tok)
		}
		v, err := p.leaf(tok)
		if err != nil {
			return err
		}
		if dst == &e.Domain {
			if reason := domainNameProblem(v); reason != "" {
				flag("Nom", v, reason)
			}
		}
		if intern {
			*dst = p.internString(v)
		} else {
			*dst = string(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !seenName {
		flag("Domaine", nil, "no <Nom>")
	}
	if bad != nil {
		p.list.addSkipped(*bad)
		return nil
	}
	p.list.entries++
	key := lowerASCII(e.Domain)
	p.list.domains[key] = append(p.list.domains[key], e)
	return nil
}

// skipEntry records an entry left out.
func (p *listParser) skipEntry(element string, v []byte, reason string) {
	p.list.addSkipped(SkippedEntry{Line: p.s.line, Element: element, Value: quoteValue(v), Reason: reason})
}

// leaf reads the text content of a simple element whose start tag was just
// read, up to its end tag, and returns it trimmed. The result is only valid
// until the next call.
func (p *listParser) leaf(tok tokKind) ([]byte, error) {
	p.val = p.val[:0]
	if tok == tokEmpty {
		return p.val, nil
	}
	s := p.s
	name, _ := splitName(s.tag)
	nameLen := len(name)
	var nameBuf [64]byte
	open := append(nameBuf[:0], name...)
	for {
		tok, err := s.next()
		if err != nil {
			return nil, err
		}
		switch tok {
		case tokEOF:
			return nil, errSyntax("unexpected end of file inside <%s>", open)
		case tokText:
			p.val = append(p.val, s.text...)
			if len(p.val) > maxTagBytes {
				return nil, errSyntax("<%s> longer than %d bytes", open, maxTagBytes)
			}
		case tokStart, tokEmpty:
			return nil, errSyntax("element <%s> inside <%s>", printable(s.tag), open)
		case tokEnd:
			if len(s.tag) != nameLen || !bytes.Equal(s.tag, open) {
				return nil, errSyntax("end tag </%s> does not match <%s>", printable(s.tag), open)
			}
			v := bytes.TrimSpace(p.val)
			if !utf8.Valid(v) {
				return nil, errSyntax("<%s> is not valid UTF-8", open)
			}
			return v, nil
		}
	}
}

// skip skips an element whose start tag was just read, checking that its
// content nests properly.
func (p *listParser) skip(tok tokKind) error {
	if tok == tokEmpty {
		return nil
	}
	s := p.s
	name, _ := splitName(s.tag)
	stack := []string{string(name)}
	for len(stack) > 0 {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case tokEOF:
			return errSyntax("unexpected end of file inside <%s>", stack[len(stack)-1])
		case tokStart:
			if len(stack) > 64 {
				return errSyntax("elements nested too deeply")
			}
			n, _ := splitName(s.tag)
			stack = append(stack, string(n))
		case tokEnd:
			if string(s.tag) != stack[len(stack)-1] {
				return errSyntax("end tag </%s> does not match <%s>", printable(s.tag), stack[len(stack)-1])
			}
			stack = stack[:len(stack)-1]
		}
	}
	return nil
}

func (p *listParser) internString(b []byte) string {
	if v, ok := p.intern[string(b)]; ok {
		return v
	}
	v := string(b)
	if len(p.intern) < 100_000 {
		p.intern[v] = v
	}
	return v
}

func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}
