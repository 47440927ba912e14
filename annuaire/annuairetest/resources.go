package annuairetest

import (
	"fmt"
	"math/rand/v2"

	"github.com/mssante-go/sdk/annuaire"
)

const (
	profileDP    = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-"
	codeSysIdent = annuaire.CodeSystemIdentifierV2
)

func ptr[T any](v T) *T { return &v }

func identifier(typeCode, system, value string) annuaire.Identifier {
	return annuaire.Identifier{
		Use:    "official",
		Type:   &annuaire.CodeableConcept{Coding: []annuaire.Coding{{System: codeSysIdent, Code: typeCode}}},
		System: system,
		Value:  value,
	}
}

// mssTelecom builds a mailbox telecom. typ "" gives the bare form of the
// public Practitioner examples (email-type extension only).
func mssTelecom(addr string, typ annuaire.MailboxType, description, service string) annuaire.ContactPoint {
	cp := annuaire.ContactPoint{
		System: "email",
		Value:  addr,
		Extension: []annuaire.Extension{{
			URL:         annuaire.ExtEmailType,
			ValueCoding: &annuaire.Coding{System: annuaire.CodeSystemMessaging, Code: "MSSANTE"},
		}},
	}
	if typ != "" {
		meta := annuaire.Extension{URL: annuaire.ExtMailboxMetadata, Extension: []annuaire.Extension{{
			URL: "type",
			ValueCodeableConcept: &annuaire.CodeableConcept{Coding: []annuaire.Coding{{
				System: annuaire.CodeSystemMailboxType, Code: string(typ)}}},
		}}}
		if description != "" {
			meta.Extension = append(meta.Extension, annuaire.Extension{URL: "description", ValueString: ptr(description)})
		}
		if service != "" {
			meta.Extension = append(meta.Extension, annuaire.Extension{URL: "service", ValueString: ptr(service)})
		}
		cp.Extension = append(cp.Extension, meta)
	}
	return cp
}

func meta(profile string, rng *rand.Rand) *annuaire.Meta {
	return &annuaire.Meta{
		VersionID:   "1",
		LastUpdated: fmt.Sprintf("2026-%02d-%02dT03:%02d:00.000+00:00", 1+rng.IntN(11), 1+rng.IntN(28), rng.IntN(60)),
		Source:      "https://annuaire.esante.gouv.fr",
		Profile:     []string{profileDP + profile},
	}
}

// Dataset is a generated set of Annuaire Santé resources: practitioners,
// their roles (situations d'exercice) and the organizations they work in.
type Dataset struct {
	Practitioners     []*annuaire.Practitioner
	PractitionerRoles []*annuaire.PractitionerRole
	Organizations     []*annuaire.Organization
}

// Generate builds a deterministic dataset: nPract practitioners (each with
// a personal mailbox on the Practitioner, and one role in an organization
// carrying a second PER mailbox) and nOrg organizations (each with an ORG
// mailbox, a plain e-mail contact that is not a mailbox, and a phone).
// Every tenth practitioner is inactive, as deleted ones show in delta syncs.
func Generate(nPract, nOrg int, seed uint64) *Dataset {
	if nOrg < 1 {
		nOrg = 1
	}
	rng := rand.New(rand.NewPCG(seed, 0x616e6e7561697265))
	d := &Dataset{}
	for i := 0; i < nOrg; i++ {
		st := genStructure(rng, i)
		c := cities[st.city]
		o := &annuaire.Organization{
			ID:     fmt.Sprintf("org-%d", i+1),
			Meta:   meta("organization", rng),
			Active: ptr(true),
			Identifier: []annuaire.Identifier{
				identifier(annuaire.TypeIDNST, annuaire.SystemIdNatStruct, "1"+st.finess),
				identifier(annuaire.TypeFINEG, annuaire.SystemFINESS, st.finess),
			},
			Type: []annuaire.CodeableConcept{{Coding: []annuaire.Coding{{
				System: "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-3307", Code: "GEOGRAPHICAL-ENTITY"}}}},
			Name: st.name,
			Telecom: []annuaire.ContactPoint{
				mssTelecom("secretariat@"+st.domain, annuaire.MailboxORG, "Secrétariat "+st.name, "Secrétariat"),
				{System: "email", Value: "contact@" + st.domain[:len(st.domain)-len(".mssante.fr")] + ".fr"},
				{System: "phone", Value: fmt.Sprintf("0%d%08d", 1+rng.IntN(5), rng.IntN(1e8))},
			},
			Address: []annuaire.Address{{Line: []string{"12 RUE DES LILAS"}, City: c.city, PostalCode: c.postcode, Country: "FR"}},
		}
		d.Organizations = append(d.Organizations, o)
	}
	for i := 0; i < nPract; i++ {
		p := genPerson(rng, i)
		pr := professions[p.prof]
		local := asciiLocal(p.given) + "." + asciiLocal(p.family)
		if i > 0 {
			local += fmt.Sprint(i)
		}
		prac := &annuaire.Practitioner{
			ID:     fmt.Sprintf("003-%d-%d", 1000000+i, 2000000+i),
			Meta:   meta("practitioner", rng),
			Active: ptr(i%10 != 9),
			Identifier: []annuaire.Identifier{
				identifier(annuaire.TypeIDNPS, annuaire.SystemIdNatPS, "8"+p.rpps),
				identifier(annuaire.TypeRPPS, annuaire.SystemRPPS, p.rpps),
			},
		}
		if *prac.Active {
			prac.Name = []annuaire.HumanName{{Use: "usual", Family: p.family, Given: []string{p.given}, Prefix: []string{p.civility}}}
			prac.Telecom = []annuaire.ContactPoint{mssTelecom(local+"@"+pr.domain, "", "", "")}
			prac.Qualification = []annuaire.Qualification{{Code: annuaire.CodeableConcept{Coding: []annuaire.Coding{
				{System: annuaire.CodeSystemProfession, Code: pr.code, Display: pr.label},
				{System: annuaire.CodeSystemCategory, Code: pr.category},
			}}}}
		}
		d.Practitioners = append(d.Practitioners, prac)
		if !*prac.Active {
			continue
		}
		org := d.Organizations[rng.IntN(len(d.Organizations))]
		orgDomain := org.Telecom[0].Value[len("secretariat@"):]
		role := &annuaire.PractitionerRole{
			ID:           fmt.Sprintf("005-%d-%d", 3000000+i, 4000000+i),
			Meta:         meta("practitionerrole", rng),
			Active:       ptr(true),
			Identifier:   []annuaire.Identifier{{System: annuaire.SystemRPPS, Value: fmt.Sprint(1010000000 + i)}},
			Practitioner: &annuaire.Reference{Reference: "Practitioner/" + prac.ID},
			Organization: &annuaire.Reference{Reference: "Organization/" + org.ID},
			Code: []annuaire.CodeableConcept{{Coding: []annuaire.Coding{{
				System: "https://mos.esante.gouv.fr/NOS/TRE_R23-ModeExercice/FHIR/TRE-R23-ModeExercice", Code: "S"}}}},
			Telecom: []annuaire.ContactPoint{mssTelecom(local+"@"+orgDomain, annuaire.MailboxPER, "", "")},
		}
		d.PractitionerRoles = append(d.PractitionerRoles, role)
	}
	return d
}
