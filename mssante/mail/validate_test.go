package mail

import (
	"bytes"
	"errors"
	"testing"
)

// Message ids and the product reference are refused, before any byte is
// written, when a header could not carry them as given (issue 19 item 9).
func TestValidateIDsAndProductRef(t *testing.T) {
	base := func() *Message {
		return &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}, ProductRef: "DEV935997"}
	}
	tests := []struct {
		name string
		mod  func(m *Message)
		want error // nil: accepted
	}{
		{"generated id", func(m *Message) {}, nil},
		{"own id", func(m *Message) { m.MessageID = "abc.1@medecin.mssante.fr" }, nil},
		{"own id in brackets", func(m *Message) { m.MessageID = "<abc.1@medecin.mssante.fr>" }, nil},
		{"empty brackets", func(m *Message) { m.MessageID = "<>" }, ErrInvalidMessageID},
		{"no @", func(m *Message) { m.MessageID = "abc" }, ErrInvalidMessageID},
		{"@ at the end", func(m *Message) { m.MessageID = "abc@" }, ErrInvalidMessageID},
		{"control character", func(m *Message) { m.MessageID = "a\x1bb@medecin.mssante.fr" }, ErrInvalidMessageID},
		{"tab", func(m *Message) { m.MessageID = "a\tb@medecin.mssante.fr" }, ErrInvalidMessageID},
		{"space", func(m *Message) { m.MessageID = "a b@medecin.mssante.fr" }, ErrInvalidMessageID},
		{"non-ASCII", func(m *Message) { m.MessageID = "é@medecin.mssante.fr" }, ErrInvalidMessageID},
		{"bracket inside", func(m *Message) { m.MessageID = "a>b@medecin.mssante.fr" }, ErrInvalidMessageID},
		{"CR/LF", func(m *Message) { m.MessageID = "a@b\r\nBcc: x@y.fr" }, ErrHeaderInjection},
		{"empty reference", func(m *Message) { m.References = []string{"<>"} }, ErrInvalidMessageID},
		{"reference with DEL", func(m *Message) { m.InReplyTo = []string{"a\x7f@b"} }, ErrInvalidMessageID},
		{"reference without @ (old mailers)", func(m *Message) { m.References = []string{"legacy-id"} }, nil},
		{"product ref", func(m *Message) { m.ProductRef = "DEV 935997" }, nil},
		{"product ref non-ASCII", func(m *Message) { m.ProductRef = "DÉV935997" }, ErrInvalidProductRef},
		{"product ref control", func(m *Message) { m.ProductRef = "DEV\x01" }, ErrInvalidProductRef},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.mod(m)
			var out bytes.Buffer
			err := m.Encode(&out, stableOptions())
			if tt.want == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var he *HeaderError
			if !errors.Is(err, tt.want) || !errors.As(err, &he) || out.Len() != 0 {
				t.Fatalf("Encode = %v (%d bytes written), want %v before any byte", err, out.Len(), tt.want)
			}
		})
	}
}
