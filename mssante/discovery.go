package mssante

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
	"github.com/mssante-go/sdk/trust"
)

// Resolver looks up the SRV records of DNS discovery (RFC 6186).
// *net.Resolver implements it. A Resolver that also has
//
//	LookupHost(ctx context.Context, host string) ([]string, error)
//
// (as *net.Resolver does) resolves the discovered host names too, so that
// one resolver answers for the whole discovery; tests use that to lead the
// client to loopback servers.
type Resolver interface {
	LookupSRV(ctx context.Context, service, proto, name string) (cname string, addrs []*net.SRV, err error)
}

// hostResolver is the optional half of a Resolver.
type hostResolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// DomainLookup is implemented by a RecipientChecker that knows the
// operators of the trust space: *trust.List does (and *trust.Source through
// its List method, which the client also looks for). DNS discovery uses it
// to bind an SRV target outside the mail domain to the operator the liste
// blanche names for the domain (DNCertificatOperateur).
type DomainLookup interface {
	Lookup(domain string) (trust.Domain, bool)
}

// ErrUntrustedSRVTarget is wrapped by a [*DiscoveryError]: DNS SRV discovery
// led to a server that nothing binds to the mailbox's domain. The client
// neither authenticates to it nor sends it anything.
var ErrUntrustedSRVTarget = errors.New("mssante: DNS SRV target not bound to the mail domain")

// DiscoveryError reports an SRV target the client refused (see
// Config.Operator for the rule). Nothing was sent to it: refused before
// connecting, or during the TLS handshake when its certificate is not the
// operator's, before any credential.
type DiscoveryError struct {
	Domain string // the mail domain
	Record string // the SRV record, e.g. "_submission._tcp.medecin.mssante.fr"
	Target string // the host it named
	Reason string
}

func (e *DiscoveryError) Error() string {
	return "mssante: DNS SRV record " + e.Record + " names " + textcut.Quote(e.Target) + ", " + e.Reason +
		": set Config.Operator to the operator's servers (or pin the target in Config.SRVTargets)"
}

// Unwrap returns ErrUntrustedSRVTarget.
func (e *DiscoveryError) Unwrap() error { return ErrUntrustedSRVTarget }

// endpoint is a server to connect to and what its TLS check must bind.
type endpoint struct {
	addr        string // host:port
	host        string
	port        int // of addr; 0 when it is not a number
	implicitTLS bool
	discovered  bool // found by DNS SRV
	// binding, for an SRV target bound by the liste blanche only: the
	// operator identity the server certificate must carry.
	binding *operatorBinding
}

// endpoint returns the server of a service, discovering it by DNS SRV when
// the configuration has none. service is "submission" or "imap".
func (c *Client) endpoint(ctx context.Context, service string) (endpoint, error) {
	var addr string
	var implicit bool
	switch service {
	case "submission":
		addr, implicit = c.cfg.Operator.SMTP, c.cfg.Operator.SMTPImplicitTLS
	case "imap":
		addr, implicit = c.cfg.Operator.IMAP, c.cfg.Operator.IMAPImplicitTLS
	}
	if addr == "" {
		return c.discover(ctx, service)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return endpoint{}, &ConnectError{Server: addr, Err: err}
	}
	p, _ := strconv.Atoi(port)
	return endpoint{addr: addr, host: host, port: p, implicitTLS: implicit}, nil
}

// discover looks up the RFC 6186 SRV records of the mailbox's domain:
// _submission._tcp (STARTTLS), and for IMAP both _imap._tcp (STARTTLS) and
// _imaps._tcp (implicit TLS). RFC 6186 §3.4 compares the priorities of the
// records of both IMAP services: the lowest wins; on equal priority the
// client takes _imap, STARTTLS on port 143, as Ref#2 ECO.1.0.2 names it
// (RFC 8314 §5.1 would prefer implicit TLS; MSSanté operators are
// specified on STARTTLS). A target is used only when something binds it to
// the domain (RFC 6186 §6, see Config.Operator): in the domain, pinned, or,
// failing both, bound to the operator of the liste blanche at the TLS
// handshake.
func (c *Client) discover(ctx context.Context, service string) (endpoint, error) {
	domain := strings.ToLower(c.cfg.Address.Domain())
	type candidate struct {
		srv      *net.SRV
		record   string
		implicit bool
	}
	tries := []srvService{{"submission", false}}
	if service == "imap" {
		tries = []srvService{{"imap", false}, {"imaps", true}}
	}
	var lastErr error
	var offered []candidate
	for _, t := range tries {
		_, srvs, err := c.cfg.Resolver.LookupSRV(ctx, t.name, "tcp", domain)
		if err != nil {
			lastErr = err
			continue
		}
		for _, s := range srvs {
			if s.Target != "." && s.Target != "" { // RFC 6186 §3.4: "." means not offered
				offered = append(offered, candidate{s, "_" + t.name + "._tcp." + domain, t.implicit})
			}
		}
	}
	// Lowest priority first across the services; STARTTLS first on a tie;
	// the resolver's order (weights) otherwise.
	sort.SliceStable(offered, func(i, j int) bool {
		if offered[i].srv.Priority != offered[j].srv.Priority {
			return offered[i].srv.Priority < offered[j].srv.Priority
		}
		return !offered[i].implicit && offered[j].implicit
	})
	ep := func(cd candidate, b *operatorBinding) endpoint {
		host := strings.ToLower(strings.TrimSuffix(cd.srv.Target, "."))
		return endpoint{addr: net.JoinHostPort(host, strconv.Itoa(int(cd.srv.Port))), host: host, port: int(cd.srv.Port), implicitTLS: cd.implicit, discovered: true, binding: b}
	}
	// In the mail domain or pinned, in that order.
	for _, cd := range offered {
		host := strings.ToLower(strings.TrimSuffix(cd.srv.Target, "."))
		if inDomain(host, domain) || c.pinnedSRVTarget(host) {
			return ep(cd, nil), nil
		}
	}
	if len(offered) > 0 {
		// Else the preferred target, bound to the operator the liste
		// blanche names.
		first := offered[0]
		target := strings.TrimSuffix(first.srv.Target, ".")
		if dns := c.operatorDNs(domain); len(dns) > 0 {
			return ep(first, &operatorBinding{domain: domain, record: first.record, target: target, dns: dns}), nil
		}
		return endpoint{}, &DiscoveryError{Domain: domain, Record: first.record, Target: target,
			Reason: "outside the mail domain, not pinned, and the trust checker names no operator for " + domain}
	}
	if lastErr == nil {
		lastErr = errors.New("no usable SRV record")
	}
	return endpoint{}, &ConnectError{Server: "_" + tries[0].name + "._tcp." + domain, Err: fmt.Errorf("DNS SRV discovery: %w", lastErr)}
}

// srvService is an RFC 6186 service label and whether it is implicit TLS.
type srvService struct {
	name     string
	implicit bool
}

// inDomain reports whether host is domain or one of its subdomains.
func inDomain(host, domain string) bool {
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// pinnedSRVTarget reports whether the caller listed host in SRVTargets.
func (c *Client) pinnedSRVTarget(host string) bool {
	for _, p := range c.cfg.SRVTargets {
		if strings.EqualFold(strings.TrimSuffix(strings.TrimSpace(p), "."), host) {
			return true
		}
	}
	return false
}

// operatorDNs returns the DNCertificatOperateur values the trust checker
// gives for domain, or nil.
func (c *Client) operatorDNs(domain string) []string {
	var d trust.Domain
	var ok bool
	switch l := c.cfg.Trust.(type) {
	case DomainLookup:
		d, ok = l.Lookup(domain)
	case interface{ List() *trust.List }:
		d, ok = l.List().Lookup(domain)
	}
	if !ok {
		return nil
	}
	var out []string
	for _, dn := range d.OperatorDNs() {
		if strings.TrimSpace(dn) != "" {
			out = append(out, dn)
		}
	}
	return out
}

// operatorBinding is the TLS check of an SRV target outside the mail
// domain: the server certificate (already verified for the target's name)
// must carry the identity of an operator the liste blanche names for the
// domain.
type operatorBinding struct {
	domain, record, target string
	dns                    []string // DNCertificatOperateur values
}

// check runs after the chain and host name were verified.
func (b *operatorBinding) check(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return &DiscoveryError{Domain: b.domain, Record: b.record, Target: b.target, Reason: "which sent no certificate"}
	}
	got := trust.SubjectDN(cs.PeerCertificates[0])
	for _, dn := range b.dns {
		if sameOperator(got, dn) {
			return nil
		}
	}
	return &DiscoveryError{Domain: b.domain, Record: b.record, Target: b.target,
		Reason: "outside the mail domain, whose certificate " + textcut.Quote(got) + " is not of an operator the liste blanche names for " + b.domain}
}

// sameOperator reports whether a certificate subject (cert) carries the
// operator identity of a liste blanche DNCertificatOperateur (listed): each
// attribute of listed other than CN (O, OU: the organisation and its
// identifier, ST, C…) with the same value, ignoring case, so that the
// operator's other server certificates (another CN) match too. A listed DN
// without an organisation (O, OU or organizationIdentifier) names no
// operator that other certificates could share: it must then match whole,
// CN included, or "C=FR" alone would admit any French certificate.
func sameOperator(cert, listed string) bool {
	have := parseDN(cert)
	want := parseDN(listed)
	var identity []dnAttr
	org := false
	for _, a := range want {
		if a.typ != "CN" {
			identity = append(identity, a)
		}
		org = org || a.typ == "O" || a.typ == "OU" || a.typ == "2.5.4.97" || a.typ == "ORGANIZATIONIDENTIFIER"
	}
	if !org {
		identity = want
	}
	if len(identity) == 0 {
		return false
	}
	for _, w := range identity {
		found := false
		for _, h := range have {
			if h.typ == w.typ && strings.EqualFold(h.val, w.val) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

type dnAttr struct{ typ, val string }

// parseDN reads an RFC 4514 distinguished name ("CN=x,OU=1,O=Op\, SA,C=FR")
// into its attributes, types upper-cased and values unescaped and trimmed.
// It is lenient: a component without '=' is skipped.
func parseDN(s string) []dnAttr {
	var out []dnAttr
	var comp strings.Builder
	flush := func() {
		c := comp.String()
		eq := strings.IndexByte(c, '=')
		if eq > 0 {
			typ := strings.ToUpper(strings.TrimSpace(c[:eq]))
			if typ == "E" || typ == "EMAIL" {
				typ = "EMAILADDRESS"
			}
			out = append(out, dnAttr{typ: typ, val: strings.TrimSpace(c[eq+1:])})
		}
		comp.Reset()
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			v, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			comp.WriteByte(byte(v))
			i += 2
		case c == '\\' && i+1 < len(s):
			comp.WriteByte(s[i+1])
			i++
		case c == ',' || c == '+' || c == ';':
			flush()
		default:
			comp.WriteByte(c)
		}
	}
	flush()
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// dial opens a TCP connection to ep honouring ctx and the dial timeout. A
// discovered host is resolved with Config.Resolver when it can.
func (c *Client) dial(ctx context.Context, ep endpoint) (net.Conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	if ep.discovered && net.ParseIP(ep.host) == nil {
		switch r := c.cfg.Resolver.(type) {
		case *net.Resolver:
			d.Resolver = r
		case hostResolver:
			addrs, err := r.LookupHost(ctx, ep.host)
			if err != nil {
				return nil, &ConnectError{Server: ep.addr, Err: err}
			}
			var last error = errors.New("no address")
			for _, a := range addrs {
				conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(a, strconv.Itoa(ep.port)))
				if err == nil {
					return conn, nil
				}
				last = err
			}
			return nil, &ConnectError{Server: ep.addr, Err: last}
		}
	}
	conn, err := d.DialContext(ctx, "tcp", ep.addr)
	if err != nil {
		return nil, &ConnectError{Server: ep.addr, Err: err}
	}
	return conn, nil
}
