package mssantetest_test

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/mssante"
)

// TestSRVDiscovery finds the operator through RFC 6186 records served by a
// small DNS server on loopback: no endpoints in the configuration. The
// records name "localhost", outside the mail domain: the client refuses it
// until the test pins it (mssante's TestSRVBinding covers the other rules).
func TestSRVDiscovery(t *testing.T) {
	s := newServer(t, nil)
	smtpPort, imapPort := port(t, s.SMTPAddr), port(t, s.IMAPAddr)
	records := map[string]uint16{
		"_submission._tcp.medecin.mssante.fr.": smtpPort,
		"_imap._tcp.medecin.mssante.fr.":       imapPort, // no _imaps: STARTTLS
	}
	dns := serveSRV(t, records, "localhost.")
	cfg := s.MustConfig(drA)
	cfg.Operator = mssante.Operator{}
	cfg.Resolver = resolverAt(dns)
	// "localhost" is outside medecin.mssante.fr and the test operator's
	// trust checker names no operator: refused before connecting (RFC 6186
	// §6), unless the caller pins the target.
	before := s.Stats().SMTPConnections
	if _, err := newClient(t, cfg).Send(ctx(t), textMessage(drB)); !errors.Is(err, mssante.ErrUntrustedSRVTarget) {
		t.Fatalf("unbound SRV target: %v", err)
	}
	if s.Stats().SMTPConnections != before {
		t.Fatal("the client connected to an unbound SRV target")
	}
	cfg.SRVTargets = []string{"localhost"}
	c := newClient(t, cfg)
	if _, err := c.Send(ctx(t), textMessage(drB)); err != nil {
		t.Fatalf("send via SRV: %v", err)
	}
	if _, err := c.Folders(ctx(t)); err != nil {
		t.Fatalf("IMAP via SRV: %v", err)
	}
	// A domain without records: a connection error naming the lookup.
	cfg = s.MustConfig(drB)
	cfg.Operator = mssante.Operator{}
	cfg.Resolver = resolverAt(dns)
	cfg.SRVTargets = []string{"localhost"}
	_, err := newClient(t, cfg).Send(ctx(t), textMessage(drA))
	var ce *mssante.ConnectError
	if !errors.As(err, &ce) || !strings.Contains(ce.Server, "_submission._tcp.ch-test.mssante.fr") {
		t.Fatalf("no records: %v", err)
	}
}

// resolverAt is a pure-Go resolver that asks only the DNS server at addr.
func resolverAt(addr string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func port(t *testing.T, addr string) uint16 {
	_, p, _ := net.SplitHostPort(addr)
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return uint16(n)
}

// serveSRV answers SRV queries for the names in records with target, and
// NXDOMAIN for anything else. It writes DNS messages by hand (RFC 1035,
// RFC 2782): enough for Go's resolver.
func serveSRV(t *testing.T, records map[string]uint16, target string) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := answerSRV(buf[:n], records, target); resp != nil {
				pc.WriteTo(resp, from)
			}
		}
	}()
	return pc.LocalAddr().String()
}

func answerSRV(q []byte, records map[string]uint16, target string) []byte {
	if len(q) < 12 {
		return nil
	}
	// The question: QNAME labels, QTYPE, QCLASS.
	i := 12
	var labels []string
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qEnd := i + 5
	name := strings.ToLower(strings.Join(labels, ".")) + "."
	qtype := binary.BigEndian.Uint16(q[i+1:])
	resp := append([]byte(nil), q[:2]...) // ID
	flags := uint16(0x8180)               // QR, RD, RA
	p, ok := records[name]
	if !ok || qtype != 33 {
		flags |= 3 // NXDOMAIN
		if ok {
			flags &^= 3 // the name exists, no data of that type
		}
	}
	resp = binary.BigEndian.AppendUint16(resp, flags)
	resp = binary.BigEndian.AppendUint16(resp, 1) // QDCOUNT
	an := uint16(0)
	if ok && qtype == 33 {
		an = 1
	}
	resp = binary.BigEndian.AppendUint16(resp, an)
	resp = append(resp, 0, 0, 0, 0) // NSCOUNT, ARCOUNT
	resp = append(resp, q[12:qEnd]...)
	if an == 1 {
		resp = append(resp, 0xC0, 12)                  // name: pointer to the question
		resp = binary.BigEndian.AppendUint16(resp, 33) // SRV
		resp = binary.BigEndian.AppendUint16(resp, 1)  // IN
		resp = binary.BigEndian.AppendUint32(resp, 60) // TTL
		var rdata []byte
		rdata = binary.BigEndian.AppendUint16(rdata, 0) // priority
		rdata = binary.BigEndian.AppendUint16(rdata, 1) // weight
		rdata = binary.BigEndian.AppendUint16(rdata, p)
		for _, l := range strings.Split(strings.TrimSuffix(target, "."), ".") {
			rdata = append(rdata, byte(len(l)))
			rdata = append(rdata, l...)
		}
		rdata = append(rdata, 0)
		resp = binary.BigEndian.AppendUint16(resp, uint16(len(rdata)))
		resp = append(resp, rdata...)
	}
	return resp
}
