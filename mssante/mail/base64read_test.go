package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mssante-go/sdk/internal/mimeparse"
)

func TestBase64Reader(t *testing.T) {
	data := make([]byte, 100_003)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	enc := base64.StdEncoding.EncodeToString(data)
	wrap := func(width int, sep string) string {
		var b strings.Builder
		for i := 0; i < len(enc); i += width {
			b.WriteString(enc[i:min(i+width, len(enc))])
			b.WriteString(sep)
		}
		return b.String()
	}
	for name, in := range map[string]string{
		"76 CRLF":        wrap(76, "\r\n"),
		"64 LF":          wrap(64, "\n"),
		"no breaks":      enc,
		"odd width":      wrap(61, "\r\n"),
		"spaces, tabs":   wrap(40, " \t\r\n "),
		"trailing lines": enc + "\r\n\r\n",
	} {
		for rname, r := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r },
			"bytes": iotest.OneByteReader,
			"half":  iotest.HalfReader,
		} {
			got, err := io.ReadAll(mimeparse.NewBase64Reader(r(strings.NewReader(in))))
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s/%s: %d bytes, %v", name, rname, len(got), err)
			}
		}
	}
	for name, in := range map[string]string{
		"bad character":  enc[:100] + "*" + enc[101:],
		"truncated":      enc[:len(enc)-2],
		"padding inside": "QQ==QQ==",
	} {
		if _, err := io.ReadAll(mimeparse.NewBase64Reader(strings.NewReader(in))); !errors.Is(err, mimeparse.ErrBadBase64) {
			t.Errorf("%s: %v", name, err)
		}
	}
	fail := errors.New("disk gone")
	if _, err := io.ReadAll(mimeparse.NewBase64Reader(iotest.ErrReader(fail))); !errors.Is(err, fail) {
		t.Errorf("read error: %v", err)
	}
}

// In a multipart message, a base64 attachment is decoded when it is read:
// a broken one parses, and its reader fails with a typed error, from the
// stream as from memory.
func TestParseBadBase64Part(t *testing.T) {
	raw := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBE*i0x\r\n--b--\r\n"
	for name, parse := range map[string]func() (*Message, error){
		"stream":    func() (*Message, error) { return Parse(strings.NewReader(raw), nil) },
		"in memory": func() (*Message, error) { return ParseBytes([]byte(raw), nil) },
	} {
		m, err := parse()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if m.Text != "hi" || len(m.Attachments) != 1 {
			t.Fatalf("%s: text %q, %d attachments", name, m.Text, len(m.Attachments))
		}
		if _, err := readAttachment(m.Attachments[0]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%s: reading the attachment: %v", name, err)
		}
	}
}

// The size of a lazily decoded attachment, computed from its encoded
// length, is the decoded size, whatever the padding, line breaks, stray
// white space and chunking.
func TestBase64AttachmentSize(t *testing.T) {
	sizes := []int{3070, 3071, 3072, 24574, 24575}
	for n := 0; n < 300; n += 7 {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		data := bytes.Repeat([]byte{0xfb, 'x', 0}, n)[:n]
		enc := base64.StdEncoding.EncodeToString(data)
		for _, body := range []string{enc, wrapLines(enc, 76, "\r\n"), wrapLines(enc, 4, "\n"), " " + wrapLines(enc, 10, " \t\r\n") + "\r\n\r\n"} {
			raw := "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				body + "\r\n--b--\r\n"
			for _, in := range []struct {
				name  string
				parse func() (*Message, error)
			}{
				{"memory", func() (*Message, error) { return ParseBytes([]byte(raw), nil) }},
				{"stream", func() (*Message, error) { return Parse(strings.NewReader(raw), nil) }},
				{"bytewise", func() (*Message, error) { return Parse(iotest.OneByteReader(strings.NewReader(raw)), nil) }},
			} {
				m, err := in.parse()
				if err != nil {
					t.Fatalf("%d bytes, %s: %v", n, in.name, err)
				}
				a := m.Attachments[0]
				got, err := readAttachment(a)
				if err != nil || !bytes.Equal(got, data) || a.Size != int64(n) {
					t.Fatalf("%d bytes, %s, body %q: size %d, read %d bytes, %v", n, in.name, body, a.Size, len(got), err)
				}
			}
		}
	}
}

func wrapLines(s string, n int, eol string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + eol)
		s = s[n:]
	}
	b.WriteString(s)
	return b.String()
}
