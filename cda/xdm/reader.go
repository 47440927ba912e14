package xdm

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/cda"
)

// ReadOptions bound [Read]. A nil *ReadOptions means the defaults; a zero
// field means its default.
type ReadOptions struct {
	// MaxEntries is the most ZIP entries accepted; default 1000.
	MaxEntries int
	// MaxTotalSize is the most uncompressed bytes over all entries;
	// default 1 GiB.
	MaxTotalSize int64
	// MaxRatio is the highest uncompressed/compressed size ratio of an
	// entry larger than 1 MiB uncompressed; default 200.
	MaxRatio int64
	// MaxMetadataSize is the largest METADATA.XML; default 16 MiB.
	MaxMetadataSize int64
	// MaxDepth is the deepest XML nesting in METADATA.XML; default 64.
	MaxDepth int
	// SkipHashCheck skips reading the documents to verify hash and size.
	SkipHashCheck bool
}

func (o *ReadOptions) orDefault() ReadOptions {
	var v ReadOptions
	if o != nil {
		v = *o
	}
	if v.MaxEntries <= 0 {
		v.MaxEntries = 1000
	}
	if v.MaxTotalSize <= 0 {
		v.MaxTotalSize = 1 << 30
	}
	if v.MaxRatio <= 0 {
		v.MaxRatio = 200
	}
	if v.MaxMetadataSize <= 0 {
		v.MaxMetadataSize = 16 << 20
	}
	if v.MaxDepth <= 0 {
		v.MaxDepth = 64
	}
	return v
}

// Errors of [Read]. Limit errors come wrapped in a [*LimitError].
var (
	ErrNotZIP       = errors.New("xdm: not a ZIP archive")
	ErrUnsafePath   = errors.New("xdm: unsafe path in archive")
	ErrNoMetadata   = errors.New("xdm: no IHE_XDM/SUBSETnn/METADATA.XML in archive")
	ErrMetadata     = errors.New("xdm: malformed METADATA.XML")
	ErrLimit        = errors.New("xdm: limit exceeded")
	ErrMissingFile  = errors.New("xdm: document file missing")
	ErrHashMismatch = errors.New("xdm: document hash or size does not match its metadata")
	// ErrDuplicateEntry: two entries have the same name (compared without
	// case, after normalisation). Which one a reader takes is ambiguous, so
	// the archive is refused: a checked document could hide another.
	ErrDuplicateEntry = errors.New("xdm: duplicate entry in archive")
	// ErrEncrypted: an entry is encrypted (ZIP flag bit 0), which IHE XDM
	// does not allow and this reader cannot read.
	ErrEncrypted = errors.New("xdm: encrypted entry in archive")
)

// LimitError reports which limit of [ReadOptions] an archive exceeds. It
// wraps ErrLimit.
type LimitError struct {
	Limit string // "entries", "total size", "ratio", "metadata size", "depth"
	Name  string // entry concerned, if any
	Value int64
	Max   int64
}

func (e *LimitError) Error() string {
	s := fmt.Sprintf("%v: %s %d > %d", ErrLimit, e.Limit, e.Value, e.Max)
	if e.Name != "" {
		s += " (" + e.Name + ")"
	}
	return s
}
func (e *LimitError) Unwrap() error { return ErrLimit }

// PathError reports an entry with an unsafe name (absolute, with "..", a
// drive letter). It wraps ErrUnsafePath.
type PathError struct{ Name string }

func (e *PathError) Error() string { return fmt.Sprintf("%v: %q", ErrUnsafePath, e.Name) }
func (e *PathError) Unwrap() error { return ErrUnsafePath }

// Package is a read XDM package.
type Package struct {
	SubmissionSets []SubmissionSet
	Documents      []*Document
	zr             *zip.Reader
	opts           ReadOptions
}

// Document is one document of a package with its metadata.
type Document struct {
	DocumentEntry
	// SubmissionSet is the EntryID of the submission set holding it ("" when
	// no association names one and the package has several).
	SubmissionSet string
	// Path is the document's name in the archive.
	Path string
	// ActualHash and ActualSize are computed from the file (unless
	// ReadOptions.SkipHashCheck).
	ActualHash string
	ActualSize int64
	// HashOK is true when hash and size were checked against the metadata
	// and match; false when they differ or the metadata carries none.
	HashOK bool
	file   *zip.File
}

// Open returns the document's bytes, bounded by the package limits.
func (p *Package) Open(d *Document) (io.ReadCloser, error) {
	if d.file == nil {
		return nil, fmt.Errorf("%w: %s", ErrMissingFile, d.URI)
	}
	rc, err := d.file.Open()
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, int64(d.file.UncompressedSize64)), rc}, nil
}

// ParseCDA opens a document of the package and parses it as CDA. The
// body's Content reads from the archive: read it, then close the returned
// closer.
func (p *Package) ParseCDA(d *Document, opts *cda.ParseOptions) (*cda.Document, io.Closer, error) {
	rc, err := p.Open(d)
	if err != nil {
		return nil, nil, err
	}
	doc, err := cda.Parse(rc, opts)
	if err != nil {
		rc.Close()
		return nil, nil, err
	}
	return doc, rc, nil
}

// PatientINS returns the INS of the package's patient, from the patientId
// of its submission set or documents, when it is an INS CX.
func (p *Package) PatientINS() (cda.INS, bool) {
	var ids []string
	for _, s := range p.SubmissionSets {
		ids = append(ids, s.PatientID)
	}
	for _, d := range p.Documents {
		ids = append(ids, d.PatientID)
	}
	for _, cx := range ids {
		if id, ok := ParseCX(cx); ok {
			if k, ok := cda.INSKindFromOID(id.Root); ok {
				return cda.INS{Matricule: id.Extension, Kind: k}, true
			}
		}
	}
	return cda.INS{}, false
}

// claimedEntries reads the entry count of the end of central directory
// record (ZIP64 included). It returns false when it cannot find one; the
// ZIP reader will then report the archive as malformed.
func claimedEntries(r io.ReaderAt, size int64) (uint64, bool) {
	const eocdLen, maxComment = 22, 65535
	start := max(size-eocdLen-maxComment, 0)
	buf := make([]byte, size-start)
	if _, err := r.ReadAt(buf, start); err != nil && err != io.EOF {
		return 0, false
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || len(buf)-i < eocdLen {
		return 0, false
	}
	n := uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xFFFF {
		return n, true
	}
	// ZIP64: the locator precedes the record and points at the ZIP64 end
	// of central directory, whose entry count is at offset 32.
	if i < 20 || string(buf[i-20:i-16]) != "PK\x06\x07" {
		return n, true
	}
	off := int64(binary.LittleEndian.Uint64(buf[i-12:]))
	var rec [40]byte
	if off < 0 || off > size-40 {
		return 0, false
	}
	if _, err := r.ReadAt(rec[:], off); err != nil || string(rec[:4]) != "PK\x06\x06" {
		return 0, false
	}
	return binary.LittleEndian.Uint64(rec[32:]), true
}

// normalize returns the cleaned, slash-separated name of an entry, or a
// *PathError when it could escape an extraction folder.
func normalize(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(n, "/") || (len(n) >= 2 && n[1] == ':') || strings.ContainsRune(n, 0) {
		return "", &PathError{Name: name}
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", &PathError{Name: name}
		}
	}
	return path.Clean(n), nil
}

// Read reads an XDM package from r (size bytes). It is lenient with real
// archives (mixed-case names, back-slashes, an extra top folder, no
// README.TXT or INDEX.HTM, short "HasMember" association types, several
// submission sets) and strict with hostile ones: see [ReadOptions] for the
// limits and [PathError] for unsafe names. Unless SkipHashCheck, every
// document is read once to verify its hash and size.
func Read(r io.ReaderAt, size int64, opts *ReadOptions) (*Package, error) {
	o := opts.orDefault()
	// Check the entry count the archive claims before archive/zip
	// allocates its directory.
	if n, ok := claimedEntries(r, size); ok && n > uint64(o.MaxEntries) {
		return nil, &LimitError{Limit: "entries", Value: int64(min(n, 1<<62)), Max: int64(o.MaxEntries)}
	}
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotZIP, err)
	}
	if len(zr.File) > o.MaxEntries {
		return nil, &LimitError{Limit: "entries", Value: int64(len(zr.File)), Max: int64(o.MaxEntries)}
	}
	var total int64
	byName := map[string]*zip.File{}
	var metas []string
	for _, f := range zr.File {
		n, err := normalize(f.Name)
		if err != nil {
			return nil, err
		}
		usize := int64(f.UncompressedSize64)
		if usize < 0 || total+usize > o.MaxTotalSize {
			return nil, &LimitError{Limit: "total size", Name: f.Name, Value: total + usize, Max: o.MaxTotalSize}
		}
		total += usize
		if usize > 1<<20 && (f.CompressedSize64 == 0 || usize/int64(f.CompressedSize64) > o.MaxRatio) {
			ratio := usize
			if f.CompressedSize64 > 0 {
				ratio = usize / int64(f.CompressedSize64)
			}
			return nil, &LimitError{Limit: "ratio", Name: f.Name, Value: ratio, Max: o.MaxRatio}
		}
		if f.Flags&0x1 != 0 {
			return nil, fmt.Errorf("%w: %s", ErrEncrypted, f.Name)
		}
		up := strings.ToUpper(n)
		if _, dup := byName[up]; dup {
			return nil, fmt.Errorf("%w: %s", ErrDuplicateEntry, f.Name)
		}
		byName[up] = f
		if path.Base(up) == MetadataName && strings.HasPrefix(path.Base(path.Dir(up)), "SUBSET") &&
			path.Base(path.Dir(path.Dir(up))) == "IHE_XDM" {
			metas = append(metas, up)
		}
	}
	if len(metas) == 0 {
		return nil, ErrNoMetadata
	}
	sort.Strings(metas)
	p := &Package{zr: zr, opts: o}
	for _, m := range metas {
		if err := p.readSubset(byName, m); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Package) readSubset(byName map[string]*zip.File, meta string) error {
	f := byName[meta]
	if int64(f.UncompressedSize64) > p.opts.MaxMetadataSize {
		return &LimitError{Limit: "metadata size", Name: f.Name, Value: int64(f.UncompressedSize64), Max: p.opts.MaxMetadataSize}
	}
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMetadata, err)
	}
	defer rc.Close()
	req, err := decodeMetadata(io.LimitReader(rc, p.opts.MaxMetadataSize), p.opts.MaxDepth)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			le.Name = f.Name
			return le
		}
		return fmt.Errorf("%w: %s: %v", ErrMetadata, f.Name, err)
	}
	sets, docs := req.convert()
	p.SubmissionSets = append(p.SubmissionSets, sets...)
	dir := path.Dir(meta)
	for _, d := range docs {
		if len(sets) == 1 && d.SubmissionSet == "" {
			d.SubmissionSet = sets[0].EntryID
		}
		uri := strings.ToUpper(strings.ReplaceAll(d.URI, `\`, "/"))
		if fz, ok := byName[path.Join(dir, uri)]; ok {
			d.file = fz
			d.Path = fz.Name
		} else if fz, ok := byName[uri]; ok {
			d.file = fz
			d.Path = fz.Name
		}
		if d.file != nil && !p.opts.SkipHashCheck {
			if err := p.check(d); err != nil {
				return err
			}
		}
		p.Documents = append(p.Documents, d)
	}
	return nil
}

func (p *Package) check(d *Document) error {
	rc, err := p.Open(d)
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha1.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("xdm: reading %s: %w", d.Path, err)
	}
	d.ActualHash = hex.EncodeToString(h.Sum(nil))
	d.ActualSize = n
	d.HashOK = d.Hash != "" && strings.EqualFold(d.Hash, d.ActualHash) && (d.Size < 0 || d.Size == n)
	return nil
}

// Verify returns a wrapped ErrHashMismatch or ErrMissingFile when a
// document of the package is absent or does not match its metadata.
func (p *Package) Verify() error {
	for _, d := range p.Documents {
		switch {
		case d.file == nil:
			return fmt.Errorf("%w: %s", ErrMissingFile, d.URI)
		case d.ActualHash != "" && d.Hash != "" && !d.HashOK,
			d.ActualHash != "" && d.Size >= 0 && d.Size != d.ActualSize:
			return fmt.Errorf("%w: %s", ErrHashMismatch, d.Path)
		}
	}
	return nil
}

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

// depthReader passes tokens through, refusing nesting deeper than max.
type depthReader struct {
	d     *xml.Decoder
	depth int
	max   int
}

func (r *depthReader) Token() (xml.Token, error) {
	t, err := r.d.Token()
	if err != nil {
		return t, err
	}
	switch t.(type) {
	case xml.StartElement:
		r.depth++
		if r.depth > r.max {
			return nil, &LimitError{Limit: "depth", Value: int64(r.depth), Max: int64(r.max)}
		}
	case xml.EndElement:
		r.depth--
	}
	return t, nil
}

func decodeMetadata(r io.Reader, maxDepth int) (*rimRequest, error) {
	raw := xml.NewDecoder(r)
	raw.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "us-ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q not supported", label)
	}
	dec := xml.NewTokenDecoder(&depthReader{d: raw, max: maxDepth})
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
			URI:                strings.Join(slot(o.Slots, "URI"), ""),
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
		}, SubmissionSet: member[o.ID]}
		if s := slot1(o.Slots, "size"); s != "" {
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
			d.URI = b.String()
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
