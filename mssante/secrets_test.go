package mssante

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante/mail"
	"golang.org/x/oauth2"
)

// A server that quotes the refused SASL response in its error text (issue
// 19 item 10) puts no token or password into the AuthError, the audit
// events or the logs: the client redacts the echo before keeping it. The
// Auth value, and a Config holding it, print no secret with any verb.
func TestSecretsEchoedByServer(t *testing.T) {
	p := testPKI(t)
	cert := serverCert(t, p, "localhost", "127.0.0.1")
	fs := startFakeSMTP(t, cert, true)
	fi := startFakeIMAP(t, cert)
	const user = "alice.martin@medecin.mssante.fr"
	token := "psc-at-" + strings.Repeat("Zk9", 20)
	password := "s3cret-Passw0rd-42"

	for _, tt := range []struct {
		name   string
		auth   Auth
		secret string
		resp   string // the SASL response the client sends
	}{
		{"XOAUTH2", OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})), token, "user=" + user + "\x01auth=Bearer " + token + "\x01\x01"},
		{"PLAIN", Password(user, password), password, "\x00" + user + "\x00" + password},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var mu sync.Mutex
			logger := slog.New(slog.NewJSONHandler(&lockedBuffer{b: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
			var events []string
			cfg := Config{
				Address:  mail.MustParseAddress(user),
				Operator: Operator{SMTP: fs.Addr, IMAP: fi.Addr, IMAPImplicitTLS: true},
				Auth:     tt.auth, RootCAs: p.Pool(), AllowAnyRecipient: true, ProductRef: "DEV935997",
				Logger: logger, DialTimeout: 5 * time.Second, CommandTimeout: 5 * time.Second,
				Audit: AuditorFunc(func(ctx context.Context, e AuditEvent) {
					mu.Lock()
					events = append(events, fmt.Sprintf("%+v %s", e, e.Result()))
					mu.Unlock()
					SlogAuditor(logger).Audit(ctx, e)
				}),
			}
			c, err := NewClient(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var seen []string
			keep := func(err error) {
				seen = append(seen, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
				var ae *AuthError
				if !errors.As(err, &ae) || !strings.Contains(ae.Message, redacted) || !strings.Contains(ae.Message, "refused") {
					t.Errorf("want an AuthError with the echo redacted, got %#v", err)
				}
			}
			_, err = c.Send(ctx, &mail.Message{To: []mail.Address{mail.MustParseAddress("b@medecin.mssante.fr")}, Subject: "s", Text: "t"})
			keep(err)
			_, err = c.Folders(ctx)
			keep(err)
			if !fs.received(tt.secret) {
				t.Fatal("the server never got the secret: the test proves nothing")
			}
			b64 := base64.StdEncoding.EncodeToString([]byte(tt.resp))
			secrets := []string{tt.secret, b64, b64[:30], tt.secret[:minEchoRun]}

			mu.Lock()
			all := strings.Join(append(append(seen, events...), logs.String()), "\n")
			mu.Unlock()
			all += fmt.Sprintf("%v %+v %#v %s %q", cfg, cfg, cfg, cfg.Auth, cfg.Auth)
			all += fmt.Sprintf("%#v", struct{ a Auth }{cfg.Auth}) // an unexported field: fmt cannot call Auth's methods
			js, _ := json.Marshal(cfg.Auth)
			all += string(js)
			logger.Info("config", "auth", cfg.Auth, "cfg", cfg)
			all += logs.String()
			for _, s := range secrets {
				if strings.Contains(all, s) {
					t.Errorf("secret %.12q… found in errors, audit events, logs or a printed Config", s)
				}
			}
			if !strings.Contains(all, "imap.login") || !strings.Contains(all, "smtp.connect") {
				t.Errorf("the scenario did not run: %s", all)
			}
		})
	}
}

type lockedBuffer struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func TestEchoRedactor(t *testing.T) {
	token := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	rec := &saslRecorder{sent: [][]byte{[]byte("user=alice.martin@medecin.mssante.fr\x01auth=Bearer " + token + "\x01\x01")}}
	r := newEchoRedactor(rec, token, "")
	for _, tt := range []struct{ in, want string }{
		{"bad token " + token, "bad token " + redacted},
		{"bad token " + token[:20] + "…", "bad token " + redacted + "…"},
		{"bad token " + token[:20] + "... end.", "bad token " + redacted + "... end."},
		{"unknown user alice.martin@medecin.mssante.fr", "unknown user alice.martin@medecin.mssante.fr"}, // the user is no secret
		{"Authentication credentials invalid", "Authentication credentials invalid"},
		{"", ""},
	} {
		if got := r.text(tt.in); got != tt.want {
			t.Errorf("text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	plain := errors.New("refused")
	if r.err(plain) != plain {
		t.Error("an error without secret must be kept as is")
	}
}
