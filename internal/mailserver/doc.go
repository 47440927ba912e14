// Package mailserver starts real mail servers for interoperability tests:
// Dovecot 2.3 (IMAP with STARTTLS, LMTP, SASL PLAIN and EXTERNAL with client
// certificates) and a separate Postfix 3.7 instance (submission with
// STARTTLS and SASL through Dovecot's auth service, DSN, delivery to Dovecot
// over LMTP, and error domains that bounce), as in the Debian 12 packages
// dovecot-imapd, dovecot-lmtpd and postfix.
//
// Everything lives in a fresh directory under /tmp (short enough for UNIX
// socket paths) and listens on free loopback ports; nothing in /etc is read
// or written and the system daemons, if any, are left alone. The servers run
// as child processes of the test and are stopped, with their whole process
// groups, when the test ends, failed or not.
//
// The tests that use it run only when MSSANTE_INTEROP is set (see
// [Require]); they need root, because Postfix's master and Dovecot's
// privilege separation do.
package mailserver
