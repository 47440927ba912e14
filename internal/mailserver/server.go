package mailserver

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mssante-go/sdk/internal/childproc"
	"github.com/mssante-go/sdk/internal/testpki"
)

// DefaultDomains are the domains delivered to the IMAP server when
// Options.Domains is empty.
var DefaultDomains = []string{"medecin.mssante.fr", "ch-test.mssante.fr", "patient.mssante.fr"}

// DefaultErrorDomains are the domains the MTA bounces when
// Options.ErrorDomains is nil: every message to them gets a failure DSN.
var DefaultErrorDomains = map[string]string{"ferme.mssante.fr": "5.1.2 domain closed (test error transport)"}

// DefaultDeferDomains are the domains the MTA defers when
// Options.DeferDomains is nil: every message to them stays queued, with a
// delay DSN after a few seconds.
var DefaultDeferDomains = map[string]string{"lent.mssante.fr": "4.4.1 mailbox server unavailable (test retry transport)"}

// Hostname is the name of the servers in their greetings and in the DSNs
// (Reporting-MTA). Their certificate is for localhost and 127.0.0.1.
const Hostname = "mx.interop.test"

// KeepEnvVar, when set, keeps the test directory (configurations, logs,
// mailboxes) after the test, for debugging.
const KeepEnvVar = "MSSANTE_INTEROP_KEEP"

// startTimeout bounds the start of each server.
const startTimeout = 30 * time.Second

// Options configure Start. A nil *Options means defaults.
type Options struct {
	// Pair is the pair of servers to start. Empty means DovecotPostfix.
	Pair Pair
	// Domains are delivered by the MTA to the IMAP server over LMTP; the
	// MTA accepts any recipient in them and the IMAP server refuses
	// unknown mailboxes (550 5.1.1), which the MTA bounces. Empty means
	// DefaultDomains.
	Domains []string
	// ErrorDomains map domains to an enhanced status code and a text:
	// every message to them bounces (Postfix's error transport gives both,
	// Exim's :fail: keeps the text and writes its own status 5.0.0). Nil
	// means DefaultErrorDomains.
	ErrorDomains map[string]string
	// DeferDomains map domains to an enhanced status code and a text:
	// every message to them is deferred and retried (Postfix's retry
	// transport, Exim's :defer:), and the sender gets a delay DSN after
	// 2 (Postfix) or 3 (Exim) seconds. Nil means DefaultDeferDomains.
	DeferDomains map[string]string
	// MaxMessageBytes is the MTA's message size limit. Zero means 64 MiB.
	MaxMessageBytes int64
	// WithoutCapabilities are IMAP capabilities the server must not offer:
	// "MOVE", "UIDPLUS" (Cyrus's suppress_capabilities) and "IDLE" (Cyrus's
	// imapidlepoll: 0, which also refuses the command). Cyrus only: Start
	// fails for Dovecot. Empty means none: the server offers them all.
	WithoutCapabilities []string
}

// Server is a pair of servers (an IMAP server and an MTA) started for one
// test.
type Server struct {
	// Pair tells which servers run.
	Pair Pair
	// Dir holds the configurations, queues, mailboxes and logs.
	Dir string
	// IMAPAddr (STARTTLS) and SubmissionAddr (submission, STARTTLS) are
	// what a client connects to; LMTPAddr is the IMAP server's delivery
	// port, used by the MTA.
	IMAPAddr, SubmissionAddr, LMTPAddr string
	// PKI issued the servers' certificate and issues client certificates;
	// the IMAP server trusts its root and intermediate for EXTERNAL.
	PKI *testpki.PKI

	dovecotConf string
	cyrus       *cyrusState
	eximDir     string     // exim/ in Dir, when Exim runs
	phases      []string   // how long each start-up step took, for the log
	lastPhase   time.Time  // end of the previous step
	mu          sync.Mutex // guards the user files
	passwd      []string
	certUsers   []string
}

// Start starts a pair of servers for t and stops them when t ends. It
// calls RequirePair first, so the test is skipped unless MSSANTE_INTEROP
// asks for the pair, and fails if anything is missing.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Pair == "" {
		o.Pair = DovecotPostfix
	}
	RequirePair(t, o.Pair)
	if len(o.WithoutCapabilities) > 0 && o.Pair != CyrusExim {
		t.Fatalf("mailserver: WithoutCapabilities %v: only Cyrus can switch capabilities off", o.WithoutCapabilities)
	}
	if len(o.Domains) == 0 {
		o.Domains = DefaultDomains
	}
	if o.ErrorDomains == nil {
		o.ErrorDomains = DefaultErrorDomains
	}
	if o.DeferDomains == nil {
		o.DeferDomains = DefaultDeferDomains
	}
	if o.MaxMessageBytes == 0 {
		o.MaxMessageBytes = 64 << 20
	}

	// t.TempDir is too deep for UNIX socket paths (108 bytes), and private
	// (0700) where the servers' unprivileged users must reach their files.
	dir, err := os.MkdirTemp("/tmp", "mss-interop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if os.Getenv(KeepEnvVar) != "" {
			t.Logf("mailserver: %s set, keeping %s", KeepEnvVar, dir)
			return
		}
		os.RemoveAll(dir)
	})
	start := time.Now()
	s := &Server{Pair: o.Pair, Dir: dir, lastPhase: start}
	setup := s.setup
	if o.Pair == CyrusExim {
		setup = s.setupCyrusExim
	}
	if err := setup(t, o); err != nil {
		t.Fatal(err)
	}
	t.Logf("mailserver: %s (IMAP %s, LMTP %s, submission %s) started in %v (%s) in %s",
		o.Pair, s.IMAPAddr, s.LMTPAddr, s.SubmissionAddr, time.Since(start).Round(time.Millisecond), strings.Join(s.phases, ", "), dir)
	return s
}

// setupCyrusExim starts Cyrus, then Exim.
func (s *Server) setupCyrusExim(t testing.TB, o Options) error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"tls", "users"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := s.writeTLS(); err != nil {
		return err
	}
	s.phase("certificates")
	ports, err := childproc.FreePorts(3)
	if err != nil {
		return err
	}
	imapPort, lmtpPort, subPort := ports[0], ports[1], ports[2]
	s.IMAPAddr = "127.0.0.1:" + strconv.Itoa(imapPort)
	s.LMTPAddr = "127.0.0.1:" + strconv.Itoa(lmtpPort)
	s.SubmissionAddr = "127.0.0.1:" + strconv.Itoa(subPort)
	if err := s.startCyrus(t, o, imapPort, lmtpPort); err != nil {
		return err
	}
	s.phase("cyrus")
	if err := s.startExim(t, o, subPort, lmtpPort); err != nil {
		return err
	}
	s.phase("exim")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%s", s.Logs())
		}
	})
	return nil
}

func (s *Server) setup(t testing.TB, o Options) error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	uid, gid, err := mailOwner()
	if err != nil {
		return err
	}
	for _, d := range []string{"tls", "users", "mail", "pf"} {
		if err := os.Mkdir(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chown(filepath.Join(s.Dir, "mail"), uid, gid); err != nil {
		return err
	}
	if err := s.writeTLS(); err != nil {
		return err
	}
	s.phase("certificates")
	if err := s.writeUsers(); err != nil {
		return err
	}
	ports, err := childproc.FreePorts(4)
	if err != nil {
		return err
	}
	imapPort, lmtpPort, authPort, subPort := ports[0], ports[1], ports[2], ports[3]
	s.IMAPAddr = "127.0.0.1:" + strconv.Itoa(imapPort)
	s.LMTPAddr = "127.0.0.1:" + strconv.Itoa(lmtpPort)
	s.SubmissionAddr = "127.0.0.1:" + strconv.Itoa(subPort)
	authAddr := "127.0.0.1:" + strconv.Itoa(authPort)

	// Dovecot.
	conf, err := dovecotParams{
		Dir: s.Dir, Instance: filepath.Base(s.Dir), Hostname: Hostname,
		UID: uid, GID: gid, IMAPPort: imapPort, LMTPPort: lmtpPort, AuthPort: authPort,
	}.render()
	if err != nil {
		return err
	}
	s.dovecotConf = filepath.Join(s.Dir, "dovecot.conf")
	if err := os.WriteFile(s.dovecotConf, conf, 0o644); err != nil {
		return err
	}
	dovecot := serverCmd(&prefixWriter{t: t, prefix: "dovecot: "}, dovecotBin, "-F", "-c", s.dovecotConf)
	if err := s.startDaemon(t, "dovecot", dovecot, []string{"dovecot.log"}, s.IMAPAddr, s.LMTPAddr, authAddr); err != nil {
		return err
	}
	s.phase("dovecot")

	// Postfix, a separate instance with its own configuration, queue and
	// data directories. Its master runs in the foreground (-d) as our
	// child, not detached as "postfix start" would leave it; the queue is
	// made here, as "postfix check" would (it runs dozens of shell
	// commands: seconds on a busy machine).
	pf := filepath.Join(s.Dir, "pf")
	mainCF, masterCF, err := postfixParams{
		Dir: pf, TLSDir: filepath.Join(s.Dir, "tls"), Hostname: Hostname,
		SubmissionPort: subPort, AuthPort: authPort, LMTPAddr: s.LMTPAddr,
		Domains: o.Domains, ErrorDomains: o.ErrorDomains, DeferDomains: o.DeferDomains, MaxMessageBytes: o.MaxMessageBytes,
	}.render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pf, "main.cf"), mainCF, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pf, "master.cf"), masterCF, 0o644); err != nil {
		return err
	}
	if err := postfixQueue(pf); err != nil {
		return err
	}
	postfix := serverCmd(&prefixWriter{t: t, prefix: "postfix: "}, masterBin, "-c", pf, "-d")
	if err := s.startDaemon(t, "postfix", postfix, []string{"pf/maillog"}, s.SubmissionAddr); err != nil {
		return err
	}
	s.phase("postfix")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dovecot.log:\n%s", s.logTail("dovecot.log"))
			t.Logf("postfix maillog:\n%s", s.logTail("pf/maillog"))
		}
	})
	return nil
}

// postfixQueue makes the queue and data directories of a Postfix instance
// in dir, with the owners and modes of Debian's postfix-files.
func postfixQueue(dir string) error {
	pu, err := user.Lookup("postfix")
	if err != nil {
		return err
	}
	pg, err := user.LookupGroup("postdrop")
	if err != nil {
		return err
	}
	postfix, _ := strconv.Atoi(pu.Uid)
	postdrop, _ := strconv.Atoi(pg.Gid)
	dirs := []struct {
		name     string
		uid, gid int
		mode     os.FileMode
	}{
		{"data", postfix, -1, 0o700},
		{"queue", 0, -1, 0o755},
		{"queue/pid", 0, -1, 0o755},
		{"queue/maildrop", postfix, postdrop, 0o730},
		{"queue/public", postfix, postdrop, 0o710},
	}
	for _, q := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		dirs = append(dirs, struct {
			name     string
			uid, gid int
			mode     os.FileMode
		}{"queue/" + q, postfix, -1, 0o700})
	}
	for _, d := range dirs {
		path := filepath.Join(dir, d.name)
		if err := os.Mkdir(path, d.mode); err != nil {
			return err
		}
		// Mkdir's mode passes through the umask.
		if err := os.Chmod(path, d.mode); err != nil {
			return err
		}
		if err := os.Chown(path, d.uid, d.gid); err != nil {
			return err
		}
	}
	return nil
}

// phase records the duration of a start-up step.
func (s *Server) phase(name string) {
	now := time.Now()
	s.phases = append(s.phases, fmt.Sprintf("%s %v", name, now.Sub(s.lastPhase).Round(time.Millisecond)))
	s.lastPhase = now
}

// mailOwner returns the uid and gid mail is stored under: nobody, since
// the packages create no mail user and Dovecot refuses root.
func mailOwner() (int, int, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return 0, 0, err
	}
	g, err := user.LookupGroup("nogroup")
	if err != nil {
		return 0, 0, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(g.Gid)
	return uid, gid, nil
}

// writeTLS makes the test PKI and writes the servers' certificate chain,
// key (0600) and the CA bundle Dovecot checks client certificates with.
func (s *Server) writeTLS() error {
	pki, err := testpki.New(&testpki.Options{Name: "INTEROP"})
	if err != nil {
		return err
	}
	s.PKI = pki
	cert, err := pki.ServerCertificate("localhost", "127.0.0.1")
	if err != nil {
		return err
	}
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		return err
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{"server.pem", chain, 0o644},
		{"server.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600},
		{"ca.pem", testpki.PEM(pki.Root, pki.Intermediate), 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, "tls", f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// copyTLS copies the server's certificate chain, key and CA bundle into
// dir, for a server that runs as uid:gid and reads its key itself.
func (s *Server) copyTLS(dir string, uid, gid int) error {
	for _, name := range []string{"server.pem", "server.key", "ca.pem"} {
		b, err := os.ReadFile(filepath.Join(s.Dir, "tls", name))
		if err != nil {
			return err
		}
		p := filepath.Join(dir, name)
		mode := os.FileMode(0o644)
		if name == "server.key" {
			mode = 0o600
		}
		if err := os.WriteFile(p, b, mode); err != nil {
			return err
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// RootCAs returns a pool with the root of the servers' PKI, for
// mssante.Config.RootCAs.
func (s *Server) RootCAs() *x509.CertPool { return s.PKI.Pool() }

// randomPassword returns a fresh password.
func randomPassword() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// AddUser creates a mailbox that logs in with SASL PLAIN (IMAP and
// submission) and returns its password. Dovecot reads the user file again
// on its next lookup; on Cyrus, the administrator creates the mailbox with
// its Sent and Trash folders, and the password goes to Cyrus's sasldb and
// to Exim's password file.
func (s *Server) AddUser(t testing.TB, address string) string {
	t.Helper()
	password := randomPassword()
	if s.cyrus != nil {
		if err := s.saslpasswd(address, password); err != nil {
			t.Fatal(err)
		}
		s.createCyrusMailbox(t, address)
	}
	s.mu.Lock()
	// user:password:uid:gid:gecos:home:shell: userdb needs every field,
	// empty ones take the userdb's default_fields.
	s.passwd = append(s.passwd, strings.ToLower(address)+":{PLAIN}"+password+"::::::")
	err := s.writeUsers()
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return password
}

// AddCertificateUser creates an applicative mailbox (BAL APP) that logs in
// to IMAP with a client certificate and SASL EXTERNAL, and returns the
// certificate, issued by the servers' PKI with the address as common name.
func (s *Server) AddCertificateUser(t testing.TB, address string) tls.Certificate {
	t.Helper()
	cert, err := s.PKI.ClientCertificate(address, "1750803447")
	if err != nil {
		t.Fatal(err)
	}
	if s.cyrus != nil {
		s.createCyrusMailbox(t, address)
	}
	s.mu.Lock()
	// user:password:uid:gid:gecos:home:shell:extra fields
	s.certUsers = append(s.certUsers, strings.ToLower(address)+":::::::nopassword")
	err = s.writeUsers()
	s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// writeUsers rewrites the user files by renaming new ones into place, so
// that Dovecot and Exim never read half a file.
func (s *Server) writeUsers() error {
	files := map[string][]string{
		filepath.Join(s.Dir, "users", "passwd"):       s.passwd,
		filepath.Join(s.Dir, "users", "certificates"): s.certUsers,
	}
	if s.eximDir != "" {
		// Exim's lsearch file: "user: password".
		var lines []string
		for _, l := range s.passwd {
			user, rest, _ := strings.Cut(l, ":{PLAIN}")
			lines = append(lines, user+": "+strings.TrimSuffix(rest, "::::::"))
		}
		files[filepath.Join(s.eximDir, "passwd")] = lines
	}
	for path, lines := range files {
		var b bytes.Buffer
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if err := os.WriteFile(path+".new", b.Bytes(), 0o644); err != nil {
			return err
		}
		if err := os.Rename(path+".new", path); err != nil {
			return err
		}
	}
	return nil
}

// Doveadm runs a doveadm command against the Dovecot of s, e.g.
// Doveadm(t, "mailbox", "create", "-u", addr, "Archives").
func (s *Server) Doveadm(t testing.TB, args ...string) string {
	t.Helper()
	if s.Pair != DovecotPostfix {
		t.Fatalf("Doveadm on %s", s.Pair)
	}
	out, err := run(doveadmBin, append([]string{"-c", s.dovecotConf}, args...)...)
	if err != nil {
		t.Fatalf("doveadm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// CreateFolder creates a folder in the mailbox of address, behind the
// client's back.
func (s *Server) CreateFolder(t testing.TB, address, folder string) {
	t.Helper()
	if s.cyrus != nil {
		s.cyrusAdmin(t, func(c *imapclient.Client) error { return c.Create(cyrusMailbox(address, folder), nil).Wait() })
		return
	}
	s.Doveadm(t, "mailbox", "create", "-u", address, folder)
}

// DeleteFolder deletes a folder of the mailbox of address, behind the
// client's back.
func (s *Server) DeleteFolder(t testing.TB, address, folder string) {
	t.Helper()
	if s.cyrus != nil {
		// An administrator may change any ACL but needs the x right to
		// delete (RFC 4314): it gives it to itself first.
		s.cyrusAdmin(t, func(c *imapclient.Client) error {
			name := cyrusMailbox(address, folder)
			if err := c.SetACL(name, CyrusAdmin, imap.RightModificationAdd, imap.RightSet("x")).Wait(); err != nil {
				return err
			}
			return c.Delete(name).Wait()
		})
		return
	}
	s.Doveadm(t, "mailbox", "delete", "-u", address, folder)
}

// Logs returns the end of the servers' logs.
func (s *Server) Logs() string {
	if s.Pair == CyrusExim {
		return "cyrus.log (syslog):\n" + s.logTail("cyrus.log") + "\nexim mainlog:\n" + s.logTail("exim/log/mainlog") +
			"\nexim paniclog:\n" + s.logTail("exim/log/paniclog")
	}
	return "dovecot.log:\n" + s.logTail("dovecot.log") + "\npostfix maillog:\n" + s.logTail("pf/maillog")
}

// logTail returns the last lines of a log file of the test directory.
// startDaemon starts one of the servers as a child process, stops it when
// t ends, and waits until it listens on every address of addrs; when it
// does not, the error carries the tail of each of its logs.
func (s *Server) startDaemon(t testing.TB, name string, cmd *exec.Cmd, logs []string, addrs ...string) error {
	p, err := childproc.Start(name, cmd)
	if err != nil {
		return err
	}
	t.Cleanup(func() {
		start := time.Now()
		if err := p.Kill(10 * time.Second); err != nil {
			t.Error(err)
		}
		t.Logf("mailserver: %s stopped in %v", name, time.Since(start).Round(time.Millisecond))
	})
	for _, addr := range addrs {
		if err := childproc.WaitListening(p, addr, startTimeout); err != nil {
			tails := make([]string, len(logs))
			for i, l := range logs {
				tails[i] = s.logTail(l)
			}
			return fmt.Errorf("%w\n%s", err, strings.Join(tails, "\n"))
		}
	}
	return nil
}

// mkdirsOwned makes the subdirectories subdirs of dir ("" is dir itself),
// mode 0750, owned by the system user name, and returns its uid and gid.
func mkdirsOwned(name, dir string, subdirs ...string) (uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	for _, d := range subdirs {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o750); err != nil {
			return 0, 0, err
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

func (s *Server) logTail(name string) string {
	b, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil {
		return err.Error()
	}
	const max = 8 << 10
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// run runs a command to completion and returns its combined output.
func run(argv0 string, args ...string) (string, error) {
	cmd := exec.Command(argv0, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serverCmd is the command of a server whose output goes to out. The
// servers hold nothing the test needs afterwards and a graceful stop takes
// seconds (Postfix's master waits for its daemons): they are killed, with
// their process groups, when the test ends.
func serverCmd(out io.Writer, argv ...string) *exec.Cmd {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = cleanEnv()
	return cmd
}

// cleanEnv is the environment of the servers: a fixed PATH, nothing of the
// test's (Postfix refuses some variables, e.g. MAIL_CONFIG set elsewhere).
func cleanEnv() []string {
	return []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
}

// prefixWriter sends the servers' own output to the test log, line by line.
type prefixWriter struct {
	t      testing.TB
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.t.Logf("%s%s", w.prefix, w.buf[:i])
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
