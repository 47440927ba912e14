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
// (RFC 6409) and IMAP4rev1 with STARTTLS or implicit TLS, TLS 1.2 or 1.3
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
// Client.Send, Submission.Send and delivery's Outbox.Send run [Client.Prepare]:
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
// # Errors
//
// Every error is usable with errors.Is and errors.As: each type wraps its
// sentinel ([*ConnectError] ErrConnect, [*TLSError] ErrTLS, [*AuthError]
// ErrAuth, [*RecipientError] ErrRecipientRejected, [*TransactionError]
// ErrTransaction, [*SizeError] ErrMessageTooLarge, [*CapabilityError]
// ErrCapability, [*FolderError] ErrFolder, [*NotFoundError] ErrNotFound,
// [*TrustError] ErrOutsideTrustSpace) and keeps its cause. A [*TrustError]
// wraps what Config.Trust said of each refused recipient, so that
// errors.Is(err, trust.ErrNotInTrustSpace) and errors.As(err, &addrErr)
// (a *trust.AddressError) hold on a refused Send; ErrOutsideTrustSpace is
// trust.ErrNotInTrustSpace. An [*AuthError] carries the token source's
// error when it gave no token (with a psc.Session, errors.Is(err,
// psc.ErrSessionEnded)), and its Temporary method tells whether trying
// again later can help.
//
// [Client.Sync] tells one bad message from a lost connection: a message
// that cannot be parsed is an item with its own error (Received.Err, its
// bytes still on the server for FetchRaw), and the sequence goes on; the
// iterator's error is fatal and ends it.
//
// # Lifecycle
//
// [NewClient] takes its Config by value: it has required fields. A Client
// connects when needed; [Client.Close] ends everything it started
// (operations in progress, Watch, open Submissions, the IMAP connection), after
// which every method returns ErrClosed. The zero Client and the zero
// Submission are closed ones: use NewClient and Client.OpenSubmission. Waits on
// time go through a [Clock] (WatchOptions.Clock), the same fake clock
// serving every package of the module in tests.
//
// Changes of this version a caller sees: Sync yields a bad message with a
// nil error and Received.Err set (it used to yield the parse error, the
// Received beside it); Fetch returns no Received with a parse error;
// TrustError.Errs replaces the Reasons strings; a failing token source
// gives an *AuthError (it used to be a plain error); Ref2CipherSuites is a
// function, and no longer lists TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 nor
// the unimplemented 0xC028 (one list with package trust); Client.Close
// ends Watch and the open Submissions; Submission.Close returns the error of QUIT;
// Watch's reconnection wait is a random value between half and all of the
// backoff (it was between half and one and a half), resets after a healthy
// session, and Watch stops on an *AuthError that is not temporary; after a
// refused token (XOAUTH2 401) the client calls the token source's
// Invalidate(token) method when it has one; audit events of a server found
// by DNS SRV name that server.
//
// # Limits
//
// Messages read from the server are parsed with the bounds of package mail
// (Config.MaxMessageBytes for their size). [Client.Sync] and [Client.Fetch]
// read a message up to the spool threshold into a pooled buffer and parse
// it in place; [mail.Message.Close] gives that memory back for the next
// messages.
package mssante
