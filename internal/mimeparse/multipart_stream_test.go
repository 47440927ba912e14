package mimeparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emersion/go-message/textproto"
)

var multipartSeeds = []struct{ body, boundary string }{
	{"--b\r\nA: 1\r\n\r\nx\r\n--b--\r\n", "b"},
	{"preamble\r\n--b \t\r\nA: 1\r\nB: 2\r\n c\r\n\r\nx\r\n--bX\r\ny\r\n--b\r\n\r\n\r\n--b--  \r\nepilogue", "b"},
	{"--b\nA: 1\n\nx\n--b\n\ny\n--b--\n", "b"},
	{"--b\r\nA: 1\r\n\r\nx\r\n", "b"},
	{"--b\r\nA: 1\r\n\r\nx\r\n--", "b"},
	{"--b\r\nContent-Type: text/pl", "b"},
	{"--b\r\n\r\n--b", "b"},
	{"--b\r\n\r\nx\r\n--b\r\njunk\r\n\r\ny\r\n--b--\r\n", "b"},
	{"--b\r\n no colon\r\n\r\nx\r\n--b--\r\n", "b"},
	{"--b\r\nno colon\r\n\r\nx\r\n--b--\r\n", "b"},
	{"--b\r\nA: " + strings.Repeat("v", 5000) + "\r\n\r\nx\r\n--b--\r\n", "b"},
	{strings.Repeat("p", 5000) + "\r\n--b\r\n\r\nx\r\n--b--\r\n", "b"},
	{"--b\r\n\r\n" + strings.Repeat("z", 9000) + "\r\n--b--\r\n", "b"},
	{"----\r\n\r\nx\r\n------\r\n", ""},
	{"--b\r\nA: 1\r\n\r\n--b\r\nB: 2\r\n\r\n--b--", "b"},
}

// TestStreamMultipart runs the comparisons on the seeds.
func TestStreamMultipart(t *testing.T) {
	for _, s := range multipartSeeds {
		checkStreamMultipart(t, []byte(s.body), s.boundary)
	}
}

// FuzzStreamMultipart checks streamMultipart, the splitter of Parse's
// stream path: without a header limit it splits a body as go-message's
// textproto.MultipartReader does (headers and their raw forms, bodies,
// errors), read in blocks and a byte at a time; with a limit, as
// memMultipart, the splitter of the in-memory path, does.
func FuzzStreamMultipart(f *testing.F) {
	for _, s := range multipartSeeds {
		f.Add([]byte(s.body), s.boundary)
	}
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		if strings.ContainsAny(boundary, "\r\n") {
			return // not a boundary a header can hold
		}
		checkStreamMultipart(t, body, boundary)
	})
}

func checkStreamMultipart(t *testing.T, body []byte, boundary string) {
	t.Helper()
	for _, oneByte := range []bool{false, true} {
		src := func() io.Reader {
			if oneByte {
				return iotest.OneByteReader(bytes.NewReader(body))
			}
			return bytes.NewReader(body)
		}
		want := describeGoMessageParts(src(), boundary)
		got := describeStreamParts(src(), boundary, 1<<30)
		if got != want {
			t.Fatalf("%q boundary %q (one byte %v):\ngot  %s\nwant %s", body, boundary, oneByte, got, want)
		}
	}
	for _, max := range []int64{int64(len(body)/3 + 1), 64, 1} {
		got := describeStreamParts(bytes.NewReader(body), boundary, max)
		want := describeMemParts(body, boundary, max)
		if got != want {
			t.Fatalf("%q boundary %q, header limit %d:\nstream    %s\nin memory %s", body, boundary, max, got, want)
		}
	}
}

func describeGoMessageParts(r io.Reader, boundary string) string {
	mr := textproto.NewMultipartReader(r, boundary)
	var b strings.Builder
	for {
		p, err := mr.NextPart()
		if err != nil {
			fmt.Fprintf(&b, "end: %v", err)
			return b.String()
		}
		describePart(&b, p.Header, p)
	}
}

func describeStreamParts(r io.Reader, boundary string, max int64) string {
	mr := NewStreamMultipart(r, boundary, max, errPartHeader)
	var b strings.Builder
	for {
		h, p, err := mr.Next()
		if err != nil {
			fmt.Fprintf(&b, "end: %v", limitText(err))
			return b.String()
		}
		describePart(&b, h, p)
	}
}

func describeMemParts(body []byte, boundary string, max int64) string {
	mr := NewMemMultipart(body, boundary, max, errPartHeader)
	var b strings.Builder
	for {
		p, err := mr.Next()
		if err != nil {
			fmt.Fprintf(&b, "end: %v", limitText(err))
			return b.String()
		}
		describePart(&b, p.Header, p.Reader())
	}
}

// errPartHeader is what the splitters return for a part header over the
// limit (the parser gives them its LimitError).
var errPartHeader = errors.New("part header over the limit")

// limitText names the part-header limit error by its limit only.
func limitText(err error) string {
	if errors.Is(err, errPartHeader) {
		return "limit header size"
	}
	return err.Error()
}

func describePart(b *strings.Builder, h textproto.Header, body io.Reader) {
	b.WriteString("part [")
	for f := h.Fields(); f.Next(); {
		raw, _ := f.Raw()
		fmt.Fprintf(b, "%q=%q ", f.Key(), raw)
	}
	content, err := io.ReadAll(body)
	fmt.Fprintf(b, "] %q %v\n", content, err)
}
