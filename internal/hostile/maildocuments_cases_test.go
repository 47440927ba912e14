package hostile

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/mssante/mail"
)

// --- Received document mails (Message.ReadDocuments, issue 15 §4) ---

// receivedDocuments encodes a mail carrying archive as its IHE_XDM.ZIP and
// pdf as the PDF copy, parses it back and reads its documents; it returns
// the problems of the first document (Err), after checking that its header
// and body are still readable.
func receivedDocuments(t *testing.T, archive, pdf []byte) error {
	m := &mail.Message{From: mail.MustParseAddress("a@medecin.mssante.fr"), To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")},
		Attachments: []*mail.Attachment{
			mail.BytesAttachment("IHE_XDM.ZIP", "application/zip", archive),
			mail.BytesAttachment("20261120_CR ou fiche de consultation ou de visite_FIGATELLIX_CORSE.pdf", "application/pdf", pdf),
		}}
	var raw bytes.Buffer
	if err := m.Encode(&raw, nil); err != nil {
		t.Fatal(err)
	}
	received, err := mail.Parse(&raw, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err := received.Close(); err != nil {
			t.Errorf("closing the parsed message: %v", err)
		}
	}()
	docs, err := received.ReadDocuments(nil)
	if err != nil {
		return err
	}
	defer func() {
		if err := docs.Close(); err != nil {
			t.Errorf("closing the documents: %v", err)
		}
	}()
	if len(docs.Documents) != 1 {
		return errors.New("documents lost")
	}
	d := docs.Documents[0]
	if d.CDA == nil {
		return errors.New("header not read")
	}
	body, err := d.OpenBody()
	if err != nil {
		return err
	}
	defer func() {
		if err := body.Close(); err != nil {
			t.Errorf("closing the document body: %v", err)
		}
	}()
	if b, err := io.ReadAll(body); err != nil || string(b) != "%PDF-1.4 test" {
		return errors.New("body not readable")
	}
	return d.Err()
}

func mailDocumentsCases(t *testing.T) []hostileCase {
	valid := validPackage(t)
	pdf := []byte("%PDF-1.4 test")
	bomb := makeZIP(t, entry{name: meta, rawDeflate: deflated(t, 64<<20), usize: 64 << 20})
	otherPatient := rewrite(t, valid, func(name string, d []byte) []byte {
		if name == meta {
			return bytes.ReplaceAll(d, []byte("279035121518989"), []byte("146026322000196"))
		}
		return d
	})
	return []hostileCase{
		{"Received documents", "document mail whose IHE_XDM.ZIP is 64 MB of zeros in 64 KB",
			"`ReadDocuments` refuses it with `xdm.ErrLimit` (ratio)", sdk(func() error {
				return receivedDocuments(t, bomb, pdf)
			}), is(xdm.ErrLimit)},
		{"Received documents", "document mail whose CDA was changed after METADATA.XML was written",
			"the document's problems hold `xdm.ErrHashMismatch`; its header and body stay readable", sdk(func() error {
				return receivedDocuments(t, tamper(t, valid), pdf)
			}), is(xdm.ErrHashMismatch)},
		{"Received documents", "document mail whose PDF copy is not the PDF inside its N1 document",
			"`mail.ErrPDFCopyMismatch` on the document (Ref#2 ECO.2.1.5)", sdk(func() error {
				return receivedDocuments(t, valid, []byte("%PDF-1.4 another letter"))
			}), is(mail.ErrPDFCopyMismatch)},
		{"Received documents", "document mail whose METADATA.XML names another patient than the CDA",
			"`mail.ErrPatientMismatch` on the document", sdk(func() error {
				return receivedDocuments(t, otherPatient, pdf)
			}), is(mail.ErrPatientMismatch)},
	}
}
