package mssante_test

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/mssante"
)

// srvResolver answers the SRV records of one domain with the given
// target and ports, and resolves every host to loopback.
type srvResolver struct {
	target               string
	submission, imapPort uint16
}

func (r srvResolver) LookupSRV(_ context.Context, service, _, _ string) (string, []*net.SRV, error) {
	switch service {
	case "submission":
		return "", []*net.SRV{{Target: r.target + ".", Port: r.submission}}, nil
	case "imap":
		return "", []*net.SRV{{Target: r.target + ".", Port: r.imapPort}}, nil
	}
	return "", nil, &net.DNSError{Err: "no such host", IsNotFound: true}
}

func (srvResolver) LookupHost(context.Context, string) ([]string, error) {
	return []string{"127.0.0.1"}, nil
}

// The audit events of a client that found its servers by DNS SRV name the
// servers it connected to, not a name made up from the mail domain (issue
// 15 §5).
func TestAuditServerFoundBySRV(t *testing.T) {
	s := newTestServer(t, mailboxA)
	port := func(addr string) uint16 {
		_, p, _ := net.SplitHostPort(addr)
		n, _ := strconv.Atoi(p)
		return uint16(n)
	}
	cfg := s.MustConfig(mailboxA)
	cfg.Operator = mssante.Operator{}
	cfg.Resolver = srvResolver{target: s.Hostname, submission: port(s.SMTPAddr), imapPort: port(s.IMAPAddr)}
	cfg.SRVTargets = []string{s.Hostname} // outside the mail domain: pinned
	var mu sync.Mutex
	servers := map[string]string{}
	cfg.Audit = mssante.AuditorFunc(func(_ context.Context, e mssante.AuditEvent) {
		mu.Lock()
		servers[e.Action] = e.Server
		mu.Unlock()
	})
	c := newTestClient(t, cfg)
	if _, err := c.Folders(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	for range c.Sync(testCtx(t), "INBOX", nil) {
	}
	want := net.JoinHostPort(s.Hostname, strconv.Itoa(int(port(s.IMAPAddr))))
	mu.Lock()
	defer mu.Unlock()
	for _, action := range []string{"imap.login", "imap.list", "imap.sync"} {
		if servers[action] != want {
			t.Errorf("%s: server %q, want %q", action, servers[action], want)
		}
	}
}
