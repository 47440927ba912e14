package xdm

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Helpers that build METADATA.XML and archives the way other tools write
// them, for the reader's tests and its fuzz target.

// genEntry is one DocumentEntry of a generated METADATA.XML.
type genEntry struct {
	ID, UniqueID string
	URI          *string // nil: no URI slot
	Hash, Size   string  // "": no slot
	Patient      string  // CX; "" for the test patient
	Type         string  // typeCode; "" for 11488-4
}

const genPatient = "279035121518989^^^&1.2.250.1.213.1.4.10&ISO^NH"

func str(s string) *string { return &s }

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&quot;")
}

func genSlot(b *strings.Builder, name, value string) {
	fmt.Fprintf(b, `<rim:Slot name="%s"><rim:ValueList><rim:Value>%s</rim:Value></rim:ValueList></rim:Slot>`, name, esc(value))
}

// genMetadata returns a METADATA.XML with one submission set holding the
// entries.
func genMetadata(entries []genEntry) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>`)
	for _, e := range entries {
		patient, typ := e.Patient, e.Type
		if patient == "" {
			patient = genPatient
		}
		if typ == "" {
			typ = "11488-4"
		}
		fmt.Fprintf(&b, `<rim:ExtrinsicObject id="%s" mimeType="text/xml" objectType="%s">`, esc(e.ID), typeDocumentEntry)
		if e.Hash != "" {
			genSlot(&b, "hash", e.Hash)
		}
		if e.Size != "" {
			genSlot(&b, "size", e.Size)
		}
		if e.URI != nil {
			genSlot(&b, "URI", *e.URI)
		}
		fmt.Fprintf(&b, `<rim:Classification classificationScheme="%s" classifiedObject="%s" nodeRepresentation="%s" id="c-%s"><rim:Slot name="codingScheme"><rim:ValueList><rim:Value>2.16.840.1.113883.6.1</rim:Value></rim:ValueList></rim:Slot></rim:Classification>`,
			schemeDETypeCode, esc(e.ID), esc(typ), esc(e.ID))
		fmt.Fprintf(&b, `<rim:ExternalIdentifier identificationScheme="%s" value="%s" registryObject="%s" id="p-%s"/>`, schemeDEPatientID, esc(patient), esc(e.ID), esc(e.ID))
		if e.UniqueID != "" {
			fmt.Fprintf(&b, `<rim:ExternalIdentifier identificationScheme="%s" value="%s" registryObject="%s" id="u-%s"/>`, schemeDEUniqueID, esc(e.UniqueID), esc(e.ID), esc(e.ID))
		}
		b.WriteString(`</rim:ExtrinsicObject>`)
	}
	fmt.Fprintf(&b, `<rim:RegistryPackage id="SS"><rim:ExternalIdentifier identificationScheme="%s" value="%s" registryObject="SS" id="ssp"/><rim:ExternalIdentifier identificationScheme="%s" value="1.2.3.4" registryObject="SS" id="ssu"/></rim:RegistryPackage>`,
		schemeSSPatientID, esc(genPatient), schemeSSUniqueID)
	fmt.Fprintf(&b, `<rim:Classification id="ssc" classifiedObject="SS" classificationNode="%s"/>`, nodeSubmissionSet)
	for _, e := range entries {
		fmt.Fprintf(&b, `<rim:Association id="a-%s" associationType="%s" sourceObject="SS" targetObject="%s"/>`, esc(e.ID), AssocHasMember, esc(e.ID))
	}
	b.WriteString(`</rim:RegistryObjectList></lcm:SubmitObjectsRequest>`)
	return b.String()
}

func sha1hex(b []byte) string {
	h := sha1.Sum(b)
	return hex.EncodeToString(h[:])
}

// entryFor returns an entry whose URI, hash and size match content.
func entryFor(id, uri string, content []byte) genEntry {
	return genEntry{ID: id, UniqueID: "1.2.250.1.999." + id, URI: str(uri), Hash: sha1hex(content), Size: fmt.Sprint(len(content))}
}

// countingReaderAt counts the bytes read from an archive, and those read
// by reads that start inside a watched range (a file's data: the reads
// that inflate it; the scans for the directory start elsewhere).
type countingReaderAt struct {
	r                io.ReaderAt
	mu               sync.Mutex
	total, inWatched int64
	watchFrom        int64
	watchTo          int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.mu.Lock()
	c.total += int64(n)
	if off >= c.watchFrom && off < c.watchTo {
		c.inWatched += min(off+int64(n), c.watchTo) - off
	}
	c.mu.Unlock()
	return n, err
}
