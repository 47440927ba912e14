package annuaire_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/internal/testenv"
)

// sharedDir returns a folder of the shared outside test data; without it
// the test skips, or fails under CI (internal/testenv).
func sharedDir(t testing.TB, sub string) string {
	t.Helper()
	return testenv.SharedDir(t, "annuaire", sub)
}

const header31 = "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION|L3COMPLEMENTDISTRIBUTION|L4NUMEROVOIE|L4COMPLEMENTNUMEROVOIE|NL4TYPEVOIE|L4LIBELLEVOIE|L5LIEUDITMENTION|L6LIGNEACHEMINEMENT|Code postal|Département|Pays"

// row31 builds a 31-field line from column values.
func row31(vals map[annuaire.Column]string) string {
	f := make([]string, annuaire.NumColumns)
	for c, v := range vals {
		f[c] = v
	}
	return strings.Join(f, "|")
}

func readAll(t *testing.T, er *annuaire.ExtractionReader) (rows []annuaire.Row, bad []*annuaire.RowError) {
	t.Helper()
	for {
		r, err := er.Read()
		if err == io.EOF {
			return
		}
		var re *annuaire.RowError
		if errors.As(err, &re) {
			bad = append(bad, re)
			continue
		}
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		rows = append(rows, r)
	}
}

func TestSharedSample(t *testing.T) {
	dir := sharedDir(t, "extractions")
	er, err := annuaire.OpenExtraction(filepath.Join(dir, "Extraction_Correspondance_MSSante.SYNTHETIC-sample.txt"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	if got := len(er.Header()); got != 31 {
		t.Errorf("header has %d columns, want 31", got)
	}
	rows, bad := readAll(t, er)
	if len(bad) != 0 {
		t.Errorf("bad rows: %v", bad)
	}
	if len(rows) != 4 {
		t.Fatalf("got %d rows, want 4", len(rows))
	}
	r := rows[0]
	want := annuaire.Row{Line: 2, Type: "PER", Address: "jean-marie.dupont@infirmier.mssante.fr", PPIDType: "8",
		PPID: "10003456789", IdNatPS: "810003456789", LastName: "DUPONT", FirstName: "Jean-Marie",
		ProfessionCode: "60", ProfessionLabel: "Infirmier"}
	if r != want {
		t.Errorf("row 1 =\n%+v\nwant\n%+v", r, want)
	}
	if rows[2].Type != annuaire.MailboxORG || rows[2].StructureName != "CENTRE DE SANTE DR HOUSE" || rows[2].PostalCode != "69000" {
		t.Errorf("ORG row = %+v", rows[2])
	}

	x, err := annuaire.LoadIndex(context.Background(), filepath.Join(dir, "Extraction_Correspondance_MSSante.SYNTHETIC-sample.txt"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The last row is a case variant of the third: both come back.
	if got := x.ByAddress("SECRETARIAT.DRHOUSE@aura.mssante.fr"); len(got) != 2 || got[0].Line != 4 || got[1].Line != 5 {
		t.Errorf("ByAddress(case variant) = %+v", got)
	}
	if got := x.ByPerson("10102727017"); len(got) != 1 || got[0].LastName != "CHATELIER" {
		t.Errorf("ByPerson(RPPS) = %+v", got)
	}
	if got := x.ByPerson("810102727017"); len(got) != 1 || got[0].LastName != "CHATELIER" {
		t.Errorf("ByPerson(IdNatPS) = %+v", got)
	}
	if got := x.ByNamePrefix("centre de sante dr", 0); len(got) != 2 {
		t.Errorf("ByNamePrefix = %+v", got)
	}
	if c := x.CountByType(); c["PER"] != 2 || c["ORG"] != 2 {
		t.Errorf("CountByType = %v", c)
	}
}

func TestSharedHeaderMapsEveryColumn(t *testing.T) {
	dir := sharedDir(t, "extractions")
	b, err := os.ReadFile(filepath.Join(dir, "Extraction_Correspondance_MSSante.header.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// Give each column its own name as value, then check every field.
	hdr := strings.TrimRight(string(b), "\r\n")
	names := strings.Split(hdr, "|")
	er, err := annuaire.NewExtractionReader(strings.NewReader(hdr+"\n"+strings.ReplaceAll(hdr, "Adresse BAL", "a@b.fr")+"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := er.Read()
	if err != nil {
		t.Fatal(err)
	}
	for c := annuaire.Column(0); c < annuaire.NumColumns; c++ {
		want := names[c]
		if c == annuaire.ColAddress {
			want = "a@b.fr"
		}
		if got := r.Field(c); got != want {
			t.Errorf("column %d (%s) = %q, want %q", c, c, got, want)
		}
	}
}

func TestReaderHeaderForms(t *testing.T) {
	per := row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: "a.b@medecin.mssante.fr", annuaire.ColPPID: "10000000001"})
	tests := []struct {
		name string
		in   string
	}{
		{"plain", header31 + "\n" + per + "\n"},
		{"trailing separator in header only", header31 + "|\n" + per + "\n"},
		{"trailing separator everywhere", header31 + "|\n" + per + "|\n"},
		{"trailing separator in rows only", header31 + "\n" + per + "|\n"},
		{"CRLF and BOM", "\uFEFF" + header31 + "\r\n" + per + "\r\n"},
		{"no final newline, blank lines", header31 + "\n\n" + per},
		{"header case and accents differ", strings.ToUpper(strings.NewReplacer("é", "e", "É", "E").Replace(header31)) + "\n" + per + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			er, err := annuaire.NewExtractionReader(strings.NewReader(tt.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			rows, bad := readAll(t, er)
			if len(bad) != 0 || len(rows) != 1 {
				t.Fatalf("rows %d, bad %v", len(rows), bad)
			}
			if rows[0].Address != "a.b@medecin.mssante.fr" || rows[0].PPID != "10000000001" || rows[0].Type != "PER" {
				t.Errorf("row = %+v", rows[0])
			}
		})
	}
}

func TestReaderColumnOrderFromHeader(t *testing.T) {
	in := "Pays|Identifiant PP|Colonne inconnue|Adresse BAL|Type de BAL\nFRANCE|10000000001|x|a@b.mssante.fr|PER\n"
	er, err := annuaire.NewExtractionReader(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := er.Read()
	if err != nil {
		t.Fatal(err)
	}
	want := annuaire.Row{Line: 2, Country: "FRANCE", PPID: "10000000001", Address: "a@b.mssante.fr", Type: "PER"}
	if r != want {
		t.Errorf("got %+v, want %+v", r, want)
	}
}

func TestReaderBadHeader(t *testing.T) {
	for in, want := range map[string]error{
		"":                         annuaire.ErrNoHeader,
		"\n\n":                     annuaire.ErrNoHeader,
		"Type de BAL|Nom\nPER|x\n": annuaire.ErrNoAddressColumn,
	} {
		if _, err := annuaire.NewExtractionReader(strings.NewReader(in), nil); !errors.Is(err, want) {
			t.Errorf("%q: err = %v, want %v", in, err, want)
		}
	}
}

func TestReaderBadRowsReportedAndSkipped(t *testing.T) {
	good := func(a string) string {
		return row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: a})
	}
	lines := []string{
		header31,
		good("ok1@x.mssante.fr"),             // 2
		"PER|short@x.mssante.fr|8",           // 3 too few fields
		good("ok2@x.mssante.fr") + "|extra|", // 4 too many
		good(""),                             // 5 no address
		good("no-at-sign"),                   // 6
		good("bad\xffutf8@x.mssante.fr"),     // 7
		good("long@x.mssante.fr" + strings.Repeat("x", 900)), // 8 too long (limit below)
		good("ok3@x.mssante.fr"),                             // 9
	}
	er, err := annuaire.NewExtractionReader(strings.NewReader(strings.Join(lines, "\n")+"\n"), &annuaire.ReaderOptions{MaxLineLength: 800})
	if err != nil {
		t.Fatal(err)
	}
	rows, bad := readAll(t, er)
	if len(rows) != 2 || rows[0].Address != "ok1@x.mssante.fr" || rows[1].Address != "ok3@x.mssante.fr" || rows[1].Line != 9 {
		t.Errorf("rows = %+v", rows)
	}
	wantBad := []struct {
		line int
		err  error
	}{{3, annuaire.ErrFieldCount}, {4, annuaire.ErrFieldCount}, {5, annuaire.ErrNoAddress}, {6, annuaire.ErrBadAddress}, {7, annuaire.ErrInvalidUTF8}, {8, annuaire.ErrLineTooLong}}
	if len(bad) != len(wantBad) {
		t.Fatalf("bad = %v", bad)
	}
	for i, w := range wantBad {
		if bad[i].Line != w.line || !errors.Is(bad[i], w.err) {
			t.Errorf("bad[%d] = %v, want line %d %v", i, bad[i], w.line, w.err)
		}
	}
}

func TestReaderLineLongerThanBuffer(t *testing.T) {
	long := "PER|" + strings.Repeat("y", 200<<10) + "@x.fr"
	in := header31 + "\n" + long + "\n" + row31(map[annuaire.Column]string{annuaire.ColAddress: "a@b.fr"}) + "\n"
	er, err := annuaire.NewExtractionReader(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, bad := readAll(t, er)
	if len(bad) != 1 || bad[0].Line != 2 || !errors.Is(bad[0], annuaire.ErrLineTooLong) {
		t.Errorf("bad = %v", bad)
	}
	if len(rows) != 1 || rows[0].Line != 3 {
		t.Errorf("rows = %+v", rows)
	}
}

func TestReaderMaxSize(t *testing.T) {
	var buf bytes.Buffer
	annuairetest.WriteExtraction(&buf, &annuairetest.ExtractionOptions{Rows: 2000})
	// The limit may trip while reading the header (the reader reads ahead)
	// or later: either way the error is ErrTooLarge.
	er, err := annuaire.NewExtractionReader(&buf, &annuaire.ReaderOptions{MaxSize: 100 << 10})
	if err == nil {
		_, err = annuaire.BuildIndex(context.Background(), er, nil)
	}
	if !errors.Is(err, annuaire.ErrTooLarge) {
		t.Errorf("err = %v, want ErrTooLarge", err)
	}
}

func writeZip(t *testing.T, members map[string]string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "x.zip")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, body := range members {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return name
}

// TestNewZipExtractionReader reads the extraction from a ZIP held in
// memory, picking the Extraction_Correspondance_MSSante member over another
// text file.
func TestNewZipExtractionReader(t *testing.T) {
	var buf bytes.Buffer
	annuairetest.WriteExtraction(&buf, &annuairetest.ExtractionOptions{Rows: 50, Seed: 5})
	var z bytes.Buffer
	zw := zip.NewWriter(&z)
	for _, m := range []struct{ name, body string }{
		{"LISEZMOI.txt", "Type de BAL|Adresse BAL\nPER|wrong@member.fr\n"},
		{"Extraction_Correspondance_MSSante_202608260300.txt", buf.String()},
	} {
		w, err := zw.Create(m.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, m.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	er, err := annuaire.NewZipExtractionReader(bytes.NewReader(z.Bytes()), int64(z.Len()), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer er.Close()
	rows, bad := readAll(t, er)
	if len(rows) != 50 || len(bad) != 0 {
		t.Errorf("%d rows, %d bad, want 50 and 0", len(rows), len(bad))
	}
	for _, row := range rows {
		if row.Address == "wrong@member.fr" {
			t.Fatal("read the wrong member")
		}
	}
	if _, err := annuaire.NewZipExtractionReader(bytes.NewReader([]byte("not a zip")), 9, nil); err == nil {
		t.Error("not a ZIP: no error")
	}
}

func TestOpenExtractionZip(t *testing.T) {
	var buf bytes.Buffer
	annuairetest.WriteExtraction(&buf, &annuairetest.ExtractionOptions{Rows: 500, Seed: 3})
	name := writeZip(t, map[string]string{
		"LISEZMOI.txt": "Type de BAL|Adresse BAL\nPER|wrong@member.fr\n",
		"Extraction_Correspondance_MSSante_202608260300.txt": buf.String(),
	})
	x, err := annuaire.LoadIndex(context.Background(), name, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if x.Len() != 500 || x.BadRows() != 0 {
		t.Errorf("Len %d, bad %d", x.Len(), x.BadRows())
	}
	if _, err := annuaire.OpenExtraction(writeZip(t, map[string]string{"a.csv": "x"}), nil); !errors.Is(err, annuaire.ErrNoTextInZip) {
		t.Errorf("zip without txt: %v", err)
	}
}

func TestIndexLookups(t *testing.T) {
	lines := []string{header31,
		row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: "Eric.Lefevre@Medecin.MSSante.fr", annuaire.ColPPID: "10000000001", annuaire.ColIdNatPS: "810000000001", annuaire.ColLastName: "LEFÈVRE", annuaire.ColFirstName: "Éric", annuaire.ColStructureID: "1750000001"}),
		row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: "eric.lefevre@chu.mssante.fr", annuaire.ColPPID: "10000000001", annuaire.ColIdNatPS: "810000000001", annuaire.ColLastName: "LEFÈVRE", annuaire.ColFirstName: "Éric"}),
		row31(map[annuaire.Column]string{annuaire.ColMailboxType: "PER", annuaire.ColAddress: "anne.le-gall@pro.mssante.fr", annuaire.ColPPID: "10000000002", annuaire.ColLastName: "LE GALL", annuaire.ColFirstName: "Anne"}),
		row31(map[annuaire.Column]string{annuaire.ColMailboxType: "ORG", annuaire.ColAddress: "secretariat@chu.mssante.fr", annuaire.ColStructureID: "1750000001", annuaire.ColStructureName: "CHU DE NANCY", annuaire.ColStructureTradeName: "Hôpital Central"}),
	}
	for _, lazy := range []bool{false, true} {
		er, err := annuaire.NewExtractionReader(strings.NewReader(strings.Join(lines, "\n")), nil)
		if err != nil {
			t.Fatal(err)
		}
		x, err := annuaire.BuildIndex(context.Background(), er, &annuaire.IndexOptions{Lazy: lazy})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(fmt.Sprintf("lazy=%v", lazy), func(t *testing.T) { testIndexLookups(t, x) })
	}
}

func testIndexLookups(t *testing.T, x *annuaire.Index) {
	addrs := func(rows []annuaire.Row) string {
		var s []string
		for _, r := range rows {
			s = append(s, r.Address)
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name string
		got  []annuaire.Row
		want string
	}{
		{"address exact", x.ByAddress("eric.lefevre@medecin.mssante.fr"), "Eric.Lefevre@Medecin.MSSante.fr"},
		{"address upper", x.ByAddress(" ERIC.LEFEVRE@CHU.MSSANTE.FR "), "eric.lefevre@chu.mssante.fr"},
		{"address unknown", x.ByAddress("nobody@chu.mssante.fr"), ""},
		{"rpps in file order", x.ByPerson("10000000001"), "Eric.Lefevre@Medecin.MSSante.fr,eric.lefevre@chu.mssante.fr"},
		{"idnat", x.ByPerson("810000000001"), "Eric.Lefevre@Medecin.MSSante.fr,eric.lefevre@chu.mssante.fr"},
		{"structure", x.ByStructure("1750000001"), "Eric.Lefevre@Medecin.MSSante.fr,secretariat@chu.mssante.fr"},
		{"name accents", x.ByNamePrefix("lefevre eric", 0), "Eric.Lefevre@Medecin.MSSante.fr,eric.lefevre@chu.mssante.fr"},
		{"name limit", x.ByNamePrefix("LEFÈV", 1), "Eric.Lefevre@Medecin.MSSante.fr"},
		{"name punctuation", x.ByNamePrefix("le-gall", 0), "anne.le-gall@pro.mssante.fr"},
		{"trade name", x.ByNamePrefix("hopital c", 0), "secretariat@chu.mssante.fr"},
		{"empty prefix", x.ByNamePrefix(" - ", 0), ""},
	}
	for _, tt := range tests {
		if got := addrs(tt.got); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if r, ok := x.Lookup("SECRETARIAT@chu.mssante.fr"); !ok || r.StructureName != "CHU DE NANCY" {
		t.Errorf("Lookup = %+v, %v", r, ok)
	}
}

func TestFoldName(t *testing.T) {
	for in, want := range map[string]string{
		"Jean-Marie LEFÈVRE":   "jean marie lefevre",
		"  D'ALMEIDA  Zoé ":    "d almeida zoe",
		"ŒUVRE ÇA Straße":      "oeuvre ca strasse",
		"Ελλάδα":               "ελλάδα",
		"---":                  "",
		"CENTRE DE SANTÉ n°12": "centre de sante n 12",
	} {
		if got := annuaire.FoldName(in); got != want {
			t.Errorf("FoldName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzExtractionReader(f *testing.F) {
	f.Add([]byte(header31 + "\n" + row31(map[annuaire.Column]string{annuaire.ColAddress: "a@b.fr", annuaire.ColLastName: "É"}) + "\n"))
	f.Add([]byte("Adresse BAL|Nom d'exercice|\r\na@b|x|\r\n\nc@d|\xff\n"))
	f.Add([]byte("\uFEFFPays|Adresse BAL\nFR|x@y|z\n|\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		er, err := annuaire.NewExtractionReader(bytes.NewReader(b), &annuaire.ReaderOptions{MaxLineLength: 64})
		if err != nil {
			return
		}
		x, err := annuaire.BuildIndex(context.Background(), er, nil)
		if err != nil {
			t.Fatalf("BuildIndex on an in-memory reader: %v", err)
		}
		for r := range x.Rows() {
			if got := x.ByAddress(r.Address); len(got) == 0 {
				t.Fatalf("row %d address %q not found", r.Line, r.Address)
			}
			x.ByNamePrefix(r.LastName, 3)
			x.ByPerson(r.PPID)
		}
	})
}
