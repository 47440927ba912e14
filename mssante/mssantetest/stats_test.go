package mssantetest_test

import (
	"crypto/tls"
	"net"
	"net/textproto"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// Stats counts each SMTP connection once, at its first EHLO, however the
// client orders EHLO and STARTTLS, and counts it out of SMTPOpen once, when
// it closes.
func TestStatsCountConnections(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmds []string // "TLS" starts TLS (STARTTLS, or nothing on implicit TLS)
	}{
		{"EHLO, STARTTLS, EHLO", []string{"EHLO", "TLS", "EHLO"}},
		{"EHLO, STARTTLS, then closed", []string{"EHLO", "TLS"}},
		{"STARTTLS before EHLO", []string{"TLS", "EHLO"}},
		{"EHLO without TLS", []string{"EHLO"}},
		{"closed before EHLO", nil},
	} {
		for _, implicit := range []bool{false, true} {
			if implicit && len(tc.cmds) > 0 && tc.cmds[0] != "TLS" {
				continue // implicit TLS starts with the handshake
			}
			t.Run(tc.name+map[bool]string{true: ", implicit TLS"}[implicit], func(t *testing.T) {
				s := newServer(t, &mssantetest.Options{ImplicitTLS: implicit})
				conf := &tls.Config{RootCAs: s.RootCAs(), ServerName: s.Hostname}
				conn, err := net.Dial("tcp", s.SMTPAddr)
				if err != nil {
					t.Fatal(err)
				}
				if implicit {
					conn = tls.Client(conn, conf)
				}
				tp := textproto.NewConn(conn)
				if _, _, err := tp.ReadResponse(220); err != nil {
					t.Fatal(err)
				}
				ehlo := false
				for _, cmd := range tc.cmds {
					switch {
					case cmd == "TLS" && !implicit:
						if _, err := tp.Cmd("STARTTLS"); err != nil {
							t.Fatal(err)
						}
						if _, _, err := tp.ReadResponse(220); err != nil {
							t.Fatal(err)
						}
						tc := tls.Client(conn, conf)
						if err := tc.Handshake(); err != nil {
							t.Fatal(err)
						}
						conn, tp = tc, textproto.NewConn(tc)
					case cmd == "EHLO":
						if _, err := tp.Cmd("EHLO client.test"); err != nil {
							t.Fatal(err)
						}
						if _, _, err := tp.ReadResponse(250); err != nil {
							t.Fatal(err)
						}
						ehlo = true
					}
				}
				want := int64(0)
				if ehlo {
					want = 1 // the first EHLO counted it
				}
				if st := s.Stats(); st.SMTPConnections != want || st.SMTPOpen != want {
					t.Errorf("while open: %+v, want %d connection(s), %d open", st, want, want)
				}
				if err := conn.Close(); err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(10 * time.Second)
				for s.Stats().SMTPOpen != 0 {
					if time.Now().After(deadline) {
						t.Fatalf("after closing: %+v, want none open", s.Stats())
					}
					time.Sleep(time.Millisecond)
				}
				if st := s.Stats(); st.SMTPConnections != want {
					t.Errorf("after closing: %+v, want %d connection(s)", st, want)
				}
			})
		}
	}
}
