package trust

import (
	"bytes"
	"strings"
	"testing"
)

// The performance budget, on a generated list the size of the ANS file
// (6,500 entries, 3.6 MB; the ANS file has 6,554 entries, 3.7 MB): parse in
// under 50 ms, Contains at 10 million lookups per second or more (100 ns/op).

func BenchmarkParseList6500(b *testing.B) {
	data, _ := bigList(6500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		l, err := ParseList(bytes.NewReader(data), nil)
		if err != nil || l.Len() != 6500 {
			b.Fatal(l.Len(), err)
		}
	}
}

func benchContains(b *testing.B, transform func(string) string) {
	data, names := bigList(6500)
	l, err := ParseList(bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	// Half hits, half misses (a suffix attack on each name).
	queries := make([]string, 0, 2*len(names))
	for _, n := range names {
		queries = append(queries, transform(n), transform("x."+n))
	}
	b.ReportAllocs()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if l.Contains(queries[i%len(queries)]) {
			hits++
		}
	}
	if b.N >= len(queries) && hits == 0 {
		b.Fatal("no hits")
	}
}

func BenchmarkContains(b *testing.B) { benchContains(b, func(s string) string { return s }) }

func BenchmarkContainsUpperCase(b *testing.B) { benchContains(b, strings.ToUpper) }

func BenchmarkCheckAddress(b *testing.B) {
	data, names := bigList(6500)
	l, err := ParseList(bytes.NewReader(data), nil)
	if err != nil {
		b.Fatal(err)
	}
	addrs := make([]string, len(names))
	for i, n := range names {
		addrs[i] = "jean.dupont@" + n
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := l.CheckAddress(addrs[i%len(addrs)]); err != nil {
			b.Fatal(err)
		}
	}
}
