package trust

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	l, err := ParseList(bytes.NewReader(genList([]listEntry{
		{name: "medecin.mssante.fr"}, {name: "patient.mssante.fr"}, {name: "UC-CMP.mssante.fr"},
		{name: "mssante.apicrypt.org"},
	}, false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		addr   string
		reason Reason // 0: in the trust space
		hint   string
	}{
		{"jean.dupont@medecin.mssante.fr", 0, ""},
		{"Jean.Dupont@MEDECIN.MSSante.FR", 0, ""},
		{"279035121518989@patient.mssante.fr", 0, ""},
		{"secretariat@uc-cmp.mssante.fr", 0, ""},
		{"x@mssante.apicrypt.org", 0, ""},
		{`"a@b"@medecin.mssante.fr`, 0, ""},
		{"x@evil-mssante.fr", ReasonNotListed, ""},
		{"x@mssante.fr.evil.com", ReasonNotListed, ""},
		{"x@medecin.mssante.fr.evil.com", ReasonNotListed, ""},
		{"x@evilmedecin.mssante.fr", ReasonNotListed, ""},
		{"x@sub.medecin.mssante.fr", ReasonNotListed, "parent medecin.mssante.fr is listed"},
		{"x@mssante.fr", ReasonNotListed, ""},
		{"x@gmail.com", ReasonNotListed, ""},
		{"x@médecin.mssante.fr", ReasonNotListed, "non-ASCII"},
		{"x@medecin.mssante.fr.", ReasonNotListed, ""},
		{"medecin.mssante.fr", ReasonMalformed, ""},
		{"@medecin.mssante.fr", ReasonMalformed, ""},
		{"x@", ReasonMalformed, ""},
		{"", ReasonMalformed, ""},
		{"Jean <x@medecin.mssante.fr>", ReasonMalformed, ""},
		{" x@medecin.mssante.fr", ReasonMalformed, ""},
		{"x@medecin.mssante.fr\r\nRCPT TO:<y@evil.com>", ReasonMalformed, ""},
		{"x@[192.0.2.1]", ReasonMalformed, ""},
	}
	for _, tt := range tests {
		err := l.CheckAddress(tt.addr)
		if tt.reason == 0 {
			if err != nil {
				t.Errorf("CheckAddress(%q) = %v, want nil", tt.addr, err)
			}
			continue
		}
		var ae *AddressError
		if !errors.As(err, &ae) || !errors.Is(err, ErrNotInTrustSpace) {
			t.Errorf("CheckAddress(%q) = %v, want an *AddressError", tt.addr, err)
			continue
		}
		if ae.Reason != tt.reason || ae.Address != tt.addr || !strings.Contains(ae.Detail, tt.hint) {
			t.Errorf("CheckAddress(%q): reason %v detail %q, want %v and %q", tt.addr, ae.Reason, ae.Detail, tt.reason, tt.hint)
		}
		if !strings.Contains(err.Error(), strconv.Quote(tt.addr)) {
			t.Errorf("error %q does not name the address", err)
		}
	}
}

func TestCheckAll(t *testing.T) {
	l, err := ParseList(bytes.NewReader(genList([]listEntry{{name: "medecin.mssante.fr"}}, false)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAll(l, []string{"a@medecin.mssante.fr", "B@Medecin.mssante.fr"}); err != nil {
		t.Fatal(err)
	}
	err = CheckAll(l, []string{"a@medecin.mssante.fr", "x@gmail.com", "bad", "y@evil-mssante.fr"})
	var re *RecipientsError
	if !errors.As(err, &re) || !errors.Is(err, ErrNotInTrustSpace) || re.Total != 4 || len(re.Outside) != 3 {
		t.Fatalf("CheckAll = %v", err)
	}
	for _, a := range []string{"x@gmail.com", `"bad"`, "y@evil-mssante.fr"} {
		if !strings.Contains(err.Error(), a) {
			t.Errorf("error %q does not name %s", err, a)
		}
	}
	if strings.Contains(err.Error(), "a@medecin") {
		t.Errorf("error names an address that is in: %v", err)
	}
	if err := CheckAll(nil, []string{"a@medecin.mssante.fr"}); !errors.Is(err, ErrNoList) {
		t.Errorf("nil checker: %v", err)
	}
	var src Source
	if err := CheckAll(&src, []string{"a@medecin.mssante.fr"}); !errors.Is(err, ErrNoList) {
		t.Errorf("empty Source: %v", err)
	}
}

func TestSplitAddressQuotedLocalPart(t *testing.T) {
	for _, tc := range []struct {
		in     string
		domain string
		ok     bool
	}{
		{`"a b"@medecin.mssante.fr`, "medecin.mssante.fr", true},
		{`"x@medecin.mssante.fr"@evil.com`, "evil.com", true},
		{`a b@medecin.mssante.fr`, "", false},
		{"\"a\r\nb\"@medecin.mssante.fr", "", false},
		{`"a"@medecin .mssante.fr`, "", false},
	} {
		_, d, ok := SplitAddress(tc.in)
		if ok != tc.ok || d != tc.domain {
			t.Errorf("SplitAddress(%q) = %q, %v", tc.in, d, ok)
		}
	}
}
