package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// sendEML sends an .eml as it is, after the checks Client.Send makes on a
// message it composes: the file is parsed, and a message made of what it
// says (sender, recipients, subject, X-MSS-NIL, Message-ID, attachments,
// and the documents of its IHE_XDM.ZIP with their patients read from the
// CDA headers) goes through Client.Prepare: validity, patient safety
// (one patient, the documents' patient), and the trust-space guard for
// every envelope recipient. Then the file's bytes are submitted with
// Submission.SendRaw, with a DSN request unless --delivery-receipt=false.
//
// A draft (no X-MSS-NIL), a message without Message-ID and one with a Bcc
// header (which every recipient would see) are refused.
func sendEML(ctx context.Context, c *mssante.Client, path string, mf *messageFlags, tr *envTracker) (*mssante.SendResult, error) {
	raw, err := readFileLimited(path, mail.DefaultMaxMessageBytes)
	if err != nil {
		return nil, fileError(path, err)
	}
	m, err := mail.Parse(bytes.NewReader(raw), nil)
	if err != nil {
		return nil, fileError(path, err)
	}
	defer m.Close()
	switch {
	case m.ProductRef == "":
		return nil, fileError(path, errors.New("no X-MSS-NIL header: a draft (mss compose --no-product-ref); compose it again with --product-ref"))
	case m.MessageID == "":
		return nil, fileError(path, errors.New("no Message-ID header: compose it with mss compose"))
	case len(m.Bcc) > 0:
		return nil, fileError(path, errors.New("a Bcc header, which every recipient would see: remove it and give the addresses with --bcc"))
	}

	chk := &mail.Message{
		From: m.From, Sender: m.Sender, ReplyTo: m.ReplyTo, To: m.To, Cc: m.Cc,
		Subject: m.Subject, MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References,
		ProductRef: m.ProductRef, ReadReceiptTo: m.ReadReceiptTo,
	}
	if len(mf.to)+len(mf.cc)+len(mf.bcc) > 0 {
		if chk.To, chk.Cc, chk.Bcc, err = parseRecipients(mf.to, mf.cc, mf.bcc); err != nil {
			return nil, err
		}
	}
	for _, a := range m.Attachments {
		if !strings.EqualFold(strings.TrimSpace(a.Filename), mail.XDMFilename) {
			chk.Attachments = append(chk.Attachments, a)
			continue
		}
		if chk.Documents != nil {
			return nil, fileError(path, errors.New("two IHE_XDM.ZIP attachments"))
		}
		docs, err := emlDocuments(a)
		if err != nil {
			return nil, fileError(path, fmt.Errorf("%s: %w", mail.XDMFilename, err))
		}
		chk.Documents = docs
	}
	if err := c.Prepare(ctx, chk); err != nil {
		return nil, fileError(path, messageError(err))
	}

	// What the tracker follows ($MSSANTE_STORE): the reports asked for.
	chk.RequestDeliveryReceipt, chk.RequestReadReceipt = *mf.deliveryReceipt, chk.ReadReceiptTo != nil
	if err := tr.track(ctx, chk); err != nil {
		return nil, err
	}
	env := mssante.Envelope{MessageID: chk.MessageID, From: chk.From.Addr, DeliveryReceipt: *mf.deliveryReceipt}
	for _, r := range chk.Recipients() {
		env.Recipients = append(env.Recipients, r.Addr)
	}
	s, err := c.OpenSubmission(ctx)
	if err != nil {
		return nil, tr.sent(ctx, chk, nil, err)
	}
	defer s.Close()
	res, err := s.SendRaw(ctx, env, bytes.NewReader(raw), int64(len(raw)), nil)
	return res, tr.sent(ctx, chk, res, err)
}

// emlDocuments reads the documents of an IHE_XDM.ZIP attachment for the
// patient-safety checks: each document's patient is its CDA header's INS,
// else the INS of its XDS patientId.
func emlDocuments(a *mail.Attachment) (mail.DocumentSet, error) {
	rc, err := a.Open()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	pkg, err := xdm.Read(bytes.NewReader(data), int64(len(data)), nil)
	if err != nil {
		return nil, err
	}
	var set emlDocumentSet
	for _, d := range pkg.Documents {
		info := mail.DocumentInfo{Code: d.TypeCode.Code, Label: d.Title}
		if doc, closer, err := pkg.ParseCDA(d, &cda.ParseOptions{HeaderOnly: true}); err == nil {
			if doc.Patient.INS != nil {
				info.Patient.INS = doc.Patient.INS.Matricule
			}
			closer.Close()
		} else if ins, ok := xdm.ParseINSCX(d.PatientID); ok {
			info.Patient.INS = ins.Matricule
		}
		set = append(set, info)
	}
	if len(set) == 0 {
		return nil, errors.New("no document")
	}
	return set, nil
}

// emlDocumentSet describes the documents of a composed message; the
// archive is sent as it is in the file, never rebuilt.
type emlDocumentSet []mail.DocumentInfo

func (s emlDocumentSet) Documents() []mail.DocumentInfo { return s }

func (s emlDocumentSet) WriteXDM(io.Writer, []string) error {
	return errors.New("the archive of an .eml is sent as it is")
}
