package mssante

import "strings"

// DisplayName is the sender name Ref#2 §3.5 (ECO.2.2.7) asks for in From.
//
// A personal mailbox (BAL PER) shows Titre_Prénom_NOM_Entité, joined by
// '_' (ASCII 95), with NOM in upper case; only Given and Family are
// mandatory. An organisational or applicative mailbox (BAL ORG/APP) shows
// only Entity: leave Given and Family empty.
type DisplayName struct {
	Title  string // e.g. "Dr", "Pr"; optional
	Given  string // first name (prénom); mandatory for a personal mailbox
	Family string // family name (NOM); written in upper case; mandatory for a personal mailbox
	Entity string // functional entity (entité fonctionnelle), e.g. "Cabinet Médical", "CH X - Biologie"
}

// String formats the display name: "Dr_Marie_MARTIN_Cabinet Médical" for a
// person, "CH X - Biologie" for an organisation. Empty optional parts are left
// out with their separator. Line breaks are replaced by spaces.
func (d DisplayName) String() string {
	clean := func(s string) string {
		return strings.TrimSpace(oneLine.Replace(s))
	}
	if d.Given == "" && d.Family == "" {
		return clean(d.Entity)
	}
	parts := make([]string, 0, 4)
	for _, p := range []string{clean(d.Title), clean(d.Given), strings.ToUpper(clean(d.Family)), clean(d.Entity)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}

// ParseDisplayName reads a personal display name in the Ref#2 form. It
// returns false when name has fewer than two '_'-separated parts, which is the
// case of organisational names and of senders outside the convention. With
// two parts they are Given and Family; with three, a first part of at most
// four characters ending a known title ("Dr", "Pr", "Mme", "M.") is the Title,
// otherwise the third part is the Entity; with four or more, the first is the
// Title and everything after NOM is the Entity.
func ParseDisplayName(name string) (DisplayName, bool) {
	parts := strings.Split(name, "_")
	switch {
	case len(parts) < 2:
		return DisplayName{}, false
	case len(parts) == 2:
		return DisplayName{Given: parts[0], Family: parts[1]}, true
	case len(parts) == 3:
		if isTitle(parts[0]) {
			return DisplayName{Title: parts[0], Given: parts[1], Family: parts[2]}, true
		}
		return DisplayName{Given: parts[0], Family: parts[1], Entity: parts[2]}, true
	default:
		return DisplayName{Title: parts[0], Given: parts[1], Family: parts[2], Entity: strings.Join(parts[3:], "_")}, true
	}
}

// isTitle recognises the usual French civil and professional titles.
func isTitle(s string) bool {
	switch strings.TrimSuffix(strings.ToLower(s), ".") {
	case "dr", "pr", "m", "mme", "mlle", "me":
		return true
	}
	return false
}
