package mailserver

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// Cyrus runs as the user its binaries were built for (cyrus, in group mail,
// as the cyrus-common package creates it); its master drops root itself.
const cyrusUser = "cyrus"

// cyrusBins are the Cyrus binaries the harness runs, under CyrusRoot.
var cyrusBins = []string{
	"usr/lib/cyrus/bin/master", "usr/lib/cyrus/bin/imapd",
	"usr/lib/cyrus/bin/lmtpd", "usr/lib/cyrus/bin/ctl_cyrusdb",
}

// CyrusAdmin is the Cyrus administrator the harness creates mailboxes and
// folders with. Unqualified users are in the default domain (cyrusDomain).
const (
	CyrusAdmin  = "cyrus"
	cyrusDomain = "interop.test"
)

// imapdConf is the imapd.conf of a Cyrus 3.6 instance. Users are full
// addresses (virtdomains: userid); their folders sit beside INBOX with "/"
// as separator (altnamespace, unixhierarchysep), as Dovecot shows them.
// PLAIN needs TLS (allowplaintext: 0) and is checked against a sasldb file;
// EXTERNAL takes the user from the client certificate, which Cyrus asks for
// and checks against tls_client_ca_file. Deleted folders and expunged
// messages go at once (no delayed mode that cyr_expire would clean).
// Logs go to syslog (see syslog.go), with the instance name as prefix.
var imapdConf = template.Must(template.New("imapd.conf").Parse(`# Written by internal/mailserver for one test.
configdirectory: {{.Dir}}/conf
partition-default: {{.Dir}}/spool
servername: {{.Hostname}}
syslog_prefix: {{.Instance}}
admins: ` + CyrusAdmin + `
virtdomains: userid
defaultdomain: ` + cyrusDomain + `
altnamespace: 1
unixhierarchysep: 1
specialusealways: 1
delete_mode: immediate
expunge_mode: immediate
allowplaintext: 0
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: {{.Dir}}/sasldb2
sasl_mech_list: PLAIN EXTERNAL
tls_server_cert: {{.Dir}}/server.pem
tls_server_key: {{.Dir}}/server.key
tls_client_ca_file: {{.Dir}}/ca.pem
tls_client_certs: optional
tls_versions: tls1_2 tls1_3
lmtp_downcase_rcpt: 1
{{- if .SuppressCaps}}
suppress_capabilities: {{.SuppressCaps}}
{{- end}}
{{- if .NoIdle}}
imapidlepoll: 0
{{- else}}
imapidlepoll: 1
{{- end}}
`))

// cyrusConf is the cyrus.conf: IMAP (STARTTLS on the plain port) and LMTP
// on TCP, without authentication (-a), for Exim. prefork=0: a process per
// connection, forked on demand.
var cyrusConf = template.Must(template.New("cyrus.conf").Parse(`# Written by internal/mailserver for one test.
START {
  recover cmd="{{.Root}}/usr/lib/cyrus/bin/ctl_cyrusdb -r -C {{.Dir}}/imapd.conf"
}
SERVICES {
  imap cmd="{{.Root}}/usr/lib/cyrus/bin/imapd -C {{.Dir}}/imapd.conf" listen="127.0.0.1:{{.IMAPPort}}" prefork=0
  lmtp cmd="{{.Root}}/usr/lib/cyrus/bin/lmtpd -a -C {{.Dir}}/imapd.conf" listen="127.0.0.1:{{.LMTPPort}}" prefork=0
}
EVENTS {
}
DAEMON {
}
`))

type cyrusParams struct {
	Root, Dir, Instance, Hostname string
	IMAPPort, LMTPPort            int
	SuppressCaps                  string // space-separated
	NoIdle                        bool
}

func (p cyrusParams) render() (imapd, cyrus []byte, err error) {
	var a, b bytes.Buffer
	if err := imapdConf.Execute(&a, p); err != nil {
		return nil, nil, err
	}
	if err := cyrusConf.Execute(&b, p); err != nil {
		return nil, nil, err
	}
	return a.Bytes(), b.Bytes(), nil
}

// cyrusState is what a Server keeps of its Cyrus.
type cyrusState struct {
	dir           string // cyrus/ in the test directory
	adminPassword string
}

// startCyrus writes Cyrus's configuration, password file and directories
// under s.Dir/cyrus and starts its master.
func (s *Server) startCyrus(t testing.TB, o Options, imapPort, lmtpPort int) error {
	root := CyrusRoot()
	dir := filepath.Join(s.Dir, "cyrus")
	// The directories configdirectory needs (what Debian's cyrus-makedirs
	// would make), owned by cyrus.
	uid, gid, err := mkdirsOwned(cyrusUser, dir, "", "conf", "spool", "conf/db", "conf/socket", "conf/proc", "conf/log", "conf/lock", "conf/sieve", "conf/quota", "conf/user", "conf/msg", "conf/ptclient", "conf/sync")
	if err != nil {
		return err
	}
	if err := s.copyTLS(dir, uid, gid); err != nil {
		return err
	}
	var suppress []string
	noIdle := false
	for _, c := range o.WithoutCapabilities {
		if c == "IDLE" {
			noIdle = true // suppressing the name is not enough: the command stays
		} else {
			suppress = append(suppress, c)
		}
	}
	imapd, cyrusCf, err := cyrusParams{
		Root: root, Dir: dir, Instance: filepath.Base(s.Dir), Hostname: Hostname,
		IMAPPort: imapPort, LMTPPort: lmtpPort,
		SuppressCaps: strings.Join(suppress, " "), NoIdle: noIdle,
	}.render()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "imapd.conf"), imapd, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cyrus.conf"), cyrusCf, 0o644); err != nil {
		return err
	}
	s.cyrus = &cyrusState{dir: dir, adminPassword: randomPassword()}
	if err := s.saslpasswd(CyrusAdmin+"@"+cyrusDomain, s.cyrus.adminPassword); err != nil {
		return err
	}
	if err := os.Chown(filepath.Join(dir, "sasldb2"), uid, gid); err != nil {
		return err
	}

	logFile := filepath.Join(s.Dir, "cyrus.log")
	if err := startSyslog(filepath.Base(s.Dir), logFile); err != nil {
		t.Logf("mailserver: Cyrus's logs are not collected: %v", err)
	} else {
		t.Cleanup(func() { stopSyslog(filepath.Base(s.Dir)) })
	}
	cmd := serverCmd(&prefixWriter{t: t, prefix: "cyrus: "}, filepath.Join(root, "usr/lib/cyrus/bin/master"),
		"-C", filepath.Join(dir, "imapd.conf"), "-M", filepath.Join(dir, "cyrus.conf"),
		"-p", filepath.Join(dir, "master.pid"), "-D")
	cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+libraryPath(root))
	return s.startDaemon(t, "cyrus", cmd, []string{"cyrus.log"}, s.IMAPAddr, s.LMTPAddr)
}

// libraryPath is the LD_LIBRARY_PATH of binaries unpacked under root: the
// libraries unpacked with them (libcyrus*) come first.
func libraryPath(root string) string {
	return filepath.Join(root, "usr/lib/x86_64-linux-gnu") + ":" + filepath.Join(root, "lib/x86_64-linux-gnu")
}

// saslpasswd sets the password of a user in Cyrus's sasldb, keyed by user
// and realm. Cyrus splits "local@domain" (virtdomains) into both; a user of
// the default domain loses its domain and gets the server's name as realm.
func (s *Server) saslpasswd(address, password string) error {
	local, domain, _ := strings.Cut(strings.ToLower(address), "@")
	realm := domain
	if domain == "" || domain == cyrusDomain {
		realm = Hostname
	}
	cmd := serverCmd(nil, saslpasswdBin, "-f", filepath.Join(s.cyrus.dir, "sasldb2"), "-p", "-c", "-u", realm, local)
	cmd.Stdin = strings.NewReader(password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("saslpasswd2 %s: %v: %s", address, err, out)
	}
	return nil
}

// cyrusAdmin runs f on an IMAP session of the Cyrus administrator.
func (s *Server) cyrusAdmin(t testing.TB, f func(c *imapclient.Client) error) {
	t.Helper()
	c, err := imapclient.DialStartTLS(s.IMAPAddr, &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: s.RootCAs(), ServerName: "localhost"},
	})
	if err != nil {
		t.Fatalf("cyrus admin: %v", err)
	}
	defer c.Close()
	if err := c.Login(CyrusAdmin+"@"+cyrusDomain, s.cyrus.adminPassword).Wait(); err != nil {
		t.Fatalf("cyrus admin login: %v\n%s", err, s.logTail("cyrus.log"))
	}
	if err := f(c); err != nil {
		t.Fatalf("cyrus admin: %v\n%s", err, s.logTail("cyrus.log"))
	}
	c.Logout().Wait()
}

// cyrusMailbox is the administrator's name of a user's folder.
func cyrusMailbox(address, folder string) string {
	name := "user/" + strings.ToLower(address)
	if folder != "" && !strings.EqualFold(folder, "INBOX") {
		// user/local/Folder@domain: the domain stays at the end.
		local, domain, _ := strings.Cut(strings.ToLower(address), "@")
		name = "user/" + local + "/" + folder + "@" + domain
	}
	return name
}

// createCyrusMailbox creates a user's INBOX and the Sent and Trash folders
// with their special uses, as Dovecot's namespace configuration does.
func (s *Server) createCyrusMailbox(t testing.TB, address string) {
	t.Helper()
	s.cyrusAdmin(t, func(c *imapclient.Client) error {
		if err := c.Create(cyrusMailbox(address, ""), nil).Wait(); err != nil {
			return err
		}
		for name, use := range map[string]imap.MailboxAttr{"Sent": imap.MailboxAttrSent, "Trash": imap.MailboxAttrTrash} {
			if err := c.Create(cyrusMailbox(address, name), &imap.CreateOptions{SpecialUse: []imap.MailboxAttr{use}}).Wait(); err != nil {
				return err
			}
		}
		return nil
	})
}

// TraceIMAP makes Cyrus record the IMAP sessions of address from its next
// login on (Cyrus's telemetry: a file per session under
// configdirectory/log/USER), for IMAPCommands. Cyrus only.
func (s *Server) TraceIMAP(t testing.TB, address string) {
	t.Helper()
	if s.cyrus == nil {
		t.Fatalf("TraceIMAP on %s: Cyrus only", s.Pair)
	}
	cu, err := user.Lookup(cyrusUser)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(cu.Uid)
	gid, _ := strconv.Atoi(cu.Gid)
	dir := filepath.Join(s.cyrus.dir, "conf", "log", strings.ToLower(address))
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
}

// IMAPCommands returns the commands the client of address sent in the
// sessions TraceIMAP recorded, by session, each as its name and first
// argument in upper case ("LOGIN", "SELECT INBOX", "UID FETCH"...).
func (s *Server) IMAPCommands(t testing.TB, address string) [][]string {
	t.Helper()
	dir := filepath.Join(s.cyrus.dir, "conf", "log", strings.ToLower(address))
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cmds []string
		// Client lines start with "<time<"; a command is "tag NAME args".
		for _, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, "<") {
				continue
			}
			parts := strings.SplitN(line, "<", 3)
			if len(parts) < 3 {
				continue
			}
			fields := strings.Fields(parts[2])
			if len(fields) < 2 {
				continue
			}
			cmd := strings.ToUpper(fields[1])
			if (cmd == "UID" || cmd == "SELECT" || cmd == "EXAMINE") && len(fields) > 2 {
				cmd += " " + strings.ToUpper(fields[2])
			}
			cmds = append(cmds, cmd)
		}
		out = append(out, cmds)
	}
	return out
}
