// Package mssante is the client of an MSSanté mailbox (BAL): SMTP
// submission and IMAP at the mailbox's operator, with the trust-space rules
// of MSSanté, the French secure health messaging run by the ANS. [NewClient]
// makes a [Client]; [Client.Send] submits a message of package mail,
// [Client.Sync] reads a folder with a cursor, [Client.Watch] waits for new
// mail. Package delivery tracks what was sent (Tracker) and makes sending
// durable (Outbox); package mssantetest runs an operator in the process for
// tests.
//
// # What it implements
//
// Référentiel socle MSSanté #2 §2 (clients de messagerie): SMTP submission
// (RFC 6409) and IMAP4rev1 with STARTTLS or implicit TLS, TLS 1.2 or newer
// with the ECO.1.1.3 suites and IGC-Santé anchors only (ECO.1.1.1 to
// ECO.1.1.10, with package trust), DNS SRV discovery (RFC 6186, ECO.1.1.9),
// SASL XOAUTH2 with Pro Santé Connect tokens (ECO.1.2.1), OAUTHBEARER
// (RFC 7628), EXTERNAL with a BAL APP certificate, DSN requests (RFC 3461),
// IDLE (RFC 2177), MOVE (RFC 6851) and UIDPLUS (RFC 4315), $MDNSent
// (RFC 3503), audit events (ECO.4.1.1). Receipts on the receiving side:
// read receipts on request only (ECO.3.1.6, [Client.SendReadReceipt]) and
// the CI-SIS integration receipts ([Client.AcknowledgeIntegration]).
//
// # Sending: what is refused, and since when
//
// Client.Send, Sender.Send and delivery's Outbox.Send run [Client.Prepare]:
// they refuse a message before any byte goes out (and the Outbox before
// storing it), with typed errors: what [mail.Message.Validate] and
// [mail.CheckPatientSafety] refuse, and every recipient outside the trust
// space ([TrustError]). These rules are stricter than in earlier versions of
// the SDK. DNS SRV targets outside the mail domain need a pin or the liste
// blanche's operator identity (RFC 6186 §6; [ErrUntrustedSRVTarget], see
// Config.Operator).
//
// Other changes a caller sees: Config.TLS.VerifyConnection adds a check to
// the Verifier's instead of replacing it; soft-fail revocation warnings are
// audit events ("tls.warning") and go to Config.OnTLSWarning; server text
// that quotes the refused credentials is redacted in AuthError; Auth never
// prints its secrets.
//
// # Limits
//
// Messages read from the server are parsed with the bounds of package mail
// (Config.MaxMessageBytes for their size). [Client.Sync] and [Client.Fetch]
// read a message up to the spool threshold into a pooled buffer and parse
// it in place; [mail.Message.Close] gives that memory back for the next
// messages.
package mssante
