package xdm

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/cda"
)

// ebRIM structures, matched by local name whatever the namespace.
type rimSlot struct {
	Name   string   `xml:"name,attr"`
	Values []string `xml:"ValueList>Value"`
}

type rimName struct {
	Value string `xml:"value,attr"`
}

type rimClassification struct {
	ID      string    `xml:"id,attr"`
	Scheme  string    `xml:"classificationScheme,attr"`
	Object  string    `xml:"classifiedObject,attr"`
	Node    string    `xml:"classificationNode,attr"`
	NodeRep string    `xml:"nodeRepresentation,attr"`
	Slots   []rimSlot `xml:"Slot"`
	Name    []rimName `xml:"Name>LocalizedString"`
}

type rimExternal struct {
	Scheme string    `xml:"identificationScheme,attr"`
	Value  string    `xml:"value,attr"`
	Name   []rimName `xml:"Name>LocalizedString"`
}

type rimObject struct {
	ID              string              `xml:"id,attr"`
	MimeType        string              `xml:"mimeType,attr"`
	Slots           []rimSlot           `xml:"Slot"`
	Name            []rimName           `xml:"Name>LocalizedString"`
	Classifications []rimClassification `xml:"Classification"`
	Externals       []rimExternal       `xml:"ExternalIdentifier"`
}

type rimAssociation struct {
	Type   string    `xml:"associationType,attr"`
	Source string    `xml:"sourceObject,attr"`
	Target string    `xml:"targetObject,attr"`
	Slots  []rimSlot `xml:"Slot"`
}

type rimRequest struct {
	Extrinsic       []rimObject         `xml:"RegistryObjectList>ExtrinsicObject"`
	Packages        []rimObject         `xml:"RegistryObjectList>RegistryPackage"`
	Classifications []rimClassification `xml:"RegistryObjectList>Classification"`
	Associations    []rimAssociation    `xml:"RegistryObjectList>Association"`
}

// metaLimits are what METADATA.XML may still hold: its nesting depth, and
// the DocumentEntries (ExtrinsicObjects) and XML elements left over the
// package. They are counted as the elements stream by, before a large
// METADATA.XML of tiny objects turns into as many structures in memory
// (16 MiB of empty elements would take some 300 MiB).
type metaLimits struct {
	depth, docs, elements int
	maxDocs, maxElements  int // what docs and elements started at, for the errors
}

// newMetaLimits returns the limits of the METADATA.XML files of a package
// read with o.
func newMetaLimits(o *ReadOptions) *metaLimits {
	elements := elementsPerDocument * (o.MaxDocuments + 1)
	return &metaLimits{depth: o.MaxDepth, docs: o.MaxDocuments, elements: elements, maxDocs: o.MaxDocuments, maxElements: elements}
}

// elementsPerDocument bounds the XML elements of METADATA.XML: so many per
// DocumentEntry allowed, plus as many for the submission set and the rest.
// A real DocumentEntry has 50 to 150 elements.
const elementsPerDocument = 1000

// tokenLimiter passes tokens through, enforcing a metaLimits.
type tokenLimiter struct {
	d     *xml.Decoder
	depth int
	lim   *metaLimits
}

func (r *tokenLimiter) Token() (xml.Token, error) {
	t, err := r.d.Token()
	if err != nil {
		return t, err
	}
	switch t := t.(type) {
	case xml.StartElement:
		r.depth++
		if r.depth > r.lim.depth {
			return nil, &LimitError{Limit: "depth", Value: int64(r.depth), Max: int64(r.lim.depth)}
		}
		if r.lim.elements--; r.lim.elements < 0 {
			return nil, &LimitError{Limit: "elements", Value: int64(r.lim.maxElements) + 1, Max: int64(r.lim.maxElements)}
		}
		if t.Name.Local == "ExtrinsicObject" {
			if r.lim.docs--; r.lim.docs < 0 {
				return nil, &LimitError{Limit: "documents", Value: int64(r.lim.maxDocs) + 1, Max: int64(r.lim.maxDocs)}
			}
		}
	case xml.EndElement:
		r.depth--
	}
	return t, nil
}

// maxAttributes bounds the attributes of one element of METADATA.XML (a
// real one has at most 6, namespace declarations included): encoding/xml
// keeps every attribute of a start tag, some 250 bytes each, before any
// check of ours can see the tag.
const maxAttributes = 64

// attrLimiter passes METADATA.XML through, counting the '=' of each
// markup outside quoted values, comments, CDATA sections and processing
// instructions: an element with more than maxAttributes attributes is
// refused before encoding/xml reads it. In well-formed XML a '=' outside
// those is an attribute's; a '<' inside markup (a declaration in a
// DOCTYPE) starts a new one.
type attrLimiter struct {
	r     io.Reader
	state byte    // 0 text, '<' markup, '"' or '\'' quoted value, '-' comment, '[' CDATA, '?' PI
	head  [8]byte // the first bytes of the markup, to spot a comment, CDATA or PI
	seen  int
	tail  [2]byte // the last two bytes, to spot the end of a comment, CDATA or PI
	n     int     // attributes of the markup so far
	err   error   // the limit, once exceeded
}

func (a *attrLimiter) Read(p []byte) (int, error) {
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.r.Read(p)
	for i, c := range p[:n] {
		switch a.state {
		case 0:
			if c == '<' {
				a.state, a.seen, a.n = '<', 0, 0
			}
		case '<':
			if a.seen < len(a.head) {
				a.head[a.seen] = c
				a.seen++
				switch string(a.head[:a.seen]) {
				case "!--":
					a.state = '-'
				case "![CDATA[":
					a.state = '['
				case "?":
					a.state = '?'
				}
				if a.state != '<' {
					a.tail = [2]byte{}
					continue
				}
			}
			switch c {
			case '<':
				a.seen, a.n = 0, 0
			case '"', '\'':
				a.state = c
			case '>':
				a.state = 0
			case '=':
				if a.n++; a.n > maxAttributes {
					// Only the bytes before it: the decoder must not
					// finish the element.
					a.err = &LimitError{Limit: "attributes", Value: int64(a.n), Max: maxAttributes}
					return i, a.err
				}
			}
		case '"', '\'':
			if c == a.state {
				a.state = '<'
			}
		case '-':
			if c == '>' && a.tail == [2]byte{'-', '-'} {
				a.state = 0
			}
		case '[':
			if c == '>' && a.tail == [2]byte{']', ']'} {
				a.state = 0
			}
		case '?':
			if c == '>' && a.tail[1] == '?' {
				a.state = 0
			}
		}
		a.tail = [2]byte{a.tail[1], c}
	}
	return n, err
}

// decodeMetadata decodes a METADATA.XML within lim, which it updates.
func decodeMetadata(r io.Reader, lim *metaLimits) (*rimRequest, error) {
	raw := xml.NewDecoder(&attrLimiter{r: r})
	raw.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("encoding %s not supported", quote(label))
	}
	dec := xml.NewTokenDecoder(&tokenLimiter{d: raw, lim: lim})
	var req rimRequest
	for {
		t, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return nil, errors.New("no root element")
			}
			return nil, err
		}
		if se, ok := t.(xml.StartElement); ok {
			if err := dec.DecodeElement(&req, &se); err != nil {
				return nil, err
			}
			return &req, nil
		}
	}
}

func slot(slots []rimSlot, name string) []string {
	for _, s := range slots {
		if s.Name == name {
			return s.Values
		}
	}
	return nil
}

func slot1(slots []rimSlot, name string) string {
	if v := slot(slots, name); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func name(n []rimName) string {
	if len(n) > 0 {
		return n[0].Value
	}
	return ""
}

// scheme returns the classification scheme without stray white space, in
// lower case.
func (c rimClassification) scheme() string {
	return strings.ToLower(strings.Join(strings.Fields(c.Scheme), ""))
}

func codeOf(c rimClassification) cda.Code {
	return cda.Code{Code: c.NodeRep, CodeSystem: slot1(c.Slots, "codingScheme"), DisplayName: name(c.Name)}
}

func authorOf(c rimClassification) Author {
	return Author{
		Person:       slot1(c.Slots, "authorPerson"),
		Institutions: slot(c.Slots, "authorInstitution"),
		Roles:        slot(c.Slots, "authorRole"),
		Specialties:  slot(c.Slots, "authorSpecialty"),
		Telecoms:     slot(c.Slots, "authorTelecommunication"),
	}
}

// externalNames are the rim:Name values producers give the identifiers.
var externalNames = map[string]string{
	schemeDEPatientID: "XDSDocumentEntry.patientId",
	schemeDEUniqueID:  "XDSDocumentEntry.uniqueId",
	schemeSSPatientID: "XDSSubmissionSet.patientId",
	schemeSSUniqueID:  "XDSSubmissionSet.uniqueId",
	schemeSSSourceID:  "XDSSubmissionSet.sourceId",
}

// external returns the value of the identifier of that scheme, tolerating
// stray white space in the scheme and falling back on the identifier's name.
func external(o *rimObject, scheme string) string {
	for _, e := range o.Externals {
		if sameURN(e.Scheme, scheme) {
			return strings.TrimSpace(e.Value)
		}
	}
	for _, e := range o.Externals {
		if n := name(e.Name); n != "" && n == externalNames[scheme] {
			return strings.TrimSpace(e.Value)
		}
	}
	return ""
}

func sameURN(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), ""), b)
}

func (req *rimRequest) convert() ([]SubmissionSet, []*Document) {
	isSet := map[string]bool{}
	for _, c := range req.Classifications {
		if sameURN(c.Node, nodeSubmissionSet) {
			isSet[c.Object] = true
		}
	}
	var sets []SubmissionSet
	for i := range req.Packages {
		o := &req.Packages[i]
		for _, c := range o.Classifications {
			if sameURN(c.Node, nodeSubmissionSet) {
				isSet[o.ID] = true
			}
		}
		if !isSet[o.ID] && external(o, schemeSSUniqueID) == "" {
			continue // a folder
		}
		ss := SubmissionSet{
			EntryID:            o.ID,
			UniqueID:           external(o, schemeSSUniqueID),
			SourceID:           external(o, schemeSSSourceID),
			PatientID:          external(o, schemeSSPatientID),
			SubmissionTime:     slot1(o.Slots, "submissionTime"),
			Title:              name(o.Name),
			IntendedRecipients: slot(o.Slots, "intendedRecipient"),
		}
		for _, c := range o.Classifications {
			switch c.scheme() {
			case schemeSSAuthor:
				ss.Authors = append(ss.Authors, authorOf(c))
			case schemeSSContentType:
				ss.ContentType = codeOf(c)
			}
		}
		sets = append(sets, ss)
	}
	member := map[string]string{}
	replaces := map[string]string{}
	for _, a := range req.Associations {
		switch {
		case strings.HasSuffix(a.Type, "HasMember"):
			member[a.Target] = a.Source
		case strings.HasSuffix(a.Type, "RPLC"):
			replaces[a.Source] = a.Target
		}
	}
	var docs []*Document
	for i := range req.Extrinsic {
		o := &req.Extrinsic[i]
		d := &Document{DocumentEntry: DocumentEntry{
			EntryID:            o.ID,
			MimeType:           o.MimeType,
			UniqueID:           external(o, schemeDEUniqueID),
			PatientID:          external(o, schemeDEPatientID),
			URI:                strings.TrimSpace(strings.Join(slot(o.Slots, "URI"), "")),
			Hash:               slot1(o.Slots, "hash"),
			Size:               -1,
			Title:              name(o.Name),
			CreationTime:       slot1(o.Slots, "creationTime"),
			LanguageCode:       slot1(o.Slots, "languageCode"),
			ServiceStartTime:   slot1(o.Slots, "serviceStartTime"),
			ServiceStopTime:    slot1(o.Slots, "serviceStopTime"),
			SourcePatientID:    slot1(o.Slots, "sourcePatientId"),
			SourcePatientInfo:  slot(o.Slots, "sourcePatientInfo"),
			LegalAuthenticator: slot1(o.Slots, "legalAuthenticator"),
			Replaces:           replaces[o.ID],
		}, SubmissionSet: member[o.ID], rawSize: slot1(o.Slots, "size")}
		if s := d.rawSize; s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
				d.Size = n
			}
		}
		// Some producers split a long URI over several values "1|part".
		if vs := slot(o.Slots, "URI"); len(vs) > 1 && strings.Contains(vs[0], "|") {
			var b bytes.Buffer
			for _, v := range vs {
				if _, rest, ok := strings.Cut(v, "|"); ok {
					b.WriteString(rest)
				}
			}
			d.URI = strings.TrimSpace(b.String())
		}
		for _, c := range o.Classifications {
			switch c.scheme() {
			case schemeDEAuthor:
				d.Authors = append(d.Authors, authorOf(c))
			case schemeDEClassCode:
				d.ClassCode = codeOf(c)
			case schemeDEConfidentiality:
				d.Confidentiality = append(d.Confidentiality, codeOf(c))
			case schemeDEEventCode:
				d.EventCodes = append(d.EventCodes, codeOf(c))
			case schemeDEFormatCode:
				d.FormatCode = codeOf(c)
			case schemeDEFacilityType:
				d.HealthcareFacility = codeOf(c)
			case schemeDEPracticeSetting:
				d.PracticeSetting = codeOf(c)
			case schemeDETypeCode:
				d.TypeCode = codeOf(c)
			}
		}
		docs = append(docs, d)
	}
	return sets, docs
}
