package psc

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// LoginLoopback runs the authorization code flow for a desktop
// application (RFC 8252 §7.3): it listens on the loopback address of
// Config.RedirectURL (empty: 127.0.0.1 on a free port, path /callback),
// calls open with the authorization URL (open it in the professional's
// browser), waits for PSC's redirect, answers the browser with a short
// page, and completes the flow as Exchange does. It returns when the
// redirect arrived or ctx is done.
//
// The first request to the callback path decides: a wrong state is
// refused (ErrStateMismatch) rather than waited past. PSC registers exact
// redirect URIs, so give RedirectURL a fixed port in production.
func (c *Client) LoginLoopback(ctx context.Context, open func(authURL string) error) (*Session, error) {
	listen, path, err := loopbackAddr(c.cfg.RedirectURL)
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("psc: loopback redirect: %w", err)
	}
	redirect := c.cfg.RedirectURL
	if redirect == "" {
		redirect = "http://" + ln.Addr().String() + path
	}
	p, err := c.AuthCodeURL(redirect)
	if err != nil {
		ln.Close()
		return nil, err
	}
	results := make(chan url.Values, 1)
	mux := http.NewServeMux()
	mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		select {
		case results <- q:
		default:
			http.Error(w, "This login is already complete.", http.StatusGone)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, loopbackPage("Connexion refusée : réponse inattendue. Fermez cette fenêtre et recommencez."))
			return
		}
		if q.Get("error") != "" {
			fmt.Fprint(w, loopbackPage("Connexion Pro Santé Connect annulée. Vous pouvez fermer cette fenêtre."))
			return
		}
		fmt.Fprint(w, loopbackPage("Connexion Pro Santé Connect réussie. Vous pouvez fermer cette fenêtre et revenir à l'application."))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()
	if err := open(p.URL); err != nil {
		return nil, fmt.Errorf("psc: opening the browser: %w", err)
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case q := <-results:
		return c.Exchange(ctx, p, q)
	}
}

func loopbackPage(msg string) string {
	return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect</title></head><body><p>` + msg + `</p></body></html>`
}

// loopbackAddr returns the address to listen on and the callback path of
// a loopback redirect URI.
func loopbackAddr(redirect string) (listen, path string, err error) {
	if redirect == "" {
		return "127.0.0.1:0", "/callback", nil
	}
	u, err := url.Parse(redirect)
	if err != nil || u.Scheme != "http" || u.Port() == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", "", fmt.Errorf("%w: loopback redirect URL %s must be http://127.0.0.1:PORT/path", ErrConfig, quote(redirect))
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
	default:
		return "", "", fmt.Errorf("%w: redirect URL %s is not a loopback address", ErrConfig, quote(redirect))
	}
	path = u.Path
	if path == "" {
		path = "/"
	}
	return u.Host, path, nil
}
