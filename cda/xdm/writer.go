package xdm

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/mssante-go/sdk/cda"
)

// Paths inside the package (IHE ITI-32, ISO 9660 names).
const (
	ReadmeName   = "README.TXT"
	IndexName    = "INDEX.HTM"
	SubsetDir    = "IHE_XDM/SUBSET01/"
	MetadataName = "METADATA.XML"
)

// Options configure a [Writer]. A nil *Options means the defaults.
type Options struct {
	// Recipients are the mail addresses the package is sent to; each
	// becomes an intendedRecipient of the submission set. Optional.
	Recipients []string
	// SubmissionSetID is the submission set uniqueId (an OID); zero means
	// a new UUID-derived OID.
	SubmissionSetID string
	// SourceID is the OID of the sending system; zero means the
	// submission set's uniqueId. Set it to the vendor's OID.
	SourceID string
	// SubmissionTime is the submissionTime of the metadata and the
	// modification time of every file of the archive; zero means the time
	// NewWriter is called. Set it to get byte-identical archives.
	SubmissionTime time.Time
	// ContentType is the submission set contentTypeCode, a code of
	// JDV_J03 (TRE_R209 type d'activité, TRE_R02 secteur d'activité,
	// TRE_A00; see cda.LookupContentType). Zero means
	// cda.ContentTypeFor(first document): from its encounter type, else
	// 97 "Type d'activité indifférencié".
	ContentType cda.Code
	// UnreferencedModels writes the formatCode
	// urn:asipSante:modelesHorsProfils:2011 ("Document non référencé IHE
	// ou CI-SIS", cda.FormatUnreferenced) for a document whose model is in
	// no ANS table. False means such a document is refused by Add with a
	// *cda.UnknownModelError, unless its DocumentOptions set FormatCode.
	UnreferencedModels bool
	// Title of the submission set; optional.
	Title string
	// Author of the submission set; nil means the first author of the
	// first document.
	Author *Author
	// Vendor names the producing application in README.TXT, as IHE ITI-32
	// asks; zero means "MSSanté Go SDK".
	Vendor string
	// VendorVersion is that application's version, in README.TXT; zero
	// means, when Vendor is zero too, this module's version as the
	// program's build information records it ("devel" when it has none),
	// else "not given".
	VendorVersion string
	// Contact is how to reach whoever created the archive (the sending
	// organisation's service desk, say), in README.TXT as ITI-32 asks;
	// zero means "not given".
	Contact string
	// MaxHeaderSize bounds the CDA header read from each document; zero
	// means the cda package default (8 MiB).
	MaxHeaderSize int64
}

// DocumentOptions override the metadata derived from a CDA header by
// [EntryFromCDA]. A nil *DocumentOptions, or a zero field, keeps the
// derived value.
type DocumentOptions struct {
	ClassCode cda.Code
	// FormatCode (JDV_J10) replaces the one the ANS tables give; it is
	// required for a document whose model is in no table, unless
	// UnreferencedModel (or Options.UnreferencedModels) is set.
	FormatCode cda.Code
	// UnreferencedModel writes cda.FormatUnreferenced when the ANS
	// tables do not know the document's model (see
	// Options.UnreferencedModels). A FormatCode set above wins.
	UnreferencedModel  bool
	HealthcareFacility cda.Code
	PracticeSetting    cda.Code
	Confidentiality    []cda.Code
	EventCodes         []cda.Code
	Title              string
}

// Errors of the Writer.
var (
	// ErrMultiplePatients: a package is about one patient (one
	// patientId); see [*PatientMismatchError].
	ErrMultiplePatients = errors.New("xdm: documents about more than one patient")
	ErrNoDocument       = errors.New("xdm: package without a document")
	ErrNoPatient        = errors.New("xdm: document without a patient identifier")
	ErrClosed           = errors.New("xdm: writer closed")
	ErrTooManyDocuments = errors.New("xdm: more than 9999 documents")
)

// PatientMismatchError reports a document whose patient differs from the
// package's. It wraps ErrMultiplePatients.
type PatientMismatchError struct {
	Want, Got string // patientId CX values
}

func (e *PatientMismatchError) Error() string {
	return fmt.Sprintf("%v: package is about %s, document about %s", ErrMultiplePatients, e.Want, e.Got)
}
func (e *PatientMismatchError) Unwrap() error { return ErrMultiplePatients }

// Writer writes an IHE XDM package (IHE_XDM.ZIP) to an io.Writer, one
// document at a time: documents are copied into the ZIP as they are read,
// and METADATA.XML, README.TXT and INDEX.HTM are written by Close. One
// package holds one submission set about one patient.
type Writer struct {
	zw      *zip.Writer
	opts    Options
	entries []DocumentEntry
	docs    []*cda.Document
	patient string
	err     error
	closed  bool
}

// NewWriter returns a Writer on w. Close does not close w.
//
// Entries are deflated at flate.BestSpeed. An N1 document is mostly the
// base64 text of a PDF whose content is already compressed: no level finds
// repeats in it, and all of them reach the same size (about 76 % of the
// text) by Huffman coding alone, but the default level spends five times
// longer looking for matches.
func NewWriter(w io.Writer, opts *Options) *Writer {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestSpeed)
	})
	x := &Writer{zw: zw}
	if opts != nil {
		x.opts = *opts
	}
	if x.opts.SubmissionTime.IsZero() {
		x.opts.SubmissionTime = time.Now()
	}
	return x
}

// create starts an entry of the archive, dated SubmissionTime: zip.Writer's
// Create leaves the date zero, which tools show as 1980-00-00.
func (w *Writer) create(name string) (io.Writer, error) {
	return w.zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: w.opts.SubmissionTime})
}

// Add reads one CDA R2 document from r and stores it as DOC000n.XML. Its
// metadata come from the header, with o's overrides. A document about
// another patient than the first is refused with a
// [*PatientMismatchError], and the package stays usable; an I/O error
// while copying r leaves the Writer unusable.
func (w *Writer) Add(r io.Reader, o *DocumentOptions) (*DocumentEntry, error) {
	if w.closed {
		return nil, ErrClosed
	}
	if w.err != nil {
		return nil, w.err
	}
	if len(w.entries) >= 9999 {
		return nil, ErrTooManyDocuments
	}
	// Read the header first, keeping the bytes read, so that a refused
	// document leaves nothing in the ZIP.
	var head bytes.Buffer
	doc, err := cda.Parse(io.TeeReader(r, &head), &cda.ParseOptions{HeaderOnly: true, MaxHeaderSize: w.opts.MaxHeaderSize})
	if err != nil {
		return nil, fmt.Errorf("xdm: reading the CDA header: %w", err)
	}
	e := EntryFromCDA(doc)
	if e.PatientID == "" {
		return nil, ErrNoPatient
	}
	if w.patient != "" && e.PatientID != w.patient {
		return nil, &PatientMismatchError{Want: w.patient, Got: e.PatientID}
	}
	applyOptions(&e, o)
	n := len(w.entries) + 1
	if e.FormatCode.IsZero() {
		// The ANS tables do not know the model (EntryFromCDA left it
		// zero) and the caller set none: refuse, unless told to write
		// "document non référencé".
		if !w.opts.UnreferencedModels && (o == nil || !o.UnreferencedModel) {
			_, err := cda.FormatCode(doc)
			return nil, fmt.Errorf("xdm: document %d: no formatCode: %w", n, err)
		}
		e.FormatCode = cda.FormatUnreferenced
	}
	e.EntryID = fmt.Sprintf("Document%02d", n)
	e.URI = fmt.Sprintf("DOC%04d.XML", n)

	f, err := w.create(SubsetDir + e.URI)
	if err != nil {
		w.err = err
		return nil, err
	}
	h := sha1.New()
	cw := &countWriter{}
	mw := io.MultiWriter(f, h, cw)
	if _, err := mw.Write(head.Bytes()); err != nil {
		w.err = err
		return nil, err
	}
	if _, err := io.Copy(mw, r); err != nil {
		w.err = fmt.Errorf("xdm: copying document %d: %w", n, err)
		return nil, w.err
	}
	e.Hash = hex.EncodeToString(h.Sum(nil))
	e.Size = cw.n
	if w.patient == "" {
		w.patient = e.PatientID
	}
	w.entries = append(w.entries, e)
	w.docs = append(w.docs, doc)
	out := e
	return &out, nil
}

func applyOptions(e *DocumentEntry, o *DocumentOptions) {
	if o == nil {
		return
	}
	set := func(dst *cda.Code, v cda.Code) {
		if !v.IsZero() {
			*dst = v
		}
	}
	set(&e.ClassCode, o.ClassCode)
	set(&e.FormatCode, o.FormatCode)
	set(&e.HealthcareFacility, o.HealthcareFacility)
	set(&e.PracticeSetting, o.PracticeSetting)
	if len(o.Confidentiality) > 0 {
		e.Confidentiality = o.Confidentiality
	}
	if len(o.EventCodes) > 0 {
		e.EventCodes = o.EventCodes
	}
	if o.Title != "" {
		e.Title = o.Title
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// SubmissionSet returns the submission set Close will write, from the
// options and the documents added so far.
func (w *Writer) SubmissionSet() (SubmissionSet, error) {
	if len(w.entries) == 0 {
		return SubmissionSet{}, ErrNoDocument
	}
	o := &w.opts
	ss := SubmissionSet{
		EntryID:     "SubmissionSet01",
		UniqueID:    o.SubmissionSetID,
		SourceID:    o.SourceID,
		PatientID:   w.patient,
		Title:       o.Title,
		ContentType: o.ContentType,
	}
	if ss.UniqueID == "" {
		id, err := cda.NewOID()
		if err != nil {
			return ss, err
		}
		ss.UniqueID = id
		o.SubmissionSetID = id // stable across calls
	}
	if ss.SourceID == "" {
		ss.SourceID = ss.UniqueID
	}
	ss.SubmissionTime = o.SubmissionTime.UTC().Format("20060102150405") // never zero: NewWriter
	if ss.ContentType.IsZero() {
		ss.ContentType = cda.ContentTypeFor(w.docs[0])
	}
	if o.Author != nil {
		ss.Authors = []Author{*o.Author}
	} else if len(w.entries[0].Authors) > 0 {
		ss.Authors = []Author{w.entries[0].Authors[0]}
	}
	for _, r := range o.Recipients {
		ss.IntendedRecipients = append(ss.IntendedRecipients, MailRecipient(r))
	}
	return ss, nil
}

// Close writes METADATA.XML, README.TXT and INDEX.HTM and finishes the
// ZIP. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return ErrClosed
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	ss, err := w.SubmissionSet()
	if err != nil {
		return err
	}
	f, err := w.create(SubsetDir + MetadataName)
	if err != nil {
		return err
	}
	if err := WriteMetadata(f, ss, w.entries); err != nil {
		return err
	}
	if err := w.writeReadme(); err != nil {
		return err
	}
	if err := w.writeIndex(ss); err != nil {
		return err
	}
	return w.zw.Close()
}

func (w *Writer) writeReadme() error {
	f, err := w.create(ReadmeName)
	if err != nil {
		return err
	}
	vendor, version := w.opts.Vendor, w.opts.VendorVersion
	if vendor == "" {
		vendor = "MSSanté Go SDK"
		if version == "" {
			version = moduleVersion()
		}
	}
	contact := w.opts.Contact
	if contact == "" {
		contact = "not given"
	}
	if version == "" {
		version = "not given"
	}
	_, err = fmt.Fprintf(f, "IHE XDM package (IHE ITI-32, Distribute Document Set on Media)\r\n"+
		"Created by: %s, version %s\r\nContact: %s\r\nCreated on: %s UTC\r\n\r\n"+
		"IHE_XDM/SUBSET01/METADATA.XML describes the documents (ebRIM 3.0 SubmitObjectsRequest).\r\n"+
		"The documents are CDA R2 documents of the French CI-SIS; open INDEX.HTM for the list.\r\n",
		oneLine(vendor), oneLine(version), oneLine(contact), w.opts.SubmissionTime.UTC().Format("2006-01-02 15:04:05"))
	return err
}

func (w *Writer) writeIndex(ss SubmissionSet) error {
	f, err := w.create(IndexName)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(f)
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">` + "\n")
	b.WriteString(`<html xmlns="http://www.w3.org/1999/xhtml"><head><title>IHE XDM</title></head><body>` + "\n")
	b.WriteString("<h1>IHE XDM</h1>\n<p><a href=\"README.TXT\">README.TXT</a></p>\n")
	fmt.Fprintf(b, "<h2>Submission set %s</h2>\n<p><a href=\"%s\">%s</a></p>\n<ul>\n", xmlText(ss.UniqueID), SubsetDir+MetadataName, MetadataName)
	for _, e := range w.entries {
		fmt.Fprintf(b, "<li><a href=\"%s%s\">%s</a>: %s (%s)</li>\n", SubsetDir, e.URI, e.URI, xmlText(e.Title), xmlText(e.TypeCode.DisplayName))
	}
	b.WriteString("</ul>\n</body></html>\n")
	return b.Flush()
}

// WriteMetadata writes METADATA.XML: an lcm:SubmitObjectsRequest holding
// the submission set, its documents, the HasMember associations and an
// RPLC association per replacement.
func WriteMetadata(w io.Writer, ss SubmissionSet, entries []DocumentEntry) error {
	m := &metaWriter{w: bufio.NewWriter(w)}
	m.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	m.raw(`<lcm:SubmitObjectsRequest xmlns:lcm="` + nsLCM + `" xmlns:rim="` + nsRIM + `">` + "\n")
	m.raw("<rim:RegistryObjectList>\n")
	for i := range entries {
		m.entry(&entries[i])
	}
	m.submissionSet(&ss)
	for i, e := range entries {
		m.raw(fmt.Sprintf(`<rim:Association id="Association%02d" associationType="%s" sourceObject="%s" targetObject="%s">`+"\n",
			i+1, AssocHasMember, xmlText(ss.EntryID), xmlText(e.EntryID)))
		m.slot("SubmissionSetStatus", "Original")
		m.raw("</rim:Association>\n")
	}
	for i, e := range entries {
		if e.Replaces == "" {
			continue
		}
		m.raw(fmt.Sprintf(`<rim:Association id="Replace%02d" associationType="%s" sourceObject="%s" targetObject="%s"/>`+"\n",
			i+1, AssocReplace, xmlText(e.EntryID), xmlText(e.Replaces)))
	}
	m.raw("</rim:RegistryObjectList>\n</lcm:SubmitObjectsRequest>\n")
	if m.err != nil {
		return m.err
	}
	return m.w.Flush()
}

type metaWriter struct {
	w   *bufio.Writer
	err error
	n   int // classification/identifier counter
}

func (m *metaWriter) raw(s string) {
	if m.err == nil {
		_, m.err = m.w.WriteString(s)
	}
}

func xmlText(s string) string { return attrEscaper.Replace(s) }

var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "\n", "&#10;", "\r", "&#13;", "\t", "&#9;")

func (m *metaWriter) slot(name string, values ...string) {
	if len(values) == 0 {
		return
	}
	m.raw(`<rim:Slot name="` + name + `"><rim:ValueList>`)
	for _, v := range values {
		m.raw("<rim:Value>" + xmlText(v) + "</rim:Value>")
	}
	m.raw("</rim:ValueList></rim:Slot>\n")
}

func (m *metaWriter) slotIf(name, value string) {
	if value != "" {
		m.slot(name, value)
	}
}

func (m *metaWriter) name(s string) {
	if s != "" {
		m.raw(`<rim:Name><rim:LocalizedString value="` + xmlText(s) + `"/></rim:Name>` + "\n")
	}
}

func (m *metaWriter) id() string {
	m.n++
	return "id" + strconv.Itoa(m.n)
}

func (m *metaWriter) coded(scheme, object string, c cda.Code) {
	if c.Code == "" {
		return
	}
	m.raw(`<rim:Classification id="` + m.id() + `" classificationScheme="` + scheme + `" classifiedObject="` + xmlText(object) +
		`" nodeRepresentation="` + xmlText(c.Code) + `">` + "\n")
	m.slot("codingScheme", c.CodeSystem)
	display := c.DisplayName
	if display == "" {
		display = c.Code
	}
	m.name(display)
	m.raw("</rim:Classification>\n")
}

func (m *metaWriter) author(scheme, object string, a *Author) {
	m.raw(`<rim:Classification id="` + m.id() + `" classificationScheme="` + scheme + `" classifiedObject="` + xmlText(object) + `" nodeRepresentation="">` + "\n")
	m.slotIf("authorPerson", a.Person)
	m.slot("authorInstitution", a.Institutions...)
	m.slot("authorRole", a.Roles...)
	m.slot("authorSpecialty", a.Specialties...)
	m.slot("authorTelecommunication", a.Telecoms...)
	m.raw("</rim:Classification>\n")
}

func (m *metaWriter) external(scheme, object, value, name string) {
	m.raw(`<rim:ExternalIdentifier id="` + m.id() + `" identificationScheme="` + scheme + `" registryObject="` + xmlText(object) +
		`" value="` + xmlText(value) + `">` + "\n")
	m.name(name)
	m.raw("</rim:ExternalIdentifier>\n")
}

func (m *metaWriter) entry(e *DocumentEntry) {
	m.raw(`<rim:ExtrinsicObject id="` + xmlText(e.EntryID) + `" mimeType="` + xmlText(e.MimeType) + `" objectType="` + typeDocumentEntry +
		`" status="` + statusApproved + `">` + "\n")
	m.slotIf("creationTime", e.CreationTime)
	m.slotIf("languageCode", e.LanguageCode)
	m.slotIf("hash", e.Hash)
	if e.Size >= 0 {
		m.slot("size", strconv.FormatInt(e.Size, 10))
	}
	m.slotIf("URI", e.URI)
	m.slotIf("legalAuthenticator", e.LegalAuthenticator)
	m.slotIf("serviceStartTime", e.ServiceStartTime)
	m.slotIf("serviceStopTime", e.ServiceStopTime)
	m.slotIf("sourcePatientId", e.SourcePatientID)
	m.slot("sourcePatientInfo", e.SourcePatientInfo...)
	m.name(e.Title)
	for i := range e.Authors {
		m.author(schemeDEAuthor, e.EntryID, &e.Authors[i])
	}
	m.coded(schemeDEClassCode, e.EntryID, e.ClassCode)
	for _, c := range e.Confidentiality {
		m.coded(schemeDEConfidentiality, e.EntryID, c)
	}
	for _, c := range e.EventCodes {
		m.coded(schemeDEEventCode, e.EntryID, c)
	}
	m.coded(schemeDEFormatCode, e.EntryID, e.FormatCode)
	m.coded(schemeDEFacilityType, e.EntryID, e.HealthcareFacility)
	m.coded(schemeDEPracticeSetting, e.EntryID, e.PracticeSetting)
	m.coded(schemeDETypeCode, e.EntryID, e.TypeCode)
	m.external(schemeDEPatientID, e.EntryID, e.PatientID, "XDSDocumentEntry.patientId")
	m.external(schemeDEUniqueID, e.EntryID, e.UniqueID, "XDSDocumentEntry.uniqueId")
	m.raw("</rim:ExtrinsicObject>\n")
}

func (m *metaWriter) submissionSet(ss *SubmissionSet) {
	m.raw(`<rim:RegistryPackage id="` + xmlText(ss.EntryID) + `" status="` + statusApproved + `">` + "\n")
	m.slotIf("submissionTime", ss.SubmissionTime)
	m.slot("intendedRecipient", ss.IntendedRecipients...)
	m.name(ss.Title)
	for i := range ss.Authors {
		m.author(schemeSSAuthor, ss.EntryID, &ss.Authors[i])
	}
	m.coded(schemeSSContentType, ss.EntryID, ss.ContentType)
	m.external(schemeSSUniqueID, ss.EntryID, ss.UniqueID, "XDSSubmissionSet.uniqueId")
	m.external(schemeSSSourceID, ss.EntryID, ss.SourceID, "XDSSubmissionSet.sourceId")
	m.external(schemeSSPatientID, ss.EntryID, ss.PatientID, "XDSSubmissionSet.patientId")
	m.raw("</rim:RegistryPackage>\n")
	m.raw(`<rim:Classification id="` + m.id() + `" classifiedObject="` + xmlText(ss.EntryID) + `" classificationNode="` + nodeSubmissionSet + `"/>` + "\n")
}

// Headers returns the CDA headers of the documents added so far, in order
// (their bodies are not read).
func (w *Writer) Headers() []*cda.Document { return append([]*cda.Document(nil), w.docs...) }

// SamePatient checks that documents are about one patient, as a package
// must be: it returns a [*PatientMismatchError] naming the first document
// that differs, or ErrNoPatient for a document without a patient
// identifier.
func SamePatient(docs ...*cda.Document) error {
	want := ""
	for _, d := range docs {
		got := patientCX(&d.Patient)
		switch {
		case got == "":
			return ErrNoPatient
		case want == "":
			want = got
		case got != want:
			return &PatientMismatchError{Want: want, Got: got}
		}
	}
	return nil
}

// moduleVersion is the version of this module in the program's build
// information: what "go build" recorded for the dependency, "devel" for a
// build without it (tests, a work tree).
func moduleVersion() string {
	const path = "github.com/mssante-go/sdk"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if bi.Main.Path == path && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return "devel"
}

// oneLine keeps a README.TXT value on its line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
