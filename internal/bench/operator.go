package bench

import (
	"crypto/tls"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mssantetest"
)

// benchServer starts an in-process operator with one sender mailbox and a
// relayed domain: mail to it is read whole and dropped, so that memory does
// not grow with the messages sent. It returns a client of the mailbox.
func benchServer() (*mssantetest.Server, *mssantetest.Mailbox, *mssante.Client, error) {
	srv, err := mssantetest.NewServer(&mssantetest.Options{TrustedDomains: []string{benchTo.Domain()}})
	if err != nil {
		return nil, nil, nil, err
	}
	mb, err := srv.AddMailbox(benchFrom.Addr, mssantetest.MailboxPER, nil)
	if err != nil {
		srv.Close()
		return nil, nil, nil, err
	}
	client, err := mssante.NewClient(srv.MustConfig(mb.Address))
	if err != nil {
		srv.Close()
		return nil, nil, nil, err
	}
	return srv, mb, client, nil
}

func benchTLS(srv *mssantetest.Server) *tls.Config {
	return &tls.Config{RootCAs: srv.RootCAs(), ServerName: srv.Hostname, MinVersion: tls.VersionTLS12}
}

// benchPair holds the two sides of a pair over a fixture, and what
// releases the fixture.
type benchPair struct {
	sdk, base func() error
	size      int // bytes of one message
	close     func()
}
