// Package interop holds the interoperability tests of the SDK against real
// mail servers, started for each test by internal/mailserver on loopback
// ports: Dovecot 2.3 and Postfix 3.7, and Cyrus IMAP 3.6 and Exim 4.96.
// Each test runs as a subtest per pair (a table, not copies), and some also
// against Cyrus with MOVE, UIDPLUS or IDLE switched off.
//
// They are skipped unless MSSANTE_INTEROP is set: "1" runs every pair,
// "dovecot-postfix" or "cyrus-exim" one of them. When it is set, they need
// root, the Debian 12 packages dovecot-imapd, dovecot-lmtpd and postfix,
// and Cyrus and Exim unpacked as .ci/run does, and fail, never skip, if
// something is missing:
//
//	sudo MSSANTE_INTEROP=1 go test -v ./internal/interop/
//
// MSSANTE_INTEROP_KEEP=1 keeps each test's directory under /tmp
// (configurations, logs, mailboxes) for a look afterwards.
package interop
