package mail

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) *Message {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := Parse(f, nil)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return m
}

func TestParseDSNPostfixFailure(t *testing.T) {
	m := parseFile(t, "dsn-postfix-failure.eml")
	if m.Kind() != KindDSN || m.DSN == nil {
		t.Fatalf("kind %v", m.Kind())
	}
	d := m.DSN
	if d.ReportingMTA != "smtp.operateur.example" || d.OriginalEnvelopeID != "msgid-aadq4fi4emvdcob7izgviw3cne" {
		t.Errorf("per-message fields: %+v", d)
	}
	if !d.ArrivalDate.Equal(time.Date(2026, 11, 26, 10, 2, 1, 0, time.UTC)) {
		t.Errorf("arrival date %v", d.ArrivalDate)
	}
	if d.OriginalMessageID != "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr" || d.OriginalSubject != "XDM/1.0/DDM+Lettre de liaison FIGATELLIX Corse" {
		t.Errorf("original: %q %q", d.OriginalMessageID, d.OriginalSubject)
	}
	if len(d.Recipients) != 2 {
		t.Fatalf("%d recipients", len(d.Recipients))
	}
	r := d.Recipients[0]
	if r.FinalRecipient != "inconnu@ch-nord.mssante.fr" || r.Action != ActionFailed || r.Status != "5.1.1" || r.RemoteMTA != "mx.ch-nord.mssante.fr" {
		t.Errorf("recipient 0: %+v", r)
	}
	if !strings.Contains(r.DiagnosticCode, "User unknown in local recipient table") {
		t.Errorf("diagnostic not unfolded: %q", r.DiagnosticCode)
	}
	err := r.Err()
	var de *DeliveryError
	if !errors.As(err, &de) || !errors.Is(err, ErrDeliveryFailed) || errors.Is(err, ErrPatientUnknown) {
		t.Errorf("recipient 0 error %v", err)
	}
	// The patient recipient's failure is a typed Mon Espace Santé error.
	if err := d.Recipients[1].Err(); !errors.Is(err, ErrPatientMailboxClosed) || !errors.Is(err, ErrDeliveryFailed) {
		t.Errorf("patient bounce: %v", err)
	}
	if !strings.Contains(d.Text, "could not\nbe delivered") {
		t.Errorf("human text %q", d.Text)
	}
}

func TestParseDSNSuccess(t *testing.T) {
	m := parseFile(t, "dsn-postfix-success.eml")
	d := m.DSN
	if d == nil || len(d.Recipients) != 3 {
		t.Fatalf("DSN %+v", d)
	}
	want := []DSNAction{ActionDelivered, ActionRelayed, ActionDelayed}
	for i, r := range d.Recipients {
		if r.Action != want[i] {
			t.Errorf("recipient %d action %q, want %q", i, r.Action, want[i])
		}
	}
	if d.Recipients[0].Err() != nil || d.Recipients[1].Err() != nil {
		t.Error("delivered and relayed are not errors")
	}
	if err := d.Recipients[2].Err(); !errors.Is(err, ErrDeliveryDelayed) || d.Recipients[2].WillRetryUntil.IsZero() {
		t.Errorf("delayed: %v %v", err, d.Recipients[2].WillRetryUntil)
	}
	if d.OriginalMessageID != "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr" {
		t.Errorf("original id from message/rfc822: %q", d.OriginalMessageID)
	}
	if len(m.Attachments) != 0 {
		t.Errorf("the returned message is not an attachment: %d", len(m.Attachments))
	}
}

func TestParseMDN(t *testing.T) {
	tests := []struct {
		file      string
		disp      string
		code      IntegrationErrorCode
		errText   string
		origID    string
		finalRcpt string
	}{
		{"mdn-rfc8098.eml", "manual-action/MDN-sent-manually; displayed", 0, "", "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr", "pharmacie@pharmacien.mssante.fr"},
		{"mdn-cisis-error.eml", "automatic-action/MDN-sent-automatically; processed/error", IntegrationUnknownPatient, "Identifiant de patient inconnu", "aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr", "integration@ch-nord.mssante.fr"},
		{"mdn-cisis-legacy.eml", "automatic-action/MDN-sent-automatically; processed/error", IntegrationINSMismatch, "INS incoherent", "legacy-1@medecin.mssante.fr", "integration@ch-sud.mssante.fr"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m := parseFile(t, tt.file)
			if m.Kind() != KindMDN {
				t.Fatalf("kind %v", m.Kind())
			}
			md := m.MDN
			if md.Disposition.String() != tt.disp || md.ErrorCode != tt.code || md.OriginalMessageID != tt.origID || md.FinalRecipient != tt.finalRcpt {
				t.Errorf("MDN %+v", md)
			}
			err := md.Err()
			if tt.code == 0 {
				if err != nil {
					t.Errorf("Err() = %v", err)
				}
				return
			}
			var ie *IntegrationError
			if !errors.As(err, &ie) || !errors.Is(err, ErrIntegration) || ie.Code != tt.code || ie.Text != tt.errText {
				t.Errorf("Err() = %#v", err)
			}
		})
	}
	// The ISO-8859-1 human text is decoded.
	if m := parseFile(t, "mdn-cisis-error.eml"); !strings.Contains(m.MDN.Text, "être intégré") || !strings.HasPrefix(m.Subject, "[KO Intégration système !][902] XDM/1.0/DDM+") {
		t.Errorf("text %q subject %q", m.MDN.Text, m.Subject)
	}
}

func TestParseDisposition(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		legacy  string
		wantErr bool
	}{
		{"manual-action/MDN-sent-manually; displayed", "manual-action/MDN-sent-manually; displayed", "", false},
		{"Automatic-Action/MDN-sent-automatically;processed/error", "automatic-action/MDN-sent-automatically; processed/error", "", false},
		{"automatic-action/MDN-sent-automatically; deleted", "automatic-action/MDN-sent-automatically; deleted", "", false},
		{"automatic-action/MDN-sent-automatically; processed/Error: 905^traits^x", "automatic-action/MDN-sent-automatically; processed/error", "905^traits^x", false},
		{"displayed", "", "", true},
		{"manual-action; displayed", "", "", true},
		{"manual-action/MDN-sent-manually; read", "", "", true},
	}
	for _, tt := range tests {
		d, legacy, err := parseDisposition(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && (d.String() != tt.want || legacy != tt.legacy)) {
			t.Errorf("parseDisposition(%q) = %q, %q, %v", tt.in, d, legacy, err)
		}
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Errorf("error %v is not ErrMalformed", err)
		}
	}
}

func TestPatientBounceReasons(t *testing.T) {
	tests := []struct {
		status, diag string
		want         error
	}{
		{"5.2.1", "", ErrPatientMailboxClosed},
		{"5.0.0", "550 Boîte aux lettres fermée", ErrPatientMailboxClosed},
		{"5.1.1", "", ErrPatientUnknown},
		{"5.0.0", "550 Patient inconnu", ErrPatientUnknown},
		{"5.1.3", "", ErrPatientAddressInvalid},
		{"5.0.0", "550 Adresse invalide", ErrPatientAddressInvalid},
		{"5.3.4", "", ErrPatientMessageTooLarge},
		{"5.0.0", "552 Message trop volumineux (25 Mo max)", ErrPatientMessageTooLarge},
		{"5.0.0", "550 something else", nil},
	}
	for _, tt := range tests {
		r := DSNRecipient{FinalRecipient: "279035121518989@patient.mssante.fr", Action: ActionFailed, Status: tt.status, DiagnosticCode: tt.diag}
		err := r.Err()
		if tt.want == nil {
			var de *DeliveryError
			if !errors.As(err, &de) || de.Reason != nil {
				t.Errorf("%s %q: %v, want no reason", tt.status, tt.diag, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s %q: %v, want %v", tt.status, tt.diag, err, tt.want)
		}
	}
	// Outside the patient domain the same codes are plain failures.
	r := DSNRecipient{FinalRecipient: "x@medecin.mssante.fr", Action: ActionFailed, Status: "5.2.1"}
	if errors.Is(r.Err(), ErrPatientMailboxClosed) {
		t.Error("patient reason given to a professional address")
	}
}

// Report parts that do not follow RFC 3464 / RFC 8098 no longer fail the
// parse (issue 21): the message is a report, and each defect a problem.
func TestMalformedReportFields(t *testing.T) {
	wrap := func(ct, body string) string {
		return "From: a@b.fr\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=x; boundary=zz\r\n\r\n--zz\r\nContent-Type: " + ct + "\r\n\r\n" + body + "\r\n--zz--\r\n"
	}
	for _, tt := range []struct {
		name, raw string
		kind      Kind
		problem   string
	}{
		{"dsn without recipients", wrap("message/delivery-status", "Reporting-MTA: dns; x\r\n"), KindDSN, ReasonNoRecipientStatus},
		{"dsn garbage line", wrap("message/delivery-status", "Reporting-MTA: dns; x\r\n\r\nthis is not a field\r\n"), KindDSN, "line is not a field"},
		{"mdn without disposition", wrap("message/disposition-notification", "Final-Recipient: rfc822;a@b.fr\r\n"), KindMDN, "no Disposition field"},
		{"mdn empty", wrap("message/disposition-notification", ""), KindMDN, "empty report"},
		{"continuation first", wrap("message/delivery-status", " folded\r\n"), KindDSN, "continuation line without a field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(strings.NewReader(tt.raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind() != tt.kind || !hasProblem(m, tt.problem) {
				t.Fatalf("kind %s, problems %v", m.Kind(), m.Problems)
			}
			for _, p := range m.Problems {
				if !errors.Is(p, ErrMalformed) {
					t.Errorf("problem %v is not ErrMalformed", p)
				}
			}
		})
	}
}

// hasProblem reports whether one of m's problems says text.
func hasProblem(m *Message, text string) bool {
	for _, p := range m.Problems {
		if strings.Contains(p.Error(), text) {
			return true
		}
	}
	return false
}
