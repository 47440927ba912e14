package mssante

import (
	"context"
	"errors"
	"io"
	"mime"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// imapConn is an authenticated IMAP connection and its server's address.
type imapConn struct {
	c      *imapclient.Client
	server string

	selected string // folder selected, "" when none
	readOnly bool   // selected with EXAMINE
}

// selectFolder selects folder, read-only (EXAMINE) or not. A read-write
// selection is reused; a read-only one is always made again. A folder the
// server refuses gives a *FolderError.
func (ic *imapConn) selectFolder(folder string, readOnly bool) (*imap.SelectData, error) {
	if !readOnly && ic.selected == folder && !ic.readOnly {
		return nil, nil
	}
	return ic.reselect(folder, readOnly)
}

// reselect selects folder even when it is selected already: Sync does, to
// read the current UIDVALIDITY, with one read-write SELECT that the
// commands after it reuse.
func (ic *imapConn) reselect(folder string, readOnly bool) (*imap.SelectData, error) {
	ic.selected = ""
	data, err := ic.c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly}).Wait()
	if err != nil {
		command := "SELECT"
		if readOnly {
			command = "EXAMINE"
		}
		return nil, folderError(ic.server, command, folder, err)
	}
	ic.selected, ic.readOnly = folder, readOnly
	return data, nil
}

func (ic *imapConn) close() error {
	err := ic.c.Logout().Wait()
	ic.c.Close()
	return err
}

// broken reports whether the connection can no longer be used.
func (ic *imapConn) broken() bool {
	select {
	case <-ic.c.Closed():
		return true
	default:
		return false
	}
}

// withIMAP runs f on the client's IMAP connection, connecting first when
// needed. Commands are serialised. A cancelled ctx, or Client.Close, closes
// the connection, which the next call replaces.
func (c *Client) withIMAP(ctx context.Context, f func(ic *imapConn) error) error {
	if c.isClosed() {
		return ErrClosed
	}
	ctx, stopOp := c.opContext(ctx)
	defer stopOp()
	c.imapMu.Lock()
	defer c.imapMu.Unlock()
	if c.isClosed() {
		return ErrClosed // Close ran while this call waited for the lock
	}
	if c.imap != nil && c.imap.broken() {
		c.imap.c.Close()
		c.imap = nil
	}
	if c.imap == nil {
		ic, err := c.dialIMAP(ctx, nil)
		if err != nil {
			return err
		}
		c.imap = ic
		c.imapAddr.Store(&ic.server)
	}
	ic := c.imap
	stop := context.AfterFunc(ctx, func() { ic.c.Close() })
	err := f(ic)
	stop()
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil && (ic.broken() || isConnectionLoss(err)) {
		// The client may report the failed command before it marks itself
		// closed: close it, so that the next call reconnects.
		ic.c.Close()
		err = &ConnectError{Server: ic.server, Err: err}
	}
	return err
}

// isConnectionLoss tells the errors of a connection that ended under a
// command (not an IMAP NO or BAD, not an error of the caller's writer).
func isConnectionLoss(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne)
}

// dialIMAP connects, secures and authenticates an IMAP connection.
// handler receives unilateral data (for IDLE).
func (c *Client) dialIMAP(ctx context.Context, handler *imapclient.UnilateralDataHandler) (*imapConn, error) {
	ep, err := c.endpoint(ctx, "imap")
	if err != nil {
		c.audit(ctx, "imap.connect", c.cfg.Address.Addr, "", err)
		return nil, err
	}
	addr, host, port, implicit := ep.addr, ep.host, ep.port, ep.implicitTLS
	token := "" // "" fetches one; after a refused token, the refreshed one
	for attempt := 0; ; attempt++ {
		conn, err := c.dial(ctx, ep)
		if err != nil {
			err = ctxErr(ctx, err)
			c.audit(ctx, "imap.connect", c.cfg.Address.Addr, addr, err)
			return nil, err
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		ct := &connTLS{serverName: host, binding: ep.binding}
		opts := &imapclient.Options{TLSConfig: c.tlsConfig(ct), WordDecoder: &mime.WordDecoder{CharsetReader: charset.Reader}, UnilateralDataHandler: handler}
		var cl *imapclient.Client
		if implicit {
			tc := tlsClient(conn, opts.TLSConfig)
			err := tc.Handshake()
			c.reportTLS(ctx, addr, ct)
			if err != nil {
				stop()
				conn.Close()
				return nil, ctxErr(ctx, tlsError(addr, conn, err))
			}
			cl = imapclient.New(tc, opts)
			if err := cl.WaitGreeting(); err != nil {
				stop()
				cl.Close()
				return nil, ctxErr(ctx, &ConnectError{Server: addr, Err: err})
			}
		} else {
			cl, err = imapclient.NewStartTLS(conn, opts)
			c.reportTLS(ctx, addr, ct)
			if err != nil {
				stop()
				conn.Close()
				if isTLSError(err) {
					return nil, ctxErr(ctx, tlsError(addr, conn, err))
				}
				return nil, ctxErr(ctx, &ConnectError{Server: addr, Err: err})
			}
		}
		sasl, tok, err := c.cfg.Auth.saslClient(ctx, c.cfg.Address.Addr, host, port, token)
		var rec *saslRecorder
		if err == nil && sasl != nil {
			rec = &saslRecorder{Client: sasl}
			err = cl.Authenticate(rec)
		}
		stop()
		if err == nil {
			c.audit(ctx, "imap.login", c.cfg.Address.Addr, addr, nil)
			return &imapConn{c: cl, server: addr}, nil
		}
		cl.Close()
		if ctx.Err() != nil {
			c.audit(ctx, "imap.login", c.cfg.Address.Addr, addr, context.Cause(ctx))
			return nil, context.Cause(ctx)
		}
		if sasl == nil {
			err = c.authSetupError(addr, err)
			c.audit(ctx, "imap.login", c.cfg.Address.Addr, addr, err)
			return nil, err
		}
		// The server's text may quote what it refused: never keep it.
		red := newEchoRedactor(rec, c.cfg.Auth.secretTexts(tok)...)
		ae := &AuthError{Server: addr, Mechanism: c.cfg.Auth.String(), Status: saslStatus(sasl, err)}
		var ie *imap.Error
		if errors.As(err, &ie) {
			ae.Message = red.text(ie.Text)
		} else {
			ae.Message = red.text(err.Error())
		}
		if attempt == 0 && ae.Status != "" {
			if token, ae.Err = c.cfg.Auth.refreshedToken(ctx, tok); token != "" {
				c.audit(ctx, "imap.login", c.cfg.Address.Addr, addr, ae)
				continue
			}
		}
		c.audit(ctx, "imap.login", c.cfg.Address.Addr, addr, ae)
		return nil, ae
	}
}
