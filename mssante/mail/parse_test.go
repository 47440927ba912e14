package mail

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	sender := Address{Name: "Hôpital Nord – Cardiologie", Addr: "cardio@ch-nord.mssante.fr"}
	in := &Message{
		MessageID: "round-trip-1@ch-nord.mssante.fr",
		Date:      time.Date(2026, 11, 26, 9, 15, 0, 0, time.UTC),
		From:      Address{Name: "Dr_Hélène_LEFÈVRE_Cardiologie", Addr: "helene.lefevre@ch-nord.mssante.fr"},
		Sender:    &sender,
		ReplyTo:   []Address{{Name: "Secrétariat", Addr: "secretariat@ch-nord.mssante.fr"}},
		To:        []Address{{Name: "Zoé Müller", Addr: "zoe.muller@medecin.mssante.fr"}, {Addr: "279035121518989@patient.mssante.fr"}},
		Cc:        []Address{{Addr: "pharmacie@pharmacien.mssante.fr"}},
		Subject:   "Résultats — échographie du cœur, très attendus par l'équipe soignante du service de cardiologie",
		InReplyTo: []string{"a1@medecin.mssante.fr"}, References: []string{"a0@medecin.mssante.fr", "a1@medecin.mssante.fr"},
		Text: "Bonjour Zoé,\n\nLes résultats sont normaux. « Très bien » !\nUne ligne très longue " + strings.Repeat("é", 120) + "\n",
		HTML: "<p>Bonjour Zoé</p>\n",
		Attachments: []*Attachment{
			BytesAttachment("Compte-rendu été 2026.pdf", "application/pdf", []byte("%PDF-1.4\x00\x01\x02 binary")),
			BytesAttachment("données.csv", "text/csv", []byte("a;b\r\n1;2\r\n")),
		},
		ProductRef: "DEV935997", EndConversation: true, RequestReadReceipt: true, ReturnReceiptTo: true,
	}
	raw := encodeString(t, in)
	out, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Problems) > 0 {
		t.Errorf("problems: %v", out.Problems)
	}
	check := func(field string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", field, got, want)
		}
	}
	check("MessageID", out.MessageID, in.MessageID)
	check("Date", out.Date.Equal(in.Date), true)
	check("From", out.From, in.From)
	check("Sender", *out.Sender, *in.Sender)
	check("ReplyTo", out.ReplyTo, in.ReplyTo)
	check("To", out.To, in.To)
	check("Cc", out.Cc, in.Cc)
	check("Bcc", len(out.Bcc), 0)
	check("Subject", out.Subject, in.Subject)
	check("InReplyTo", out.InReplyTo, in.InReplyTo)
	check("References", out.References, in.References)
	check("Text", out.Text, in.Text)
	check("HTML", out.HTML, in.HTML)
	check("ProductRef", out.ProductRef, in.ProductRef)
	check("EndConversation", out.EndConversation, true)
	check("RequestReadReceipt", out.RequestReadReceipt, true)
	check("ReadReceiptTo", out.ReadReceiptTo.Addr, in.From.Addr)
	check("ReturnReceiptTo", out.ReturnReceiptTo, true)
	check("attachments", len(out.Attachments), 2)
	for i, a := range out.Attachments {
		check("attachment name", a.Filename, in.Attachments[i].Filename)
		check("attachment type", a.ContentType, in.Attachments[i].ContentType)
		got, _ := readAttachment(a)
		want, _ := readAttachment(in.Attachments[i])
		check("attachment content", got, want)
		check("attachment size", a.Size, int64(len(want)))
	}
	check("Kind", out.Kind(), KindPlain)
	check("patient recipient", out.To[1].IsPatient(), true)

	// Parse → encode → parse keeps the same fields.
	out.MessageID = in.MessageID
	again, err := Parse(strings.NewReader(encodeString(t, out)), nil)
	if err != nil || again.Subject != in.Subject || again.Text != in.Text || len(again.Attachments) != 2 {
		t.Fatalf("second round: %v", err)
	}
}

func readAttachment(a *Attachment) ([]byte, error) {
	rc, err := a.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestParseCharsets(t *testing.T) {
	raw := "From: =?iso-8859-1?q?Ren=E9?= <rene@medecin.mssante.fr>\r\n" +
		"To: a@medecin.mssante.fr\r\n" +
		"Subject: =?windows-1252?q?Compte=2Drendu_=80?=\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=ISO-8859-1\r\n" +
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"Pr=E9nom : Ren=E9\r\n"
	m, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.From.Name != "René" || m.Subject != "Compte-rendu €" || m.Text != "Prénom : René\n" {
		t.Errorf("got %q %q %q", m.From.Name, m.Subject, m.Text)
	}

	unknown := strings.Replace(raw, "ISO-8859-1", "x-unknown-42", 1)
	m, err = Parse(strings.NewReader(unknown), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Problems) == 0 || m.Text == "" {
		t.Errorf("unknown charset: problems %v, text %q", m.Problems, m.Text)
	}
}

func TestParseLenientHeaders(t *testing.T) {
	raw := "From: Mail Delivery System <MAILER-DAEMON@localhost>\r\n" +
		"To: this is not, an address list\r\n" +
		"Subject: bounce\r\n\r\nbody\r\n"
	m, err := Parse(strings.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.From.Addr != "MAILER-DAEMON@localhost" || len(m.Problems) != 1 || m.Header.Get("To") == "" {
		t.Errorf("from %q problems %v", m.From.Addr, m.Problems)
	}
}

func TestParseXDMAttachmentCase(t *testing.T) {
	for _, name := range []string{"IHE_XDM.ZIP", "IHE_XDM.zip", "ihe_xdm.Zip"} {
		raw := "From: a@medecin.mssante.fr\r\nTo: b@medecin.mssante.fr\r\nSubject: XDM/1.0/DDM+CR X Y\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n" +
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=" + name + "\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n"
		m, err := Parse(strings.NewReader(raw), nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind() != KindDocument || m.XDM() == nil || m.XDM().Size != 4 || m.DisplaySubject() != "CR X Y" {
			t.Errorf("%s: kind %v", name, m.Kind())
		}
	}
}

func TestParseLimits(t *testing.T) {
	small := &ParseOptions{MaxMessageBytes: 1000, MaxParts: 5, MaxDepth: 3, MaxHeaderBytes: 200}
	nested := func(depth int) string {
		var b strings.Builder
		b.WriteString("From: a@b.fr\r\nMIME-Version: 1.0\r\n")
		for i := 0; i < depth; i++ {
			b.WriteString("Content-Type: multipart/mixed; boundary=b" + string(rune('a'+i%26)) + "\r\n\r\n--b" + string(rune('a'+i%26)) + "\r\n")
		}
		b.WriteString("Content-Type: text/plain\r\n\r\nx\r\n")
		return b.String()
	}
	manyParts := "From: a@b.fr\r\nContent-Type: multipart/mixed; boundary=z\r\n\r\n" + strings.Repeat("--z\r\nContent-Type: text/plain\r\n\r\nx\r\n", 10) + "--z--\r\n"
	tests := []struct {
		name  string
		raw   string
		limit string
	}{
		{"message size", "From: a@b.fr\r\n\r\n" + strings.Repeat("x", 2000), "message size"},
		{"header size", "From: a@b.fr\r\nX-Big: " + strings.Repeat("y", 300) + "\r\n\r\nbody", "header size"},
		{"depth", nested(10), "depth"},
		{"parts", manyParts, "parts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.raw), small)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit || !errors.Is(err, ErrLimitExceeded) {
				t.Fatalf("err = %v, want limit %q", err, tt.limit)
			}
		})
	}
	// Exactly at the limit is fine.
	exact := "From: a@b.fr\r\n\r\n" + strings.Repeat("x", 1000-len("From: a@b.fr\r\n\r\n"))
	if _, err := Parse(strings.NewReader(exact), small); err != nil {
		t.Fatalf("message of exactly MaxMessageBytes: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	for name, raw := range map[string]string{
		"missing boundary":     "From: a@b.fr\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody\r\n",
		"header without colon": "From a@b.fr\r\nthis is garbage\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(raw), nil)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	// Inputs that must not panic, whatever they give.
	for _, raw := range []string{"", "\r\n", "\x00\x00", "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x", "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64", "From: a@b.fr\n\nbare LF\n"} {
		Parse(strings.NewReader(raw), nil)
	}
}

func TestReply(t *testing.T) {
	orig := &Message{MessageID: "o1@ch.mssante.fr", From: MustParseAddress("a@ch.mssante.fr"), ReplyTo: []Address{MustParseAddress("sec@ch.mssante.fr")},
		Subject: "XDM/1.0/DDM+CR X Y", References: []string{"o0@ch.mssante.fr"}}
	r := orig.Reply(MustParseAddress("b@medecin.mssante.fr"))
	if r.To[0].Addr != "sec@ch.mssante.fr" || r.Subject != "Re: CR X Y" || r.InReplyTo[0] != "o1@ch.mssante.fr" ||
		strings.Join(r.References, " ") != "o0@ch.mssante.fr o1@ch.mssante.fr" {
		t.Errorf("reply %+v", r)
	}
	if r2 := r.Reply(orig.From); r2.Subject != "Re: CR X Y" {
		t.Errorf("Re: doubled: %q", r2.Subject)
	}
}
