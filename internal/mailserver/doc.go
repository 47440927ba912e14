// Package mailserver starts real mail servers for interoperability tests,
// as pairs of an IMAP server and an MTA (see [Pair]):
//
//   - Dovecot 2.3 (IMAP with STARTTLS, LMTP, SASL PLAIN and EXTERNAL with
//     client certificates) and a separate Postfix 3.7 instance (submission
//     with STARTTLS and SASL through Dovecot's auth service, DSN, delivery
//     to Dovecot over LMTP, domains that bounce and domains that defer), as
//     in the Debian 12 packages dovecot-imapd, dovecot-lmtpd and postfix;
//   - Cyrus IMAP 3.6 (IMAP with STARTTLS, LMTP, SASL PLAIN from a sasldb
//     file and EXTERNAL with client certificates; MOVE, UIDPLUS and IDLE
//     can be switched off) and Exim 4.96 (submission with STARTTLS, AUTH
//     PLAIN after TLS, dsn_advertise_hosts = *, delivery to Cyrus over
//     LMTP, domains that bounce and domains that defer), from the Debian 12
//     packages cyrus-common, cyrus-imapd, exim4-base and
//     exim4-daemon-light. Those conflict with the Dovecot and Postfix
//     packages: they are unpacked with dpkg -x under MSSANTE_CYRUS_ROOT and
//     MSSANTE_EXIM_ROOT (default /opt/mssante-interop/cyrus and
//     /opt/mssante-interop/exim), with their shared libraries installed.
//
// Everything lives in a fresh directory under /tmp (short enough for UNIX
// socket paths) and listens on free loopback ports; nothing in /etc is read
// or written and the system daemons, if any, are left alone. The servers run
// as child processes of the test and are stopped, with their whole process
// groups, when the test ends, failed or not.
//
// System state the servers need and the harness does not create: the
// users of the packages (dovecot, dovenull, postfix, group postdrop;
// cyrus in group mail, Debian-exim), which .ci/run creates for Cyrus and
// Exim. Exim runs as Debian-exim, not root, so that its configuration need
// not be listed in /etc/exim4/trusted_configs. The one thing the harness
// creates outside its directory is /dev/log, when no syslog daemon serves
// it, for Cyrus's logs (see syslog.go); it is removed after the last Cyrus
// of the test binary.
//
// The tests that use it run only when MSSANTE_INTEROP names their pair or
// is "1" (see [RequirePair]); they need root, because the servers' masters
// and privilege separation do.
package mailserver
