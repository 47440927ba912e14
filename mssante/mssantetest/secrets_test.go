package mssantetest_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
)

// TestSecretsNeverLogged runs the authentication paths, good and bad, with a
// debug logger and an auditor attached, and scans every log line, audit
// event and error, and the configuration printed with %v, %+v and %#v and
// logged, for the secrets the test configured: tokens (also as the base64
// XOAUTH2 response), passwords and private keys. (A server that quotes the
// refused response is mssante's TestSecretsEchoedByServer.)
func TestSecretsNeverLogged(t *testing.T) {
	s := newServer(t, nil)
	pw := s.MustAddMailbox("plain@medecin.mssante.fr", "PER", nil)
	var logs bytes.Buffer
	var mu sync.Mutex
	w := lockedWriter{&logs, &mu}
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen []string
	record := func(err error) {
		if err != nil {
			mu.Lock()
			seen = append(seen, err.Error())
			mu.Unlock()
		}
	}
	goodToken, _ := s.Token(drA)
	badToken := "psc-bad-" + strings.Repeat("z", 40)
	cert, _ := s.ClientCertificate(app)
	keyDER, _ := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	secrets := []string{
		goodToken, badToken, pw.Password, "wrong-password-42",
		base64.StdEncoding.EncodeToString([]byte("user=" + drA + "\x01auth=Bearer " + goodToken + "\x01\x01")),
		base64.StdEncoding.EncodeToString(keyDER)[:40], strings.Split(keyPEM, "\n")[1],
	}

	run := func(cfg mssante.Config) {
		cfg.Logger = logger
		cfg.Audit = mssante.SlogAuditor(logger)
		// The configuration printed or logged whole, with every verb.
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%v|%+v|%#v|%s", cfg, cfg, cfg, cfg.Auth))
		mu.Unlock()
		logger.Info("configuration", "cfg", cfg, "auth", cfg.Auth)
		c, err := mssante.NewClient(cfg)
		if err != nil {
			record(err)
			return
		}
		defer c.Close()
		_, err = c.Send(context.Background(), textMessage(drB))
		record(err)
		_, err = c.Folders(context.Background())
		record(err)
		wctx, cancel := context.WithCancel(context.Background())
		cancel()
		record(c.Watch(wctx, "INBOX", nil, func(mssante.WatchEvent) {}))
	}
	cfg := s.MustConfig(drA)
	cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: goodToken}))
	run(cfg)
	cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: badToken}))
	run(cfg)
	cfg = s.MustConfig(pw.Address)
	cfg.Auth = mssante.Password(pw.Address, pw.Password)
	run(cfg)
	cfg.Auth = mssante.Password(pw.Address, "wrong-password-42")
	run(cfg)
	run(s.MustConfig(app))
	// The Auth value itself must not print its secret either.
	seen = append(seen, mssante.Password("u", "wrong-password-42").String(), mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: goodToken})).String())

	mu.Lock()
	all := logs.String() + "\n" + strings.Join(seen, "\n")
	mu.Unlock()
	if !strings.Contains(all, "refused") || !strings.Contains(all, "smtp.send") {
		t.Fatalf("the scenario did not run: %s", all)
	}
	for _, sec := range secrets {
		if strings.Contains(all, sec) {
			t.Errorf("secret %.12q… found in logs or errors", sec)
		}
	}
}
