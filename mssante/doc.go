// Package mssante composes, encodes and parses the messages of MSSanté, the
// French trust space of secure health messaging run by the ANS: addresses,
// document mails, delivery and read receipts.
//
// # What it implements
//
// Internet standards:
//   - RFC 5322 messages and RFC 2045-2049 MIME, encoded with go-message:
//     multipart/mixed, UTF-8 text as quoted-printable, base64 attachments,
//     RFC 2047 encoded words for non-ASCII header text, RFC 2231 filename*
//     with an ASCII fallback for non-ASCII file names.
//   - RFC 3464 delivery status notifications (DSN), read; RFC 3461 DSN
//     requests are made by the client when it submits.
//   - RFC 8098 message disposition notifications (MDN), read and built,
//     with the §2.1 loop rule.
//
// Référentiel socle MSSanté #2 (clients de messagerie), v1.0.1:
//   - ECO.2.1.1, ECO.2.1.3, ECO.2.1.6: a document mail concerns one patient
//     and carries an IHE_XDM.ZIP and a PDF copy of each document; its subject
//     is "XDM/1.0/DDM+<libellé> <NOM> <prénom> <date de naissance>"
//     ([XDMSubject]); PDF copies are named by [PDFName].
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
// ([NewIntegrationErrorMail], [Client.AcknowledgeIntegration]).
//
// Client side (Ref#2 §2): SMTP submission (RFC 6409) and IMAP4rev1 with
// STARTTLS or implicit TLS, TLS 1.2 or newer with the ECO.1.1.3 suites and
// IGC-Santé anchors only (ECO.1.1.1 to ECO.1.1.10, with package trust),
// DNS SRV discovery (RFC 6186, ECO.1.1.9), SASL XOAUTH2 with Pro Santé
// Connect tokens (ECO.1.2.1), OAUTHBEARER (RFC 7628), EXTERNAL with a BAL APP
// certificate, DSN requests (RFC 3461), IDLE (RFC 2177), MOVE (RFC 6851) and
// UIDPLUS (RFC 4315), $MDNSent (RFC 3503), audit events (ECO.4.1.1).
//
// Reliability: a [Tracker] follows each message per recipient from
// submission to read receipt, on the Direct Project's delivery-notification
// model (see its doc for the differences); an [Outbox] makes submission
// durable, at least once with the same Message-ID (package boltstore keeps
// both on disk).
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
//   - The [Tracker]'s read deadline is not a failure: a read receipt a
//     patient never returns leaves the recipient delivered, marked
//     [RecipientStatus.NoReadReceipt].
//   - An attachment may only declare the utf-8 or us-ascii charset, a limit
//     of go-message's writer.
//   - A subject encodes only its words with non-ASCII characters and keeps
//     XDM/1.0/DDM+ literal, for the operators' routing rules; when the
//     label's first word is accented, its RFC 2047 word follows the prefix
//     without the white space RFC 2047 §5 asks for (the subject rule has
//     none there); common decoders read it.
//
// # Sending: what is refused, and since when
//
// Client.Send, Sender.Send, Tracker.Send and Outbox.Send refuse a message
// before any byte goes out (and the Outbox before storing it), with typed
// errors. These rules are stricter than in earlier versions of the SDK:
//
//   - Addresses built by hand must be RFC 5321 mailboxes, like parsed ones
//     ([ErrInvalidAddress]); message ids must be printable ASCII without
//     spaces or brackets ([ErrInvalidMessageID]); X-MSS-NIL printable ASCII
//     ([ErrInvalidProductRef]).
//   - A From display name with '_' must follow ECO.2.2.7 ([CheckDisplayName],
//     [ErrDisplayName]); Config.Address too, at NewClient.
//   - Patient safety ([PatientSafetyError]): no IHE_XDM.ZIP as an ordinary
//     attachment, at most one patient among To, Cc and Bcc, and a document
//     mail's patient recipient must be the documents' patient
//     (Message.AllowPatientRecipientMismatch lifts only this last rule).
//   - DNS SRV targets outside the mail domain need a pin or the liste
//     blanche's operator identity (RFC 6186 §6; [ErrUntrustedSRVTarget], see
//     Config.Operator).
//
// Other changes a caller sees: Config.TLS.VerifyConnection adds a check to
// the Verifier's instead of replacing it; soft-fail revocation warnings are
// audit events ("tls.warning") and go to Config.OnTLSWarning; server text
// that quotes the refused credentials is redacted in AuthError; Auth never
// prints its secrets; the Subject keeps XDM/1.0/DDM+ and the ASCII words
// literal, encoding only the words that need it; the CI-SIS error MDN's
// Error field ends with "| E^Error^errorSeverity".
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
// [Client.Sync] and [Client.Fetch] read a message up to the spool threshold
// into memory at once and parse it in place; [Message.Close] gives that
// memory back for the next messages.
package mssante
