// Package mail is the message model of MSSanté, the French trust space of
// secure health messaging run by the ANS: addresses, messages and document
// mails, their encoding and parsing, delivery and read reports. It does no
// network I/O: a program that only composes or parses mail links none of
// the client's libraries (go-imap, go-smtp, go-sasl, oauth2). Package
// mssante sends and receives these messages; package delivery tracks them.
//
// The main entry points:
//   - to send: fill a [Message] (addresses from [ParseAddress] and
//     [PatientAddress]), with [NewDocumentSet] as its Documents for a
//     document mail made from CDA files; [Message.Encode] writes it (package
//     mssante sends it).
//   - to receive: [Parse] or [ParseBytes] give a [Message];
//     [Message.ReadDocuments] reads the health documents of a document mail
//     in one call (XDM metadata, CDA header, patient, PDF copy, N1 body,
//     each checked); a delivery or read report is in [Message.DSN] or
//     [Message.MDN].
//   - to answer: [NewMDN] (read receipts) and [NewIntegrationErrorMail].
//
// # What it implements
//
// Internet standards:
//   - RFC 5322 messages and RFC 2045-2049 MIME, encoded with go-message:
//     multipart/mixed, UTF-8 text as quoted-printable, base64 attachments,
//     RFC 2047 encoded words for non-ASCII header text, RFC 2231 filename*
//     with an ASCII fallback for non-ASCII file names.
//   - RFC 3464 delivery status notifications (DSN), read; RFC 3461 DSN
//     requests are made by package mssante when it submits.
//   - RFC 8098 message disposition notifications (MDN), read and built,
//     with the §2.1 loop rule.
//
// Référentiel socle MSSanté #2 (clients de messagerie), v1.0.1:
//   - ECO.2.1.1, ECO.2.1.3, ECO.2.1.6: a document mail concerns one patient
//     and carries an IHE_XDM.ZIP and a PDF copy of each document; its subject
//     is "XDM/1.0/DDM+<libellé> <NOM> <prénom> <date de naissance>"
//     ([XDMSubject]); PDF copies are named by [PDFName].
//   - ECO.2.1.5: the PDF copy of an N1 document is its embedded PDF; on
//     receipt, [Message.ReadDocuments] checks it byte for byte.
//   - ECO.2.2.1, ECO.2.2.2, ECO.2.2.3: Message-ID, In-Reply-To and
//     References ([Message.Reply]); UTF-8 text parts.
//   - ECO.2.2.6: patient addresses <INS>@patient.mssante.fr with the INS key
//     checked ([PatientAddress]).
//   - ECO.2.2.7: the display name of the sender ([DisplayName]).
//   - ECO.2.2.8: X-MSS-MES: FIN.
//   - ECO.2.3.1, ECO.2.3.2, ECO.3.1.6: delivery and read receipt requests,
//     and MDNs on request only ([NewMDN]).
//   - ECO.2.4.1, ECO.2.4.2, ECO.2.4.3: X-MSS-CODECDA, X-MSS-INS, X-MSS-NIL.
//   - ECO.3.1.1, ECO.3.1.3: patient senders recognised
//     ([Message.FromPatient]); the XDM/1.0/DDM+ prefix hidden by
//     [Message.DisplaySubject].
//
// CI-SIS "Transmission au LPS d'un document CDA provenant d'un courriel
// MSSanté": error MDNs with the integration error codes 900 to 906, their
// "[KO Intégration système !][<code>]" subject, and the plain-mail fallback
// ([NewIntegrationErrorMail]; mssante.Client.AcknowledgeIntegration sends
// them).
//
// # Where it differs
//
//   - Addresses are ASCII: MSSanté domains are never internationalised, so
//     [ParseAddress] refuses non-ASCII domains and local parts (IDN
//     homographs cannot pass).
//   - The multi-value syntax of X-MSS-CODECDA is not published by the ANS;
//     codes are joined by commas without spaces, as existing clients do.
//   - Mon Espace Santé bounce texts are not published; [DSNRecipient.Err]
//     recognises them from their enhanced status codes first, then from usual
//     French and English wordings.
//   - Reports are read leniently (RFC 3464 and RFC 8098 are strict): a
//     defect inside a report's parts is a problem in [Message.Problems],
//     never a parse error, and the report keeps what could be read. A
//     missing or generic status (X.0.0, as Exim writes) is refined from
//     Diagnostic-Code or the human-readable text, of the same class only,
//     and marked [DSNRecipient.StatusInferred]; a report without
//     per-recipient fields gets one unnamed entry ([DSNRecipient.Unnamed]).
//   - An attachment may only declare the utf-8 or us-ascii charset, a limit
//     of go-message's writer.
//   - A subject encodes only its words with non-ASCII characters and keeps
//     XDM/1.0/DDM+ literal, for the operators' routing rules; when the
//     label's first word is accented, its RFC 2047 word follows the prefix
//     without the white space RFC 2047 §5 asks for (the subject rule has
//     none there); common decoders read it.
//
// # What a message must be
//
// [Message.Validate] (which Encode and mssante's Send run) refuses, with
// typed errors: addresses built by hand that are not RFC 5321 mailboxes
// ([ErrInvalidAddress]); message ids that are not printable ASCII without
// spaces or brackets ([ErrInvalidMessageID]); a non-ASCII X-MSS-NIL
// ([ErrInvalidProductRef]); a From display name with '_' that breaks
// ECO.2.2.7 ([CheckDisplayName], [ErrDisplayName]); CR or LF in any header
// value ([ErrHeaderInjection]). [CheckPatientSafety], which the sending
// side runs too, refuses an IHE_XDM.ZIP as an ordinary attachment, more than
// one patient among To, Cc and Bcc, and a document mail to a patient who is
// not the documents' patient ([PatientSafetyError];
// Message.AllowPatientRecipientMismatch lifts only this last rule).
//
// # Receiving documents
//
// [Message.ReadDocuments] reads the IHE_XDM.ZIP with package cda/xdm, which
// checks each document's SHA-1 and size against METADATA.XML, parses each
// CDA header with package cda, compares the patient INS of the header with
// the metadata's and with the other documents', and finds each document's
// PDF copy (by its ECO.2.1.6 name, else by content, else the one left),
// which it compares with the PDF inside the N1 document. What is wrong with
// one document is in its Problems; the others stay readable. A message
// that is not a document mail gives [ErrNotDocumentMail]. The archive is
// read in place, from Parse's temporary file when it is large.
//
// # Errors
//
// Errors are typed: errors.As gives the details, and each chain names the
// rule broken with a sentinel, which errors.Is tests. [*AddressError]
// wraps ErrInvalidAddress; [*HeaderError] ErrHeaderInjection,
// ErrInvalidMessageID or ErrInvalidProductRef; [*DisplayNameError]
// ErrDisplayName; [*PatientSafetyError] ErrPatientSafety and the rule
// (ErrWrongPatient, ErrSeveralPatientRecipients, ErrXDMAttachment);
// [*DocumentError] the problem of one document; [*DeliveryError]
// ErrDeliveryFailed or ErrDeliveryDelayed and, for a Mon Espace Santé
// bounce, its reason (ErrPatientUnknown, ErrPatientMailboxClosed,
// ErrPatientAddressInvalid, ErrPatientMessageTooLarge); [*IntegrationError]
// ErrIntegration; [*LimitError] ErrLimitExceeded; [*ParseError]
// ErrMalformed. The sentinels play the part of the reason enums of
// crypto/x509 (CertificateInvalidError.Reason) and are kept as sentinels on
// purpose: errors.Is reads them through the wrapping of packages mssante
// and delivery and through errors.Join, where a reason field would need
// errors.As at each level. The CI-SIS codes 900 to 906
// ([IntegrationErrorCode], IntegrationUnknownPatient…) are values an MDN
// carries, not errors.
//
// # Limits
//
// [Parse] bounds every read: the message size, the top-level and each part
// header (MaxHeaderBytes), the number of parts and their nesting, with
// documented defaults ([ParseOptions]); these fail the parse with a
// [*LimitError]. Inside delivery and read reports, the fields are read in
// linear time and bounded too (DefaultMaxReportFields,
// DefaultMaxReportFieldBytes, 1 MiB per report part), but what is over
// those limits is left out and listed as a problem. No error quotes more
// than about a hundred bytes of the input.
// Attachments up to the spool threshold (1 MiB) stay in memory, base64 ones
// still encoded until they are opened; larger ones go to temporary files.
// [ParseBytes] parses a message held in memory in place; [Message.Close]
// gives that memory back (see ParseOptions.Release).
package mail
