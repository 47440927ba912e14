package bench

import (
	"bytes"
	"io"
	"math/rand/v2"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante/mail"
)

// benchPDF returns n bytes shaped like a PDF whose streams are compressed:
// a header, random bytes, a trailer. Real PDFs deflate their content, so
// random bytes stand for them well.
func benchPDF(n int, seed uint64) []byte {
	const head, tail = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "\n%%EOF\n"
	b := make([]byte, max(n, len(head)+len(tail)))
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	rng.Read(b)
	copy(b, head)
	copy(b[len(b)-len(tail):], tail)
	return b
}

// benchN1 describes the N1 document of the benchmark patient, its body
// read from content, with fixed identifiers so that rounds match.
func benchN1(content io.Reader) (*cda.Document, error) {
	d, err := testdocs.Document(testdocs.Options{Type: cda.TypeLettreLiaisonSortie}, content)
	if err != nil {
		return nil, err
	}
	d.ID = cda.II{Root: "1.2.250.1.999.1", Extension: "bench-1"}
	d.SetID = cda.II{Root: "1.2.250.1.999.2", Extension: "bench-1"}
	return d, nil
}

// streamN1 returns the CDA of the benchmark patient as a stream, encoded
// on the fly from the PDF opened by openPDF: a CDASource.Open that keeps
// the input where a vendor has it, on disk, and never the CDA in memory.
func streamN1(openPDF func() (io.ReadCloser, error)) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		pdf, err := openPDF()
		if err != nil {
			return nil, err
		}
		d, err := benchN1(pdf)
		if err != nil {
			pdf.Close()
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() {
			err := d.Encode(pw)
			pdf.Close()
			pw.CloseWithError(err)
		}()
		return pr, nil
	}
}

var (
	benchFrom = mail.MustParseAddress("Dr_Alice_MARTIN <alice.martin@medecin.mssante.fr>")
	benchTo   = mail.MustParseAddress("dest@relay.mssante.fr")
)

// documentMail returns a document mail carrying the N1 of a PDF of pdfSize
// bytes: with Documents (the XDM built at each encoding from the cached CDA
// bytes) when docs is set, else with the IHE_XDM.ZIP built once and written
// from memory at each encoding.
func documentMail(pdfSize int, docs bool) (*mail.Message, error) {
	pdf := benchPDF(pdfSize, 2)
	d, err := benchN1(bytes.NewReader(pdf))
	if err != nil {
		return nil, err
	}
	var xml bytes.Buffer
	if err := d.Encode(&xml); err != nil {
		return nil, err
	}
	set, err := mail.NewDocumentSet([]mail.CDASource{{
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(xml.Bytes())), nil },
		PDF:  func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil },
	}}, nil)
	if err != nil {
		return nil, err
	}
	msg := &mail.Message{
		From: benchFrom, To: []mail.Address{benchTo},
		Subject:    "Lettre de liaison",
		Text:       "Cher confrère,\nvoici la lettre de liaison de votre patiente.\nBien confraternellement,\nDr Alice Martin\n",
		ProductRef: "MSS-BENCH",
		Documents:  set,
	}
	if docs {
		return msg, nil
	}
	// Prebuilt: the archive made once, carried by a DocumentSet that
	// writes the cached bytes (an IHE_XDM.ZIP given as an ordinary
	// attachment is refused by Send: it would bypass the document rules).
	var zip bytes.Buffer
	if err := set.WriteXDM(&zip, []string{benchTo.Addr}); err != nil {
		return nil, err
	}
	info := set.Documents()[0]
	info.PDF = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(pdf)), nil }
	msg.Documents = prebuiltDocuments{docs: []mail.DocumentInfo{info}, zip: zip.Bytes()}
	return msg, nil
}

// prebuiltDocuments is a DocumentSet whose archive was built once.
type prebuiltDocuments struct {
	docs []mail.DocumentInfo
	zip  []byte
}

func (p prebuiltDocuments) Documents() []mail.DocumentInfo { return p.docs }

func (p prebuiltDocuments) WriteXDM(w io.Writer, _ []string) error {
	_, err := w.Write(p.zip)
	return err
}

// pdfSizeForMail is the PDF size that makes a document mail of about
// mailBytes: the mail carries the PDF twice (in the archive, deflated
// base64, and as a copy), each base64-encoded again by MIME.
// About 8 KB go to the CDA header, the XDM metadata and the MIME headers.
func pdfSizeForMail(mailBytes int) int { return max(1000, (mailBytes-8000)*10/28) }

// encodedDocumentMail builds the document mail of pairs 1 and 2 and encodes
// it once.
func encodedDocumentMail(c *Config, withDocuments bool) (*mail.Message, *bytes.Buffer, error) {
	msg, err := documentMail(pdfSizeForMail(c.MailKB*1000), withDocuments)
	if err != nil {
		return nil, nil, err
	}
	var raw bytes.Buffer
	if err := msg.Encode(&raw, nil); err != nil {
		return nil, nil, err
	}
	return msg, &raw, nil
}
