package psc

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// keySet verifies signatures with PSC's published keys (go-oidc's remote
// key set, which fetches the JWKS again when it meets an unknown key id,
// so key rotation needs nothing from us), and HMAC signatures with the
// client secret: Keycloak, which PSC runs on, signs ID tokens with HS256
// when a client is configured so, and the ANS Keycloak plugin accepts
// both.
type keySet struct {
	remote oidc.KeySet
	secret string
}

var hmacAlgs = []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}

func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	if strings.HasPrefix(headerAlg(raw), "HS") {
		if k.secret == "" {
			return nil, errors.New("HMAC-signed token and no client secret to check it with")
		}
		jws, err := jose.ParseSignedCompact(raw, hmacAlgs)
		if err != nil {
			return nil, err
		}
		return jws.Verify([]byte(k.secret))
	}
	return k.remote.VerifySignature(ctx, raw)
}

// usableAlgs keeps the asymmetric algorithms go-oidc verifies, and the
// HMAC ones when there is a secret to verify them with; "none" never.
func usableAlgs(algs []string, secret bool) []string {
	var out []string
	for _, a := range algs {
		switch {
		case a == "none" || a == "":
		case strings.HasPrefix(a, "HS"):
			if secret {
				out = append(out, a)
			}
		default:
			out = append(out, a)
		}
	}
	return out
}

// headerAlg returns the alg of a compact JWS, "" when unreadable.
func headerAlg(raw string) string {
	head, _, ok := strings.Cut(raw, ".")
	if !ok || len(head) > 4096 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(b, &h) != nil {
		return ""
	}
	return h.Alg
}

// idTokenCheck says what to expect of an ID token besides signature,
// issuer, audience and expiry.
type idTokenCheck struct {
	nonce       string // "" for CIBA and refresh, where none was sent
	accessToken string // checked against at_hash when the token has one
	subject     string // on refresh: the session's sub (OIDC Core §12.2)
}

// verifyIDToken checks an ID token and returns its claims.
func (c *Client) verifyIDToken(ctx context.Context, raw string, chk idTokenCheck) (map[string]any, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", ErrInvalidIDToken)
	}
	tok, err := c.verifier.Verify(ctx, raw)
	if err != nil {
		if strings.Contains(err.Error(), "issued by a different provider") {
			return nil, fmt.Errorf("%w: %w: %v", ErrInvalidIDToken, ErrIssuerMismatch, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrInvalidIDToken, err)
	}
	if chk.nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(chk.nonce)) != 1 {
		return nil, ErrNonceMismatch
	}
	if chk.subject != "" && tok.Subject != chk.subject {
		return nil, fmt.Errorf("%w: sub changed from %s to %s", ErrInvalidIDToken, quote(chk.subject), quote(tok.Subject))
	}
	if tok.AccessTokenHash != "" && chk.accessToken != "" {
		if err := checkAtHash(headerAlg(raw), chk.accessToken, tok.AccessTokenHash); err != nil {
			return nil, err
		}
	}
	claims := map[string]any{}
	if err := tok.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidIDToken, err)
	}
	acr, _ := claims["acr"].(string)
	if !slices.Contains(c.acr, acr) {
		return nil, &ACRError{Got: acr, Want: c.acr}
	}
	return claims, nil
}

// checkAtHash verifies at_hash (OpenID Connect Core §3.1.3.6): the left
// half of the hash of the access token, with the hash of the signature
// algorithm.
func checkAtHash(alg, accessToken, want string) error {
	var h hash.Hash
	if len(alg) < 5 {
		alg = "none"
	}
	switch alg[len(alg)-3:] {
	case "256":
		h = sha256.New()
	case "384":
		h = sha512.New384()
	case "512":
		h = sha512.New()
	default:
		return fmt.Errorf("%w: at_hash with algorithm %s", ErrInvalidIDToken, quote(alg))
	}
	h.Write([]byte(accessToken))
	sum := h.Sum(nil)
	got := base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return fmt.Errorf("%w: at_hash does not match the access token", ErrInvalidIDToken)
	}
	return nil
}
