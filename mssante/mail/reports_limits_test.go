package mail

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// foldedReport is a DSN whose Diagnostic-Code is folded over lines of
// about 12 bytes until the report is size bytes long: the report that took
// 40 s of CPU when continuation lines were joined by concatenation (issue
// 19, item 1).
func foldedReport(size int) []byte {
	var b bytes.Buffer
	b.WriteString("From: MAILER-DAEMON@mx.example\r\nSubject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
		"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; a@medecin.mssante.fr\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
		"Diagnostic-Code: smtp; 550\r\n")
	for b.Len() < size {
		b.WriteString(" 5.1.1 x\r\n")
	}
	b.WriteString("Remote-MTA: dns; mx.example\r\n\r\n--b--\r\n")
	return b.Bytes()
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Parsing a folded report is linear: twice the size, about twice the
// memory allocated, and a few times the input at most (the quadratic join
// allocated about 50 GB for 1 MB). With the field limit raised, the whole
// value is built.
func TestFoldedReportLinear(t *testing.T) {
	opts := &ParseOptions{MaxReportFieldBytes: 4 << 20}
	work := func(size int) uint64 {
		raw := foldedReport(size)
		var m *Message
		var err error
		n := allocated(func() { m, err = Parse(bytes.NewReader(raw), opts) })
		if err != nil || m.DSN == nil || len(m.DSN.Recipients) != 1 {
			t.Fatalf("%d bytes: %v, %+v", size, err, m)
		}
		if d := m.DSN.Recipients[0].DiagnosticCode; len(d) < size*7/10 || len(m.Problems) != 0 {
			t.Fatalf("%d bytes: diagnostic of %d bytes, problems %v", size, len(d), m.Problems)
		}
		return n
	}
	start := time.Now()
	half, full := work(500_000), work(1_000_000)
	t.Logf("allocated %d bytes for 500 kB, %d for 1 MB, in %v", half, full, time.Since(start))
	if full > 3*half || full > 30*1_000_000 {
		t.Fatalf("not linear: %d bytes allocated for 500 kB, %d for 1 MB", half, full)
	}
	// A generous guard only: the benchmark measures the time.
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
}

// With the default limits, the 1 MB field is left out with a LimitError
// problem; the report keeps every other field.
func TestFoldedReportDefaultLimit(t *testing.T) {
	for _, inMemory := range []bool{false, true} {
		raw := foldedReport(1_000_000)
		var m *Message
		var err error
		if inMemory {
			m, err = ParseBytes(raw, nil)
		} else {
			m, err = Parse(bytes.NewReader(raw), nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		r := m.DSN.Recipients[0]
		if r.FinalRecipient != "a@medecin.mssante.fr" || r.Action != ActionFailed || r.Status != "5.1.1" || r.RemoteMTA != "mx.example" || r.DiagnosticCode != "" {
			t.Fatalf("recipient %+v", r)
		}
		var le *LimitError
		if len(m.Problems) != 1 || !errors.As(m.Problems[0], &le) || le.Limit != "report field size" || le.Max != DefaultMaxReportFieldBytes ||
			!errors.Is(m.Problems[0], ErrLimitExceeded) {
			t.Fatalf("problems %v", m.Problems)
		}
	}
}

// More fields than MaxReportFields: the first are kept, one problem says
// the rest were left out.
func TestReportFieldCountLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("Reporting-MTA: dns; mx\r\n")
	for i := 0; i < 50; i++ {
		b.WriteString("\r\nFinal-Recipient: rfc822; a@b.fr\r\nAction: delivered\r\n")
	}
	blocks, probs := readFieldBlocks([]byte(b.String()), fieldLimits{maxFields: 21, maxFieldBytes: 100}, "report")
	n := 0
	for _, blk := range blocks {
		n += len(blk)
	}
	var le *LimitError
	if n != 21 || len(probs) != 1 || !errors.As(probs[0], &le) || le.Limit != "report fields" {
		t.Fatalf("%d fields kept, problems %v", n, probs)
	}
}

func BenchmarkParseFoldedReport(b *testing.B) {
	raw := foldedReport(1_000_000)
	for _, bc := range []struct {
		name string
		opts *ParseOptions
	}{{"default-limits", nil}, {"whole-field", &ParseOptions{MaxReportFieldBytes: 4 << 20}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(raw)))
			for i := 0; i < b.N; i++ {
				if _, err := Parse(bytes.NewReader(raw), bc.opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// partHeaderMessage is a multipart message whose second part has a header
// of headerBytes: fields of 1 kB, or one line without a colon.
func partHeaderMessage(headerBytes int, colon bool) []byte {
	var b bytes.Buffer
	b.WriteString("From: a@b.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b\r\n")
	if colon {
		for n := 0; n < headerBytes; n += 1024 {
			b.WriteString("X-Filler: " + strings.Repeat("f", 1012) + "\r\n")
		}
	} else {
		b.WriteString(strings.Repeat("x", headerBytes) + "\r\n")
	}
	b.WriteString("\r\nsecond\r\n--b--\r\n")
	return b.Bytes()
}

// Part headers are bounded by MaxHeaderBytes like the top-level one (issue
// 19, item 3): a 30 MB part header is a LimitError, read without holding
// it in memory.
func TestPartHeaderLimit(t *testing.T) {
	raw := partHeaderMessage(30<<20, true)
	var err error
	n := allocated(func() { _, err = Parse(bytes.NewReader(raw), nil) })
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "header size" || le.Max != DefaultMaxHeaderBytes {
		t.Fatalf("stream: %v", err)
	}
	if n > 16<<20 {
		t.Fatalf("the stream parse allocated %d bytes for a refused 30 MB header", n)
	}
	if _, err := ParseBytes(raw, &ParseOptions{MaxMessageBytes: 64 << 20}); !errors.As(err, &le) || le.Limit != "header size" {
		t.Fatalf("in memory: %v", err)
	}
	// Under the limit, the same header is read.
	small := partHeaderMessage(500<<10, true)
	for _, inMemory := range []bool{false, true} {
		var m *Message
		if inMemory {
			m, err = ParseBytes(small, nil)
		} else {
			m, err = Parse(bytes.NewReader(small), nil)
		}
		if err != nil || len(m.Attachments) != 1 {
			t.Fatalf("500 kB part header (in memory %v): %v", inMemory, err)
		}
	}
}

// No error of Parse quotes more than about a hundred bytes of its input
// (issue 19, item 3): a 20 MB line without a colon in a part header gave
// a 20 MB error string.
func TestErrorTextBounded(t *testing.T) {
	longToken := strings.Repeat("t", 500<<10)
	for _, tt := range []struct {
		name  string
		raw   []byte
		limit bool // a LimitError rather than a ParseError
	}{
		// Read no further than MaxHeaderBytes: the line cut there has no
		// colon, as go-message reads a top-level header behind its limit.
		{"20 MB part header line without a colon", partHeaderMessage(20<<20, false), false},
		{"900 kB part header line without a colon", partHeaderMessage(900<<10, false), false},
		{"900 kB header line without a colon", []byte("From: a@b.fr\r\n" + strings.Repeat("x", 900<<10) + "\r\n\r\nbody"), false},
		{"4 kB junk line between parts", []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b-" + strings.Repeat("j", 4000) + "\r\n--b--\r\n"), false},
		{"500 kB media type", []byte("Content-Type: multipart/" + longToken + "\r\n\r\nbody"), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, inMemory := range []bool{false, true} {
				var err error
				if inMemory {
					_, err = ParseBytes(tt.raw, &ParseOptions{MaxMessageBytes: 64 << 20})
				} else {
					_, err = Parse(bytes.NewReader(tt.raw), nil)
				}
				if err == nil || errors.Is(err, ErrLimitExceeded) != tt.limit || len(err.Error()) > maxTestErrorLen {
					t.Fatalf("in memory %v: %d bytes: %.300v", inMemory, len(fmtErr(err)), err)
				}
			}
		})
	}
	// Problems too: an address list and a report line of 500 kB.
	raw := "From: a@b.fr\r\nTo: <" + longToken + "\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: message/delivery-status\r\n\r\n" + longToken + "\r\n--b--\r\n"
	m := parseBoth(t, raw)
	if len(m.Problems) < 2 {
		t.Fatalf("problems %v", m.Problems)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
