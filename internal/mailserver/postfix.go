package mailserver

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
)

// postfixMain is the main.cf of a Postfix 3.7 instance of its own: its
// config, queue and data directories are in the test directory, it listens
// on loopback only, delivers the test domains to Dovecot over LMTP,
// bounces the error domains with the error transport and defers the defer
// domains with the retry transport (a delay DSN after 2 seconds). Postfix accepts every
// recipient of its domains: an unknown mailbox is refused by Dovecot's LMTP
// and comes back as a failure DSN, as with a real operator.
var postfixMain = template.Must(template.New("main.cf").Parse(`# Written by internal/mailserver for one test.
compatibility_level = 3.6
queue_directory = {{.Dir}}/queue
data_directory = {{.Dir}}/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = {{.Dir}}/maillog
maillog_file_prefixes = {{.Dir}}

myhostname = {{.Hostname}}
mydomain = {{.Hostname}}
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.0/8
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
alias_maps =
alias_database =
local_recipient_maps =
biff = no
notify_classes =
smtputf8_enable = no

relay_domains = {{.RelayDomains}}
relay_recipient_maps =
transport_maps = {{.Transports}}
default_transport = error:5.1.2 outside the test domains
smtp_dns_support_level = disabled
lmtp_host_lookup = native

message_size_limit = {{.MaxMessageBytes}}
mailbox_size_limit = 0
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
delay_warning_time = 2s
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s

smtpd_tls_cert_file = {{.TLSDir}}/server.pem
smtpd_tls_key_file = {{.TLSDir}}/server.key
smtpd_tls_security_level = may
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:{{.AuthPort}}
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
# Let recipients of error domains through RCPT: the error transport then
# bounces them with a DSN, instead of smtpd refusing them at once.
smtpd_reject_unlisted_recipient = no
`))

// postfixMaster is the master.cf: the submission port and the daemons
// Postfix needs to queue, deliver and bounce. Nothing is chrooted, since
// the queue is not where Debian's chroot setup expects it.
var postfixMaster = template.Must(template.New("master.cf").Parse(`# Written by internal/mailserver for one test.
127.0.0.1:{{.SubmissionPort}} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`))

type postfixParams struct {
	Dir, TLSDir, Hostname    string
	SubmissionPort, AuthPort int
	LMTPAddr                 string
	Domains                  []string
	ErrorDomains             map[string]string
	DeferDomains             map[string]string
	MaxMessageBytes          int64
}

func (p postfixParams) RelayDomains() string {
	return strings.Join(allDomains(p.Domains, p.ErrorDomains, p.DeferDomains), ", ")
}

// allDomains is every domain the MTA takes mail for: those it delivers,
// and those it refuses or defers (keys of errs and defers), sorted.
func allDomains(domains []string, errs, defers map[string]string) []string {
	all := slices.Concat(domains, slices.Collect(maps.Keys(errs)), slices.Collect(maps.Keys(defers)))
	slices.Sort(all)
	return all
}

// Transports is an inline: map (no postmap needed) from each domain to
// its transport.
func (p postfixParams) Transports() string {
	var entries []string
	for _, d := range p.Domains {
		entries = append(entries, fmt.Sprintf("{ %s = lmtp:inet:%s }", d, p.LMTPAddr))
	}
	for _, d := range slices.Sorted(maps.Keys(p.ErrorDomains)) {
		entries = append(entries, fmt.Sprintf("{ %s = error:%s }", d, p.ErrorDomains[d]))
	}
	for _, d := range slices.Sorted(maps.Keys(p.DeferDomains)) {
		entries = append(entries, fmt.Sprintf("{ %s = retry:%s }", d, p.DeferDomains[d]))
	}
	return "inline:{ " + strings.Join(entries, ", ") + " }"
}

func (p postfixParams) render() (mainCF, masterCF []byte, err error) {
	var m, ms bytes.Buffer
	if err := postfixMain.Execute(&m, p); err != nil {
		return nil, nil, err
	}
	if err := postfixMaster.Execute(&ms, p); err != nil {
		return nil, nil, err
	}
	return m.Bytes(), ms.Bytes(), nil
}
