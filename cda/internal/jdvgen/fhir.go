package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const fhirRepo = "github.com/ansforge/IG-terminologie-de-sante"

// fhirSource is one file of the ANS terminology repository read with -fhir.
type fhirSource struct {
	file   string // base name in the -fhir folder
	path   string // path in fhirRepo
	commit string
}

// The files read with -fhir. ASS_A11 is taken at the commit holding its
// fullest version (78 models); the others at the commit the SDK authors
// read. The repository publishes JDV_J03 only as an IG build product
// (ig/DM-37), which lists its codes; its later FSH source defines the set
// by filters on the code systems instead.
var (
	srcJ10 = fhirSource{"JDV_J10_XdsFormatCode_CISIS.json",
		"input/ontoserver/JDV/JDV_J10_XdsFormatCode_CISIS.json", "0acfa841f0564eb2768c09d53c3efcc37b56d335"}
	srcJ03 = fhirSource{"ValueSet-JDV-J03-XdsContentTypeCode-CISIS.json",
		"ig/DM-37/ValueSet-JDV-J03-XdsContentTypeCode-CISIS.json", "5511555a5f04363118cc12e8263c47dc2c183940"}
	srcA11 = fhirSource{"ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS.json",
		"input/ontoserver/JDV/ASS_A11-CorresModeleCDA-XdsFormatCode-CISIS.json", "2095e02e1779680f742aaa55d83e8bc9b54f43a0"}
	srcA12 = fhirSource{"ASS_12_CorresMediaTypeCDANonStructure-XdsFormatCode-CISIS.json",
		"input/ontoserver/JDV/ASS_12_CorresMediaTypeCDANonStructure-XdsFormatCode-CISIS.json", "06009be417143c4ad9656e4278d24f44ce0d38ef"}
)

// laterA11 are ASS_A11 rows that the ANS published after the commit of
// srcA11 (ConceptMap version 5.0.0 dated 2026-02-10, as rendered in the IG
// "Terminologies de Santé" 1.6.0) and that no file of the repository holds
// at a known commit. The TROD model (BIO-TROD, in the ANS test kit) has no
// formatCode without them. Display names come from JDV_J10 when it has the
// code, else from the TRE_A06 code system (version 20260629120000).
var laterA11 = []struct{ template, format, display string }{
	{"1.2.250.1.213.1.1.1.59", "urn:ans:ci-sis:trod:2024", "Test rapide d'orientation diagnostique"},
	{"1.2.250.1.213.1.1.1.61", "urn:asip:ci-sis:ft-su:2024", ""},
	{"1.2.250.1.213.1.1.1.62", "urn:asip:ci-sis:fr-su:2024", ""},
}

// systemOIDs maps the NOS code system URLs of the files to the OIDs written
// in XDS metadata (codingScheme). TRE_A10 declares no OID: its identifier
// is "urn:oid:URN", kept as "URN".
var systemOIDs = map[string]string{
	"https://mos.esante.gouv.fr/NOS/TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire": "1.2.250.1.213.1.1.4.2.282",
	"https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode":                       "1.3.6.1.4.1.19376.1.2.3",
	"https://mos.esante.gouv.fr/NOS/TRE_A09-DICOMuidRegistry/FHIR/TRE-A09-DICOMuidRegistry":                 "1.2.840.10008.2.6.1",
	"https://mos.esante.gouv.fr/NOS/TRE_A10-NomenclatureURN/FHIR/TRE-A10-NomenclatureURN":                   "URN",
	"https://mos.esante.gouv.fr/NOS/TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS":             "1.2.250.1.213.1.1.4.6",
	"https://mos.esante.gouv.fr/NOS/TRE_R209-TypeActivite/FHIR/TRE-R209-TypeActivite":                       "1.2.250.1.213.2.2",
	"https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite":                   "1.2.250.1.71.4.2.4",
	"https://mos.esante.gouv.fr/NOS/TRE_R276-FormeActivite/FHIR/TRE-R276-FormeActivite":                     "1.2.250.1.213.1.6.1.128",
}

type fhirValueSet struct {
	ResourceType string `json:"resourceType"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Date         string `json:"date"`
	Identifier   []struct {
		Value string `json:"value"`
	} `json:"identifier"`
	Compose struct {
		Include []struct {
			System  string `json:"system"`
			Concept []struct {
				Code    string `json:"code"`
				Display string `json:"display"`
			} `json:"concept"`
		} `json:"include"`
	} `json:"compose"`
}

type fhirConceptMap struct {
	ResourceType string `json:"resourceType"`
	Name         string `json:"name"`
	Version      string `json:"version"`
	Group        []struct {
		Source  string `json:"source"`
		Target  string `json:"target"`
		Element []struct {
			Code   string `json:"code"`
			Target []struct {
				Code string `json:"code"`
			} `json:"target"`
		} `json:"element"`
	} `json:"group"`
}

type code struct{ code, system, display string }

func readJSON(dir string, s fhirSource, v any) error {
	data, err := os.ReadFile(filepath.Join(dir, s.file))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %v", s.file, err)
	}
	return nil
}

// concepts flattens a value set, with the code systems as OIDs.
func concepts(vs *fhirValueSet, s fhirSource) ([]code, error) {
	var out []code
	for _, inc := range vs.Compose.Include {
		oid, ok := systemOIDs[inc.System]
		if !ok {
			return nil, fmt.Errorf("%s: code system %s has no known OID", s.file, inc.System)
		}
		for _, c := range inc.Concept {
			out = append(out, code{c.Code, oid, strings.TrimSpace(c.Display)})
		}
	}
	return out, nil
}

func valueSetOID(vs *fhirValueSet) string {
	for _, id := range vs.Identifier {
		if oid, ok := strings.CutPrefix(id.Value, "urn:oid:"); ok {
			return oid
		}
	}
	return ""
}

func sourceLine(s fhirSource) string {
	return fmt.Sprintf("//   %s\n//     at commit %s\n", s.path, s.commit)
}

func fhirTables(dir string) ([]byte, error) {
	var j10, j03 fhirValueSet
	var a11, a12 fhirConceptMap
	for _, r := range []struct {
		s fhirSource
		v any
	}{{srcJ10, &j10}, {srcJ03, &j03}, {srcA11, &a11}, {srcA12, &a12}} {
		if err := readJSON(dir, r.s, r.v); err != nil {
			return nil, err
		}
	}
	formats, err := concepts(&j10, srcJ10)
	if err != nil {
		return nil, err
	}
	contents, err := concepts(&j03, srcJ03)
	if err != nil {
		return nil, err
	}
	j10Index := map[string]code{}
	for _, c := range formats {
		j10Index[c.code] = c
	}
	// Codes of laterA11 that J10 does not hold are appended to it, marked.
	var laterFormats []code
	for _, l := range laterA11 {
		if _, ok := j10Index[l.format]; ok {
			continue
		}
		if l.display == "" {
			return nil, fmt.Errorf("laterA11: %s is not in JDV_J10 and has no display name", l.format)
		}
		c := code{l.format, systemOIDs["https://mos.esante.gouv.fr/NOS/TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire"], l.display}
		j10Index[l.format] = c
		laterFormats = append(laterFormats, c)
	}

	// ASS_A11: one formatCode per model. A templateId with several
	// targets (IHE XDS-SD, the N1 template) is resolved by media type.
	byTemplate := map[string][]string{}
	for _, g := range a11.Group {
		groupOID, ok := systemOIDs[g.Target]
		if !ok {
			return nil, fmt.Errorf("%s: target %s has no known OID", srcA11.file, g.Target)
		}
		for _, e := range g.Element {
			for _, t := range e.Target {
				c, ok := j10Index[t.Code]
				if !ok {
					return nil, fmt.Errorf("%s: %s maps to %s, which is not in JDV_J10", srcA11.file, e.Code, t.Code)
				}
				if c.system != groupOID {
					return nil, fmt.Errorf("%s: %s is in %s for ASS_A11 but in %s for JDV_J10", srcA11.file, t.Code, groupOID, c.system)
				}
				byTemplate[e.Code] = appendNew(byTemplate[e.Code], t.Code)
			}
		}
	}
	later := map[string]bool{}
	for _, l := range laterA11 {
		if prev, ok := byTemplate[l.template]; ok && (len(prev) != 1 || prev[0] != l.format) {
			return nil, fmt.Errorf("laterA11: %s maps to %v in ASS_A11 and to %s in laterA11", l.template, prev, l.format)
		}
		byTemplate[l.template] = []string{l.format}
		later[l.template] = true
	}
	templates := make([]string, 0, len(byTemplate))
	for t := range byTemplate {
		templates = append(templates, t)
	}
	sort.Strings(templates)

	var b bytes.Buffer
	b.WriteString("// Code generated by jdvgen from the ANS terminology files; DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "// Sources, in the repository %s:\n//\n", fhirRepo)
	for _, s := range []fhirSource{srcJ10, srcJ03, srcA11, srcA12} {
		b.WriteString(sourceLine(s))
	}
	b.WriteString("//\n// plus the ASS_A11 rows that the ANS published later (ConceptMap version\n" +
		"// 5.0.0 of 2026-02-10), marked below: see laterA11 in internal/jdvgen.\n\npackage cda\n\n")

	writeSet := func(name, doc string, vs *fhirValueSet, cs []code, extra []code) {
		fmt.Fprintf(&b, "// %s: %s, value set %s, version %s of %s.\n", name, doc, valueSetOID(vs), vs.Version, vs.Date)
		fmt.Fprintf(&b, "var %s = valueSet{ID: %q, Name: %q, Concepts: []Code{\n", name, valueSetOID(vs), vs.Name)
		for _, c := range cs {
			fmt.Fprintf(&b, "{Code: %q, CodeSystem: %q, DisplayName: %q},\n", c.code, c.system, c.display)
		}
		if len(extra) > 0 {
			b.WriteString("// Later codes of the ANS, not in the file read (laterA11).\n")
		}
		for _, c := range extra {
			fmt.Fprintf(&b, "{Code: %q, CodeSystem: %q, DisplayName: %q},\n", c.code, c.system, c.display)
		}
		b.WriteString("}}\n\n")
	}
	writeSet("jdvFormatCode", "JDV_J10 XdsFormatCode-CISIS (formatCode)", &j10, formats, laterFormats)
	writeSet("jdvContentType", "JDV_J03 XdsContentTypeCode-CISIS (submission set contentTypeCode)", &j03, contents, nil)

	fmt.Fprintf(&b, "// formatOfTemplate: ASS_A11 %s version %s, the formatCode of a CDA model by its templateId.\n", a11.Name, a11.Version)
	b.WriteString("var formatOfTemplate = map[string]Code{\n")
	for _, t := range templates {
		fs := byTemplate[t]
		if len(fs) != 1 {
			fmt.Fprintf(&b, "// %s: %d formatCodes (%s...), chosen by media type (formatOfMedia).\n", t, len(fs), fs[0])
			continue
		}
		c := j10Index[fs[0]]
		comment := ""
		if later[t] {
			comment = " // later ANS row (laterA11)"
		}
		fmt.Fprintf(&b, "%q: {Code: %q, CodeSystem: %q, DisplayName: %q},%s\n", t, c.code, c.system, c.display, comment)
	}
	b.WriteString("}\n\n")

	fmt.Fprintf(&b, "// formatOfMedia: ASS_A12 %s, the formatCode of an N1 body by its media type.\n", a12.Name)
	b.WriteString("var formatOfMedia = map[string]Code{\n")
	seen := map[string]bool{}
	for _, g := range a12.Group {
		for _, e := range g.Element {
			if !strings.Contains(e.Code, "/") {
				fmt.Fprintf(&b, "// %s: not a media type, left out.\n", e.Code)
				continue
			}
			if len(e.Target) != 1 || seen[e.Code] {
				return nil, fmt.Errorf("%s: %s must have one target and appear once", srcA12.file, e.Code)
			}
			seen[e.Code] = true
			c, ok := j10Index[e.Target[0].Code]
			if !ok {
				return nil, fmt.Errorf("%s: %s maps to %s, which is not in JDV_J10", srcA12.file, e.Code, e.Target[0].Code)
			}
			fmt.Fprintf(&b, "%q: {Code: %q, CodeSystem: %q, DisplayName: %q},\n", e.Code, c.code, c.system, c.display)
		}
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
