package mailserver

import (
	"os"
	"strings"
	"testing"
)

// The configurations are checked by the servers themselves in the
// interoperability tests; here, what the harness computes into them.
func TestPostfixConfig(t *testing.T) {
	p := postfixParams{
		Dir: "/tmp/mss-x/pf", TLSDir: "/tmp/mss-x/tls", Hostname: Hostname,
		SubmissionPort: 10587, AuthPort: 10100, LMTPAddr: "127.0.0.1:10024",
		Domains:         []string{"b.mssante.fr", "a.mssante.fr"},
		ErrorDomains:    map[string]string{"z.mssante.fr": "5.1.2 closed", "y.mssante.fr": "5.2.1 full"},
		DeferDomains:    map[string]string{"x.mssante.fr": "4.4.1 later"},
		MaxMessageBytes: 1 << 20,
	}
	mainCF, masterCF, err := p.render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"relay_domains = a.mssante.fr, b.mssante.fr, x.mssante.fr, y.mssante.fr, z.mssante.fr\n",
		"transport_maps = inline:{ { b.mssante.fr = lmtp:inet:127.0.0.1:10024 }, { a.mssante.fr = lmtp:inet:127.0.0.1:10024 }, { y.mssante.fr = error:5.2.1 full }, { z.mssante.fr = error:5.1.2 closed }, { x.mssante.fr = retry:4.4.1 later } }\n",
		"delay_warning_time = 2s\n",
		"smtpd_sasl_path = inet:127.0.0.1:10100\n",
		"message_size_limit = 1048576\n",
		"queue_directory = /tmp/mss-x/pf/queue\n",
		"smtpd_tls_key_file = /tmp/mss-x/tls/server.key\n",
	} {
		if !strings.Contains(string(mainCF), want) {
			t.Errorf("main.cf lacks %q", want)
		}
	}
	if !strings.HasPrefix(strings.SplitN(string(masterCF), "\n", 2)[1], "127.0.0.1:10587 inet n - n - - smtpd\n") {
		t.Errorf("master.cf does not start with the submission service:\n%s", masterCF)
	}
}

func TestDovecotConfig(t *testing.T) {
	conf, err := dovecotParams{Dir: "/tmp/mss-x", Instance: "mss-x", Hostname: Hostname, UID: 65534, GID: 65534, IMAPPort: 10143, LMTPPort: 10024, AuthPort: 10100}.render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"base_dir = /tmp/mss-x/run\n",
		"    port = 10143\n",
		"    port = 10024\n",
		"    port = 10100\n",
		"default_fields = uid=65534 gid=65534 home=/tmp/mss-x/mail/%Lu\n",
		"auth_mechanisms = plain external\n",
	} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("dovecot.conf lacks %q", want)
		}
	}
}

func TestCyrusConfig(t *testing.T) {
	p := cyrusParams{Root: "/opt/x", Dir: "/tmp/mss-x/cyrus", Instance: "mss-x", Hostname: Hostname, IMAPPort: 10143, LMTPPort: 10024}
	for _, tc := range []struct {
		want     []string
		wantNot  []string
		suppress string
		noIdle   bool
	}{
		{want: []string{"imapidlepoll: 1\n"}, wantNot: []string{"suppress_capabilities"}},
		{suppress: "MOVE UIDPLUS", want: []string{"suppress_capabilities: MOVE UIDPLUS\n", "imapidlepoll: 1\n"}},
		{noIdle: true, want: []string{"imapidlepoll: 0\n"}, wantNot: []string{"suppress_capabilities"}},
	} {
		p.SuppressCaps, p.NoIdle = tc.suppress, tc.noIdle
		imapd, cyrus, err := p.render()
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range append(tc.want,
			"configdirectory: /tmp/mss-x/cyrus/conf\n", "syslog_prefix: mss-x\n", "virtdomains: userid\n",
			"sasl_sasldb_path: /tmp/mss-x/cyrus/sasldb2\n", "tls_client_ca_file: /tmp/mss-x/cyrus/ca.pem\n", "allowplaintext: 0\n") {
			if !strings.Contains(string(imapd), want) {
				t.Errorf("imapd.conf lacks %q:\n%s", want, imapd)
			}
		}
		for _, not := range tc.wantNot {
			if strings.Contains(string(imapd), not) {
				t.Errorf("imapd.conf has %q:\n%s", not, imapd)
			}
		}
		for _, want := range []string{
			`imap cmd="/opt/x/usr/lib/cyrus/bin/imapd -C /tmp/mss-x/cyrus/imapd.conf" listen="127.0.0.1:10143"`,
			`lmtp cmd="/opt/x/usr/lib/cyrus/bin/lmtpd -a -C /tmp/mss-x/cyrus/imapd.conf" listen="127.0.0.1:10024"`,
		} {
			if !strings.Contains(string(cyrus), want) {
				t.Errorf("cyrus.conf lacks %q:\n%s", want, cyrus)
			}
		}
	}
}

func TestEximConfig(t *testing.T) {
	conf, err := eximParams{
		Bin: "/opt/e/usr/sbin/exim4", Dir: "/tmp/mss-x/exim", Hostname: Hostname,
		SubmissionPort: 10587, LMTPPort: 10024,
		Domains:         []string{"b.mssante.fr", "a.mssante.fr"},
		ErrorDomains:    map[string]string{"z.mssante.fr": "5.1.2 closed"},
		Defer:           map[string]string{"y.mssante.fr": "4.4.1 later"},
		MaxMessageBytes: 1 << 20, DelayWarning: "3s", Retry: "2s",
	}.render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"exim_path = /opt/e/usr/sbin/exim4\n",
		"spool_directory = /tmp/mss-x/exim/spool\n",
		"daemon_smtp_ports = 10587\n",
		"domainlist mss_domains = a.mssante.fr : b.mssante.fr : y.mssante.fr : z.mssante.fr\n",
		"dsn_advertise_hosts = *\n",
		"auth_advertise_hosts = ${if def:tls_in_cipher {*}{}}\n",
		"message_size_limit = 1048576\n",
		"delay_warning = 3s:1h\n",
		"fail_z_mssante_fr:\n  driver = redirect\n  domains = z.mssante.fr\n  data = :fail: 5.1.2 closed\n",
		"defer_y_mssante_fr:\n  driver = redirect\n  domains = y.mssante.fr\n  data = :defer: 4.4.1 later\n",
		"  protocol = lmtp\n  port = 10024\n",
		"*  *  F,1h,2s\n",
		"server_condition = ${if and {{!eq{$auth2}{}}{eq{$auth3}{${lookup{$auth2}lsearch{/tmp/mss-x/exim/passwd}{$value}fail}}}} {yes}{no}}\n",
	} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("exim.conf lacks %q:\n%s", want, conf)
		}
	}
}

func TestRequireSkipsWithoutEnv(t *testing.T) {
	if os.Getenv(EnvVar) != "" {
		t.Skipf("%s is set", EnvVar)
	}
	var skipped bool
	ok := t.Run("inner", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }() // Skip ends the goroutine
		Require(t)
	})
	if !ok || !skipped {
		t.Fatalf("Require without %s: ok %v, skipped %v", EnvVar, ok, skipped)
	}
}
