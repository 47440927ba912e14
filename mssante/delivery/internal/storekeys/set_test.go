package storekeys

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// The set against a sorted slice, under random insertions and deletions
// that split and empty blocks.
func TestSetAgainstSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s Set
	var ref []string
	for i := 0; i < 20000; i++ {
		k := fmt.Sprintf("k%05d", rng.IntN(5000))
		if rng.IntN(3) == 0 {
			s.Delete(k)
			if j, ok := slices.BinarySearch(ref, k); ok {
				ref = slices.Delete(ref, j, j+1)
			}
		} else {
			s.Insert(k)
			if j, ok := slices.BinarySearch(ref, k); !ok {
				ref = slices.Insert(ref, j, k)
			}
		}
		if s.Len() != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", i, s.Len(), len(ref))
		}
	}
	for _, start := range []string{"", "k", "k02500", "k025005", "k9"} {
		var got []string
		s.Ascend(Range{Prefix: "k", Start: max(start, "k"), End: "k04000"}, func(k string) bool {
			got = append(got, k)
			return true
		})
		var want []string
		for _, k := range ref {
			if k >= start && k < "k04000" {
				want = append(want, k)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("from %q: %d keys, want %d", start, len(got), len(want))
		}
	}
}

// Keys order as the queries do: by time (before 1970 too), then
// Message-ID; a page token resumes after its key.
func TestKeyOrderAndTokens(t *testing.T) {
	times := []time.Time{time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC), time.Unix(0, 0), time.Unix(0, 1000), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var keys []string
	for _, tm := range times {
		for _, id := range []string{"a", "a\x00", "ab", "b"} {
			keys = append(keys, timeKey(kindCreated, tm, id))
		}
	}
	if !slices.IsSorted(keys) {
		t.Fatal("keys do not sort by time, then Message-ID")
	}
	var s Set
	for _, k := range keys {
		s.Insert(k)
	}
	for i, k := range keys {
		r0, _ := Messages("", "", false, time.Time{}, "")
		tm, id := r0.Split(k)
		r, err := Messages("", "", false, time.Time{}, Token(tm, id))
		if err != nil {
			t.Fatal(err)
		}
		var first string
		s.Ascend(r, func(k string) bool { first = k; return false })
		if want := ""; i+1 < len(keys) {
			want = keys[i+1]
			if first != want {
				t.Fatalf("after %q: %q, want %q", k, first, want)
			}
		} else if first != want {
			t.Fatalf("after the last key: %q", first)
		}
	}
	if _, _, err := ParseToken("!!"); err != ErrToken {
		t.Fatalf("bad token: %v", err)
	}
	// A recipient's keys do not mix with a longer recipient's.
	a := lenKey(kindRecipient, "a@x") + string(Time(times[0])) + "id"
	b := lenKey(kindRecipient, "a@x.fr") + string(Time(times[0])) + "id"
	r, _ := Messages("a@x", "", false, time.Time{}, "")
	if !r.Contains(a) || r.Contains(b) {
		t.Fatal("recipient range leaks into another recipient")
	}
}
