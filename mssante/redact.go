package mssante

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// saslRecorder remembers what a SASL client sent, so that a server that
// quotes the refused response in its error text (some do, for debugging)
// cannot put the token or the password into an AuthError, an audit event or
// a log line.
type saslRecorder struct {
	sasl.Client
	sent [][]byte
}

func (r *saslRecorder) Start() (string, []byte, error) {
	mech, ir, err := r.Client.Start()
	if len(ir) > 0 {
		r.sent = append(r.sent, append([]byte(nil), ir...))
	}
	return mech, ir, err
}

func (r *saslRecorder) Next(challenge []byte) ([]byte, error) {
	resp, err := r.Client.Next(challenge)
	if len(resp) > 0 {
		r.sent = append(r.sent, append([]byte(nil), resp...))
	}
	return resp, err
}

// echoRedactor removes the client's secrets from text a server sent.
type echoRedactor struct {
	whole []string // secrets and SASL responses, in clear and in base64: replaced where they appear whole
	parts []string // token, password and the base64 responses: their long pieces are replaced too
}

// newEchoRedactor returns a redactor for the SASL responses of rec (nil
// allowed) and the other secrets given (a token, a password). Secrets
// shorter than 4 bytes are left alone: replacing them would blank ordinary
// words.
func newEchoRedactor(rec *saslRecorder, secrets ...string) *echoRedactor {
	r := &echoRedactor{}
	encoded := func(s string) []string {
		b := []byte(s)
		return []string{base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b)}
	}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.whole = append(append(r.whole, s), encoded(s)...)
			r.parts = append(append(r.parts, s), encoded(s)...)
		}
	}
	if rec != nil {
		for _, b := range rec.sent {
			if len(b) >= 4 {
				// The clear response also names the user, which is no
				// secret: only its base64 form is searched for pieces.
				r.whole = append(append(r.whole, string(b)), encoded(string(b))...)
				r.parts = append(r.parts, encoded(string(b))...)
			}
		}
	}
	return r
}

// minEchoRun is the shortest run of token characters that is redacted when
// it is part of a secret: a server may quote a truncated response.
const minEchoRun = 12

// text returns s without the secrets: each whole secret or response, in
// clear or in base64, and each run of at least minEchoRun token characters
// (letters, digits, "+/=-_.~") found inside a token, a password or a base64
// response, becomes [REDACTED].
func (r *echoRedactor) text(s string) string {
	if r == nil || len(r.whole) == 0 || s == "" {
		return s
	}
	for _, f := range r.whole {
		s = strings.ReplaceAll(s, f, redacted)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if !isTokenChar(s[i]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		j := i
		for j < len(s) && isTokenChar(s[j]) {
			j++
		}
		run := s[i:j]
		// Punctuation a server puts around a quote ("…", a final ".")
		// is not part of it.
		core := strings.Trim(run, ".-_~")
		if len(core) >= minEchoRun && r.inSecret(core) {
			k := strings.Index(run, core)
			b.WriteString(run[:k])
			b.WriteString(redacted)
			b.WriteString(run[k+len(core):])
		} else {
			b.WriteString(run)
		}
		i = j
	}
	return b.String()
}

func (r *echoRedactor) inSecret(run string) bool {
	for _, f := range r.parts {
		if strings.Contains(f, run) {
			return true
		}
	}
	return false
}

func isTokenChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("+/=-_.~", c) >= 0
}

// err returns err, or when its text holds a secret, an error with the text
// redacted. The original is dropped (not wrapped): errors.As on it would
// give the secret back.
func (r *echoRedactor) err(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if red := r.text(s); red != s {
		return errors.New(red)
	}
	return err
}
