package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mssante-go/sdk/mssante/mail"
)

// runInspect parses a message and prints what the SDK sees:
//
//	mss inspect FILE.eml [--json]
//
// A file saved from a mail client may start with an mbox "From " line; a
// delivery or read report is shown with what could not be read in it (its
// problems); the documents of a document mail are shown with their checks
// (mail.Message.ReadDocuments: hash, patient, PDF copy). The command exits
// 0 whenever the message could be read, even when its documents cannot.
func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet("inspect")
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	path := pos[0]
	f, err := os.Open(path)
	if err != nil {
		return fileError(path, err)
	}
	defer f.Close()
	m, err := mail.Parse(f, nil)
	if err != nil {
		return fileError(path, err)
	}
	defer m.Close() // large attachments are in temporary files
	if m.Header.Len() == 0 {
		// An empty file, or text without a header: a finding, not a
		// message.
		return fileError(path, errors.New("not a message: no header field"))
	}
	v := inspectView(m)
	documentsView(m, &v)
	if *asJSON {
		return writeJSON(e.stdout, v)
	}
	printInspect(e, v)
	return nil
}

// inspectJSON is the --json shape; its field names are part of the CLI's
// contract.
type inspectJSON struct {
	MessageID      string            `json:"messageId"`
	Date           string            `json:"date,omitempty"`
	From           string            `json:"from"`
	FromName       string            `json:"fromName,omitempty"`
	To             []string          `json:"to"`
	Cc             []string          `json:"cc,omitempty"`
	Subject        string            `json:"subject"`
	DisplaySubject string            `json:"displaySubject"`
	XDMSubject     bool              `json:"xdmSubject"`
	Headers        map[string]string `json:"headers"`
	Attachments    []attachmentJSON  `json:"attachments"`
	Kind           mail.Kind         `json:"kind"`
	PatientSender  bool              `json:"patientSender"`
	ReadReceipt    string            `json:"readReceiptTo,omitempty"`
	Report         *reportJSON       `json:"report,omitempty"`
	// Documents are those of a document mail (inspect only, not sync).
	Documents []documentJSON `json:"documents,omitempty"`
	// DocumentsError says why the IHE_XDM.ZIP of a document mail could not
	// be read at all; DocumentsProblems are those of the mail rather than
	// of one document (several archives, none in the archive).
	DocumentsError    string   `json:"documentsError,omitempty"`
	DocumentsProblems []string `json:"documentsProblems,omitempty"`
	Problems          []string `json:"problems,omitempty"`
}

// documentJSON is one document of a document mail.
type documentJSON struct {
	Entry string `json:"entry"`          // the DocumentEntry's id in METADATA.XML
	Path  string `json:"path,omitempty"` // its file in the archive, "" when missing
	Size  int64  `json:"size"`           // of that file
	// HashOK: the file's SHA-1 and size are those of METADATA.XML.
	HashOK bool   `json:"hashOk"`
	Code   string `json:"code"` // type of document (CDA code, else the metadata's typeCode)
	Title  string `json:"title,omitempty"`
	// Body is "N1 application/pdf", "N1 text/plain" or "N3"; "" when the
	// CDA could not be read.
	Body         string `json:"body,omitempty"`
	Patient      string `json:"patient,omitempty"` // NOM prénom, birth date
	INS          string `json:"ins,omitempty"`
	QualifiedINS bool   `json:"qualifiedIns"`
	PDFCopy      string `json:"pdfCopy,omitempty"` // file name of the PDF copy, "" when none was found
	// PDFMatchesBody: the PDF copy is the PDF inside the N1 document.
	PDFMatchesBody bool     `json:"pdfMatchesBody"`
	Problems       []string `json:"problems,omitempty"`
}

type attachmentJSON struct {
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

type reportJSON struct {
	Type               string          `json:"type"` // "dsn" or "mdn"
	Recipients         []recipientJSON `json:"recipients"`
	OriginalMessageID  string          `json:"originalMessageId"`
	OriginalEnvelopeID string          `json:"originalEnvelopeId,omitempty"`
	Reporter           string          `json:"reporter,omitempty"` // Reporting-MTA or Reporting-UA
	Disposition        string          `json:"disposition,omitempty"`
	ErrorCode          int             `json:"errorCode,omitempty"`
	Error              string          `json:"error,omitempty"`
	// Text is the human-readable part, kept for support.
	Text string `json:"text,omitempty"`
}

type recipientJSON struct {
	// Address is empty for a report that names no recipient.
	Address string `json:"address"`
	Action  string `json:"action"`
	Status  string `json:"status,omitempty"`
	// ReportedStatus is the Status field when Status was inferred from
	// the diagnostic or the text.
	ReportedStatus string `json:"reportedStatus,omitempty"`
	StatusInferred bool   `json:"statusInferred,omitempty"`
	ActionInferred bool   `json:"actionInferred,omitempty"`
	Error          string `json:"error,omitempty"`
}

func inspectView(m *mail.Message) inspectJSON {
	v := inspectJSON{
		MessageID: m.MessageID, From: jsonAddress(m.From), FromName: m.From.Name, To: jsonAddresses(m.To),
		Subject: m.Subject, DisplaySubject: m.DisplaySubject(), XDMSubject: m.IsXDMSubject(),
		Headers: map[string]string{}, Attachments: []attachmentJSON{},
		Kind: m.Kind(), PatientSender: m.FromPatient(),
	}
	if !m.Date.IsZero() {
		v.Date = m.Date.Format("2006-01-02T15:04:05Z07:00")
	}
	if len(m.Cc) > 0 {
		v.Cc = jsonAddresses(m.Cc)
	}
	for _, h := range []string{mail.HeaderNIL, mail.HeaderCodeCDA, mail.HeaderINS, mail.HeaderMES} {
		if m.Header.Has(h) {
			v.Headers[h] = strings.TrimSpace(m.Header.Get(h))
		}
	}
	for _, a := range m.Attachments {
		v.Attachments = append(v.Attachments, attachmentJSON{Name: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	if m.ReadReceiptTo != nil {
		v.ReadReceipt = m.ReadReceiptTo.Addr
	}
	switch {
	case m.DSN != nil:
		d := m.DSN
		r := &reportJSON{Type: "dsn", OriginalMessageID: d.OriginalMessageID, OriginalEnvelopeID: d.OriginalEnvelopeID,
			Reporter: d.ReportingMTA, Text: d.Text, Recipients: []recipientJSON{}}
		for _, rc := range d.Recipients {
			rj := recipientJSON{Address: rc.Recipient(), Action: string(rc.Action), Status: rc.Status,
				StatusInferred: rc.StatusInferred, ActionInferred: rc.ActionInferred}
			if rc.StatusInferred {
				rj.ReportedStatus = rc.ReportedStatus
			}
			if err := rc.Err(); err != nil {
				rj.Error = err.Error()
			}
			r.Recipients = append(r.Recipients, rj)
		}
		v.Report = r
	case m.MDN != nil:
		md := m.MDN
		d := md.Disposition
		disp := ""
		if d.Type != "" {
			disp = d.String()
		}
		r := &reportJSON{Type: "mdn", OriginalMessageID: md.OriginalMessageID, Reporter: md.ReportingUA, Disposition: disp,
			ErrorCode: int(md.ErrorCode), Error: md.Error, Text: md.Text,
			Recipients: []recipientJSON{{Address: md.FinalRecipient, Action: string(d.Type)}}}
		if err := md.Err(); err != nil {
			r.Recipients[0].Error = err.Error()
		}
		v.Report = r
	}
	for _, p := range m.Problems {
		v.Problems = append(v.Problems, p.Error())
	}
	return v
}

// documentsView reads the documents of a document mail into v.
func documentsView(m *mail.Message, v *inspectJSON) {
	docs, err := m.ReadDocuments(nil)
	if errors.Is(err, mail.ErrNotDocumentMail) {
		return
	}
	if err != nil {
		v.DocumentsError = err.Error()
		return
	}
	defer docs.Close()
	v.Documents = []documentJSON{}
	for _, d := range docs.Documents {
		j := documentJSON{Entry: d.Entry.EntryID, Path: d.Entry.Path, Size: d.Entry.ActualSize, HashOK: d.Entry.HashOK,
			Code: d.Entry.TypeCode.Code, Title: d.Entry.Title, INS: d.Patient.INS, QualifiedINS: d.Patient.QualifiedINS,
			PDFMatchesBody: d.PDFMatchesBody}
		if h := d.CDA; h != nil {
			j.Code, j.Title, j.Body = h.Code.Code, h.TypeDisplayName(), "N3"
			if h.IsN1() {
				j.Body = "N1 " + h.Body.MediaType
			}
		}
		if p := d.Patient; p.Family != "" || p.Given != "" {
			j.Patient = strings.TrimSpace(p.Family + " " + p.Given)
			if !p.BirthDate.IsZero() {
				j.Patient += ", born " + p.BirthDate.Format("02/01/2006")
			}
		}
		if d.PDF != nil {
			j.PDFCopy = d.PDF.Filename
		}
		for _, p := range d.Problems {
			j.Problems = append(j.Problems, p.Error())
		}
		v.Documents = append(v.Documents, j)
	}
	for _, p := range docs.Problems {
		v.DocumentsProblems = append(v.DocumentsProblems, p.Error())
	}
}

func printInspect(e *env, v inspectJSON) {
	w := e.stdout
	fmt.Fprintf(w, "Message-ID: %s\n", v.MessageID)
	fmt.Fprintf(w, "Kind:       %s\n", v.Kind)
	sender := v.From
	if v.FromName != "" {
		sender = v.FromName + " <" + v.From + ">"
	}
	if v.PatientSender {
		sender += "  (patient, Mon Espace Santé)"
	}
	fmt.Fprintf(w, "From:       %s\n", sender)
	fmt.Fprintf(w, "To:         %s\n", strings.Join(v.To, ", "))
	if len(v.Cc) > 0 {
		fmt.Fprintf(w, "Cc:         %s\n", strings.Join(v.Cc, ", "))
	}
	if v.XDMSubject {
		fmt.Fprintf(w, "Subject:    %s  (document mail: XDM/1.0/DDM+)\n", v.DisplaySubject)
	} else {
		fmt.Fprintf(w, "Subject:    %s\n", v.Subject)
	}
	for _, h := range []string{mail.HeaderNIL, mail.HeaderCodeCDA, mail.HeaderINS, mail.HeaderMES} {
		if val, ok := v.Headers[h]; ok {
			fmt.Fprintf(w, "%-13s %s\n", h+":", val)
		}
	}
	if v.ReadReceipt != "" {
		fmt.Fprintf(w, "Read receipt requested, to %s\n", v.ReadReceipt)
	}
	for _, a := range v.Attachments {
		fmt.Fprintf(w, "Attachment: %s (%s, %d bytes)\n", a.Name, a.ContentType, a.Size)
	}
	if r := v.Report; r != nil {
		about := r.OriginalMessageID
		if about == "" {
			about = "(original Message-ID not returned)"
		}
		fmt.Fprintf(w, "Report:     %s on %s\n", strings.ToUpper(r.Type), about)
		if r.OriginalEnvelopeID != "" {
			fmt.Fprintf(w, "  envelope id %s\n", r.OriginalEnvelopeID)
		}
		if r.Reporter != "" {
			fmt.Fprintf(w, "  reported by %s\n", r.Reporter)
		}
		if r.Disposition != "" {
			fmt.Fprintf(w, "  disposition %s\n", r.Disposition)
		}
		if r.Error != "" {
			fmt.Fprintf(w, "  error %s\n", r.Error)
		}
		for _, rc := range r.Recipients {
			addr := rc.Address
			if addr == "" {
				addr = "(recipients not named)"
			}
			var notes []string
			if rc.ActionInferred {
				notes = append(notes, "action inferred")
			}
			if rc.StatusInferred {
				reported := rc.ReportedStatus
				if reported == "" {
					reported = "none"
				}
				notes = append(notes, "status inferred, reported "+reported)
			}
			line := strings.TrimSpace(rc.Action + " " + rc.Status)
			if len(notes) > 0 {
				line += " (" + strings.Join(notes, "; ") + ")"
			}
			fmt.Fprintf(w, "  %s: %s\n", addr, line)
			if rc.Error != "" {
				fmt.Fprintf(w, "    %s\n", rc.Error)
			}
		}
		if text := firstLines(r.Text, 12); text != "" {
			fmt.Fprintf(w, "  text:\n%s", text)
		}
	}
	if v.DocumentsError != "" {
		fmt.Fprintf(w, "Documents:  cannot be read: %s\n", printable(v.DocumentsError))
	}
	for _, p := range v.DocumentsProblems {
		fmt.Fprintf(w, "Documents:  %s\n", printable(p))
	}
	for i, d := range v.Documents {
		printDocument(w, i+1, d)
	}
	for _, p := range v.Problems {
		fmt.Fprintf(w, "Problem:    %s\n", p)
	}
}

// printDocument prints one document of a document mail. Its texts come from
// the message: control characters are replaced.
func printDocument(w io.Writer, n int, d documentJSON) {
	fmt.Fprintf(w, "Document %d: %s (%s)", n, printable(d.Title), printable(d.Code))
	if d.Body != "" {
		fmt.Fprintf(w, ", %s", printable(d.Body))
	}
	fmt.Fprintln(w)
	if d.Path != "" {
		check := "hash and size checked"
		if !d.HashOK {
			check = "NOT checked against METADATA.XML"
		}
		fmt.Fprintf(w, "  file      %s, %d bytes, %s\n", printable(d.Path), d.Size, check)
	}
	if d.Patient != "" || d.INS != "" {
		ins := "no INS"
		if d.INS != "" {
			ins = "INS " + printable(d.INS)
			if d.QualifiedINS {
				ins += " (qualified)"
			}
		}
		fmt.Fprintf(w, "  patient   %s, %s\n", printable(d.Patient), ins)
	}
	if d.PDFCopy != "" {
		same := ""
		if d.PDFMatchesBody {
			same = " (the PDF inside the document)"
		}
		fmt.Fprintf(w, "  PDF copy  %s%s\n", printable(d.PDFCopy), same)
	}
	for _, p := range d.Problems {
		fmt.Fprintf(w, "  problem   %s\n", printable(p))
	}
}

// firstLines returns up to n non-empty lines of a report's human-readable
// text, indented, for support; "…" says there was more.
func firstLines(text string, n int) string {
	var b strings.Builder
	lines := 0
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimRight(l, " \t\r"); l == "" {
			continue
		}
		if lines == n {
			b.WriteString("    …\n")
			break
		}
		if r := []rune(l); len(r) > 200 {
			l = string(r[:200]) + "…"
		}
		b.WriteString("    " + printable(l) + "\n")
		lines++
	}
	return b.String()
}

// printable replaces the control characters of text from a message (a
// hostile report could hold terminal escapes) by U+FFFD.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return '\uFFFD'
		}
		return r
	}, s)
}
