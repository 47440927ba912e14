package mailserver

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"text/template"
)

// Exim runs as the user it was built for (Debian-exim, as exim4-base
// creates it).
const eximUser = "Debian-exim"

// eximBin is the Exim binary under EximRoot (setuid root, as packaged).
const eximBin = "usr/sbin/exim4"

// eximConf is the configuration of an Exim 4.96 daemon of its own. It runs
// as Debian-exim, not root (Debian's Exim trusts only the configurations
// listed in /etc/exim4/trusted_configs with root: the harness writes
// nothing in /etc), which the submission port above 1024, LMTP over TCP
// and deliver_drop_privilege allow; exim_path points its re-executions
// (bounces, queue runs) at the unpacked binary, which passes them the
// same -C.
//
// Submission takes STARTTLS and then AUTH PLAIN, checked against a file
// of the test directory; DSN is advertised to everyone. The test domains
// go to Cyrus's LMTP; an unknown mailbox is refused there (550 5.1.1) and
// comes back in a bounce, as do the error domains (":fail:"). The defer
// domains are deferred at routing (":defer:") and retried every few
// seconds, with a delay warning after DelayWarning.
var eximConf = template.Must(template.New("exim.conf").Parse(`# Written by internal/mailserver for one test.
exim_path = {{.Bin}}
keep_environment =
primary_hostname = {{.Hostname}}
spool_directory = {{.Dir}}/spool
log_file_path = {{.Dir}}/log/%slog
exim_user = ` + eximUser + `
exim_group = ` + eximUser + `
never_users =
deliver_drop_privilege = true
daemon_smtp_ports = {{.SubmissionPort}}
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
domainlist mss_domains = {{.DomainList}}

tls_advertise_hosts = *
tls_certificate = {{.Dir}}/server.pem
tls_privatekey = {{.Dir}}/server.key
auth_advertise_hosts = ${if def:tls_in_cipher {*}{}}
dsn_advertise_hosts = *
message_size_limit = {{.MaxMessageBytes}}
delay_warning = {{.DelayWarning}}:1h
ignore_bounce_errors_after = 0s
timeout_frozen_after = 1h
queue_run_max = 4

acl_smtp_rcpt = acl_check_rcpt

begin acl
acl_check_rcpt:
  accept authenticated = *
  deny    message = 5.7.1 authentication required

begin routers
{{range .ErrorDomains}}
fail_{{.Name}}:
  driver = redirect
  domains = {{.Domain}}
  data = :fail: {{.Text}}
  allow_fail
{{end}}
{{range .DeferDomains}}
defer_{{.Name}}:
  driver = redirect
  domains = {{.Domain}}
  data = :defer: {{.Text}}
  allow_defer
{{end}}
cyrus:
  driver = manualroute
  domains = +mss_domains
  route_list = * 127.0.0.1
  transport = cyrus_lmtp
  self = send

begin transports
cyrus_lmtp:
  driver = smtp
  protocol = lmtp
  port = {{.LMTPPort}}
  hosts_avoid_tls = *
  allow_localhost

begin retry
*  *  F,1h,{{.Retry}}

begin authenticators
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_advertise_condition = ${if def:tls_in_cipher {yes}{no}}
  server_condition = {{.AuthCondition}}
  server_set_id = $auth2
`))

type eximRoute struct{ Name, Domain, Text string }

type eximParams struct {
	Bin, Dir, Hostname       string
	SubmissionPort, LMTPPort int
	Domains                  []string
	ErrorDomains             map[string]string
	Defer                    map[string]string
	MaxMessageBytes          int64
	DelayWarning, Retry      string
}

// DomainList is every domain Exim takes mail for, in Exim's list syntax.
func (p eximParams) DomainList() string {
	return strings.Join(allDomains(p.Domains, p.ErrorDomains, p.Defer), " : ")
}

func routes(m map[string]string) []eximRoute {
	var out []eximRoute
	for d, text := range m {
		out = append(out, eximRoute{Name: strings.NewReplacer(".", "_", "-", "_").Replace(d), Domain: d, Text: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Domain < out[j].Domain })
	return out
}

// authCondition accepts AUTH PLAIN when the password ($auth3) is the one
// the passwd file gives the user ($auth2). Kept out of the template: Exim's
// braces are the template's.
func (p eximParams) authCondition() string {
	return "${if and {{!eq{$auth2}{}}{eq{$auth3}{${lookup{$auth2}lsearch{" + p.Dir + "/passwd}{$value}fail}}}} {yes}{no}}"
}

func (p eximParams) render() ([]byte, error) {
	var b bytes.Buffer
	err := eximConf.Execute(&b, struct {
		eximParams
		DomainList, AuthCondition  string
		ErrorDomains, DeferDomains []eximRoute
	}{p, p.DomainList(), p.authCondition(), routes(p.ErrorDomains), routes(p.Defer)})
	return b.Bytes(), err
}

// startExim writes Exim's configuration and directories under
// s.Dir/exim and starts its daemon, which also runs the queue every
// second.
func (s *Server) startExim(t testing.TB, o Options, subPort, lmtpPort int) error {
	root := EximRoot()
	dir := filepath.Join(s.Dir, "exim")
	uid, gid, err := mkdirsOwned(eximUser, dir, "", "spool", "log")
	if err != nil {
		return err
	}
	if err := s.copyTLS(dir, uid, gid); err != nil {
		return err
	}
	s.eximDir = dir
	if err := s.writeUsers(); err != nil {
		return err
	}
	conf, err := eximParams{
		Bin: filepath.Join(root, eximBin), Dir: dir, Hostname: Hostname,
		SubmissionPort: subPort, LMTPPort: lmtpPort,
		Domains: o.Domains, ErrorDomains: o.ErrorDomains, Defer: o.DeferDomains,
		MaxMessageBytes: o.MaxMessageBytes, DelayWarning: "3s", Retry: "2s",
	}.render()
	if err != nil {
		return err
	}
	// Exim reads a -C file owned by root and written by no one else.
	confPath := filepath.Join(dir, "exim.conf")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		return err
	}
	// -bdf: the daemon in the foreground, our child; -q1s: a queue run
	// every second, for deferred messages and delay warnings.
	cmd := serverCmd(&prefixWriter{t: t, prefix: "exim: "}, filepath.Join(root, eximBin), "-C", confPath, "-bdf", "-q1s")
	cmd.Env = append(cmd.Env, "LD_LIBRARY_PATH="+libraryPath(root))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}
	return s.startDaemon(t, "exim", cmd, []string{"exim/log/mainlog", "exim/log/paniclog"}, s.SubmissionAddr)
}
