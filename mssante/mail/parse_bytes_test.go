package mail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"

	gomail "github.com/emersion/go-message/mail"
)

// FuzzParseInMemory checks that ParseBytes, which splits multipart bodies in
// place, reads every input exactly as Parse reads it from a stream: the same
// message, or the same error.
func FuzzParseInMemory(f *testing.F) {
	for _, s := range inMemorySeeds(f) {
		if len(s) < 8<<10 { // large seeds make minimising crawl
			f.Add(s)
		}
	}
	// One spool directory for all the executions: t.TempDir made and
	// removed a directory per execution, most of the target's time (it ran
	// at ~450 executions a second). Each message removes its spooled files
	// when closed.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkSameAsStream(t, raw, &ParseOptions{MaxMessageBytes: 1 << 20, MaxParts: 50, MaxDepth: 8, SpoolThreshold: 1 << 10, SpoolDir: dir})
	})
}

// TestParseInMemory runs the comparison on the seeds, with the default
// options and with small limits.
func TestParseInMemory(t *testing.T) {
	for _, raw := range inMemorySeeds(t) {
		checkSameAsStream(t, raw, nil)
		checkSameAsStream(t, raw, &ParseOptions{MaxHeaderBytes: 64, MaxParts: 3, MaxDepth: 2, SpoolThreshold: 100, SpoolDir: t.TempDir()})
	}
}

func inMemorySeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "*.eml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b, bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
	}
	const pdf = "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
	for _, s := range []string{
		"From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n--x--\r\n",
		// Preamble, epilogue, transport padding, a boundary lookalike in a body.
		"Content-Type: multipart/mixed; boundary=b\r\n\r\npreamble\r\n--b \t\r\n" + pdf + "\r\nJVBERi0x\r\n--bX\r\nLjQ=\r\n--b--  \r\nepilogue",
		// Nested, and a part with no header.
		"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\ntext\r\n--i--\r\n--o\r\n" + pdf + "\r\nQUJD\r\n--o--\r\n",
		// Cut short: in a body, in a boundary, in a part header.
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pdf + "\r\nQUJD\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pdf + "\r\nQUJD\r\n--",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/pl",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--b",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n\r\n--b",
		// Junk between parts, an overlong line, an empty boundary, bad base64.
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\njunk\r\n\r\ny\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n" + "--b\r\n\r\ny\r\n--b--\r\n" + strings.Repeat("z", 5000),
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + strings.Repeat("p", 5000) + "\r\n--b\r\n\r\nx\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n----\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pdf + "\r\nJVBE*i0x\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pdf + "\r\n J V B E\tR i 0 x\r\n--b--\r\n",
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n" + pdf + "\r\nQUI=\r\n--b\r\n" + pdf + "\r\nQQ==\r\n \r\n--b\r\n" + pdf + "\r\n\r\n--b--\r\n",
	} {
		seeds = append(seeds, []byte(s))
	}
	doc := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")},
		Text: "Bonjour", HTML: "<p>Bonjour</p>",
		Attachments: []*Attachment{
			BytesAttachment("IHE_XDM.ZIP", "application/zip", bytes.Repeat([]byte("PK\x03\x04zip"), 3000)),
			BytesAttachment("cr.pdf", "application/pdf", bytes.Repeat([]byte("%PDF-1.4"), 100)),
		}}
	var b bytes.Buffer
	if err := doc.Encode(&b, nil); err != nil {
		tb.Fatal(err)
	}
	return append(seeds, b.Bytes())
}

func checkSameAsStream(t *testing.T, raw []byte, opts *ParseOptions) {
	t.Helper()
	got, gerr := ParseBytes(raw, opts)
	if got != nil {
		defer got.Close()
	}
	checkErrorLengths(t, got, gerr)
	// Against a stream read in large blocks, errors included; against one
	// read a byte at a time, whose buffers see other cuts, the messages and
	// the kinds of error (the standard base64 decoder's error says at
	// which byte of a read it stopped).
	for _, oneByte := range []bool{false, true} {
		var r io.Reader = bytes.NewReader(raw)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		want, werr := Parse(r, opts)
		if want != nil {
			defer want.Close()
		}
		if (werr == nil) != (gerr == nil) || !oneByte && werr != nil && errorText(werr) != errorText(gerr) ||
			errors.Is(werr, ErrLimitExceeded) != errors.Is(gerr, ErrLimitExceeded) {
			t.Fatalf("input %q:\nstream:    %v\nin memory: %v", raw, werr, gerr)
		}
		if werr != nil {
			continue
		}
		if w, g := describeParsed(want), describeParsed(got); w != g {
			t.Fatalf("input %q:\nstream:\n%s\nin memory:\n%s", raw, w, g)
		}
	}
}

// errorText is the text of err without the offsets the standard base64
// decoder gives, which depend on how its input was cut into reads.
func errorText(err error) string {
	return base64Offset.ReplaceAllString(err.Error(), "illegal base64 data")
}

var base64Offset = regexp.MustCompile(`illegal base64 data at input byte [0-9]+`)

// describeParsed prints what Parse gives, attachment contents included.
func describeParsed(m *Message) string {
	var b strings.Builder
	for f := m.Header.Fields(); f.Next(); {
		fmt.Fprintf(&b, "header %q: %q\n", f.Key(), f.Value())
	}
	for _, p := range m.Problems {
		fmt.Fprintf(&b, "problem %v\n", errorText(p))
	}
	for _, a := range m.Attachments {
		content, err := readAttachment(a)
		fmt.Fprintf(&b, "attachment %q %q size %d: %q, %v\n", a.Filename, a.ContentType, a.Size, content, err)
	}
	c := *m
	c.Header, c.Problems, c.Attachments, c.spooled = gomail.Header{}, nil, nil, nil
	//lint:ignore SA1026 the attachments, whose Open is a func, were cleared above
	j, err := json.Marshal(&c)
	if err != nil {
		return err.Error()
	}
	b.Write(j)
	return b.String()
}
