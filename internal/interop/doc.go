// Package interop holds the interoperability tests of the SDK against real
// mail servers: Dovecot 2.3 (IMAP, LMTP, SASL PLAIN and EXTERNAL) and
// Postfix 3.7 (submission, real DSNs), started for each test by
// internal/mailserver on loopback ports.
//
// They are skipped unless MSSANTE_INTEROP is set; when it is, they need
// root and the Debian 12 packages dovecot-imapd, dovecot-lmtpd and postfix,
// and fail if those are missing:
//
//	sudo MSSANTE_INTEROP=1 go test -v ./internal/interop/
//
// MSSANTE_INTEROP_KEEP=1 keeps each test's directory under /tmp
// (configurations, logs, mailboxes) for a look afterwards.
package interop
