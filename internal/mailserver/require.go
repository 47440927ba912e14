package mailserver

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
)

// EnvVar is the variable that turns the interoperability tests on: "1"
// (or "all") runs them against every pair of servers, a pair's name
// ("dovecot-postfix", "cyrus-exim") against that pair only.
const EnvVar = "MSSANTE_INTEROP"

// CyrusRootEnvVar and EximRootEnvVar name the directories where the Debian
// packages cyrus-common and cyrus-imapd, and exim4-base and
// exim4-daemon-light, were unpacked with dpkg -x: they conflict with the
// Dovecot and Postfix packages, so they are not installed. Unset means
// DefaultCyrusRoot and DefaultEximRoot.
const (
	CyrusRootEnvVar = "MSSANTE_CYRUS_ROOT"
	EximRootEnvVar  = "MSSANTE_EXIM_ROOT"
)

// Where .ci/run unpacks Cyrus and Exim.
const (
	DefaultCyrusRoot = "/opt/mssante-interop/cyrus"
	DefaultEximRoot  = "/opt/mssante-interop/exim"
)

// Paths of the Debian 12 binaries the harness runs.
const (
	dovecotBin  = "/usr/sbin/dovecot"
	doveadmBin  = "/usr/bin/doveadm"
	postfixBin  = "/usr/sbin/postfix"
	postconfBin = "/usr/sbin/postconf"
	masterBin   = "/usr/lib/postfix/sbin/master"
	dovecotIMAP = "/usr/lib/dovecot/imap"
	dovecotLMTP = "/usr/lib/dovecot/lmtp"

	// saslpasswd2 (package sasl2-bin) writes Cyrus's password file.
	saslpasswdBin = "/usr/sbin/saslpasswd2"
)

// Pair is a pair of servers the tests run against: an IMAP server that
// delivers over LMTP and an MTA for submission.
type Pair string

// The pairs.
const (
	// DovecotPostfix is Dovecot 2.3 and Postfix 3.7 (Debian 12), installed.
	DovecotPostfix Pair = "dovecot-postfix"
	// CyrusExim is Cyrus IMAP 3.6 and Exim 4.96 (Debian 12), unpacked
	// under MSSANTE_CYRUS_ROOT and MSSANTE_EXIM_ROOT.
	CyrusExim Pair = "cyrus-exim"
)

// Pairs are all the pairs, in the order the tests run them.
var Pairs = []Pair{DovecotPostfix, CyrusExim}

// enabled reports whether MSSANTE_INTEROP asks for pair p.
func (p Pair) enabled() bool {
	v := os.Getenv(EnvVar)
	return v != "" && (v == "1" || v == "all" || v == string(p))
}

// CyrusRoot and EximRoot return where Cyrus and Exim were unpacked.
func CyrusRoot() string { return envOr(CyrusRootEnvVar, DefaultCyrusRoot) }
func EximRoot() string  { return envOr(EximRootEnvVar, DefaultEximRoot) }

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Require skips the test unless MSSANTE_INTEROP asks for DovecotPostfix;
// see [RequirePair].
func Require(t testing.TB) { RequirePair(t, DovecotPostfix) }

// RequirePair skips the test unless MSSANTE_INTEROP asks for pair p. When
// it does, the test fails (never skips) if anything the servers need is
// missing: their binaries, the system users they run as, or root.
func RequirePair(t testing.TB, p Pair) {
	t.Helper()
	if !p.enabled() {
		t.Skipf("interoperability test against %s: set %s=1 (or %s=%s) to run it; see the README", p, EnvVar, EnvVar, p)
	}
	var bins, users, groups []string
	var hint string
	switch p {
	case DovecotPostfix:
		bins = []string{dovecotBin, doveadmBin, dovecotIMAP, dovecotLMTP, postfixBin, postconfBin, masterBin}
		users = []string{"dovecot", "dovenull", "postfix", "nobody"}
		groups = []string{"postdrop", "nogroup"}
		hint = "apt-get install dovecot-imapd dovecot-lmtpd postfix"
	case CyrusExim:
		bins = []string{saslpasswdBin}
		for _, b := range cyrusBins {
			bins = append(bins, filepath.Join(CyrusRoot(), b))
		}
		bins = append(bins, filepath.Join(EximRoot(), eximBin))
		users = []string{cyrusUser, eximUser}
		groups = []string{"mail"}
		hint = "see the README: .ci/run unpacks cyrus-imapd and exim4-daemon-light under /opt/mssante-interop and creates their users"
	default:
		t.Fatalf("mailserver: unknown pair %q", p)
	}
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is set but %s is missing (%s): %v", EnvVar, bin, hint, err)
		}
	}
	for _, u := range users {
		if _, err := user.Lookup(u); err != nil {
			t.Fatalf("%s is set but the system user %q is missing (%s): %v", EnvVar, u, hint, err)
		}
	}
	for _, g := range groups {
		if _, err := user.LookupGroup(g); err != nil {
			t.Fatalf("%s is set but the system group %q is missing (%s): %v", EnvVar, g, hint, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatalf("%s is set but the test does not run as root: the servers' masters and privilege separation need it (run: sudo -E go test ./internal/interop/)", EnvVar)
	}
}
