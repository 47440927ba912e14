package mssante

import "testing"

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
