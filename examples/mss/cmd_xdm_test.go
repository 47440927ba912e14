package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/internal/testdocs"
)

// rezip rewrites an archive entry by entry: rename gives each entry's new
// name ("" drops it), edit its new content.
func rezip(t *testing.T, src []byte, rename func(string) string, edit func(name string, b []byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		name := rename(f.Name)
		if name == "" {
			continue
		}
		if edit != nil {
			b = edit(f.Name, b)
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		w.Write(b)
	}
	zw.Close()
	return out.Bytes()
}

// xdmPackage returns an IHE_XDM.ZIP written by the SDK around n N1
// documents, and the first document.
func xdmPackage(t *testing.T, n int) ([]byte, []byte) {
	t.Helper()
	var zb bytes.Buffer
	w := xdm.NewWriter(&zb, nil)
	var first []byte
	for i := 0; i < n; i++ {
		doc, err := testdocs.N1(testdocs.Options{}, strings.NewReader(fmt.Sprintf("%%PDF-1.4 document %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = doc
		}
		if _, err := w.Add(bytes.NewReader(doc), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return zb.Bytes(), first
}

func writeTemp(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// windowsLayout renames the entries as a Windows zip tool writes a folder
// zipped without its IHE_XDM level: back-slashes, mixed case.
func windowsLayout(name string) string {
	switch name {
	case xdm.ReadmeName:
		return "README.txt"
	case xdm.IndexName:
		return "INDEX.htm"
	}
	name = strings.TrimPrefix(name, "IHE_XDM/")
	name = strings.Replace(name, xdm.MetadataName, "METADATA.xml", 1)
	return strings.ReplaceAll(name, "/", `\`)
}

// TestXDMInspectOtherTools: an archive with back-slash names and no
// IHE_XDM level opens; its document is printed with its type, patient and
// size.
func TestXDMInspectOtherTools(t *testing.T) {
	zb, doc := xdmPackage(t, 1)
	file := writeTemp(t, "IHE_XDM.zip", rezip(t, zb, windowsLayout, nil))
	code, stdout, stderr := runCLI(t, "xdm", "inspect", file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := fmt.Sprintf("type 11488-4, class 10, format urn:ihe:iti:xds-sd:pdf:2008, patient 279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH, %d bytes, hash ok true", len(doc))
	if !strings.Contains(stdout, want) || !strings.Contains(stdout, `file SUBSET01\DOC0001.XML`) || strings.Contains(stdout, "problem") {
		t.Fatalf("output:\n%s\nwant %q", stdout, want)
	}

	code, stdout, stderr = runCLI(t, "xdm", "inspect", "--json", file)
	var v struct {
		PatientINS string `json:"patientIns"`
		Documents  []struct {
			TypeCode   string            `json:"typeCode"`
			PatientID  string            `json:"patientId"`
			Size       int64             `json:"size"`
			ActualSize int64             `json:"actualSize"`
			Readable   bool              `json:"readable"`
			HashOK     bool              `json:"hashOk"`
			Path       string            `json:"path"`
			Problems   []json.RawMessage `json:"problems"`
		} `json:"documents"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || len(v.Documents) != 1 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	d := v.Documents[0]
	if d.TypeCode != "11488-4" || !strings.HasPrefix(d.PatientID, "279035121518989^") || d.Size != int64(len(doc)) || d.ActualSize != d.Size ||
		!d.Readable || !d.HashOK || d.Path != `SUBSET01\DOC0001.XML` || len(d.Problems) != 0 || v.PatientINS != "279035121518989" {
		t.Fatalf("document %+v", d)
	}
}

// TestXDMInspectProblems: each document's problems are printed; the exit
// status is 1 only when no document can be read.
func TestXDMInspectProblems(t *testing.T) {
	zb, _ := xdmPackage(t, 2)
	// The first document altered (hash and size mismatch, still readable),
	// the second gone.
	damaged := rezip(t, zb, func(n string) string {
		if strings.HasSuffix(n, "DOC0002.XML") {
			return ""
		}
		return n
	}, func(n string, b []byte) []byte {
		if strings.HasSuffix(n, "DOC0001.XML") {
			return append(b, '\n')
		}
		return b
	})
	code, stdout, stderr := runCLI(t, "xdm", "inspect", writeTemp(t, "a.zip", damaged))
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"problem: xdm: document hash does not match its metadata", "problem: xdm: document size does not match its metadata",
		"problem: xdm: document file missing", `no file (URI "DOC0002.XML")`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	code, stdout, _ = runCLI(t, "xdm", "inspect", "--json", writeTemp(t, "a.zip", damaged))
	var v struct {
		Documents []struct {
			Problems []struct {
				Kind      string `json:"kind"`
				Want, Got string
			} `json:"problems"`
		} `json:"documents"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || len(v.Documents) != 2 {
		t.Fatalf("json: %d %s", code, stdout)
	}
	p1, p2 := v.Documents[0].Problems, v.Documents[1].Problems
	if len(p1) != 2 || p1[0].Kind != "hash-mismatch" || p1[0].Want == "" || p1[0].Got == "" || p1[1].Kind != "size-mismatch" || len(p2) != 1 || p2[0].Kind != "missing-file" {
		t.Fatalf("problems %+v %+v", p1, p2)
	}

	// No document left: exit 1, after the report.
	gone := rezip(t, zb, func(n string) string {
		if strings.Contains(n, "DOC000") {
			return ""
		}
		return n
	}, nil)
	code, stdout, stderr = runCLI(t, "xdm", "inspect", writeTemp(t, "b.zip", gone))
	if code != 1 || !strings.Contains(stderr, "none of the 2 documents") || strings.Count(stdout, "document file missing") != 2 {
		t.Fatalf("exit %d: %s\n%s", code, stderr, stdout)
	}
}

// TestXDMInspectReferences: the archive of issue 19 (1,000 DocumentEntries
// naming one 1 MiB file, a few KB) is refused by the default limits; the
// cda/xdm test TestReadReferenceAmplification counts the bytes read.
func TestXDMInspectReferences(t *testing.T) {
	var meta strings.Builder
	meta.WriteString("<SubmitObjectsRequest><RegistryObjectList>")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&meta, `<ExtrinsicObject id="d%d"><Slot name="URI"><ValueList><Value>DOC0001.XML</Value></ValueList></Slot></ExtrinsicObject>`, i)
	}
	meta.WriteString("</RegistryObjectList></SubmitObjectsRequest>")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.Create("IHE_XDM/SUBSET01/METADATA.XML")
	io.WriteString(w, meta.String())
	w, _ = zw.Create("IHE_XDM/SUBSET01/DOC0001.XML")
	w.Write(make([]byte, 1<<20))
	zw.Close()
	if zb.Len() > 8<<10 {
		t.Fatalf("archive of %d bytes", zb.Len())
	}
	code, _, stderr := runCLI(t, "xdm", "inspect", writeTemp(t, "refs.zip", zb.Bytes()))
	if code != 1 || !strings.Contains(stderr, "documents 51 > 50") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
