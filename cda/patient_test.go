package cda

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestINSQualified(t *testing.T) {
	full := Patient{
		INS:         &INS{Matricule: "279035121518989", Kind: INSNIR},
		BirthFamily: "PAT-TROIS", BirthGivens: "DOMINIQUE MARIE-LOUISE", FirstGiven: "DOMINIQUE",
		Gender: "F", BirthDate: "19790328", BirthplaceCode: "51215",
	}
	tests := []struct {
		name    string
		mod     func(*Patient)
		want    bool
		missing []string
	}{
		{"complete", func(*Patient) {}, true, nil},
		{"no INS", func(p *Patient) { p.INS = nil }, false, nil},
		{"bad key", func(p *Patient) { p.INS.Matricule = "279035121518988" }, false, nil},
		{"unknown kind", func(p *Patient) { p.INS.Kind = 0 }, false, nil},
		{"no birthplace", func(p *Patient) { p.BirthplaceCode = "" }, false, []string{"birthplace"}},
		{"no first given", func(p *Patient) { p.FirstGiven = "" }, false, []string{"given[@qualifier=BR]"}},
		{"gender U", func(p *Patient) { p.Gender = "U" }, false, []string{"administrativeGenderCode"}},
		{"no birth name", func(p *Patient) { p.BirthFamily = ""; p.UsedFamily = "X" }, false, []string{"family[@qualifier=BR]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := full
			ins := *full.INS
			p.INS = &ins
			tt.mod(&p)
			if got := p.INSQualified(); got != tt.want {
				t.Errorf("INSQualified = %v, want %v", got, tt.want)
			}
			if got := p.MissingINSTraits(); !reflect.DeepEqual(got, tt.missing) {
				t.Errorf("MissingINSTraits = %v, want %v", got, tt.missing)
			}
		})
	}
	var ie *INSError
	if err := (INS{Matricule: "279035121518989"}).Check(); !errors.Is(err, ErrINSKind) || !errors.As(err, &ie) {
		t.Errorf("Check without kind = %v", err)
	}
}

func TestTS(t *testing.T) {
	tests := []struct {
		ts  TS
		utc string
		ok  bool
	}{
		{"20210401134745+0100", "20210401124745", true},
		{"202101040735+0100", "202101040635", true},
		{"20210104134700-0500", "20210104184700", true},
		{"20200701134745", "20200701134745", true},
		{"19790328", "19790328", true},
		{"2021", "2021", true},
		{"20210401134745.123+0100", "20210401124745", true},
		{"2021040113474", "", false},
		{"2021-04-01", "", false},
		{"20210401134745+01", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		_, err := tt.ts.Time(nil)
		if (err == nil) != tt.ok {
			t.Errorf("%q.Time err = %v", tt.ts, err)
		}
		if got := tt.ts.UTC(); got != tt.utc {
			t.Errorf("%q.UTC() = %q, want %q", tt.ts, got, tt.utc)
		}
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("", -2*3600))
	if got := TSFromTime(at); got != "20250102030405-0200" {
		t.Errorf("TSFromTime = %q", got)
	}
	if back, err := TSFromTime(at).Time(nil); err != nil || !back.Equal(at) {
		t.Errorf("round trip = %v, %v", back, err)
	}
}
