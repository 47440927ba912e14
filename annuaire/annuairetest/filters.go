package annuairetest

import (
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/annuaire"
)

// parameters served per resource type (the rest get "not found", like
// mailbox-mss-type on the real v2 server).
var parameters = map[string]map[string]bool{
	"Practitioner":      {"_id": true, "_lastUpdated": true, "active": true, "name": true, "family": true, "given": true, "identifier": true, "mailbox-mss": true, "qualification-code": true},
	"PractitionerRole":  {"_id": true, "_lastUpdated": true, "active": true, "identifier": true, "mailbox-mss": true, "organization": true, "practitioner": true, "role": true},
	"Organization":      {"_id": true, "_lastUpdated": true, "active": true, "name": true, "identifier": true, "mailbox-mss": true, "type": true, "partof": true, "address-postalcode": true, "address-city": true},
	"HealthcareService": {"_id": true, "_lastUpdated": true, "active": true, "identifier": true, "organization": true},
	"Device":            {"_id": true, "_lastUpdated": true, "identifier": true, "organization": true},
}

type fields struct {
	id, lastUpdated string
	active          *bool
	names           []string // family, given, full names, organization name
	family, given   []string
	identifiers     []annuaire.Identifier
	telecom         []annuaire.ContactPoint
	codes           []annuaire.Coding // qualification codes, role codes, types
	organization    string
	practitioner    string
	partOf          string
	postalCodes     []string
	cities          []string
}

func fieldsOf(r annuaire.Resource) fields {
	var f fields
	f.id = r.ResourceID()
	switch v := r.(type) {
	case *annuaire.Practitioner:
		f.active, f.identifiers, f.telecom = v.Active, v.Identifier, v.Telecom
		if v.Meta != nil {
			f.lastUpdated = v.Meta.LastUpdated
		}
		for _, n := range v.Name {
			f.family = append(f.family, n.Family)
			f.given = append(f.given, n.Given...)
			f.names = append(f.names, n.Family, n.String())
			f.names = append(f.names, n.Given...)
		}
		for _, q := range v.Qualification {
			f.codes = append(f.codes, q.Code.Coding...)
		}
	case *annuaire.PractitionerRole:
		f.active, f.identifiers, f.telecom = v.Active, v.Identifier, v.Telecom
		if v.Meta != nil {
			f.lastUpdated = v.Meta.LastUpdated
		}
		f.organization, f.practitioner = v.Organization.ID(), v.Practitioner.ID()
		for _, c := range v.Code {
			f.codes = append(f.codes, c.Coding...)
		}
	case *annuaire.Organization:
		f.active, f.identifiers, f.telecom = v.Active, v.Identifier, v.Telecom
		if v.Meta != nil {
			f.lastUpdated = v.Meta.LastUpdated
		}
		f.names = append([]string{v.Name}, v.Alias...)
		for _, t := range v.Type {
			f.codes = append(f.codes, t.Coding...)
		}
		f.partOf = v.PartOf.ID()
		for _, a := range v.Address {
			f.postalCodes = append(f.postalCodes, a.PostalCode)
			f.cities = append(f.cities, a.City)
		}
	}
	return f
}

// startsWith is FHIR string matching: case- and accent-insensitive prefix.
func startsWith(values []string, prefix string) bool {
	p := annuaire.FoldName(prefix)
	for _, v := range values {
		if strings.HasPrefix(annuaire.FoldName(v), p) {
			return true
		}
	}
	return false
}

// tokenMatch matches "code", "system|code", "system|" and "|code".
func tokenMatch(system, code, tok string) bool {
	s, c, hasSys := strings.Cut(tok, "|")
	if !hasSys {
		return code == tok
	}
	if c == "" {
		return system == s
	}
	return system == s && code == c
}

func refMatch(id, want string) bool {
	if i := strings.LastIndexByte(want, '/'); i >= 0 {
		want = want[i+1:]
	}
	return id != "" && id == want
}

// filterFor returns the predicate of one search parameter. Comma-separated
// values are ORed.
func filterFor(typ, name, mod, value string) (func(annuaire.Resource) bool, error) {
	if !parameters[typ][name] {
		return nil, fmt.Errorf("HAPI-0524: Parameter '%s' not found for resource type %s", name, typ)
	}
	alts := strings.Split(value, ",")
	anyOf := func(pred func(f fields, v string) bool) func(annuaire.Resource) bool {
		return func(r annuaire.Resource) bool {
			f := fieldsOf(r)
			for _, v := range alts {
				if pred(f, v) {
					return true
				}
			}
			return false
		}
	}
	switch name {
	case "_id":
		return anyOf(func(f fields, v string) bool { return f.id == v }), nil
	case "active":
		if value != "true" && value != "false" {
			return nil, fmt.Errorf("invalid boolean for active: %q", value)
		}
		return func(r annuaire.Resource) bool {
			f := fieldsOf(r)
			return (f.active == nil || *f.active) == (value == "true")
		}, nil
	case "_lastUpdated":
		op, date := value[:min(2, len(value))], ""
		switch op {
		case "eq", "ne", "gt", "lt", "ge", "le", "sa", "eb":
			date = value[2:]
		default:
			op, date = "eq", value
		}
		return func(r annuaire.Resource) bool {
			lu := fieldsOf(r).lastUpdated
			if len(lu) > len(date) {
				lu = lu[:len(date)]
			}
			switch op {
			case "gt", "sa":
				return lu > date
			case "lt", "eb":
				return lu < date
			case "ge":
				return lu >= date
			case "le":
				return lu <= date
			case "ne":
				return lu != date
			}
			return lu == date
		}, nil
	case "name":
		return anyOf(func(f fields, v string) bool { return startsWith(f.names, v) }), nil
	case "family":
		return anyOf(func(f fields, v string) bool { return startsWith(f.family, v) }), nil
	case "given":
		return anyOf(func(f fields, v string) bool { return startsWith(f.given, v) }), nil
	case "identifier":
		return anyOf(func(f fields, v string) bool {
			for _, id := range f.identifiers {
				if tokenMatch(id.System, id.Value, v) {
					return true
				}
			}
			return false
		}), nil
	case "mailbox-mss":
		return anyOf(func(f fields, v string) bool {
			for _, t := range f.telecom {
				switch mod {
				case "exact":
					if t.Value == v {
						return true
					}
				case "contains":
					if strings.Contains(strings.ToLower(t.Value), strings.ToLower(v)) {
						return true
					}
				default:
					if strings.HasPrefix(strings.ToLower(t.Value), strings.ToLower(v)) {
						return true
					}
				}
			}
			return false
		}), nil
	case "qualification-code", "role", "type":
		return anyOf(func(f fields, v string) bool {
			for _, c := range f.codes {
				if tokenMatch(c.System, c.Code, v) {
					return true
				}
			}
			return false
		}), nil
	case "organization":
		return anyOf(func(f fields, v string) bool { return refMatch(f.organization, v) }), nil
	case "practitioner":
		return anyOf(func(f fields, v string) bool { return refMatch(f.practitioner, v) }), nil
	case "partof":
		return anyOf(func(f fields, v string) bool { return refMatch(f.partOf, v) }), nil
	case "address-postalcode":
		return anyOf(func(f fields, v string) bool { return startsWith(f.postalCodes, v) }), nil
	case "address-city":
		return anyOf(func(f fields, v string) bool { return startsWith(f.cities, v) }), nil
	}
	return nil, fmt.Errorf("HAPI-0524: Parameter '%s' not supported by the test server", name)
}
