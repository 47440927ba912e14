package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestEncodeGolden(t *testing.T) {
	from := Address{Name: DisplayName{Title: "Dr", Given: "Hélène", Family: "Lefèvre", Entity: "Cabinet Médical"}.String(), Addr: "helene.lefevre@medecin.mssante.fr"}
	tests := []struct {
		name string
		msg  func() *Message
	}{
		{"plain.eml", func() *Message {
			return &Message{
				From: from, To: []Address{{Addr: "pharmacie.centrale@pharmacien.mssante.fr"}},
				Subject: "Ordonnance de Mme Dupont", Text: "Bonjour,\nci-joint l'ordonnance.\nCordialement\n",
				ProductRef: "DEV935997",
			}
		}},
		{"attachments.eml", func() *Message {
			return &Message{
				From: from, To: []Address{{Addr: "a@medecin.mssante.fr"}}, Cc: []Address{{Name: "Équipe Nuit", Addr: "nuit@ch-nord.mssante.fr"}},
				Bcc:     []Address{{Addr: "archive@ch-nord.mssante.fr"}},
				ReplyTo: []Address{{Addr: "secretariat@ch-nord.mssante.fr"}},
				Subject: "Résultats d'échographie – suite à votre demande du 20 novembre, avec les images jointes",
				Text:    "Voici les résultats.\n", HTML: "<p>Voici les <b>résultats</b>.</p>\n",
				Attachments: []*Attachment{
					BytesAttachment("Échographie été.pdf", "", []byte("%PDF-1.4 echo")),
					BytesAttachment("notes.txt", "text/plain; charset=utf-8", []byte("ligne 1\r\nligne 2\r\n")),
				},
				InReplyTo: []string{"orig-1@ch-nord.mssante.fr"}, References: []string{"orig-0@ch-nord.mssante.fr", "orig-1@ch-nord.mssante.fr"},
				ProductRef: "DEV935997", RequestReadReceipt: true, ReturnReceiptTo: true,
			}
		}},
		{"document.eml", func() *Message {
			return &Message{
				From: from, To: []Address{{Addr: "279035121518989@patient.mssante.fr"}},
				Text: "Votre lettre de liaison.\n", Documents: testDocumentSet(),
				ProductRef: "DEV935997", RequestReadReceipt: true, EndConversation: true,
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, tt.name, []byte(encodeString(t, tt.msg())))
		})
	}
}

func TestEncodeAssignsIDAndDate(t *testing.T) {
	m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}}
	if _, err := m.WriteTo(io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(m.MessageID, "@medecin.mssante.fr") || len(m.MessageID) < 30 || m.Date.IsZero() {
		t.Fatalf("MessageID %q, Date %v", m.MessageID, m.Date)
	}
	first := m.MessageID
	m2 := &Message{From: m.From, To: m.To}
	m2.WriteTo(io.Discard)
	if m2.MessageID == first {
		t.Fatal("two messages got the same Message-ID")
	}
}

func TestDocumentMailHeaders(t *testing.T) {
	m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("279035121518989@patient.mssante.fr")},
		Documents: testDocumentSet(), ProductRef: "DEV935997"}
	p, err := Parse(strings.NewReader(encodeString(t, m)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.CDACodes, ","); got != "11490-0,11502-2" {
		t.Errorf("X-MSS-CODECDA = %q", got)
	}
	if p.INS != INSQualified || p.ProductRef != "DEV935997" {
		t.Errorf("X-MSS-INS = %q, X-MSS-NIL = %q", p.INS, p.ProductRef)
	}
	if p.Subject != "XDM/1.0/DDM+Lettre de liaison à la sortie FIGATELLIX Corse 12/10/1988" {
		t.Errorf("subject %q", p.Subject)
	}
	if p.DisplaySubject() != "Lettre de liaison à la sortie FIGATELLIX Corse 12/10/1988" || !p.IsXDMSubject() {
		t.Errorf("display subject %q", p.DisplaySubject())
	}
	var names []string
	for _, a := range p.Attachments {
		names = append(names, a.Filename+" "+a.ContentType)
	}
	want := []string{
		"IHE_XDM.ZIP application/zip",
		"20261120_Lettre de liaison à la sortie_FIGATELLIX_Corse.pdf application/pdf",
		"20261119_CR de biologie_FIGATELLIX_Corse_D42.pdf application/pdf",
	}
	if strings.Join(names, "|") != strings.Join(want, "|") {
		t.Errorf("attachments:\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	if p.Kind() != KindDocument || p.XDM() == nil {
		t.Errorf("kind %v", p.Kind())
	}

	// A caller's label replaces the first document's; an XDM subject is kept.
	m.Subject = "Courrier de sortie"
	m.MessageID = ""
	if p, _ := Parse(strings.NewReader(encodeString(t, m)), nil); !strings.HasPrefix(p.Subject, "XDM/1.0/DDM+Courrier de sortie FIGATELLIX") {
		t.Errorf("label subject %q", p.Subject)
	}
	// One document without a qualified INS makes X-MSS-INS N.
	set := testDocumentSet()
	set.docs[1].Patient.QualifiedINS = false
	m = &Message{From: m.From, To: m.To, Documents: set}
	if p, _ := Parse(strings.NewReader(encodeString(t, m)), nil); p.INS != INSNotQualified {
		t.Errorf("X-MSS-INS = %q, want N", p.INS)
	}
	// Without documents, no X-MSS-CODECDA nor X-MSS-INS.
	m = &Message{From: m.From, To: m.To, Text: "x"}
	if s := encodeString(t, m); strings.Contains(s, HeaderCodeCDA) || strings.Contains(s, HeaderINS) {
		t.Error("X-MSS-CODECDA or X-MSS-INS on a mail without CDA")
	}
}

func TestDocumentMailErrors(t *testing.T) {
	from, to := MustParseAddress("a@medecin.mssante.fr"), []Address{MustParseAddress("b@medecin.mssante.fr")}
	other := testDocumentSet()
	other.docs[1].Patient.INS = "146026322000196"
	noPDF := testDocumentSet()
	noPDF.docs[0].PDF = nil
	badCode := testDocumentSet()
	badCode.docs[0].Code = "11490-0\r\nBcc: evil@x.fr"
	tests := []struct {
		name string
		set  DocumentSet
		want error
	}{
		{"two patients", other, ErrSeveralPatients},
		{"no PDF", noPDF, ErrMissingPDF},
		{"empty", &fakeDocuments{}, ErrNoDocuments},
		{"injected code", badCode, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := (&Message{From: from, To: to, Documents: tt.set}).Encode(&out, nil)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if out.Len() != 0 {
				t.Fatal("bytes written before the error")
			}
		})
	}
}

func TestHeaderInjection(t *testing.T) {
	inj := "x\r\nBcc: evil@attacker.example"
	base := func() *Message {
		return &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}}
	}
	tests := []struct {
		name string
		mod  func(m *Message)
	}{
		{"subject", func(m *Message) { m.Subject = inj }},
		{"subject LF", func(m *Message) { m.Subject = "a\nb" }},
		{"subject NUL", func(m *Message) { m.Subject = "a\x00b" }},
		{"display name", func(m *Message) { m.From.Name = inj }},
		{"recipient name", func(m *Message) { m.To[0].Name = inj }},
		{"address", func(m *Message) { m.To[0].Addr = "b@medecin.mssante.fr\r\nBcc: e@x.fr" }},
		{"product ref", func(m *Message) { m.ProductRef = inj }},
		{"message id", func(m *Message) { m.MessageID = inj }},
		{"in-reply-to", func(m *Message) { m.InReplyTo = []string{inj} }},
		{"references", func(m *Message) { m.References = []string{"a@b", inj} }},
		{"filename", func(m *Message) { m.Attachments = []*Attachment{BytesAttachment("a.pdf\r\nX: y", "", nil)} }},
		{"content type", func(m *Message) {
			m.Attachments = []*Attachment{BytesAttachment("a.pdf", "application/pdf\r\nX: y", nil)}
		}},
		{"reply-to", func(m *Message) { m.ReplyTo = []Address{{Addr: "r@medecin.mssante.fr", Name: inj}} }},
		{"read receipt to", func(m *Message) {
			m.RequestReadReceipt = true
			m.ReadReceiptTo = &Address{Addr: "r@medecin.mssante.fr", Name: inj}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.mod(m)
			var out bytes.Buffer
			err := m.Encode(&out, nil)
			if err == nil {
				t.Fatalf("encoded:\n%s", out.String())
			}
			if out.Len() != 0 {
				t.Fatal("bytes written before the error")
			}
			if !errors.Is(err, ErrHeaderInjection) && !errors.Is(err, ErrInvalidAddress) {
				t.Fatalf("refused with %v, want ErrHeaderInjection or ErrInvalidAddress", err)
			}
		})
	}
}

func TestAttachmentSources(t *testing.T) {
	a := ReaderAttachment("x.bin", "", strings.NewReader("data"))
	m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}, Attachments: []*Attachment{a}}
	if err := m.Encode(io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Encode(io.Discard, nil); !errors.Is(err, ErrAttachmentConsumed) {
		t.Fatalf("second encode of a reader attachment: %v", err)
	}
	failing := &Attachment{Filename: "f.pdf", Open: func() (io.ReadCloser, error) { return nil, errors.New("disk gone") }}
	m.Attachments = []*Attachment{failing}
	if err := m.Encode(io.Discard, nil); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("open error lost: %v", err)
	}
}

func TestXDMSubjectAndPDFName(t *testing.T) {
	birth := time.Date(1988, 10, 12, 0, 0, 0, 0, time.UTC)
	if got := XDMSubject("ECHOGRAPHIE ABDOMINOPELVIENNE", "Corse", "FIGATELLIX", birth); got != "XDM/1.0/DDM+ECHOGRAPHIE ABDOMINOPELVIENNE CORSE FIGATELLIX 12/10/1988" {
		t.Errorf("XDMSubject = %q", got)
	}
	if got := XDMSubject("CR", "Dupont", "Jean", time.Time{}); got != "XDM/1.0/DDM+CR DUPONT Jean" {
		t.Errorf("XDMSubject without birth date = %q", got)
	}
	if rest, ok := SplitXDMSubject("XDM/1.0/DDM+CR X Y"); !ok || rest != "CR X Y" {
		t.Errorf("SplitXDMSubject = %q %v", rest, ok)
	}
	if _, ok := SplitXDMSubject("Re: XDM/1.0/DDM+CR"); ok {
		t.Error("prefix must be at the start")
	}
	if got := PDFName(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "CR d'imagerie", "Lefèvre", "Hélène", "A/12"); got != "20260102_CR d'imagerie_LEFÈVRE_Hélène_A-12.pdf" {
		t.Errorf("PDFName = %q", got)
	}
}

// copyBase64 writes what RFC 2045 and go-message's wrapper write: lines of
// 76 characters joined by CRLF, none after the last.
func TestCopyBase64(t *testing.T) {
	for _, n := range []int{0, 1, 56, 57, 58, 114, 57 * 512, 57*512 + 1, 100_000} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*31 + i/7)
		}
		enc := base64.StdEncoding.EncodeToString(data)
		var lines []string
		for len(enc) > 76 {
			lines, enc = append(lines, enc[:76]), enc[76:]
		}
		if enc != "" {
			lines = append(lines, enc)
		}
		want := strings.Join(lines, "\r\n")
		var got bytes.Buffer
		if err := copyBase64(&got, iotest.HalfReader(bytes.NewReader(data))); err != nil {
			t.Fatal(err)
		}
		if got.String() != want {
			t.Fatalf("%d bytes: output differs", n)
		}
	}
	if err := copyBase64(io.Discard, iotest.ErrReader(errors.New("disk gone"))); err == nil {
		t.Fatal("read error lost")
	}
}

// The document-mail subject keeps XDM/1.0/DDM+ literal in the raw header,
// whatever the label (issue 14 §4): only the words with non-ASCII
// characters become RFC 2047 words, one per run, and the subject decodes
// back exactly. The raw header lines are a golden file; the labels are
// JDV_J07 display names (cda.TypeCodes).
func TestXDMSubjectRawHeader(t *testing.T) {
	labels := []string{
		"Lettre de liaison à la sortie d'un établissement de soins", // 11490-0
		"CR hospitalier (séjour)",                                   // 34112-3
		"Évaluation postopératoire et note de suivi",                // 34875-5: the first word is accented
		"Synthèse Salle de Naissance Mère",                          // 57057-2: two runs
		"CR d'imagerie médicale",                                    // 18748-4
		"Formulaire de conciliation médicamenteuse (Hôpital)",       // 80820-4
		"CR opératoire",                                             // 34874-8
		"Certificat médical",                                        // 89601-9
		"Note de transfert (dont lettre de liaison à l'entrée en établissement de soins)", // 18761-7: long
		"CR de biologie", // 11502-2: ASCII
	}
	patients := []DocumentPatient{
		testPatient,
		{Family: "Lefèvre", Given: "Hélène", BirthDate: time.Date(1975, 3, 2, 0, 0, 0, 0, time.UTC), INS: "279035121518989"},
	}
	var all bytes.Buffer
	for _, p := range patients {
		for _, label := range labels {
			docs := testDocumentSet()
			for i := range docs.docs {
				docs.docs[i].Label, docs.docs[i].Patient = label, p
			}
			m := &Message{From: MustParseAddress("a@medecin.mssante.fr"), To: []Address{MustParseAddress("b@medecin.mssante.fr")}, Documents: docs, ProductRef: "DEV935997"}
			raw := encodeString(t, m)
			i := strings.Index(raw, "\r\nSubject: ")
			j := strings.Index(raw[i+2:], "\r\nMIME-Version:")
			field := raw[i+2 : i+2+j+2]
			if !strings.HasPrefix(field, "Subject: XDM/1.0/DDM+") {
				t.Errorf("%q: the raw subject does not start with the literal prefix:\n%s", label, field)
			}
			for _, line := range strings.Split(strings.TrimSuffix(field, "\r\n"), "\r\n") {
				for k := 0; k < len(line); k++ {
					if line[k] >= 0x7f {
						t.Errorf("%q: non-ASCII byte in the raw header: %q", label, line)
						break
					}
				}
			}
			back, err := Parse(strings.NewReader(raw), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := XDMSubject(label, p.Family, p.Given, p.BirthDate)
			if back.Subject != want || !back.IsXDMSubject() {
				t.Errorf("subject decodes as %q, want %q", back.Subject, want)
			}
			back.Close()
			all.WriteString(field)
		}
	}
	golden(t, "xdm-subjects.txt", all.Bytes())
}

func TestEncodeSubjectWords(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Rendez-vous", "Rendez-vous"},
		{"été", "=?utf-8?q?=C3=A9t=C3=A9?="},
		{"a été b", "a =?utf-8?q?=C3=A9t=C3=A9?= b"},
		{"é è", "=?utf-8?q?=C3=A9_=C3=A8?="},
		{"é  è", "=?utf-8?q?=C3=A9__=C3=A8?="},                                       // the double space survives decoding
		{"é  x", "=?utf-8?q?=C3=A9?=  x"},                                            // text after: spaces kept as they are
		{"é \t é", "=?utf-8?q?=C3=A9_=09_=C3=A9?="},                                  // a tab between two runs (found by FuzzEncodeSubject)
		{"literal =?x?q?y?= text", "literal =?utf-8?q?=3D=3Fx=3Fq=3Fy=3F=3D?= text"}, // not taken for an encoded word
		{"XDM/1.0/DDM+Évaluation X", "XDM/1.0/DDM+=?utf-8?q?=C3=89valuation?= X"},
		{"[KO Intégration système !][902] XDM/1.0/DDM+Évaluation X", "[KO =?utf-8?q?Int=C3=A9gration_syst=C3=A8me?= !][902] XDM/1.0/DDM+=?utf-8?q?=C3=89valuation?= X"},
		{"un XDM/1.0/DDM+é", "un XDM/1.0/DDM+=?utf-8?q?=C3=A9?="},
	} {
		got := encodeSubject(tt.in)
		if got != tt.want {
			t.Errorf("encodeSubject(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if dec, err := wordDecoder.DecodeHeader(got); err != nil || dec != tt.in {
			t.Errorf("%q decodes as %q, %v", got, dec, err)
		}
	}
}
