package mimeparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

var headerSeeds = []string{
	"", "\r\n", "\n", "A: b\r\n\r\nbody", "A: b\n\nbody", "A: b", "A: b\r\n", "A: b\r\n c\r\n\td\r\n\r\n",
	" A: b\r\n\r\n", "\tx\r\n", "A b: c\r\n\r\n", "A\r\n\r\n", ": empty key\r\nB: c\r\n\r\n", "é: x\r\n\r\n",
	"A: 1\r\nA: 2\r\nb: 3\r\n\r\n", "A: b\r\r\n\r\n", "A: b\r", "A: b\r\n \r\n\r\n", "A:b\nc: d\r\n e\n\n",
	"Subject: " + strings.Repeat("x", 5000) + "\r\n\r\n", "A: b\r\n" + strings.Repeat(" c\r\n", 3) + "D: e",
	"X: \r\n\r\n", "A  :  b  \r\n\r\n", "A: b\r\nno colon\r\n\r\n",
}

// The in-memory header reader gives what go-message's ReadHeader gives:
// fields, raw forms, errors, and where the header ends; with a limit, what
// it gives behind a reader that refuses to read further.
func TestReadHeaderInPlace(t *testing.T) {
	for _, s := range headerSeeds {
		checkReadHeaderInPlace(t, []byte(s))
	}
}

func FuzzReadHeaderInPlace(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkReadHeaderInPlace)
}

var errTestLimit = errors.New("limit")

func checkReadHeaderInPlace(t *testing.T, b []byte) {
	t.Helper()
	for _, limit := range []int{0, len(b) / 2, len(b)} {
		in, limitErr := b, error(nil)
		var src *limitedTestReader
		if limit > 0 {
			in, limitErr = b[:limit], errTestLimit
			src = &limitedTestReader{r: bytes.NewReader(b), n: limit}
		}
		var br *bufio.Reader
		var rd *bytes.Reader
		if src != nil {
			br = bufio.NewReader(src)
		} else {
			rd = bytes.NewReader(b)
			br = bufio.NewReader(rd)
		}
		want, werr := textproto.ReadHeader(br)
		got, n, gerr := ReadHeaderInPlace(in, false, limitErr)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("%q (limit %d): error %v, want %v", b, limit, gerr, werr)
		}
		if w, g := describeHeader(want), describeHeader(got); w != g {
			t.Fatalf("%q (limit %d):\ngot  %s\nwant %s", b, limit, g, w)
		}
		if werr == nil && rd != nil {
			if used := len(b) - rd.Len() - br.Buffered(); used != n {
				t.Fatalf("%q: read %d bytes, want %d", b, n, used)
			}
		}
		kept, _, _ := ReadHeaderInPlace(in, true, limitErr)
		if describeHeader(kept) != describeHeader(got) {
			t.Fatalf("%q: kept copy differs", b)
		}
	}
}

func describeHeader(h textproto.Header) string {
	var s strings.Builder
	for f := h.Fields(); f.Next(); {
		raw, _ := f.Raw()
		fmt.Fprintf(&s, "%q=%q (%q) ", f.Key(), f.Value(), raw)
	}
	fmt.Fprintf(&s, "get(A)=%q", h.Get("A"))
	return s.String()
}

// limitedTestReader gives n bytes of r, then errTestLimit, as the header
// limit of Parse does.
type limitedTestReader struct {
	r *bytes.Reader
	n int
}

func (l *limitedTestReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errTestLimit
	}
	if len(p) > l.n {
		p = p[:l.n]
	}
	k, err := l.r.Read(p)
	l.n -= k
	return k, err
}
