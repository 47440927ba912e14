package cda

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseOptions bounds [Parse]. A nil *ParseOptions means the defaults.
type ParseOptions struct {
	// MaxHeaderSize is the most bytes read before the body (the header,
	// and any wrapper such as ds:Signature before it); zero means 8 MiB.
	MaxHeaderSize int64
	// MaxStructuredBody is the largest N3 structuredBody kept in
	// Body.XML; zero means 64 MiB.
	MaxStructuredBody int64
	// MaxDepth is the deepest element nesting accepted; zero means 256.
	MaxDepth int
	// HeaderOnly stops after the header: Body.Kind and Body.MediaType are
	// set but neither Content nor XML is read.
	HeaderOnly bool
}

func (o *ParseOptions) orDefault() ParseOptions {
	var v ParseOptions
	if o != nil {
		v = *o
	}
	if v.MaxHeaderSize <= 0 {
		v.MaxHeaderSize = 8 << 20
	}
	if v.MaxStructuredBody <= 0 {
		v.MaxStructuredBody = 64 << 20
	}
	if v.MaxDepth <= 0 {
		v.MaxDepth = 256
	}
	return v
}

// Errors returned by [Parse], wrapped in a [*ParseError].
var (
	ErrNotCDA    = errors.New("cda: no ClinicalDocument element")
	ErrTooLarge  = errors.New("cda: size limit exceeded")
	ErrTooDeep   = errors.New("cda: XML nesting too deep")
	ErrMalformed = errors.New("cda: malformed XML")
)

// ParseError reports why a document could not be read, with the byte
// offset reached in the input.
type ParseError struct {
	Offset int64
	Err    error
}

func (e *ParseError) Error() string { return fmt.Sprintf("%v (at byte %d)", e.Err, e.Offset) }
func (e *ParseError) Unwrap() error { return e.Err }

// Parse reads a CDA R2 document, N1 or N3, from r. It is lenient: it reads
// what it knows of the French header and ignores the rest, whatever the
// element order; missing elements leave zero values, and [Validate] reports
// them. The ClinicalDocument may be wrapped (enveloping ds:Signature,
// self-presenting xsl:stylesheet).
//
// Parse streams: it stops reading r at the start of the body. For an N1
// body, d.Body.Content decodes the payload from r as it is read, so a large
// PDF is never held in memory; for an N3 body, d.Body.XML holds the raw
// structuredBody element.
func Parse(r io.Reader, opts *ParseOptions) (*Document, error) {
	o := opts.orDefault()
	src := &source{r: bufio.NewReaderSize(r, 32<<10)}
	p := &parser{src: src, dec: xml.NewDecoder(src), opts: o}
	p.dec.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("cda: encoding %q: CDA documents must be UTF-8", label)
	}
	d, err := p.parse()
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return nil, err
		}
		if !errors.Is(err, ErrNotCDA) && !errors.Is(err, ErrTooDeep) && !errors.Is(err, ErrTooLarge) {
			err = fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		return nil, &ParseError{Offset: p.dec.InputOffset(), Err: err}
	}
	return d, nil
}

// source feeds the XML decoder byte by byte (it implements io.ByteReader,
// so the decoder does no buffering of its own) and keeps what the body
// readers need: the last bytes read and an optional recording.
type source struct {
	r     *bufio.Reader
	n     int64
	last  [2]byte
	rec   *bytes.Buffer
	limit int64 // recording limit
}

var errRecordTooLarge = errors.New("recording limit")

func (s *source) ReadByte() (byte, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	s.n++
	s.last[0], s.last[1] = s.last[1], b
	if s.rec != nil {
		if int64(s.rec.Len()) >= s.limit {
			return 0, errRecordTooLarge
		}
		s.rec.WriteByte(b)
	}
	return b, nil
}

func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := s.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// node is an element of the header, kept as a small tree.
type node struct {
	name string // local name
	attr []xml.Attr
	kids []*node
	text strings.Builder
}

func (n *node) at(name string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// child returns the first child at the path of local names.
func (n *node) child(path ...string) *node {
	for _, name := range path {
		if n == nil {
			return nil
		}
		var next *node
		for _, k := range n.kids {
			if k.name == name {
				next = k
				break
			}
		}
		n = next
	}
	return n
}

// all returns every child named name.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}
	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

func (n *node) str() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(n.text.String())
}

type parser struct {
	src  *source
	dec  *xml.Decoder
	opts ParseOptions
	// scopes holds the namespace declarations of the open ancestors of the
	// body, so that Body.XML can be made self-contained.
	scopes [][]xml.Attr
}

func nsDecls(attrs []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range attrs {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			out = append(out, a)
		}
	}
	return out
}

func (p *parser) token() (xml.Token, error) {
	if p.src.n > p.opts.MaxHeaderSize && p.src.rec == nil {
		return nil, fmt.Errorf("%w: header larger than %d bytes", ErrTooLarge, p.opts.MaxHeaderSize)
	}
	t, err := p.dec.Token()
	if errors.Is(err, errRecordTooLarge) {
		return nil, fmt.Errorf("%w: structured body larger than %d bytes", ErrTooLarge, p.opts.MaxStructuredBody)
	}
	return t, err
}

// tokenInside is token inside the document, where the end of the input is
// a truncated document.
func (p *parser) tokenInside() (xml.Token, error) {
	t, err := p.token()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return t, err
}

func (p *parser) parse() (*Document, error) {
	// Find ClinicalDocument, at any depth below a wrapper.
	depth := 0
	wrapper := WrapperNone
	for {
		t, err := p.token()
		if err == io.EOF {
			return nil, ErrNotCDA
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			p.scopes = append(p.scopes, nsDecls(t.Attr))
			if t.Name.Local == "ClinicalDocument" {
				d, err := p.document(depth)
				if d != nil {
					d.Wrapper = wrapper
				}
				return d, err
			}
			if depth == 0 {
				wrapper = wrapperOf(t.Name)
			}
			depth++
			if depth > p.opts.MaxDepth {
				return nil, ErrTooDeep
			}
		case xml.EndElement:
			depth--
			if len(p.scopes) > 0 {
				p.scopes = p.scopes[:len(p.scopes)-1]
			}
		}
	}
}

// wrapperOf names the root element of a file whose root is not
// ClinicalDocument.
func wrapperOf(n xml.Name) Wrapper {
	switch {
	case n.Space == "http://www.w3.org/1999/XSL/Transform" && (n.Local == "stylesheet" || n.Local == "transform"):
		return WrapperStylesheet
	case n.Space == "http://www.w3.org/2000/09/xmldsig#" && n.Local == "Signature":
		return WrapperSignature
	}
	return WrapperOther
}

func (p *parser) document(base int) (*Document, error) {
	root := &node{name: "ClinicalDocument"}
	stack := []*node{root}
	d := &Document{}
	for {
		t, err := p.tokenInside()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if len(stack) == 1 && t.Name.Local == "component" {
				p.scopes = append(p.scopes, nsDecls(t.Attr))
				fillHeader(d, root)
				if err := p.body(d, base+1); err != nil {
					return nil, err
				}
				return d, nil
			}
			if base+len(stack)+1 > p.opts.MaxDepth {
				return nil, ErrTooDeep
			}
			n := &node{name: t.Name.Local, attr: t.Attr}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			if len(stack) == 1 {
				fillHeader(d, root) // no body
				return d, nil
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 1 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
}

// body reads the component element: its start tag has just been read.
func (p *parser) body(d *Document, depth int) error {
	// Record the raw input from here, to keep the structuredBody start tag
	// as written; a nonXMLBody stops the recording.
	var rec bytes.Buffer
	if !p.opts.HeaderOnly {
		p.src.rec, p.src.limit = &rec, p.opts.MaxStructuredBody
		defer func() { p.src.rec = nil }()
	}
	for {
		t, err := p.tokenInside()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil // empty component
		case xml.StartElement:
			switch t.Name.Local {
			case "nonXMLBody":
				p.src.rec = nil
				d.Body.Kind = BodyNonXML
				return p.nonXMLBody(d)
			case "structuredBody":
				d.Body.Kind = BodyStructured
				if p.opts.HeaderOnly {
					return nil
				}
				return p.structuredBody(d, t, &rec, depth+1)
			default:
				return p.dec.Skip()
			}
		}
	}
}

func (p *parser) nonXMLBody(d *Document) error {
	for {
		t, err := p.tokenInside()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if t.Name.Local != "text" {
				if err := p.dec.Skip(); err != nil {
					return err
				}
				continue
			}
			rep := "TXT"
			for _, a := range t.Attr {
				switch a.Name.Local {
				case "mediaType":
					d.Body.MediaType = a.Value
				case "representation":
					rep = a.Value
				}
			}
			if p.opts.HeaderOnly {
				return nil
			}
			if p.src.last[0] == '/' { // <text .../>
				d.Body.Content = bytes.NewReader(nil)
				return nil
			}
			if strings.EqualFold(rep, "B64") {
				d.Body.Content = base64.NewDecoder(base64.StdEncoding, &b64Text{src: p.src.r})
				return nil
			}
			// Plain text: bounded by the header limit, it is small.
			var buf bytes.Buffer
			for {
				t, err := p.token()
				if err != nil {
					return err
				}
				if c, ok := t.(xml.CharData); ok {
					buf.Write(c)
					continue
				}
				if _, ok := t.(xml.EndElement); ok {
					d.Body.Content = &buf
					return nil
				}
				if _, ok := t.(xml.StartElement); ok {
					if err := p.dec.Skip(); err != nil {
						return err
					}
				}
			}
		}
	}
}

func (p *parser) structuredBody(d *Document, start xml.StartElement, rec *bytes.Buffer, depth int) error {
	// Keep only the start tag as written (it begins at the last '<': none
	// can appear inside attribute values) and add the namespace
	// declarations in scope that it does not repeat.
	raw := rec.Bytes()
	i := bytes.LastIndexByte(raw, '<')
	if i < 0 {
		return errors.New("structuredBody start tag not recorded")
	}
	tag := raw[i:]
	nameEnd := bytes.IndexAny(tag, " \t\r\n/>")
	if nameEnd < 0 {
		return errors.New("structuredBody start tag not recorded")
	}
	var out bytes.Buffer
	out.Write(tag[:nameEnd])
	own := map[string]bool{}
	for _, a := range nsDecls(start.Attr) {
		own[a.Name.Space+":"+a.Name.Local] = true
	}
	inScope := map[string]string{}
	var order []string
	for _, scope := range p.scopes {
		for _, a := range scope {
			k := a.Name.Space + ":" + a.Name.Local
			if _, seen := inScope[k]; !seen {
				order = append(order, k)
			}
			inScope[k] = a.Value
		}
	}
	for _, k := range order {
		if own[k] {
			continue
		}
		name := "xmlns"
		if sp, local, _ := strings.Cut(k, ":"); sp == "xmlns" {
			name = "xmlns:" + local
		}
		out.WriteString(" " + name + `="` + esc(inScope[k]) + `"`)
	}
	out.Write(tag[nameEnd:])
	if p.src.last[0] == '/' { // <structuredBody/>
		d.Body.XML = out.Bytes()
		return nil
	}
	rec.Reset()
	rec.Write(out.Bytes())
	level := 1
	for level > 0 {
		t, err := p.tokenInside()
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			level++
			if depth+level > p.opts.MaxDepth {
				return ErrTooDeep
			}
		case xml.EndElement:
			level--
		}
	}
	d.Body.XML = append([]byte(nil), rec.Bytes()...)
	return nil
}

// b64Text reads the base64 text of an element from the raw input, up to the
// next tag. It skips white space and character references, and reads
// through CDATA sections.
type b64Text struct {
	src   *bufio.Reader
	cdata bool
	done  bool
}

func (b *b64Text) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && !b.done {
		n += b.fast(p[n:])
		if n == len(p) {
			break
		}
		c, err := b.src.ReadByte()
		if err == io.EOF {
			return n, io.ErrUnexpectedEOF
		}
		if err != nil {
			return n, err
		}
		switch {
		case b.cdata && c == ']':
			if peek, _ := b.src.Peek(2); string(peek) == "]>" {
				b.src.Discard(2)
				b.cdata = false
			}
		case !b.cdata && c == '<':
			if peek, _ := b.src.Peek(8); string(peek) == "![CDATA[" {
				b.src.Discard(8)
				b.cdata = true
				continue
			}
			b.done = true
		case !b.cdata && c == '&':
			// A character reference can only be white space here.
			for i := 0; i < 12; i++ {
				c, err := b.src.ReadByte()
				if err != nil || c == ';' {
					break
				}
			}
		case isB64(c):
			p[n] = c
			n++
		}
	}
	if n == 0 && b.done {
		return 0, io.EOF
	}
	return n, nil
}

// fast copies base64 characters from the buffered input, skipping white
// space, up to the first other byte, which it leaves unread.
func (b *b64Text) fast(p []byte) int {
	if b.src.Buffered() == 0 {
		b.src.Peek(1) // fill the buffer; errors come back through ReadByte
	}
	buf, _ := b.src.Peek(b.src.Buffered())
	n, i := 0, 0
	for ; i < len(buf) && n < len(p); i++ {
		c := buf[i]
		if isB64(c) {
			p[n] = c
			n++
			continue
		}
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			break
		}
	}
	b.src.Discard(i)
	return n
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

func ii(n *node) II {
	if n == nil {
		return II{}
	}
	return II{Root: n.at("root"), Extension: n.at("extension"), NullFlavor: n.at("nullFlavor")}
}

func code(n *node) Code {
	if n == nil {
		return Code{}
	}
	return Code{Code: n.at("code"), CodeSystem: n.at("codeSystem"), CodeSystemName: n.at("codeSystemName"), DisplayName: n.at("displayName"), NullFlavor: n.at("nullFlavor")}
}

func ts(n *node) TS { return TS(strings.TrimSpace(n.at("value"))) }

func telecoms(n *node) []string {
	var out []string
	for _, t := range n.all("telecom") {
		if v := t.at("value"); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func name(n *node) *Name {
	if n == nil {
		return nil
	}
	nm := &Name{Prefix: n.child("prefix").str(), Family: n.child("family").str(), Suffix: n.child("suffix").str()}
	for _, g := range n.all("given") {
		nm.Given = append(nm.Given, g.str())
	}
	return nm
}

func organization(n *node) *Organization {
	if n == nil {
		return nil
	}
	return &Organization{ID: ii(n.child("id")), Name: n.child("name").str(), Telecom: telecoms(n), PracticeSetting: code(n.child("standardIndustryClassCode"))}
}

func participant(n *node, person string) Participant {
	return Participant{
		ID:           ii(n.child("id")),
		Code:         code(n.child("code")),
		Name:         name(n.child(person, "name")),
		Organization: organization(n.child("representedOrganization")),
		Telecom:      telecoms(n),
	}
}

func fillHeader(d *Document, h *node) {
	for _, t := range h.all("templateId") {
		d.TemplateIDs = append(d.TemplateIDs, ii(t))
	}
	d.ID = ii(h.child("id"))
	d.Code = code(h.child("code"))
	d.Title = h.child("title").str()
	d.EffectiveTime = ts(h.child("effectiveTime"))
	d.Confidentiality = code(h.child("confidentialityCode"))
	d.Language = h.child("languageCode").at("code")
	d.SetID = ii(h.child("setId"))
	d.VersionNumber, _ = strconv.Atoi(strings.TrimSpace(h.child("versionNumber").at("value")))

	pr := h.child("recordTarget", "patientRole")
	for _, idn := range pr.all("id") {
		id := ii(idn)
		if k, ok := INSKindFromOID(id.Root); ok && d.Patient.INS == nil {
			d.Patient.INS = &INS{Matricule: strings.TrimSpace(id.Extension), Kind: k}
			continue
		}
		d.Patient.IDs = append(d.Patient.IDs, id)
	}
	d.Patient.Telecom = telecoms(pr)
	pat := pr.child("patient")
	for _, nm := range pat.all("name") {
		for _, part := range nm.kids {
			q := part.at("qualifier")
			v := part.str()
			switch {
			case part.name == "family" && (q == "BR" || strings.Contains(" "+q+" ", " BR ")):
				setOnce(&d.Patient.BirthFamily, v)
			case part.name == "family" && q == "CL":
				setOnce(&d.Patient.UsedFamily, v)
			case part.name == "family" && q == "":
				setOnce(&d.Patient.UsedFamily, v)
			case part.name == "given" && q == "BR":
				setOnce(&d.Patient.FirstGiven, v)
			case part.name == "given" && q == "CL":
				setOnce(&d.Patient.UsedGiven, v)
			case part.name == "given" && q == "":
				setOnce(&d.Patient.BirthGivens, v)
			}
		}
	}
	d.Patient.Gender = pat.child("administrativeGenderCode").at("code")
	d.Patient.BirthDate = ts(pat.child("birthTime"))
	d.Patient.BirthplaceCode = pat.child("birthplace", "place", "addr", "county").str()

	for _, an := range h.all("author") {
		aa := an.child("assignedAuthor")
		a := Author{
			Time:         ts(an.child("time")),
			ID:           ii(aa.child("id")),
			Specialty:    code(aa.child("code")),
			Function:     code(an.child("functionCode")),
			Person:       name(aa.child("assignedPerson", "name")),
			Organization: organization(aa.child("representedOrganization")),
			Telecom:      telecoms(aa),
		}
		if dev := aa.child("assignedAuthoringDevice"); dev != nil {
			a.Device = &Device{Manufacturer: dev.child("manufacturerModelName").str(), Software: dev.child("softwareName").str()}
		}
		d.Authors = append(d.Authors, a)
	}
	if c := organization(h.child("custodian", "assignedCustodian", "representedCustodianOrganization")); c != nil {
		d.Custodian = *c
	}
	for _, rn := range h.all("informationRecipient") {
		ir := rn.child("intendedRecipient")
		d.InformationRecipients = append(d.InformationRecipients, Participant{
			ID:           ii(ir.child("id")),
			Name:         name(ir.child("informationRecipient", "name")),
			Organization: organization(ir.child("receivedOrganization")),
			Telecom:      telecoms(ir),
		})
	}
	if la := h.child("legalAuthenticator"); la != nil {
		d.LegalAuthenticator = &LegalAuthenticator{Time: ts(la.child("time")), Participant: participant(la.child("assignedEntity"), "assignedPerson")}
	}
	for _, dn := range h.all("documentationOf") {
		sn := dn.child("serviceEvent")
		if sn == nil {
			continue
		}
		se := ServiceEvent{ID: ii(sn.child("id")), Code: code(sn.child("code")), Start: ts(sn.child("effectiveTime", "low")), Stop: ts(sn.child("effectiveTime", "high"))}
		if se.Start == "" {
			se.Start = ts(sn.child("effectiveTime"))
		}
		if pn := sn.child("performer", "assignedEntity"); pn != nil {
			p := participant(pn, "assignedPerson")
			se.Performer = &p
		}
		d.ServiceEvents = append(d.ServiceEvents, se)
	}
	for _, rd := range h.all("relatedDocument") {
		if rd.at("typeCode") == "RPLC" {
			d.ReplacedDocument = ii(rd.child("parentDocument", "id"))
		}
	}
	if ee := h.child("componentOf", "encompassingEncounter"); ee != nil {
		d.Encounter = Encounter{
			ID:           ii(ee.child("id")),
			Code:         code(ee.child("code")),
			Start:        ts(ee.child("effectiveTime", "low")),
			Stop:         ts(ee.child("effectiveTime", "high")),
			FacilityID:   ii(ee.child("location", "healthCareFacility", "id")),
			FacilityType: code(ee.child("location", "healthCareFacility", "code")),
		}
		if d.Encounter.Start == "" {
			d.Encounter.Start = ts(ee.child("effectiveTime"))
		}
		if d.Encounter.Start == "" && d.Encounter.Stop == "" {
			d.Encounter.TimeNullFlavor = ee.child("effectiveTime").at("nullFlavor")
		}
	}
}

func setOnce(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}
