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
		MaxMessageBytes: 1 << 20,
	}
	mainCF, masterCF, err := p.render()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"relay_domains = a.mssante.fr, b.mssante.fr, y.mssante.fr, z.mssante.fr\n",
		"transport_maps = inline:{ { b.mssante.fr = lmtp:inet:127.0.0.1:10024 }, { a.mssante.fr = lmtp:inet:127.0.0.1:10024 }, { y.mssante.fr = error:5.2.1 full }, { z.mssante.fr = error:5.1.2 closed } }\n",
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
