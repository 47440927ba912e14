package mail

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func receivedDocumentMail(t *testing.T) (*Message, string) {
	t.Helper()
	sent := &Message{
		From: MustParseAddress("helene.lefevre@medecin.mssante.fr"), To: []Address{MustParseAddress("integration@ch-nord.mssante.fr")},
		Documents: testDocumentSet(), RequestReadReceipt: true, ProductRef: "DEV935997",
	}
	raw := "Return-Path: <helene.lefevre@medecin.mssante.fr>\r\n" + encodeString(t, sent)
	m, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m, raw
}

func TestNewMDNRoundTrip(t *testing.T) {
	received, raw := receivedDocumentMail(t)
	me := MustParseAddress("integration@ch-nord.mssante.fr")
	tests := []struct {
		name     string
		opts     MDNOptions
		disp     string
		code     IntegrationErrorCode
		subject  string
		original string // media type of the third part
	}{
		{"displayed", MDNOptions{From: me}, "manual-action/MDN-sent-manually; displayed", 0, received.Subject, "text/rfc822-headers"},
		{"processed", MDNOptions{From: me, Type: Processed, Automatic: true, Original: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(raw)), nil }},
			"automatic-action/MDN-sent-automatically; processed", 0, received.Subject, "message/rfc822"},
		{"error 902", MDNOptions{From: me, Automatic: true, ErrorCode: IntegrationUnknownPatient},
			"automatic-action/MDN-sent-automatically; processed/error", IntegrationUnknownPatient, "[KO Intégration système !][902] " + received.Subject, "text/rfc822-headers"},
		{"error 904 custom text", MDNOptions{From: me, Automatic: true, ErrorCode: IntegrationINSMismatch, ErrorText: "INS différent^du dossier"},
			"automatic-action/MDN-sent-automatically; processed/error", IntegrationINSMismatch, "[KO Intégration système !][904] " + received.Subject, "text/rfc822-headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mdn, err := NewMDN(received, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			enc := encodeString(t, mdn)
			if !strings.Contains(enc, "Content-Type: "+tt.original) {
				t.Errorf("original part %s missing:\n%s", tt.original, enc)
			}
			back, err := Parse(strings.NewReader(enc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if back.Kind() != KindMDN || back.MDN.Disposition.String() != tt.disp || back.MDN.ErrorCode != tt.code {
				t.Fatalf("MDN back: %+v", back.MDN)
			}
			if back.MDN.OriginalMessageID != received.MessageID || back.MDN.FinalRecipient != me.Addr || back.To[0].Addr != "helene.lefevre@medecin.mssante.fr" {
				t.Errorf("ids: %+v to %v", back.MDN, back.To)
			}
			if back.Subject != tt.subject {
				t.Errorf("subject %q, want %q", back.Subject, tt.subject)
			}
			if back.InReplyTo[0] != received.MessageID {
				t.Errorf("In-Reply-To %v", back.InReplyTo)
			}
			if tt.code != 0 && !strings.HasSuffix(back.MDN.Error, "^applicationErrorCondition| E^Error^errorSeverity") {
				t.Errorf("Error field %q", back.MDN.Error)
			}
			if tt.code != 0 {
				var ie *IntegrationError
				if !errors.As(back.MDN.Err(), &ie) || ie.Code != tt.code || strings.ContainsAny(ie.Text, "^|") {
					t.Errorf("the Error field reads back as %+v", ie)
				}
			}
		})
	}
}

func TestNewMDNRules(t *testing.T) {
	received, _ := receivedDocumentMail(t)
	me := MustParseAddress("integration@ch-nord.mssante.fr")

	noRequest := *received
	noRequest.RequestReadReceipt, noRequest.ReadReceiptTo = false, nil
	if _, err := NewMDN(&noRequest, MDNOptions{From: me, Force: true}); !errors.Is(err, ErrNoReceiptRequested) {
		t.Errorf("no request: %v", err)
	}

	// RFC 8098 loop rule: Disposition-Notification-To differs from Return-Path.
	elsewhere := *received
	other := MustParseAddress("someone.else@medecin.mssante.fr")
	elsewhere.ReadReceiptTo = &other
	if _, err := NewMDN(&elsewhere, MDNOptions{From: me, Automatic: true}); !errors.Is(err, ErrMDNLoopRule) {
		t.Errorf("loop rule: %v", err)
	}
	noReturnPath := *received
	noReturnPath.ReturnPath = nil
	if _, err := NewMDN(&noReturnPath, MDNOptions{From: me, Automatic: true}); !errors.Is(err, ErrMDNLoopRule) {
		t.Errorf("loop rule without Return-Path: %v", err)
	}
	if _, err := NewMDN(&elsewhere, MDNOptions{From: me, Automatic: true, Force: true}); err != nil {
		t.Errorf("forced: %v", err)
	}
	// A user's manual MDN is their consent.
	if _, err := NewMDN(&elsewhere, MDNOptions{From: me}); err != nil {
		t.Errorf("manual: %v", err)
	}
	if _, err := NewMDN(received, MDNOptions{From: me, ErrorCode: 42}); err == nil {
		t.Error("code 42 accepted")
	}
	if _, err := NewMDN(received, MDNOptions{}); !errors.Is(err, ErrNoSender) {
		t.Errorf("no From: %v", err)
	}
	if _, err := NewMDN(received, MDNOptions{From: me, ReportingUA: "x\r\ny"}); !errors.Is(err, ErrHeaderInjection) {
		t.Errorf("UA injection: %v", err)
	}
}

func TestIntegrationErrorMail(t *testing.T) {
	received, raw := receivedDocumentMail(t)
	m, err := NewIntegrationErrorMail(received, MustParseAddress("integration@ch-nord.mssante.fr"), IntegrationINSIncomplete, "", func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(raw)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another random source than the original's, whose boundaries would
	// otherwise be the same as the enclosing message's.
	var b strings.Builder
	if err := m.Encode(&b, &EncodeOptions{Rand: strings.NewReader(strings.Repeat("other random bytes", 10))}); err != nil {
		t.Fatal(err)
	}
	enc := b.String()
	back, err := Parse(strings.NewReader(enc), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(back.Subject, "[KO Intégration système !][905] XDM/1.0/DDM+") || !strings.Contains(back.Text, "Erreur 905") {
		t.Errorf("subject %q text %q", back.Subject, back.Text)
	}
	if len(back.Attachments) != 1 || back.Attachments[0].ContentType != "message/rfc822" || back.Attachments[0].Size != int64(len(raw)) {
		t.Errorf("original attachment %+v", back.Attachments)
	}
	if strings.Contains(enc, "message/rfc822\r\nContent-Disposition: attachment; filename=\"original.eml\"\r\nContent-Transfer-Encoding: base64") {
		t.Error("message/rfc822 must not be base64")
	}
}
