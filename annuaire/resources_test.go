package annuaire_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
)

func readShared(t *testing.T, sub, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(sharedDir(t, sub), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDecodeSharedExamples decodes every FHIR example of the IG and checks
// what the SDK reads from it.
func TestDecodeSharedExamples(t *testing.T) {
	dir := sharedDir(t, filepath.Join("fhir", "ig-annuaire"))
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	type want struct {
		typ, id, rpps, idnat, finess, idnst string
		mailboxes                           []annuaire.Mailbox
	}
	wants := map[string]want{
		"Practitioner-334081DP.json": {typ: "Practitioner", id: "334081DP", rpps: "10003461033", idnat: "810003461033",
			mailboxes: []annuaire.Mailbox{{Address: "jeromebonnet@pro.mssante.fr", MSSanteTyped: true}}},
		"Practitioner-3719500DP.json": {typ: "Practitioner", id: "3719500DP", rpps: "10102727017", idnat: "810102727017",
			mailboxes: []annuaire.Mailbox{{Address: "davidchatelier@xxx.mssante.fr", Rank: 1, MSSanteTyped: true}}},
		"PractitionerRole-1738459DP.json": {typ: "PractitionerRole", id: "1738459DP"},
		"PractitionerRole-5015602.json":   {typ: "PractitionerRole", id: "5015602"},
		"Organization-481677.json": {typ: "Organization", id: "481677", finess: "580008803", idnst: "1580008803",
			mailboxes: []annuaire.Mailbox{{Address: "xxxx@xxxxx.mssante.fr", Type: annuaire.MailboxORG, MSSanteTyped: true, HasMetadata: true}}},
		"Organization-158480DP.json":                             {typ: "Organization", id: "158480DP", finess: "754567860", idnst: "1754567860"},
		"Organization-548812DP.json":                             {typ: "Organization", id: "548812DP", idnst: "410005531586003"},
		"CapabilityStatement-AsServerDPCapabilityStatement.json": {typ: "CapabilityStatement", id: "AsServerDPCapabilityStatement"},
	}
	for _, f := range files {
		base := filepath.Base(f)
		t.Run(base, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			r, err := annuaire.DecodeResource(b)
			if err != nil {
				t.Fatal(err)
			}
			w, ok := wants[base]
			if !ok {
				t.Logf("no expectations for %s (%s)", base, r.ResourceType())
				return
			}
			if r.ResourceType() != w.typ || r.ResourceID() != w.id {
				t.Errorf("got %s/%s, want %s/%s", r.ResourceType(), r.ResourceID(), w.typ, w.id)
			}
			owned, err := annuaire.ResourceMailboxes(r)
			if err != nil {
				t.Fatal(err)
			}
			var got []annuaire.Mailbox
			for _, o := range owned {
				got = append(got, o.Mailbox)
				if o.OwnerRef() != w.typ+"/"+w.id {
					t.Errorf("owner %s", o.OwnerRef())
				}
			}
			if !equalMailboxes(got, w.mailboxes) {
				t.Errorf("mailboxes = %+v, want %+v", got, w.mailboxes)
			}
			switch v := r.(type) {
			case *annuaire.Practitioner:
				if v.RPPS() != w.rpps || v.IdNatPS() != w.idnat {
					t.Errorf("RPPS %q IdNatPS %q", v.RPPS(), v.IdNatPS())
				}
				if !v.IsActive() || v.DisplayName() == "" || v.ProfessionCode() == "" {
					t.Errorf("active %v name %q profession %q", v.IsActive(), v.DisplayName(), v.ProfessionCode())
				}
				if !v.Meta.HasProfile("https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-practitioner") {
					t.Errorf("profile not recognised: %v", v.Meta.Profile)
				}
			case *annuaire.Organization:
				if v.FINESS() != w.finess || v.IdNatStruct() != w.idnst {
					t.Errorf("FINESS %q IdNatStruct %q", v.FINESS(), v.IdNatStruct())
				}
				if v.Name == "" {
					t.Error("no name")
				}
			case *annuaire.PractitionerRole:
				if v.Practitioner.ID() == "" || v.Organization.ID() == "" {
					t.Errorf("references %+v %+v", v.Practitioner, v.Organization)
				}
			case *annuaire.OtherResource:
				if len(v.Raw) == 0 {
					t.Error("raw JSON lost")
				}
			}
		})
	}
}

func equalMailboxes(a, b []annuaire.Mailbox) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if (x.Digitization == nil) != (y.Digitization == nil) || (x.Digitization != nil && *x.Digitization != *y.Digitization) {
			return false
		}
		x.Digitization, y.Digitization = nil, nil
		if x != y {
			return false
		}
	}
	return true
}

// TestDecodeDocFragments decodes the fragments cut from the API docs.
func TestDecodeDocFragments(t *testing.T) {
	t.Run("telecom with digitization", func(t *testing.T) {
		var tel []annuaire.ContactPoint
		if err := json.Unmarshal(readShared(t, "fhir/api-docs", "Organization.telecom-uc-bal-mss-v2.json"), &tel); err != nil {
			t.Fatal(err)
		}
		mb := annuaire.Mailboxes(tel)
		if len(mb) != 1 {
			t.Fatalf("mailboxes = %+v", mb)
		}
		m := mb[0]
		if m.Address != "secretariat.drhouse@aura.mssante.fr" || m.Type != annuaire.MailboxORG ||
			m.Description != "DR HOUSE Secrétariat " || m.Digitization == nil || !*m.Digitization {
			t.Errorf("mailbox = %+v", m)
		}
	})
	t.Run("bundle link next", func(t *testing.T) {
		var b annuaire.Bundle
		if err := json.Unmarshal([]byte(`{"resourceType":"Bundle","type":"searchset","link":`+
			string(readShared(t, "fhir/api-docs", "Bundle.link-next-v2.json"))+`}`), &b); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.Next(), "https://gateway.api.esante.gouv.fr/fhir/v2/_page?id=u0AmXEZS9W7B") || b.LinkURL("self") == "" {
			t.Errorf("next = %q", b.Next())
		}
	})
	t.Run("operation outcome", func(t *testing.T) {
		r, err := annuaire.DecodeResource(readShared(t, "fhir/api-docs", "OperationOutcome-HAPI-0302-unknown-resource.json"))
		if err != nil {
			t.Fatal(err)
		}
		oo, ok := r.(*annuaire.OperationOutcome)
		if !ok || len(oo.Issue) != 1 || oo.Issue[0].Severity != "error" || !strings.Contains(oo.String(), "HAPI-0302") {
			t.Errorf("outcome = %+v", r)
		}
	})
}

func TestContactPointMailbox(t *testing.T) {
	tests := []struct {
		name string
		json string
		want *annuaire.Mailbox
	}{
		{"plain email is not a mailbox", `{"system":"email","value":"direction.generale@chu-nancy.fr"}`, nil},
		{"phone", `{"system":"phone","value":"0450636363"}`, nil},
		{"email-type other than MSSANTE", `{"system":"email","value":"a@b.fr","extension":[{"url":"` + annuaire.ExtEmailType + `","valueCoding":{"code":"APICRYPT"}}]}`, nil},
		{"metadata only (MSS IG examples)", `{"system":"email","value":"a@pro.mssante.fr","extension":[{"url":"` + annuaire.ExtMailboxMetadata + `","extension":[{"url":"type","valueCodeableConcept":{"coding":[{"code":"PER"}]}},{"url":"listeRouge","valueBoolean":true},{"url":"service","valueString":"Cardio"},{"url":"responsible","valueString":"Dr X"}]}]}`,
			&annuaire.Mailbox{Address: "a@pro.mssante.fr", Type: annuaire.MailboxPER, ListeRouge: true, Service: "Cardio", Responsible: "Dr X", HasMetadata: true}},
		{"versioned extension URL", `{"system":"email","value":"b@pro.mssante.fr","rank":2,"extension":[{"url":"` + annuaire.ExtEmailType + `|2.2.0","valueCoding":{"code":"MSSANTE"}}]}`,
			&annuaire.Mailbox{Address: "b@pro.mssante.fr", Rank: 2, MSSanteTyped: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cp annuaire.ContactPoint
			if err := json.Unmarshal([]byte(tt.json), &cp); err != nil {
				t.Fatal(err)
			}
			m, ok := cp.Mailbox()
			if ok != (tt.want != nil) {
				t.Fatalf("ok = %v, mailbox %+v", ok, m)
			}
			if ok && !equalMailboxes([]annuaire.Mailbox{m}, []annuaire.Mailbox{*tt.want}) {
				t.Errorf("got %+v, want %+v", m, *tt.want)
			}
		})
	}
}

func TestDecodeResourceErrors(t *testing.T) {
	for _, in := range []string{``, `not json`, `{}`, `[1,2]`, `{"resourceType":"Practitioner","name":"oops"}`} {
		if _, err := annuaire.DecodeResource([]byte(in)); err == nil {
			t.Errorf("%q: no error", in)
		} else if in != `{"resourceType":"Practitioner","name":"oops"}` && !errors.Is(err, annuaire.ErrNotFHIR) {
			t.Errorf("%q: %v is not ErrNotFHIR", in, err)
		}
	}
}

func FuzzDecodeResource(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","telecom":[{"system":"email","value":"a@b","extension":[{"url":"` + annuaire.ExtMailboxMetadata + `"}]}]}}]}`))
	f.Add([]byte(`{"resourceType":"Practitioner","telecom":[{"value":"x","extension":[{"url":"` + annuaire.ExtEmailType + `","valueCoding":{"code":"MSSANTE"}}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := annuaire.DecodeResource(b)
		if err != nil {
			return
		}
		annuaire.ResourceMailboxes(r)
	})
}

func TestIdentifiersV1AndV2(t *testing.T) {
	r, err := annuaire.DecodeResource([]byte(`{"resourceType":"Practitioner","identifier":[
		{"system":"http://rpps.fr","value":"10003461033"},
		{"type":{"coding":[{"system":"http://interopsante.org/CodeSystem/v2-0203","code":"IDNPS"}]},"system":"urn:oid:1.2.250.1.71.4.2.1","value":"810003461033"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := r.(*annuaire.Practitioner)
	if p.RPPS() != "10003461033" || p.IdNatPS() != "810003461033" || !p.IsActive() {
		t.Errorf("v1 practitioner: RPPS %q IdNatPS %q", p.RPPS(), p.IdNatPS())
	}
	r, _ = annuaire.DecodeResource([]byte(`{"resourceType":"Organization","active":false,"identifier":[
		{"system":"http://finess.sante.gouv.fr","value":"0B0057881"},
		{"system":"https://sirene.fr","value":"187512751"},
		{"system":"https://sirene.fr","value":"18751275100020"}]}`))
	o := r.(*annuaire.Organization)
	if o.FINESS() != "0B0057881" || o.SIREN() != "187512751" || o.SIRET() != "18751275100020" || o.IsActive() {
		t.Errorf("v1 organization: FINESS %q SIREN %q SIRET %q", o.FINESS(), o.SIREN(), o.SIRET())
	}
}
