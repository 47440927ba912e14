package mail_test

import (
	"fmt"
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
