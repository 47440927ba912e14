package xdm

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testenv"
)

var testTime = time.Date(2025, 3, 14, 10, 30, 0, 0, time.FixedZone("", 3600))

func testPatient() cda.Patient {
	return cda.Patient{
		INS:         &cda.INS{Matricule: "279035121518989", Kind: cda.INSTest},
		IDs:         []cda.II{{Root: "1.2.3.4.567.8.9.10", Extension: "IPP-42"}},
		BirthFamily: "PAT-TROIS", BirthGivens: "DOMINIQUE MARIE-LOUISE", FirstGiven: "DOMINIQUE",
		Gender: "F", BirthDate: "19790328", BirthplaceCode: "51215",
	}
}

// testCDA returns an encoded N1 document.
func testCDA(t testing.TB, p cda.Patient, typ cda.Code, mod func(*cda.N1)) []byte {
	t.Helper()
	n := cda.N1{
		Type:    typ,
		Time:    testTime,
		Patient: p,
		Authors: []cda.Author{{
			ID:           cda.II{Root: cda.OIDIdNatPS, Extension: "801234567897"},
			Specialty:    cda.Code{Code: "G15_10", CodeSystem: cda.OIDProfession},
			Person:       &cda.Name{Family: "DUPONT", Given: []string{"Jean"}},
			Organization: &cda.Organization{ID: cda.II{Root: cda.OIDIdNatStruct, Extension: "1750803447"}, Name: "Cabinet du Centre"},
		}},
		ServiceEvent:    cda.ServiceEvent{Start: "20250313090000+0100", Stop: "20250313093000+0100"},
		PracticeSetting: cda.PracticeAmbulatoire,
		Encounter:       cda.Encounter{FacilityType: cda.FacilityCabinetIndividuel},
		Content:         strings.NewReader("%PDF-1.4 fake\n%%EOF\n"),
	}
	if mod != nil {
		mod(&n)
	}
	d, err := cda.NewN1(n)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func build(t testing.TB, opts *Options, docs ...[]byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, opts)
	for _, d := range docs {
		if _, err := w.Add(bytes.NewReader(d), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestBuildRead(t *testing.T) {
	doc1 := testCDA(t, testPatient(), cda.TypeCRConsultation, nil)
	doc2 := testCDA(t, testPatient(), cda.TypeLettreLiaisonSortie, func(n *cda.N1) {
		n.Replaces = cda.II{Root: "1.2.3.4.5", Extension: "7"}
		n.SetID = cda.II{Root: "1.2.3.4.6"}
		n.Version = 2
	})
	zipped := build(t, &Options{Recipients: []string{"dr.martin@medecin.mssante.fr"}, SubmissionTime: testTime, SourceID: "1.2.3.99"}, doc1, doc2)

	zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	want := "IHE_XDM/SUBSET01/DOC0001.XML IHE_XDM/SUBSET01/DOC0002.XML IHE_XDM/SUBSET01/METADATA.XML README.TXT INDEX.HTM"
	if strings.Join(names, " ") != want {
		t.Fatalf("entries %v", names)
	}

	p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Verify(); err != nil {
		t.Fatal(err)
	}
	if len(p.SubmissionSets) != 1 || len(p.Documents) != 2 {
		t.Fatalf("%d sets, %d documents", len(p.SubmissionSets), len(p.Documents))
	}
	ss := p.SubmissionSets[0]
	cx := "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"
	if ss.PatientID != cx || ss.SourceID != "1.2.3.99" || ss.SubmissionTime != "20250314093000" || !strings.HasPrefix(ss.UniqueID, "2.25.") {
		t.Errorf("submission set %+v", ss)
	}
	if len(ss.IntendedRecipients) != 1 || ss.IntendedRecipients[0] != "|^^Internet^dr.martin@medecin.mssante.fr" {
		t.Errorf("recipients %v", ss.IntendedRecipients)
	}
	if ss.ContentType != cda.ContentIndifferencie || len(ss.Authors) != 1 {
		t.Errorf("content type %+v authors %v", ss.ContentType, ss.Authors)
	}
	d := p.Documents[0]
	checks := map[string][2]string{
		"uri":       {d.URI, "DOC0001.XML"},
		"path":      {d.Path, "IHE_XDM/SUBSET01/DOC0001.XML"},
		"set":       {d.SubmissionSet, "SubmissionSet01"},
		"patient":   {d.PatientID, cx},
		"source":    {d.SourcePatientID, "IPP-42^^^&1.2.3.4.567.8.9.10&ISO^PI"},
		"type":      {d.TypeCode.Code + "|" + d.TypeCode.CodeSystem, "11488-4|2.16.840.1.113883.6.1"},
		"class":     {d.ClassCode.Code + "|" + d.ClassCode.CodeSystem, "10|1.2.250.1.213.1.1.4.1"},
		"format":    {d.FormatCode.Code + "|" + d.FormatCode.CodeSystem, "urn:ihe:iti:xds-sd:pdf:2008|1.3.6.1.4.1.19376.1.2.3"},
		"facility":  {d.HealthcareFacility.Code + "|" + d.HealthcareFacility.CodeSystem, "SA07|1.2.250.1.71.4.2.4"},
		"practice":  {d.PracticeSetting.Code, "AMBULATOIRE"},
		"conf":      {d.Confidentiality[0].Code, "N"},
		"creation":  {d.CreationTime, "20250314093000"},
		"start":     {d.ServiceStartTime, "20250313080000"},
		"stop":      {d.ServiceStopTime, "20250313083000"},
		"lang":      {d.LanguageCode, "fr-FR"},
		"legal":     {d.LegalAuthenticator, "801234567897^DUPONT^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"},
		"author":    {d.Authors[0].Person, "801234567897^DUPONT^Jean^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"},
		"inst":      {d.Authors[0].Institutions[0], "Cabinet du Centre^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1750803447"},
		"specialty": {d.Authors[0].Specialties[0], "G15_10^Médecin^1.2.250.1.213.1.1.4.5"},
		"hash":      {d.Hash, d.ActualHash},
		"replace2":  {p.Documents[1].Replaces, "1.2.3.4.5^7"},
		"class2":    {p.Documents[1].ClassCode.Code, "11"},
		"mime":      {d.MimeType, "text/xml"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	if !d.HashOK || d.Size != int64(len(doc1)) || d.ActualSize != d.Size {
		t.Errorf("hash ok %v size %d actual %d want %d", d.HashOK, d.Size, d.ActualSize, len(doc1))
	}
	ins, ok := p.PatientINS()
	if !ok || ins.Matricule != "279035121518989" || ins.Kind != cda.INSTest {
		t.Errorf("PatientINS = %+v %v", ins, ok)
	}
	rc, err := p.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, doc1) {
		t.Error("document bytes differ")
	}
	c, closer, err := p.ParseCDA(p.Documents[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := io.ReadAll(c.Body.Content)
	closer.Close()
	if err != nil || string(pdf) != "%PDF-1.4 fake\n%%EOF\n" || c.Code.Code != "11490-0" || !c.Patient.INSQualified() {
		t.Errorf("ParseCDA: %q %v %+v", pdf, err, c.Code)
	}
}

func TestMetadataXSD(t *testing.T) {
	ebrs := ebrsSchema(t)
	testenv.LookPath(t, "xmllint", "libxml2-utils")
	doc2 := testCDA(t, testPatient(), cda.TypeLettreLiaisonSortie, func(n *cda.N1) {
		n.Replaces = cda.II{Root: "1.2.3.4.5", Extension: "v1 é^&"}
		n.SetID = cda.II{Root: "1.2.3.4.6"}
		n.Version = 2
	})
	zipped := build(t, &Options{Recipients: []string{"a@b.mssante.fr"}, Title: "Envoi & <test>"}, testCDA(t, testPatient(), cda.TypeCRConsultation, nil), doc2)
	zr, _ := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	var meta []byte
	for _, f := range zr.File {
		if f.Name == SubsetDir+MetadataName {
			rc, _ := f.Open()
			meta, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	file := filepath.Join(t.TempDir(), "METADATA.XML")
	os.WriteFile(file, meta, 0o600)
	out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", ebrs, file).CombinedOutput()
	if err != nil {
		t.Fatalf("xmllint: %v\n%s", err, out)
	}
}

func TestMultiplePatients(t *testing.T) {
	other := testPatient()
	other.INS = &cda.INS{Matricule: "146026322000196", Kind: cda.INSNIR}
	var out bytes.Buffer
	w := NewWriter(&out, nil)
	if _, err := w.Add(bytes.NewReader(testCDA(t, testPatient(), cda.TypeCRConsultation, nil)), nil); err != nil {
		t.Fatal(err)
	}
	_, err := w.Add(bytes.NewReader(testCDA(t, other, cda.TypeCRConsultation, nil)), nil)
	var pm *PatientMismatchError
	if !errors.Is(err, ErrMultiplePatients) || !errors.As(err, &pm) || !strings.Contains(pm.Got, "146026322000196") {
		t.Fatalf("err = %v", err)
	}
	// The package is still good, with one document.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil || len(p.Documents) != 1 {
		t.Fatalf("%v, %d documents", err, len(p.Documents))
	}
	if err := NewWriter(io.Discard, nil).Close(); !errors.Is(err, ErrNoDocument) {
		t.Errorf("empty package: %v", err)
	}
	if _, err := NewWriter(io.Discard, nil).Add(strings.NewReader("<html/>"), nil); !errors.Is(err, cda.ErrNotCDA) {
		t.Errorf("not a CDA: %v", err)
	}
}

// zipOf builds an archive from name/content pairs, stored or deflated.
func zipOf(t testing.TB, deflate bool, files ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		m := zip.Store
		if deflate {
			m = zip.Deflate
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: files[i], Method: m})
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(files[i+1]))
	}
	zw.Close()
	return b.Bytes()
}

// minimalMeta is METADATA.XML as some real producers write it: no
// namespace prefixes, a short HasMember, no hash.
const minimalMeta = `<SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:r="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0">
<r:RegistryObjectList>
<r:ExtrinsicObject id="Doc1" mimeType="text/xml">
<r:Slot name="URI"><r:ValueList><r:Value>doc0001.xml</r:Value></r:ValueList></r:Slot>
<r:ExternalIdentifier identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="279035121518989^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH" registryObject="Doc1" id="e1"/>
</r:ExtrinsicObject>
<r:RegistryPackage id="SS1">
<r:ExternalIdentifier identificationScheme="urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446" value="279035121518989^^^&amp;1.2.250.1.213.1.4.8&amp;ISO^NH" registryObject="SS1" id="e2"/>
</r:RegistryPackage>
<r:Classification id="c1" classifiedObject="SS1" classificationNode="urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"/>
<r:Association id="a1" associationType="HasMember" sourceObject="SS1" targetObject="Doc1"/>
</r:RegistryObjectList></SubmitObjectsRequest>`

func TestReadLenient(t *testing.T) {
	zipped := zipOf(t, true, `Export\ihe_xdm\Subset01\Metadata.xml`, minimalMeta, `Export\ihe_xdm\Subset01\DOC0001.XML`, "<ClinicalDocument/>")
	p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Documents) != 1 || p.Documents[0].Path != `Export\ihe_xdm\Subset01\DOC0001.XML` || p.Documents[0].SubmissionSet != "SS1" {
		t.Fatalf("documents %+v", p.Documents)
	}
	d := p.Documents[0]
	if d.HashOK || d.ActualSize != int64(len("<ClinicalDocument/>")) {
		t.Errorf("hash ok %v without a hash; size %d", d.HashOK, d.ActualSize)
	}
	if ins, ok := p.PatientINS(); !ok || ins.Kind != cda.INSNIR {
		t.Errorf("INS %+v", ins)
	}
	if err := p.Verify(); err != nil {
		t.Error(err)
	}
}

func TestReadHostile(t *testing.T) {
	bomb := strings.Repeat("A", 4<<20)
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	var many []string
	for i := 0; i < 20; i++ {
		many = append(many, "f"+strings.Repeat("x", i), "")
	}
	tests := []struct {
		name string
		zip  []byte
		opts *ReadOptions
		want error
	}{
		{"not a zip", []byte("PK nothing"), nil, ErrNotZIP},
		{"zip slip", zipOf(t, false, "IHE_XDM/SUBSET01/../../../etc/passwd", "x"), nil, ErrUnsafePath},
		{"zip slip backslash", zipOf(t, false, `IHE_XDM\..\..\x`, "x"), nil, ErrUnsafePath},
		{"absolute", zipOf(t, false, "/IHE_XDM/SUBSET01/METADATA.XML", "x"), nil, ErrUnsafePath},
		{"drive", zipOf(t, false, "C:/IHE_XDM/SUBSET01/METADATA.XML", "x"), nil, ErrUnsafePath},
		{"no metadata", zipOf(t, false, "README.TXT", "hello"), nil, ErrNoMetadata},
		{"bad metadata", zipOf(t, false, "IHE_XDM/SUBSET01/METADATA.XML", "<a><b></a>"), nil, ErrMetadata},
		{"ratio", zipOf(t, true, "IHE_XDM/SUBSET01/DOC0001.XML", bomb), nil, ErrLimit},
		{"total", zipOf(t, false, "A", "0123456789", "B", "0123456789"), &ReadOptions{MaxTotalSize: 15}, ErrLimit},
		{"entries", zipOf(t, false, many...), &ReadOptions{MaxEntries: 10}, ErrLimit},
		{"depth", zipOf(t, false, "IHE_XDM/SUBSET01/METADATA.XML", deep), nil, ErrLimit},
		{"metadata size", zipOf(t, false, "IHE_XDM/SUBSET01/METADATA.XML", minimalMeta), &ReadOptions{MaxMetadataSize: 100}, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tt.zip), int64(len(tt.zip)), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	// An archive claiming more entries than its size could hold is refused
	// before its directory is read.
	liar := zipOf(t, false, "A", "x")
	i := bytes.LastIndex(liar, []byte("PK\x05\x06"))
	liar[i+8], liar[i+9], liar[i+10], liar[i+11] = 0xFF, 0xFE, 0xFF, 0xFE
	if _, err := Read(bytes.NewReader(liar), int64(len(liar)), nil); !errors.Is(err, ErrLimit) {
		t.Errorf("claimed entries: %v", err)
	}
	var le *LimitError
	_, err := Read(bytes.NewReader(tests[7].zip), int64(len(tests[7].zip)), nil)
	if !errors.As(err, &le) || le.Limit != "ratio" {
		t.Errorf("ratio error %v", err)
	}
}

func TestReadHashMismatch(t *testing.T) {
	doc := testCDA(t, testPatient(), cda.TypeCRConsultation, nil)
	zipped := build(t, nil, doc)
	if _, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil); err != nil {
		t.Fatal(err)
	}
	// Rebuild the archive with a modified document and the same metadata.
	zr, _ := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
	var files []string
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if strings.HasSuffix(f.Name, "DOC0001.XML") {
			b = bytes.Replace(b, []byte("DUPONT"), []byte("DUPOND"), 1)
		}
		files = append(files, f.Name, string(b))
	}
	tampered := zipOf(t, true, files...)
	p, err := Read(bytes.NewReader(tampered), int64(len(tampered)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Documents[0].HashOK || !errors.Is(p.Verify(), ErrHashMismatch) {
		t.Errorf("tampered document passes: %v", p.Verify())
	}
}

func TestHL7Formats(t *testing.T) {
	if got := XCN(cda.II{Root: "1.2.3", Extension: "X^1"}, &cda.Name{Family: "O'Neil & Co", Given: []string{"A"}}); got != `X\S\1^O'Neil \T\ Co^A^^^^^^&1.2.3&ISO^D^^^RI` {
		t.Errorf("XCN = %q", got)
	}
	if got := XON(&cda.Organization{Name: "CH"}); got != "CH" {
		t.Errorf("XON without id = %q", got)
	}
	id, ok := ParseCX("279035121518989^^^&1.2.250.1.213.1.4.8&ISO^NH")
	if !ok || id.Root != cda.OIDINSNIR || id.Extension != "279035121518989" {
		t.Errorf("ParseCX = %v %v", id, ok)
	}
	if _, ok := ParseCX("garbage"); ok {
		t.Error("ParseCX accepted garbage")
	}
	ins := cda.INS{Matricule: "279035121518989", Kind: cda.INSNIR}
	if got, ok := ParseINSCX(INSCX(ins)); !ok || got != ins {
		t.Errorf("ParseINSCX(INSCX(%v)) = %v %v", ins, got, ok)
	}
	if _, ok := ParseINSCX("123^^^&1.2.250.1.71.4.2.1&ISO^PI"); ok {
		t.Error("ParseINSCX took a CX of another authority")
	}
}

// TestReadIPFSample reads the IPF ebRS 3.0 sample as the METADATA.XML of a
// package without its documents.
func TestReadIPFSample(t *testing.T) {
	meta, err := os.ReadFile(testenv.SharedDir(t, "oasis-ebrs30-via-ipf", "examples", "SubmitObjectsRequest_ebrs30.xml"))
	if err != nil {
		t.Fatal(err)
	}
	zipped := zipOf(t, true, "IHE_XDM/SUBSET01/METADATA.XML", string(meta))
	p, err := Read(bytes.NewReader(zipped), int64(len(zipped)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.SubmissionSets) != 1 || len(p.Documents) != 1 {
		t.Fatalf("%d sets, %d documents", len(p.SubmissionSets), len(p.Documents))
	}
	d := p.Documents[0]
	if d.EntryID != "Document01" || d.TypeCode.Code == "" || d.ClassCode.Code == "" || d.PatientID == "" || d.UniqueID == "" || len(d.Authors) == 0 {
		t.Errorf("document %+v", d.DocumentEntry)
	}
	if d.SubmissionSet != p.SubmissionSets[0].EntryID {
		t.Errorf("membership %q vs %q", d.SubmissionSet, p.SubmissionSets[0].EntryID)
	}
	if !errors.Is(p.Verify(), ErrMissingFile) {
		t.Error("a missing document file was not reported")
	}
}

func TestOverrides(t *testing.T) {
	var out bytes.Buffer
	ct := cda.Code{Code: "04", CodeSystem: "1.2.250.1.213.1.1.4.2.285", DisplayName: "Hospitalisation"}
	w := NewWriter(&out, &Options{ContentType: ct, SubmissionSetID: "1.2.3.4.5.6", Author: &Author{Person: "^SYSTEM"}, Vendor: "Test"})
	e, err := w.Add(bytes.NewReader(testCDA(t, testPatient(), cda.TypeCRConsultation, nil)), &DocumentOptions{
		ClassCode:       cda.ClassSynthese,
		Title:           "Autre titre",
		Confidentiality: []cda.Code{cda.ConfidentialityNormal, {Code: "MASQUE_PS", CodeSystem: cda.OIDConfidentialityFR, DisplayName: "Masqué aux professionnels de santé"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.ClassCode.Code != "11" || e.Title != "Autre titre" || len(e.Confidentiality) != 2 {
		t.Errorf("entry %+v", e)
	}
	if len(w.Headers()) != 1 || w.Headers()[0].Code.Code != "11488-4" {
		t.Error("Headers")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add(strings.NewReader(""), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	p, err := Read(bytes.NewReader(out.Bytes()), int64(out.Len()), nil)
	if err != nil {
		t.Fatal(err)
	}
	ss, d := p.SubmissionSets[0], p.Documents[0]
	if ss.ContentType != ct || ss.UniqueID != "1.2.3.4.5.6" || ss.SourceID != "1.2.3.4.5.6" || ss.Authors[0].Person != "^SYSTEM" {
		t.Errorf("submission set %+v", ss)
	}
	if d.ClassCode.Code != "11" || d.Title != "Autre titre" || len(d.Confidentiality) != 2 || d.Confidentiality[1].Code != "MASQUE_PS" {
		t.Errorf("document %+v", d.DocumentEntry)
	}
}

func TestSamePatient(t *testing.T) {
	a := &cda.Document{Patient: testPatient()}
	b := &cda.Document{Patient: testPatient()}
	if err := SamePatient(a, b); err != nil {
		t.Fatal(err)
	}
	b.Patient.INS = &cda.INS{Matricule: "146026322000196", Kind: cda.INSNIR}
	var pm *PatientMismatchError
	if err := SamePatient(a, b); !errors.As(err, &pm) || !errors.Is(err, ErrMultiplePatients) {
		t.Fatalf("err = %v", err)
	}
	if err := SamePatient(&cda.Document{}); !errors.Is(err, ErrNoPatient) {
		t.Fatalf("err = %v", err)
	}
}
