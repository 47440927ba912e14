package mail

import (
	"errors"
	"strings"
	"testing"
)

func TestDisplayName(t *testing.T) {
	tests := []struct {
		d    DisplayName
		want string
	}{
		{DisplayName{Title: "Dr", Given: "Marie", Family: "Martin", Entity: "Cabinet Medical"}, "Dr_Marie_MARTIN_Cabinet Medical"},
		{DisplayName{Given: "Hélène", Family: "Lefèvre"}, "Hélène_LEFÈVRE"},
		{DisplayName{Title: "Pr", Given: "Jean", Family: "Dupont"}, "Pr_Jean_DUPONT"},
		{DisplayName{Given: "Jean", Family: "Dupont", Entity: "CH Nord"}, "Jean_DUPONT_CH Nord"},
		{DisplayName{Entity: "Hopital C – Biologie"}, "Hopital C – Biologie"},
		{DisplayName{Given: "Eve\r\nBcc: x", Family: "A"}, "Eve  Bcc: x_A"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.d, got, tt.want)
		}
	}
	for _, tt := range tests[:4] {
		got, ok := ParseDisplayName(tt.want)
		want := tt.d
		want.Family = DisplayName{Given: "x", Family: want.Family}.String()[2:]
		if !ok || got != want {
			t.Errorf("ParseDisplayName(%q) = %+v, %v; want %+v", tt.want, got, ok, want)
		}
	}
	if _, ok := ParseDisplayName("Hopital C"); ok {
		t.Error("an organisation name is not a personal display name")
	}
}

// Ref#2 ECO.2.2.7 (issue 14 §4): a display name that would not read back
// as written is refused with an error naming the rule.
func TestDisplayNameRule(t *testing.T) {
	for _, tt := range []struct {
		d      DisplayName
		reason string // "" when valid
	}{
		{DisplayName{Title: "Dr", Given: "Marie", Family: "Martin", Entity: "Cabinet"}, ""},
		{DisplayName{Entity: "CH Nord - Biologie"}, ""},
		{DisplayName{Title: "Dr", Family: "MARTIN"}, "missing first name"},
		{DisplayName{Given: "Marie"}, "missing NOM"},
		{DisplayName{Given: "Jean_Pierre", Family: "MARTIN"}, "'_' inside the first name"},
		{DisplayName{Given: "Marie", Family: "MARTIN", Entity: "CH_Nord"}, "'_' inside the entity"},
		{DisplayName{Entity: "CH_Nord"}, "'_' inside the entity"},
		{DisplayName{Title: "Dr"}, "title without"},
		{DisplayName{}, "empty"},
	} {
		err := tt.d.Validate()
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%+v: %v", tt.d, err)
			}
			if err := CheckDisplayName(tt.d.String()); err != nil {
				t.Errorf("%+v formats as %q, which CheckDisplayName refuses: %v", tt.d, tt.d.String(), err)
			}
			continue
		}
		var de *DisplayNameError
		if !errors.Is(err, ErrDisplayName) || !errors.As(err, &de) || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), "ECO.2.2.7") {
			t.Errorf("%+v: %v, want %q", tt.d, err, tt.reason)
		}
	}
	// String repairs a '_' inside a part: the name reads back as given.
	d := DisplayName{Given: "Jean_Pierre", Family: "Martin", Entity: "CH_Nord"}
	if got, ok := ParseDisplayName(d.String()); !ok || got.Given != "Jean Pierre" || got.Family != "MARTIN" || got.Entity != "CH Nord" {
		t.Errorf("String() = %q reads back as %+v", d.String(), got)
	}

	for _, tt := range []struct {
		name   string
		reason string
	}{
		{"", ""},
		{"CH Nord – Biologie", ""},
		{"Dr_Marie_MARTIN_Cabinet Médical", ""},
		{"Hélène_LEFÈVRE", ""},
		{"Marie_MARTIN_CH Nord", ""},
		{"Dr_MARTIN", "missing first name"},
		{"Jean_Pierre_MARTIN", "upper case"},
		{"Dr_Marie_Martin", "upper case"},
		{"Marie__MARTIN", "empty part"},
		{"_MARTIN", "empty part"},
	} {
		err := CheckDisplayName(tt.name)
		if (err == nil) != (tt.reason == "") || (err != nil && (!errors.Is(err, ErrDisplayName) || !strings.Contains(err.Error(), tt.reason))) {
			t.Errorf("CheckDisplayName(%q) = %v, want %q", tt.name, err, tt.reason)
		}
	}

	// Message applies it to From (and mssante.Config to its Address).
	m := &Message{From: Address{Name: "Dr_MARTIN", Addr: "m@medecin.mssante.fr"}, To: []Address{{Addr: "b@medecin.mssante.fr"}}}
	if err := m.Validate(); !errors.Is(err, ErrDisplayName) {
		t.Errorf("Validate with From %q: %v", m.From.Name, err)
	}
}
