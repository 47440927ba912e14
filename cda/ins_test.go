package cda

import (
	"errors"
	"strconv"
	"testing"
)

func TestCheckMatricule(t *testing.T) {
	// Keys of the Corsican bodies are computed from the number with 2A→19, 2B→18.
	corsicaA := "185122A001234" // counts as 1851219001234
	corsicaB := "185122B001234" // counts as 1851218001234
	keyA := 97 - 1851219001234%97
	keyB := 97 - 1851218001234%97
	pad := func(k int) string {
		s := strconv.Itoa(k)
		if len(s) == 1 {
			s = "0" + s
		}
		return s
	}

	tests := []struct {
		name string
		m    string
		want error
	}{
		{"ANS test INS", "279035121518989", nil},
		{"CI-SIS HL7 example", "146026322000196", nil},
		{"key 97 is two digits", "100000000004797", nil},
		{"wrong key", "279035121518988", ErrINSKey},
		{"one digit changed", "279035121518889", ErrINSKey},
		{"corsica 2A", corsicaA + pad(keyA), nil},
		{"corsica 2B", corsicaB + pad(keyB), nil},
		{"corsica lower case", "185122a001234" + pad(keyA), nil},
		{"corsica key of 2B on 2A", corsicaA + pad(keyB), ErrINSKey},
		{"A outside the department", "1A5122000123400", ErrINSFormat},
		{"2C is no department", "185122C00123400", ErrINSFormat},
		{"too short", "27903512151898", ErrINSFormat},
		{"too long", "2790351215189890", ErrINSFormat},
		{"empty", "", ErrINSFormat},
		{"letters in key", "2790351215189AB", ErrINSFormat},
		{"spaces", "2 79 03 51 215 189 89", ErrINSFormat},
		{"non-ASCII", "27903512151898é", ErrINSFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckMatricule(tt.m)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("CheckMatricule(%q) = %v, want %v", tt.m, err, tt.want)
			}
			var ie *INSError
			if err != nil && (!errors.As(err, &ie) || ie.Matricule != tt.m) {
				t.Fatalf("error %v is not an *INSError naming %q", err, tt.m)
			}
		})
	}
	// 1000000000047 is a multiple of 97, so its key is 97: make sure the table's
	// "key 97" row really exercises that edge.
	if k, _ := MatriculeKey("1000000000047"); k != 97 {
		t.Fatalf("MatriculeKey(1000000000047) = %d, want 97", k)
	}
}

func TestINSKindOID(t *testing.T) {
	for k := INSNIR; k <= INSDemo; k++ {
		got, ok := INSKindFromOID(k.OID())
		if !ok || got != k {
			t.Errorf("INSKindFromOID(%q) = %v, %v", k.OID(), got, ok)
		}
	}
	if _, ok := INSKindFromOID("1.2.250.1.71.4.2.1"); ok {
		t.Error("an RPPS OID was taken for an INS")
	}
	if INSKind(0).OID() != "" || INSKind(0).String() != "unknown" {
		t.Error("zero INSKind must be unknown")
	}
}

// FuzzCheckMatricule: no panic, and an accepted matricule has 15
// characters and its own key.
func FuzzCheckMatricule(f *testing.F) {
	for _, s := range []string{"279035121518989", "185122A00123400", "1000000000047 97", "", "2A"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, m string) {
		if CheckMatricule(m) != nil {
			return
		}
		key, err := MatriculeKey(m[:13])
		if len(m) != 15 || err != nil || strconv.Itoa(100 + key)[1:] != m[13:] {
			t.Fatalf("%q accepted with key %d", m, key)
		}
	})
}
