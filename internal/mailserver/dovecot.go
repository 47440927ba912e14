package mailserver

import (
	"bytes"
	"text/template"
)

// dovecotConf is a Dovecot 2.3 configuration (Debian 12 ships 2.3.19: no
// 2.4 keys such as mail_driver or dovecot_config_version). IMAP takes
// STARTTLS on one port, LMTP delivers on another, and the auth service
// also listens on TCP for Postfix's SASL.
//
// PLAIN is checked against the passwd file; EXTERNAL takes the user name
// from the common name of a client certificate issued by the test CA
// (ssl_ca) and accepts it when the certificate user file lists it, with no
// password (mech-external verifies an empty one, hence nopassword).
var dovecotConf = template.Must(template.New("dovecot.conf").Parse(`# Written by internal/mailserver for one test.
base_dir = {{.Dir}}/run
state_dir = {{.Dir}}/state
instance_name = {{.Instance}}
log_path = {{.Dir}}/dovecot.log
auth_verbose = yes
# Refused logins answer at once: the tests make some on purpose.
auth_failure_delay = 0
listen = 127.0.0.1
protocols = imap lmtp
hostname = {{.Hostname}}

ssl = yes
ssl_cert = <{{.Dir}}/tls/server.pem
ssl_key = <{{.Dir}}/tls/server.key
ssl_ca = <{{.Dir}}/tls/ca.pem
ssl_require_crl = no
ssl_verify_client_cert = yes
ssl_cert_username_field = commonName
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes

auth_mechanisms = plain external
auth_username_format = %Lu
auth_ssl_username_from_cert = yes

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu {{.Dir}}/users/passwd
  mechanisms = plain
}
passdb {
  driver = passwd-file
  args = username_format=%Lu {{.Dir}}/users/certificates
  mechanisms = external
}
userdb {
  driver = passwd-file
  args = username_format=%Lu {{.Dir}}/users/passwd
  default_fields = uid={{.UID}} gid={{.GID}} home={{.Dir}}/mail/%Lu
}
userdb {
  driver = passwd-file
  args = username_format=%Lu {{.Dir}}/users/certificates
  default_fields = uid={{.UID}} gid={{.GID}} home={{.Dir}}/mail/%Lu
}

mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = {{.IMAPPort}}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = {{.LMTPPort}}
  }
}
service auth {
  inet_listener auth-postfix {
    address = 127.0.0.1
    port = {{.AuthPort}}
  }
}
protocol lmtp {
  postmaster_address = postmaster@{{.Hostname}}
}
`))

type dovecotParams struct {
	Dir, Instance, Hostname      string
	UID, GID                     int
	IMAPPort, LMTPPort, AuthPort int
}

func (p dovecotParams) render() ([]byte, error) {
	var b bytes.Buffer
	err := dovecotConf.Execute(&b, p)
	return b.Bytes(), err
}
