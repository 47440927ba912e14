package mssante

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// A message parsed in a pooled buffer keeps it while an attachment reader
// is open, refuses new readers once closed, and gives the buffer back when
// both are done; the next message reuses it.
func TestRawBufferLifecycle(t *testing.T) {
	content := bytes.Repeat([]byte("%PDF-1.4 "), 4000)
	msg := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")},
		Attachments: []*Attachment{BytesAttachment("cr.pdf", "application/pdf", content)}}
	var enc bytes.Buffer
	if err := msg.Encode(&enc, nil); err != nil {
		t.Fatal(err)
	}
	parse := func() (*Message, *rawBuffer) {
		rb := newRawBuffer(enc.Len())
		copy(rb.b, enc.Bytes())
		m, err := parseRaw(rb, nil)
		if err != nil {
			t.Fatal(err)
		}
		return m, rb
	}

	m, rb := parse()
	rc, err := m.Attachments[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	half := make([]byte, len(content)/2)
	if _, err := io.ReadFull(rc, half); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := m.Attachments[0].Open(); !errors.Is(err, errSpoolClosed) {
		t.Fatalf("Open after Close: %v", err)
	}
	if rb.b == nil {
		t.Fatal("buffer released while a reader is open")
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(half, rest...), content) {
		t.Fatalf("reader open across Close: %d bytes, %v", len(half)+len(rest), err)
	}
	rc.Close()
	if rb.b != nil {
		t.Fatal("buffer kept after the last reader closed")
	}
	if _, err := rc.Read(half); !errors.Is(err, errReadAfterClose) {
		t.Fatalf("Read after Close: %v", err)
	}
	rc.Close() // twice is fine

	// Closed before any reader: released at once; twice is fine.
	m, rb = parse()
	m.Close()
	m.Close()
	if rb.b != nil {
		t.Fatal("buffer kept by a closed message")
	}

	// A message that does not parse gives its buffer back.
	rb = newRawBuffer(3)
	copy(rb.b, " x\n")
	if m, err := parseRaw(rb, nil); err == nil {
		t.Fatalf("parsed %+v", m)
	}
	if rb.b != nil {
		t.Fatal("buffer kept after a failed parse")
	}
}

func TestRawPoolClasses(t *testing.T) {
	for _, n := range []int{0, 1, 16 << 10, 16<<10 + 1, 100_000, 1 << 20, 1<<20 + 1} {
		b := getRaw(n)
		if len(b) != n {
			t.Fatalf("getRaw(%d): len %d", n, len(b))
		}
		putRaw(b)
	}
}
