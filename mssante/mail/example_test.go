package mail_test

import (
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// Compose a message with a read receipt request and encode it.
func ExampleMessage_Encode() {
	from := mail.Address{
		Name: mail.DisplayName{Title: "Dr", Given: "Marie", Family: "Martin", Entity: "Cabinet Medical"}.String(),
		Addr: "marie.martin@medecin.mssante.fr",
	}
	patient, err := mail.PatientAddress("279035121518989")
	if err != nil {
		log.Fatal(err)
	}
	msg := &mail.Message{
		From:               from,
		To:                 []mail.Address{patient},
		Subject:            "Votre rendez-vous",
		Text:               "Bonjour,\nvotre rendez-vous est confirmé.\n",
		ProductRef:         "DEV935997",
		RequestReadReceipt: true,
		EndConversation:    true, // the patient may not reply
	}
	var out strings.Builder
	if err := msg.Encode(&out, nil); err != nil {
		log.Fatal(err)
	}
	// Unfold the header to print whole fields.
	for _, line := range strings.Split(strings.ReplaceAll(out.String(), "\r\n ", " "), "\r\n") {
		if strings.HasPrefix(line, "From:") || strings.HasPrefix(line, "X-MSS") || strings.HasPrefix(line, "Disposition") {
			fmt.Println(line)
		}
	}
	// Output:
	// From: "Dr_Marie_MARTIN_Cabinet Medical" <marie.martin@medecin.mssante.fr>
	// X-MSS-NIL: DEV935997
	// X-MSS-MES: FIN
	// Disposition-Notification-To: "Dr_Marie_MARTIN_Cabinet Medical" <marie.martin@medecin.mssante.fr>
}

// Parse a received message and tell reports from document mails.
func ExampleParse() {
	f, err := os.Open("testdata/dsn-postfix-failure.eml")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := mail.Parse(f, nil)
	if err != nil {
		log.Fatal(err)
	}
	switch m.Kind() {
	case mail.KindDSN:
		fmt.Println("report on", m.DSN.OriginalMessageID)
		for _, r := range m.DSN.Recipients {
			fmt.Println(r.FinalRecipient, r.Action, r.Status)
			if err := r.Err(); err != nil {
				fmt.Println(" ", err)
			}
		}
	case mail.KindDocument:
		fmt.Println("documents:", m.CDACodes, "subject:", m.DisplaySubject())
	}
	// Output:
	// report on aadq4fi4emvdcob7izgviw3cne@medecin.mssante.fr
	// inconnu@ch-nord.mssante.fr failed 5.1.1
	//   mail: delivery to inconnu@ch-nord.mssante.fr failed (5.1.1): smtp; 550 5.1.1 <inconnu@ch-nord.mssante.fr>: Recipient address rejected: User unknown in local recipient table
	// 279035121518989@patient.mssante.fr failed 5.2.1
	//   mail: delivery to 279035121518989@patient.mssante.fr failed (5.2.1): the patient's Mon Espace Santé mailbox is closed
}

// Build the patient address of a Mon Espace Santé mailbox from an INS.
func ExamplePatientAddress() {
	a, err := mail.PatientAddress("279035121518989")
	fmt.Println(a.Addr, err)
	_, err = mail.PatientAddress("279035121518988")
	fmt.Println(err)
	// Output:
	// 279035121518989@patient.mssante.fr <nil>
	// mail: invalid address "279035121518988": patient address: cda: INS matricule key does not match: "279035121518988"
}

// Answer a read receipt request the way a user would.
func ExampleNewMDN() {
	received := &mail.Message{
		MessageID:          "abc@medecin.mssante.fr",
		From:               mail.MustParseAddress("a@medecin.mssante.fr"),
		Subject:            "Ordonnance",
		RequestReadReceipt: true,
		ReadReceiptTo:      &mail.Address{Addr: "a@medecin.mssante.fr"},
	}
	mdn, err := mail.NewMDN(received, mail.MDNOptions{From: mail.MustParseAddress("b@pharmacien.mssante.fr")})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(mdn.To[0].Addr, "|", mdn.Subject, "|", mdn.MDN.Disposition)
	// Output:
	// a@medecin.mssante.fr | Accusé de lecture : Ordonnance | manual-action/MDN-sent-manually; displayed
}

// Read the documents of a received document mail: metadata, CDA header,
// patient, PDF copy and N1 body, each checked, in one call.
func ExampleMessage_ReadDocuments() {
	f, err := os.Open("testdata/document-mail.eml")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	m, err := mail.Parse(f, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	docs, err := m.ReadDocuments(nil)
	if errors.Is(err, mail.ErrNotDocumentMail) {
		return // an ordinary mail or a report
	}
	if err != nil {
		log.Fatal(err) // the archive cannot be read at all
	}
	defer docs.Close()
	for _, d := range docs.Documents {
		if err := d.Err(); err != nil {
			fmt.Println("not integrated automatically:", err) // a hash mismatch, another patient...
			continue
		}
		fmt.Printf("%s (%s), hash checked: %v\n", d.CDA.TypeDisplayName(), d.CDA.Code.Code, d.Entry.HashOK)
		fmt.Printf("patient %s %s, INS %s, qualified: %v\n", d.Patient.Family, d.Patient.Given, d.Patient.INS, d.Patient.QualifiedINS)
		fmt.Printf("PDF copy %s, same as the document's: %v\n", d.PDF.Filename, d.PDFMatchesBody)
		body, err := d.OpenBody()
		if err != nil {
			log.Fatal(err)
		}
		n, err := io.Copy(io.Discard, body) // or into the patient record
		body.Close()
		fmt.Printf("body %s, %d bytes, %v\n", d.CDA.Body.MediaType, n, err)
	}
	// Output:
	// Lettre de liaison à la sortie d'un établissement de soins (11490-0), hash checked: true
	// patient FIGATELLIX CORSE, INS 279035121518989, qualified: true
	// PDF copy 20261120_Lettre de liaison à la sortie d'un établissement de soins_FIGATELLIX_CORSE.pdf, same as the document's: true
	// body application/pdf, 55 bytes, <nil>
}
