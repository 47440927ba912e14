package mail

import (
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/cda"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    Address
		wantErr error
		patient bool
	}{
		{in: "dr.martin@medecin.mssante.fr", want: Address{Addr: "dr.martin@medecin.mssante.fr"}},
		{in: "Dr.Martin@Medecin.MSSante.FR", want: Address{Addr: "Dr.Martin@medecin.mssante.fr"}},
		{in: "Dr_Marie_MARTIN_Cabinet <marie.martin@medecin.mssante.fr>", want: Address{Name: "Dr_Marie_MARTIN_Cabinet", Addr: "marie.martin@medecin.mssante.fr"}},
		{in: `"Hôpital C – Biologie" <bio@hopital-c.mssante.fr>`, want: Address{Name: "Hôpital C – Biologie", Addr: "bio@hopital-c.mssante.fr"}},
		{in: "=?iso-8859-1?q?H=F4pital?= <bio@hopital-c.mssante.fr>", want: Address{Name: "Hôpital", Addr: "bio@hopital-c.mssante.fr"}},
		{in: `"quoted local"@medecin.mssante.fr`, want: Address{Addr: `"quoted local"@medecin.mssante.fr`}},
		{in: `"needless.quotes"@medecin.mssante.fr`, want: Address{Addr: `needless.quotes@medecin.mssante.fr`}},
		{in: `"a\"b"@medecin.mssante.fr`, want: Address{Addr: `"a\"b"@medecin.mssante.fr`}},
		{in: "279035121518989@patient.mssante.fr", want: Address{Addr: "279035121518989@patient.mssante.fr"}, patient: true},
		{in: "Leo Dupond <279035121518989@PATIENT.mssante.fr>", want: Address{Name: "Leo Dupond", Addr: "279035121518989@patient.mssante.fr"}, patient: true},
		{in: "reponse.automatique-test@patient.mssante.fr", want: Address{Addr: "reponse.automatique-test@patient.mssante.fr"}},
		{in: "279035121518988@patient.mssante.fr", wantErr: cda.ErrINSKey},
		{in: "27903512151898@patient.mssante.fr", wantErr: cda.ErrINSFormat},
		{in: "", wantErr: ErrInvalidAddress},
		{in: "no-at-sign", wantErr: ErrInvalidAddress},
		{in: "user@localhost", wantErr: ErrInvalidAddress},
		{in: "user@-bad.mssante.fr", wantErr: ErrInvalidAddress},
		{in: "user@mssanté.fr", wantErr: ErrInvalidAddress},
		{in: "user@xn--mssant-bva.fr", want: Address{Addr: "user@xn--mssant-bva.fr"}},
		{in: "a@b.fr, c@d.fr", wantErr: ErrInvalidAddress},
		{in: "Évil\r\nBcc: x@y.fr <a@b.fr>", wantErr: ErrInvalidAddress},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAddress(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrInvalidAddress) {
					t.Fatalf("ParseAddress(%q) = %v, %v; want error %v", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseAddress(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
			}
			if got.IsPatient() != tt.patient {
				t.Errorf("IsPatient() = %v, want %v", got.IsPatient(), tt.patient)
			}
		})
	}
}

func TestPatientAddress(t *testing.T) {
	a, err := PatientAddress("279035121518989")
	if err != nil || a.Addr != "279035121518989@patient.mssante.fr" || !a.IsPatient() {
		t.Fatalf("PatientAddress = %v, %v", a, err)
	}
	if ins, ok := a.PatientINS(); !ok || ins != "279035121518989" {
		t.Errorf("PatientINS = %q, %v", ins, ok)
	}
	// Corsica: 2A counts as 19 for the key.
	body := "185122A001234"
	key, _ := cda.MatriculeKey(body)
	corsican := body + string(rune('0'+key/10)) + string(rune('0'+key%10))
	if a, err := PatientAddress(corsican); err != nil || !a.IsPatient() {
		t.Errorf("PatientAddress(%s) = %v, %v", corsican, a, err)
	}
	for _, bad := range []string{"279035121518988", "2790351215189", "", "1851222A00123400"} {
		if _, err := PatientAddress(bad); !errors.Is(err, ErrInvalidAddress) {
			t.Errorf("PatientAddress(%q) err = %v, want ErrInvalidAddress", bad, err)
		}
	}
	if _, err := PatientAddress("279035121518988"); !errors.Is(err, cda.ErrINSKey) {
		t.Errorf("wrong key not reported as cda.ErrINSKey: %v", err)
	}
	if (Address{Addr: "279035121518989@medecin.mssante.fr"}).IsPatient() {
		t.Error("an INS-looking address outside the patient domain is not a patient")
	}
}

func TestAddressEqual(t *testing.T) {
	a := MustParseAddress("Dr <Marie@Medecin.mssante.fr>")
	if !a.Equal(Address{Addr: "Marie@MEDECIN.MSSANTE.FR"}) {
		t.Error("domain case must not matter")
	}
	if a.Equal(Address{Addr: "marie@medecin.mssante.fr"}) {
		t.Error("local part case matters (RFC 5321 §2.4)")
	}
}

func TestParseAddressList(t *testing.T) {
	list, err := ParseAddressList("a@b.fr, Dr X <c@d.fr>")
	if err != nil || len(list) != 2 || list[1].Name != "Dr X" {
		t.Fatalf("ParseAddressList = %v, %v", list, err)
	}
	if list, err := ParseAddressList("  "); err != nil || list != nil {
		t.Fatalf("blank list = %v, %v", list, err)
	}
	if _, err := ParseAddressList("a@b.fr, 279035121518988@patient.mssante.fr"); !errors.Is(err, cda.ErrINSKey) {
		t.Fatalf("bad INS in a list: %v", err)
	}
}

// Addresses built by hand go through the RFC 5321 Mailbox grammar before
// anything else looks at them (issue 19 item 8).
func TestValidateHandBuiltAddress(t *testing.T) {
	tests := []struct {
		addr string
		ok   bool
	}{
		{"dr.martin@medecin.mssante.fr", true},
		{`"a b"@medecin.mssante.fr`, true},
		{`"a\"b"@medecin.mssante.fr`, true},
		{`"x@medecin.mssante.fr"@evil.com`, true}, // one mailbox at evil.com: the trust check refuses it
		{"279035121518989@patient.mssante.fr", true},
		{"Dr.Martin@Medecin.MSSANTE.fr", true},
		{"victim@evil.com@ch-test.mssante.fr", false},
		{"@evil.com:victim@ch-test.mssante.fr", false},
		{"a>,<evil@evil.com@medecin.mssante.fr", false},
		{"a b@medecin.mssante.fr", false},
		{".a@medecin.mssante.fr", false},
		{"a..b@medecin.mssante.fr", false},
		{`"unterminated@medecin.mssante.fr`, false},
		{`""@medecin.mssante.fr`, false},
		{`"a"b@medecin.mssante.fr`, false},
		{"\"a\x01\"@medecin.mssante.fr", false},
		{"no-at-sign", false},
		{"a@", false},
		{"", false},
		{strings.Repeat("a", 65) + "@medecin.mssante.fr", false},
		{"279035121518988@patient.mssante.fr", false},
	}
	for _, tt := range tests {
		err := (Address{Addr: tt.addr}).Validate()
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalidAddress)) {
			t.Errorf("(%q).Validate() = %v, want ok=%v", tt.addr, err, tt.ok)
		}
	}
	// Every address ParseAddress returns passes, so parsed and hand-built
	// addresses obey one grammar.
	for _, in := range []string{"dr.martin@medecin.mssante.fr", `"quoted local"@medecin.mssante.fr`, `"a\"b"@medecin.mssante.fr`, `"a\\b"@x.fr`, "Leo <279035121518989@patient.mssante.fr>"} {
		a, err := ParseAddress(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Validate(); err != nil {
			t.Errorf("ParseAddress(%q) = %q, which validateAddress refuses: %v", in, a.Addr, err)
		}
	}
	// An error quotes at most about 100 bytes of what it was given.
	err := (Address{Addr: strings.Repeat("x", 5000) + "@@x.fr"}).Validate()
	if err == nil || len(err.Error()) > 300 {
		t.Errorf("error of %d bytes: %.200v", len(err.Error()), err)
	}
}
