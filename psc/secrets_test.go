package psc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// TestSecretsNeverShown runs every flow, good and bad, with a debug
// logger, then formats every public value of the package (%v, %+v, %#v,
// %s, JSON, slog text and JSON) and every error, and looks for the
// secrets the flows exchanged: access, refresh and ID tokens, codes,
// PKCE verifiers, CIBA request ids, the client secret and its Basic
// header. (oauth2.Token, which Session.Token returns, is x/oauth2's type
// and prints its access token; the SDK never formats it.)
func TestSecretsNeverShown(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&logs, &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rec := &recorder{}
	r := newRig(t, &psctest.Options{CIBAPendingPolls: 1}, func(c *psc.Config) {
		c.Logger = logger
		rec.next = c.HTTPClient.Transport
		if rec.next == nil {
			rec.next = http.DefaultTransport
		}
		hc := *c.HTTPClient
		hc.Transport = rec
		c.HTTPClient = &hc
	})
	ctx := context.Background()
	var shown []string
	show := func(vs ...any) {
		for _, v := range vs {
			if err, ok := v.(error); ok && err != nil {
				shown = append(shown, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
				continue
			}
			for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
				shown = append(shown, fmt.Sprintf(f, v))
			}
			if b, err := json.Marshal(v); err == nil {
				shown = append(shown, string(b))
			}
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("v", "v", v)
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("v", "v", v)
			shown = append(shown, buf.String())
		}
	}

	// The flows.
	s := r.login(t)
	tok, _ := s.Token()
	_, err := s.UserInfo(ctx)
	show(err)
	r.idp.ExpireAccessTokens()
	s.Invalidate(tok.AccessToken)
	_, err = s.Token()
	show(err)
	p, _ := r.c.AuthCodeURL(redirect)
	q := r.redirectQuery(t, p.URL)
	q2, _ := url.ParseQuery(q.Encode())
	q2.Set("state", "x")
	_, err = r.c.Exchange(ctx, p, q2)
	show(err)
	p.CodeVerifier = strings.Repeat("v", 43)
	_, err = r.c.Exchange(ctx, p, q)
	show(err, p)
	b, err := r.c.StartCIBA(ctx, psc.CIBARequest{LoginHint: drMartin, BindingMessage: "07"})
	show(err, b)
	s2, err := r.c.PollCIBA(ctx, b)
	show(err)
	r.idp.DenyCIBA(true)
	_, err = r.c.LoginCIBA(ctx, psc.CIBARequest{LoginHint: drMartin})
	show(err)
	r.idp.FailTokenRequests(100, 503)
	r.clock.Advance(10 * time.Minute)
	_, err = s.Token()
	show(err)
	r.idp.FailTokenRequests(0, 0)
	r.clock.Advance(time.Hour)
	r.idp.RefuseRefresh(true)
	_, err = s.Token()
	show(err, s.Err())
	show(s2.Close(ctx))

	// Every public value.
	var te *psc.TokenError
	errors.As(err, &te)
	show(r.cfg, r.cfg.Auth, psc.ClientSecretPost(r.idp.ClientSecret()), r.c, s, s2, p, b, s.Identity(),
		r.c.Metadata(), r.cfg.Environment, te, &psc.TemporaryError{Cause: te}, &psc.SessionEndedError{Cause: te},
		r.idp, psctest.Options{ClientSecret: r.idp.ClientSecret()}, r.idp.Stats())
	mu.Lock()
	shown = append(shown, logs.String())
	mu.Unlock()

	// The secrets.
	secrets := map[string]bool{r.idp.ClientSecret(): true}
	secrets[strings.TrimPrefix(basicHeader(r.idp.ClientID(), r.idp.ClientSecret()), "Basic ")] = true
	rec.mu.Lock()
	for _, body := range rec.bodies {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			for _, k := range []string{"access_token", "refresh_token", "id_token", "auth_req_id"} {
				if v, ok := m[k].(string); ok {
					secrets[v] = true
				}
			}
			continue
		}
		raw := string(body)
		if u, err := url.Parse(raw); err == nil && u.RawQuery != "" {
			raw = u.RawQuery
		}
		if form, err := url.ParseQuery(raw); err == nil {
			for _, k := range []string{"code", "code_verifier", "refresh_token", "auth_req_id", "client_secret", "token"} {
				if v := form.Get(k); v != "" {
					secrets[v] = true
				}
			}
		}
	}
	rec.mu.Unlock()
	if len(secrets) < 10 {
		t.Fatalf("only %d secrets recorded: the recorder missed the flows", len(secrets))
	}
	all := strings.Join(shown, "\n")
	for sec := range secrets {
		if len(sec) < 16 {
			continue
		}
		if strings.Contains(all, sec) {
			i := strings.Index(all, sec)
			t.Errorf("secret %.12q… shown: …%s…", sec, all[max(0, i-80):i])
		}
	}
}

func basicHeader(id, secret string) string {
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return req.Header.Get("Authorization")
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
