package delivery_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
)

// patientDocs is a document set about one patient, made in the test.
type patientDocs struct{ ins string }

func (d patientDocs) Documents() []mail.DocumentInfo {
	return []mail.DocumentInfo{{
		Code: "11490-0", Label: "Lettre de liaison à la sortie d'un établissement de soins", ActDate: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		Patient: mail.DocumentPatient{Family: "Figatellix", Given: "Corse", INS: d.ins, QualifiedINS: d.ins != ""},
		PDF:     func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF-1.4 lettre")), nil },
	}}
}

func (d patientDocs) WriteXDM(w io.Writer, _ []string) error {
	_, err := io.WriteString(w, "PK\x03\x04 fake archive")
	return err
}

// Patient safety (issue 14 §5): Client.Send and Outbox.Send refuse, before
// any byte goes out and before anything is stored, a document mail to
// another patient, a message to two patients, and an IHE_XDM.ZIP passed as
// an ordinary attachment.
func TestPatientSafety(t *testing.T) {
	const otherINS = "146026322000196"
	other, err := mail.PatientAddress(otherINS)
	if err != nil {
		t.Fatal(err)
	}
	patient := mail.MustParseAddress(trkPatient)
	doc := func(ins string, to ...mail.Address) *mail.Message {
		return &mail.Message{To: to, Text: "Votre lettre de liaison.\n", Documents: patientDocs{ins}}
	}
	tests := []struct {
		name string
		msg  func() *mail.Message
		rule error // nil: sent
	}{
		{"document mail to its patient", func() *mail.Message { return doc("279035121518989", patient) }, nil},
		{"document mail to another patient", func() *mail.Message { return doc(otherINS, patient) }, mail.ErrWrongPatient},
		{"document mail without INS to a patient", func() *mail.Message { return doc("", patient) }, mail.ErrWrongPatient},
		{"another patient, lifted by the option", func() *mail.Message {
			m := doc(otherINS, patient)
			m.AllowPatientRecipientMismatch = true
			return m
		}, nil},
		{"document mail to a professional", func() *mail.Message { return doc(otherINS, mail.MustParseAddress(trkB)) }, nil},
		{"plain mail to two patients (To)", func() *mail.Message {
			return &mail.Message{To: []mail.Address{patient, other}, Subject: "RDV", Text: "x"}
		}, mail.ErrSeveralPatientRecipients},
		{"plain mail to two patients (To and Bcc)", func() *mail.Message {
			return &mail.Message{To: []mail.Address{patient}, Bcc: []mail.Address{other}, Subject: "RDV", Text: "x"}
		}, mail.ErrSeveralPatientRecipients},
		{"two patients, the option does not lift it", func() *mail.Message {
			m := doc("279035121518989", patient)
			m.Cc = []mail.Address{other}
			m.AllowPatientRecipientMismatch = true
			return m
		}, mail.ErrSeveralPatientRecipients},
		{"one patient twice", func() *mail.Message {
			return &mail.Message{To: []mail.Address{patient}, Cc: []mail.Address{patient}, Subject: "RDV", Text: "x"}
		}, nil},
		{"IHE_XDM.ZIP as an attachment", func() *mail.Message {
			return &mail.Message{To: []mail.Address{mail.MustParseAddress(trkB)}, Subject: "docs", Text: "x",
				Attachments: []*mail.Attachment{mail.BytesAttachment("ihe_xdm.zip", "application/zip", []byte("PK"))}}
		}, mail.ErrXDMAttachment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newObxEnv(t, nil, false)
			before := e.s.Stats()
			_, err := e.a.Send(trkCtx(t), tt.msg())
			check := func(via string, err error) {
				t.Helper()
				if tt.rule == nil {
					if err != nil {
						t.Fatalf("%s: refused: %v", via, err)
					}
					return
				}
				var pe *mail.PatientSafetyError
				if !errors.Is(err, tt.rule) || !errors.Is(err, mail.ErrPatientSafety) || !errors.As(err, &pe) {
					t.Fatalf("%s: %v, want %v", via, err, tt.rule)
				}
				if strings.Contains(err.Error(), otherINS+" ") || (pe.DocumentINS != "" && strings.Contains(err.Error(), pe.DocumentINS)) {
					t.Errorf("%s: the error shows the documents' INS: %v", via, err)
				}
			}
			check("Client.Send", err)
			if tt.rule != nil {
				if after := e.s.Stats(); after.SMTPConnections != before.SMTPConnections {
					t.Errorf("Client.Send connected although it refused the message")
				}
			}
			id, err := e.ob.Send(trkCtx(t), tt.msg())
			check("Outbox.Send", err)
			if tt.rule != nil {
				if id != "" || e.ob.Stats().Queued != 0 {
					t.Errorf("Outbox.Send stored a refused message (id %q)", id)
				}
				for e, err := range e.ob.Entries(trkCtx(t)) {
					t.Errorf("the store holds an entry: %+v %v", e, err)
				}
			}
		})
	}
}
