package annuaire_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

// trickyExtraction returns a synthetic extraction of several read blocks
// with bad and odd lines mixed in: blank lines, CRLF, invalid UTF-8 (one
// sequence cut by a newline), wrong field counts, trailing separators,
// missing or bad addresses, lines over the length limit and one longer
// than the read buffer, duplicate keys in other cases, and no final
// newline.
func trickyExtraction(t *testing.T, header string) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := annuairetest.WriteExtraction(&buf, &annuairetest.ExtractionOptions{Rows: 12000, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if header != "" {
		lines[0] = header
	}
	rng := rand.New(rand.NewPCG(1, 2))
	out := []string{lines[0]}
	for i, l := range lines[1:] {
		switch rng.IntN(40) {
		case 0:
			out = append(out, "", "   ")
		case 1:
			l += "\r"
		case 2:
			l = strings.Replace(l, "|", "|\xff", 1)
		case 3:
			l = l[:len(l)/2]
		case 4:
			l += "|"
		case 5:
			l += "|x|"
		case 6:
			l = strings.Replace(l, "@", "", 1)
		case 7:
			l += strings.Repeat("é", 400) // over MaxLineLength, still a whole field count
		case 8:
			out = append(out, "PER|cut\xc3") // a sequence cut by the newline
			l = "\xa9" + l
		case 9:
			out = append(out, strings.ToUpper(l)) // same keys, other case
		}
		if i == 5000 {
			out = append(out, "PER|"+strings.Repeat("y", 1100<<10))
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

type rowErr struct {
	line int
	err  error
	text string
}

func TestIndexMatchesReader(t *testing.T) {
	reversed := strings.Split(header31, "|")
	slices.Reverse(reversed)
	for _, header := range []string{"", strings.Join(reversed, "|")} {
		in := trickyExtraction(t, header)
		if header != "" {
			// Reverse every data line too, so that the file is consistent.
			ls := strings.Split(in, "\n")
			for i := 1; i < len(ls); i++ {
				cr := strings.HasSuffix(ls[i], "\r")
				f := strings.Split(strings.TrimSuffix(ls[i], "\r"), "|")
				slices.Reverse(f)
				ls[i] = strings.Join(f, "|")
				if cr {
					ls[i] += "\r"
				}
			}
			in = strings.Join(ls, "\n")
		}
		t.Run(fmt.Sprintf("reversed=%v", header != ""), func(t *testing.T) { testIndexMatchesReader(t, in) })
	}
}

func testIndexMatchesReader(t *testing.T, in string) {
	ropts := &annuaire.ReaderOptions{MaxLineLength: 700}
	er, err := annuaire.NewExtractionReader(strings.NewReader(in), ropts)
	if err != nil {
		t.Fatal(err)
	}
	var want []annuaire.Row
	var wantErrs []rowErr
	for {
		r, err := er.Read()
		if err == io.EOF {
			break
		}
		var re *annuaire.RowError
		if errors.As(err, &re) {
			wantErrs = append(wantErrs, rowErr{re.Line, re.Err, re.Text})
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	if len(want) < 10000 || len(wantErrs) < 1000 {
		t.Fatalf("fixture too tame: %d rows, %d bad", len(want), len(wantErrs))
	}

	for _, lazy := range []bool{false, true} {
		er, err := annuaire.NewExtractionReader(strings.NewReader(in), ropts)
		if err != nil {
			t.Fatal(err)
		}
		var gotErrs []rowErr
		x, err := annuaire.BuildIndex(context.Background(), er, &annuaire.IndexOptions{Lazy: lazy, OnRowError: func(re *annuaire.RowError) {
			gotErrs = append(gotErrs, rowErr{re.Line, re.Err, re.Text})
		}})
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Collect(x.Rows())
		if !slices.Equal(got, want) {
			t.Fatalf("lazy=%v: %d rows, want %d", lazy, len(got), len(want))
		}
		if !slices.Equal(gotErrs, wantErrs) || x.BadRows() != len(wantErrs) {
			t.Fatalf("lazy=%v: %d row errors (BadRows %d), want %d", lazy, len(gotErrs), x.BadRows(), len(wantErrs))
		}
		if _, err := er.Read(); err != io.EOF {
			t.Errorf("Read after BuildIndex: %v", err)
		}
		counts := map[annuaire.MailboxType]int{}
		for _, r := range want {
			counts[r.Type]++
		}
		if fmt.Sprint(x.CountByType()) != fmt.Sprint(counts) {
			t.Errorf("CountByType = %v, want %v", x.CountByType(), counts)
		}
		checkLookups(t, x, want)
	}
}

// checkLookups compares the exact-key lookups with a linear search.
func checkLookups(t *testing.T, x *annuaire.Index, rows []annuaire.Row) {
	t.Helper()
	find := func(match func(annuaire.Row) bool) []annuaire.Row {
		var out []annuaire.Row
		for _, r := range rows {
			if match(r) {
				out = append(out, r)
			}
		}
		return out
	}
	for i := 0; i < len(rows); i += 37 {
		r := rows[i]
		addr := strings.ToUpper(r.Address)
		want := find(func(o annuaire.Row) bool {
			return strings.EqualFold(strings.TrimSpace(o.Address), strings.TrimSpace(addr))
		})
		if got := x.ByAddress(addr); !slices.Equal(got, want) {
			t.Fatalf("ByAddress(%q): %d rows, want %d", addr, len(got), len(want))
		}
		if got, ok := x.Lookup(addr); !ok || got != want[0] {
			t.Fatalf("Lookup(%q) = line %d, want line %d", addr, got.Line, want[0].Line)
		}
		if id := strings.TrimSpace(r.StructureID); id != "" {
			want := find(func(o annuaire.Row) bool { return strings.TrimSpace(o.StructureID) == id })
			if got := x.ByStructure(id); !slices.Equal(got, want) {
				t.Fatalf("ByStructure(%q): %d rows, want %d", id, len(got), len(want))
			}
		}
		if id := strings.TrimSpace(r.PPID); id != "" {
			want := find(func(o annuaire.Row) bool { return strings.TrimSpace(o.PPID) == id })
			want = append(want, find(func(o annuaire.Row) bool {
				return strings.TrimSpace(o.IdNatPS) == id && strings.TrimSpace(o.PPID) != id
			})...)
			if got := x.ByPerson(id); !slices.Equal(got, want) {
				t.Fatalf("ByPerson(%q): %d rows, want %d", id, len(got), len(want))
			}
		}
	}
	if _, ok := x.Lookup("nobody@nowhere.example"); ok {
		t.Error("Lookup of an unknown address succeeded")
	}
}

func TestBuildIndexCancelled(t *testing.T) {
	var buf bytes.Buffer
	annuairetest.WriteExtraction(&buf, &annuairetest.ExtractionOptions{Rows: 100})
	er, err := annuaire.NewExtractionReader(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := annuaire.BuildIndex(ctx, er, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}
