package trust

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// BenchmarkParseList6500EncodingXML is the measurement that keeps the
// hand-written scanner (xmlscan.go): the same 6,500-entry list as
// BenchmarkParseList6500, read with encoding/xml's streaming Decoder into the
// same Entry values grouped by domain, with none of ParseList's checks of
// names and values. Compare the two with
//
//	go test ./trust -run '^$' -bench 'ParseList6500' -benchmem -count 6
func BenchmarkParseList6500EncodingXML(b *testing.B) {
	data, _ := bigList(6500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		domains, err := parseListEncodingXML(data)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, es := range domains {
			n += len(es)
		}
		if n != 6500 {
			b.Fatal(n)
		}
	}
}

// parseListEncodingXML reads the <Domaine> entries of a liste blanche with
// encoding/xml, stopping at </ListeDomaines> (the ANS file has no closing
// root tag, which encoding/xml would report as an error).
func parseListEncodingXML(data []byte) (map[string][]Entry, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	domains := make(map[string][]Entry, 1024)
	var e Entry
	var field *string
	var text []byte
	inEntry := false
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return domains, nil
			}
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			text = text[:0]
			field = nil
			switch t.Name.Local {
			case "Domaine":
				e, inEntry = Entry{}, true
			case "Nom":
				field = &e.Domain
			case "Description":
				field = &e.Description
			case "DNCertificatOperateur":
				field = &e.OperatorDN
			case "ResponsableContact":
				field = &e.ResponsibleContact
			case "SupportContact":
				field = &e.SupportContact
			}
		case xml.CharData:
			text = append(text, t...)
		case xml.EndElement:
			switch {
			case t.Name.Local == "ListeDomaines":
				return domains, nil
			case t.Name.Local == "Domaine" && inEntry:
				key := strings.ToLower(e.Domain)
				domains[key] = append(domains[key], e)
				inEntry = false
			case t.Name.Local == "DateMAJ" && inEntry:
				if len(text) > 0 {
					u, err := time.Parse(time.RFC3339, strings.TrimSpace(string(text)))
					if err != nil {
						return nil, err
					}
					e.Updated = u
				}
			case field != nil:
				*field = strings.TrimSpace(string(text))
				field = nil
			}
		}
	}
}

// TestParseListEncodingXMLAgrees checks that the benchmark's encoding/xml
// reader finds what ParseList finds, so that the two benchmarks measure the
// same work.
func TestParseListEncodingXMLAgrees(t *testing.T) {
	data, _ := bigList(650)
	l, err := ParseList(bytes.NewReader(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	domains, err := parseListEncodingXML(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(domains) != l.DomainCount() {
		t.Fatalf("encoding/xml: %d domains, ParseList: %d", len(domains), l.DomainCount())
	}
	for name, es := range domains {
		d, ok := l.Lookup(name)
		if !ok || len(d.Entries) != len(es) {
			t.Fatalf("%s: encoding/xml %d entries, ParseList %v", name, len(es), d.Entries)
		}
		for i := range es {
			if es[i] != d.Entries[i] {
				t.Fatalf("%s entry %d:\nencoding/xml %+v\nParseList    %+v", name, i, es[i], d.Entries[i])
			}
		}
	}
}
