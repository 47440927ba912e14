package mail

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
	// released reports whether the buffer went back, and clears the flag.
	var back bool
	released := func() bool { r := back; back = false; return r }
	opts := &ParseOptions{Release: func([]byte) { back = true }}
	parse := func() *Message {
		m, err := ParseBytes(bytes.Clone(enc.Bytes()), opts)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}

	m := parse()
	rc, err := m.Attachments[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	half := make([]byte, len(content)/2)
	if _, err := io.ReadFull(rc, half); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := m.Attachments[0].Open(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Open after Close: %v", err)
	}
	if released() {
		t.Fatal("buffer released while a reader is open")
	}
	rest, err := io.ReadAll(rc)
	if err != nil || !bytes.Equal(append(half, rest...), content) {
		t.Fatalf("reader open across Close: %d bytes, %v", len(half)+len(rest), err)
	}
	rc.Close()
	if !released() {
		t.Fatal("buffer kept after the last reader closed")
	}
	if _, err := rc.Read(half); !errors.Is(err, errReadAfterClose) {
		t.Fatalf("Read after Close: %v", err)
	}
	rc.Close() // twice is fine

	// Closed before any reader: released at once; twice is fine.
	m = parse()
	m.Close()
	m.Close()
	if !released() {
		t.Fatal("buffer kept by a closed message")
	}

	// A message that does not parse gives its buffer back.
	if m, err := ParseBytes([]byte(" x\n"), opts); err == nil {
		t.Fatalf("parsed %+v", m)
	}
	if !released() {
		t.Fatal("buffer kept after a failed parse")
	}
}
