package psc

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Identity is the professional a session belongs to, from the claims of
// the ID token and, after Session.UserInfo, of the userinfo response. The
// claim names are PSC's (see the package documentation for the sources);
// a field is empty when PSC did not send the claim. Decoding is lenient:
// a claim of an unexpected JSON type is ignored, never an error.
type Identity struct {
	// Subject is the OpenID Connect sub: PSC's technical identifier of the
	// user, stable for a service but not a national identifier.
	Subject string `json:"sub"`
	// NationalID is the professional's national identifier (IdNat_PS),
	// claim SubjectNameID (preferred_username when absent): "8" and the
	// RPPS number, "0" and the ADELI number, or another form for test and
	// older identities.
	NationalID string `json:"national_id"`
	// GivenName and FamilyName are given_name and family_name.
	GivenName  string `json:"given_name,omitempty"`
	FamilyName string `json:"family_name,omitempty"`
	// Civility is codeCivilite ("M", "MME").
	Civility string `json:"civility,omitempty"`
	// ACR is the authentication level ("eidas1").
	ACR string `json:"acr,omitempty"`
	// AuthMode is how the professional authenticated, claim authMode when
	// PSC sends it ("CARD" for a CPS card).
	AuthMode string `json:"auth_mode,omitempty"`
	// AuthLevel is Palier_Authentification ("APPPRIP3^1.2.250.1.213.1.5.1.1.1").
	AuthLevel string `json:"auth_level,omitempty"`
	// Practices are the professional's "exercices" (SubjectRefPro), each
	// with its practice situations.
	Practices []Practice `json:"practices,omitempty"`
	// Roles are SubjectRole ("10^1.2.250.1.213.1.1.5.5": profession code
	// and its code system).
	Roles []string `json:"roles,omitempty"`
	// OrganizationName and OrganizationID are SubjectOrganization and
	// SubjectOrganizationID: the structure of the current situation.
	OrganizationName string `json:"organization_name,omitempty"`
	OrganizationID   string `json:"organization_id,omitempty"`
	// ActivitySector is Secteur_Activite ("SA07^1.2.250.1.71.4.2.4").
	ActivitySector string `json:"activity_sector,omitempty"`
	// OtherIDs are otherIds: the identifiers the professional is known by
	// (RPPS, ADELI, EDIT for test identities).
	OtherIDs []OtherID `json:"other_ids,omitempty"`
}

// Practice is one "exercice professionnel" of SubjectRefPro.
type Practice struct {
	ProfessionCode    string      `json:"profession_code"`               // codeProfession (TRE_G15: "10" médecin, "21" pharmacien)
	CategoryCode      string      `json:"category_code,omitempty"`       // codeCategorieProfessionnelle ("C" civil)
	CivilityCode      string      `json:"civility_code,omitempty"`       // codeCiviliteDexercice ("DR")
	LastName          string      `json:"last_name,omitempty"`           // nomDexercice
	FirstName         string      `json:"first_name,omitempty"`          // prenomDexercice
	ExpertiseTypeCode string      `json:"expertise_type_code,omitempty"` // codeTypeSavoirFaire
	ExpertiseCode     string      `json:"expertise_code,omitempty"`      // codeSavoirFaire (specialty)
	Situations        []Situation `json:"situations,omitempty"`          // activities
}

// Situation is one "situation d'exercice" (an activity in a structure).
type Situation struct {
	ModeCode              string `json:"mode_code,omitempty"`               // codeModeExercice ("L" libéral, "S" salarié)
	SectorCode            string `json:"sector_code,omitempty"`             // codeSecteurDactivite
	PharmacistSectionCode string `json:"pharmacist_section_code,omitempty"` // codeSectionPharmacien
	RoleCode              string `json:"role_code,omitempty"`               // codeRole
	ActivityKindCode      string `json:"activity_kind_code,omitempty"`      // codeGenreActivite
	StructureID           string `json:"structure_id,omitempty"`            // identifiantTechniqueDeLaStructure
	OldStructureID        string `json:"old_structure_id,omitempty"`        // ancienIdentifiantDeLaStructure
	StructureName         string `json:"structure_name,omitempty"`          // raisonSocialeSite
	CommercialSign        string `json:"commercial_sign,omitempty"`         // enseigneCommercialeSite
	SIRET                 string `json:"siret,omitempty"`                   // numeroSiretSite
	SIREN                 string `json:"siren,omitempty"`                   // numeroSirenSite
	FINESS                string `json:"finess,omitempty"`                  // numeroFinessSite
	FINESSLegalEntity     string `json:"finess_legal_entity,omitempty"`     // numeroFinessetablissementJuridique
	PostalCode            string `json:"postal_code,omitempty"`             // codePostal
	CedexOffice           string `json:"cedex_office,omitempty"`            // bureauCedex
	RegistrationAuthority string `json:"registration_authority,omitempty"`  // autoriteDenregistrement
}

// OtherID is one entry of otherIds.
type OtherID struct {
	ID      string `json:"id"`                // identifiant
	Origin  string `json:"origin,omitempty"`  // origine ("RPPS", "ADELI", "EDIT")
	Quality int    `json:"quality,omitempty"` // qualite
}

// RPPS returns the RPPS number when NationalID is "8" and 11 digits, else
// "".
func (id Identity) RPPS() string {
	if len(id.NationalID) == 12 && id.NationalID[0] == '8' && digits(id.NationalID) {
		return id.NationalID[1:]
	}
	return ""
}

// ADELI returns the ADELI number when NationalID is "0" and 9 characters,
// else "".
func (id Identity) ADELI() string {
	if len(id.NationalID) == 10 && id.NationalID[0] == '0' {
		return id.NationalID[1:]
	}
	return ""
}

// Name returns "Given FAMILY" for display, from the claims or else the
// first practice's names.
func (id Identity) Name() string {
	g, f := id.GivenName, id.FamilyName
	if g == "" && f == "" && len(id.Practices) > 0 {
		g, f = id.Practices[0].FirstName, id.Practices[0].LastName
	}
	return strings.TrimSpace(g + " " + f)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// maxListItems bounds the practices, situations, roles and identifiers
// read from the claims.
const maxListItems = 64

// identityFrom decodes the PSC claims it knows. Claims already set in
// base are kept when claims lacks them, so that userinfo completes the ID
// token.
func identityFrom(base Identity, claims map[string]any) Identity {
	id := base
	set := func(dst *string, names ...string) {
		for _, n := range names {
			if v := str(claims[n]); v != "" {
				*dst = v
				return
			}
		}
	}
	set(&id.Subject, "sub")
	set(&id.NationalID, "SubjectNameID", "preferred_username")
	set(&id.GivenName, "given_name")
	set(&id.FamilyName, "family_name")
	set(&id.Civility, "codeCivilite")
	set(&id.ACR, "acr")
	set(&id.AuthMode, "authMode")
	set(&id.AuthLevel, "Palier_Authentification")
	set(&id.OrganizationName, "SubjectOrganization")
	set(&id.OrganizationID, "SubjectOrganizationID")
	set(&id.ActivitySector, "Secteur_Activite")
	if roles := strs(claims["SubjectRole"]); roles != nil {
		id.Roles = roles
	}
	if ref, ok := claims["SubjectRefPro"].(map[string]any); ok {
		if id.Civility == "" {
			id.Civility = str(ref["codeCivilite"])
		}
		if ex, ok := ref["exercices"].([]any); ok {
			id.Practices = nil
			for _, e := range limit(ex) {
				if m, ok := e.(map[string]any); ok {
					id.Practices = append(id.Practices, practiceFrom(m))
				}
			}
		}
	}
	if others, ok := claims["otherIds"].([]any); ok {
		id.OtherIDs = nil
		for _, o := range limit(others) {
			m, ok := o.(map[string]any)
			if !ok {
				continue
			}
			q, _ := strconv.Atoi(str(m["qualite"]))
			id.OtherIDs = append(id.OtherIDs, OtherID{ID: str(m["identifiant"]), Origin: str(m["origine"]), Quality: q})
		}
	}
	return id
}

func practiceFrom(m map[string]any) Practice {
	p := Practice{
		ProfessionCode:    str(m["codeProfession"]),
		CategoryCode:      str(m["codeCategorieProfessionnelle"]),
		CivilityCode:      str(m["codeCiviliteDexercice"]),
		LastName:          str(m["nomDexercice"]),
		FirstName:         str(m["prenomDexercice"]),
		ExpertiseTypeCode: str(m["codeTypeSavoirFaire"]),
		ExpertiseCode:     str(m["codeSavoirFaire"]),
	}
	acts, _ := m["activities"].([]any)
	for _, a := range limit(acts) {
		s, ok := a.(map[string]any)
		if !ok {
			continue
		}
		p.Situations = append(p.Situations, Situation{
			ModeCode:              str(s["codeModeExercice"]),
			SectorCode:            str(s["codeSecteurDactivite"]),
			PharmacistSectionCode: str(s["codeSectionPharmacien"]),
			RoleCode:              str(s["codeRole"]),
			ActivityKindCode:      str(s["codeGenreActivite"]),
			StructureID:           str(s["identifiantTechniqueDeLaStructure"]),
			OldStructureID:        str(s["ancienIdentifiantDeLaStructure"]),
			StructureName:         str(s["raisonSocialeSite"]),
			CommercialSign:        str(s["enseigneCommercialeSite"]),
			SIRET:                 str(s["numeroSiretSite"]),
			SIREN:                 str(s["numeroSirenSite"]),
			FINESS:                str(s["numeroFinessSite"]),
			FINESSLegalEntity:     str(s["numeroFinessetablissementJuridique"]),
			PostalCode:            str(s["codePostal"]),
			CedexOffice:           str(s["bureauCedex"]),
			RegistrationAuthority: str(s["autoriteDenregistrement"]),
		})
	}
	return p
}

func limit(v []any) []any {
	if len(v) > maxListItems {
		return v[:maxListItems]
	}
	return v
}

// maxClaimBytes bounds a string claim kept in an Identity.
const maxClaimBytes = 1024

// str returns a string or number claim as a string, "" otherwise.
func str(v any) string {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case json.Number:
		s = t.String()
	case float64:
		s = strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(t)
	}
	if len(s) > maxClaimBytes {
		s = ""
	}
	return s
}

// strs returns a list of strings claim (or a single string) as a slice.
func strs(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range limit(t) {
			if s := str(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
