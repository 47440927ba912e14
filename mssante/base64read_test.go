package mssante

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
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
			got, err := io.ReadAll(newBase64Reader(r(strings.NewReader(in))))
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
		if _, err := io.ReadAll(newBase64Reader(strings.NewReader(in))); !errors.Is(err, errBadBase64) {
			t.Errorf("%s: %v", name, err)
		}
	}
	fail := errors.New("disk gone")
	if _, err := io.ReadAll(newBase64Reader(iotest.ErrReader(fail))); !errors.Is(err, fail) {
		t.Errorf("read error: %v", err)
	}
}

// In a multipart message, a broken base64 attachment is a typed error.
func TestParseBadBase64Part(t *testing.T) {
	raw := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBE*i0x\r\n--b--\r\n"
	if _, err := Parse(strings.NewReader(raw), nil); !errors.Is(err, ErrMalformed) {
		t.Fatalf("err %v", err)
	}
}
