package mailserver

import (
	"os"
	"os/exec"
	"os/user"
	"testing"
)

// EnvVar is the variable that turns the interoperability tests on.
const EnvVar = "MSSANTE_INTEROP"

// Paths of the Debian 12 binaries the harness runs.
const (
	dovecotBin  = "/usr/sbin/dovecot"
	doveadmBin  = "/usr/bin/doveadm"
	postfixBin  = "/usr/sbin/postfix"
	postconfBin = "/usr/sbin/postconf"
	masterBin   = "/usr/lib/postfix/sbin/master"
	dovecotIMAP = "/usr/lib/dovecot/imap"
	dovecotLMTP = "/usr/lib/dovecot/lmtp"
)

// Require skips the test unless MSSANTE_INTEROP is set. When it is set,
// the test fails (never skips) if anything the servers need is missing:
// the binaries of the dovecot-imapd, dovecot-lmtpd and postfix packages,
// the system users they create, or root.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvVar) == "" {
		t.Skipf("interoperability test against Dovecot and Postfix: set %s=1 to run it (needs root and the Debian packages dovecot-imapd dovecot-lmtpd postfix)", EnvVar)
	}
	for _, bin := range []string{dovecotBin, doveadmBin, dovecotIMAP, dovecotLMTP, postfixBin, postconfBin, masterBin} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is set but %s is missing (apt-get install dovecot-imapd dovecot-lmtpd postfix): %v", EnvVar, bin, err)
		}
	}
	for _, u := range []string{"dovecot", "dovenull", "postfix", "nobody"} {
		if _, err := user.Lookup(u); err != nil {
			t.Fatalf("%s is set but the system user %q is missing (created by the Debian packages): %v", EnvVar, u, err)
		}
	}
	for _, g := range []string{"postdrop", "nogroup"} {
		if _, err := user.LookupGroup(g); err != nil {
			t.Fatalf("%s is set but the system group %q is missing: %v", EnvVar, g, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatalf("%s is set but the test does not run as root: Postfix's master and Dovecot's privilege separation need it (run: sudo -E go test ./internal/interop/)", EnvVar)
	}
}
