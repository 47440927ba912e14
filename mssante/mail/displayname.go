package mail

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// DisplayName is the sender name Ref#2 §3.5 (ECO.2.2.7) asks for in From.
//
// A personal mailbox (BAL PER) shows Titre_Prénom_NOM_Entité, joined by
// '_' (ASCII 95), with NOM in upper case; only Given and Family are
// mandatory. An organisational or applicative mailbox (BAL ORG/APP) shows
// only Entity: leave Title, Given and Family empty.
//
// '_' is the separator, so no part may hold one: "Jean_Pierre" as Given
// would read back as two parts. [DisplayName.Validate] refuses such a
// name; String repairs it.
type DisplayName struct {
	Title  string // e.g. "Dr", "Pr"; optional
	Given  string // first name (prénom); mandatory for a personal mailbox
	Family string // family name (NOM); written in upper case; mandatory for a personal mailbox
	Entity string // functional entity (entité fonctionnelle), e.g. "Cabinet Médical", "CH X - Biologie"
}

// ErrDisplayName is wrapped by every [*DisplayNameError].
var ErrDisplayName = errors.New("mail: display name breaks Ref#2 ECO.2.2.7 (Titre_Prénom_NOM_Entité)")

// DisplayNameError reports a From display name that does not follow the
// rule of Ref#2 §3.5 (ECO.2.2.7): for a person Titre_Prénom_NOM_Entité,
// '_'-separated, first name and NOM mandatory, NOM in upper case, no '_'
// inside a part; for an organisation its entity name, without '_'.
type DisplayNameError struct {
	Name   string // the display name
	Reason string // what breaks the rule
}

func (e *DisplayNameError) Error() string {
	return fmt.Sprintf("mail: display name %s breaks Ref#2 ECO.2.2.7 (Titre_Prénom_NOM_Entité): %s", textcut.Quote(e.Name), e.Reason)
}

// Unwrap returns ErrDisplayName.
func (e *DisplayNameError) Unwrap() error { return ErrDisplayName }

// String formats the display name: "Dr_Marie_MARTIN_Cabinet Médical" for a
// person, "CH X - Biologie" for an organisation. Empty optional parts are left
// out with their separator. Line breaks are replaced by spaces, and so is a
// '_' inside a part, which would otherwise read back as a separator (call
// Validate to refuse such a name instead).
func (d DisplayName) String() string {
	if d.Given == "" && d.Family == "" {
		return cleanPart(d.Entity)
	}
	parts := make([]string, 0, 4)
	for _, p := range []string{cleanPart(d.Title), cleanPart(d.Given), strings.ToUpper(cleanPart(d.Family)), cleanPart(d.Entity)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}

// cleanPart puts a part on one line, without '_', trimmed.
func cleanPart(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(oneLine.Replace(s), "_", " "))
}

// Validate reports, with a [*DisplayNameError], a display name that breaks
// ECO.2.2.7: a person without first name or NOM, a title or entity
// without them, or a '_' inside a part.
func (d DisplayName) Validate() error {
	name := d.Title + "_" + d.Given + "_" + d.Family + "_" + d.Entity
	for _, p := range []struct{ what, v string }{{"title", d.Title}, {"first name", d.Given}, {"NOM", d.Family}, {"entity", d.Entity}} {
		if strings.Contains(p.v, "_") {
			return &DisplayNameError{Name: name, Reason: "'_' inside the " + p.what + " " + textcut.Quote(p.v) + " would read back as a separator"}
		}
	}
	given, family := strings.TrimSpace(d.Given), strings.TrimSpace(d.Family)
	switch {
	case given == "" && family == "":
		if strings.TrimSpace(d.Title) != "" {
			return &DisplayNameError{Name: name, Reason: "a title without first name and NOM"}
		}
		if strings.TrimSpace(d.Entity) == "" {
			return &DisplayNameError{Name: name, Reason: "empty: a person needs first name and NOM, an organisation its entity"}
		}
	case given == "":
		return &DisplayNameError{Name: name, Reason: "missing first name (prénom)"}
	case family == "":
		return &DisplayNameError{Name: name, Reason: "missing NOM"}
	}
	return nil
}

// CheckDisplayName checks a From display name as written in the header.
// A name without '_' is taken for an organisation's entity name and
// accepted (so is an empty name). A name with '_' claims the personal form
// Titre_Prénom_NOM_Entité and must read back as one: no empty part, a first
// name that is not only a title ("Dr_MARTIN" lacks the first name), and
// the NOM, as [ParseDisplayName] finds it, in upper case, which also
// catches most '_' inside a part ("Jean_Pierre_MARTIN" reads NOM
// "Pierre"). It returns a [*DisplayNameError].
func CheckDisplayName(name string) error {
	if !strings.Contains(name, "_") {
		return nil
	}
	for _, p := range strings.Split(name, "_") {
		if strings.TrimSpace(p) == "" {
			return &DisplayNameError{Name: name, Reason: "an empty part between '_' separators"}
		}
	}
	d, _ := ParseDisplayName(name)
	if d.Title == "" && isTitle(d.Given) && d.Entity == "" {
		return &DisplayNameError{Name: name, Reason: "missing first name (prénom): " + textcut.Quote(d.Given) + " is a title"}
	}
	if strings.ToUpper(d.Family) != d.Family {
		return &DisplayNameError{Name: name, Reason: textcut.Quote(d.Family) + " reads as the NOM, which is written in upper case (is there a '_' inside a part?)"}
	}
	return nil
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
