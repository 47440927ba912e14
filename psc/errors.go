package psc

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mssante-go/sdk/internal/textcut"
)

// Sentinels. Every error the package returns for one of these conditions
// unwraps to the sentinel (errors.Is), and most carry a structured error
// with the details (errors.As).
var (
	// ErrSessionEnded: the PSC session is over. Pro Santé Connect refused
	// the refresh token (expired, revoked, session closed on the e-CPS
	// side), or the session was closed. Ref#2 ECO.1.2.6: the mailbox
	// session ends with it; asking again will not help, the professional
	// must log in again. The error is a *SessionEndedError.
	ErrSessionEnded = errors.New("psc: session ended")

	// ErrTemporary: PSC could not be reached or answered with a server
	// error or 429; the operation may succeed later. The error is a
	// *TemporaryError.
	ErrTemporary = errors.New("psc: temporary failure")

	// ErrStateMismatch: the authorization response does not carry the
	// state of the request (a forged or replayed redirect).
	ErrStateMismatch = errors.New("psc: state mismatch in the authorization response")

	// ErrNonceMismatch: the ID token does not carry the nonce of the
	// request (a replayed ID token).
	ErrNonceMismatch = errors.New("psc: nonce mismatch in the ID token")

	// ErrIssuerMismatch: a document, token or redirect names another
	// issuer than the environment's (RFC 9207, OpenID Connect Discovery
	// §4.3).
	ErrIssuerMismatch = errors.New("psc: issuer mismatch")

	// ErrInvalidIDToken: the ID token is malformed, badly signed, expired
	// or not for this client.
	ErrInvalidIDToken = errors.New("psc: invalid ID token")

	// ErrInsufficientACR: the authentication level in the ID token (acr)
	// is absent or not one the client asked for.
	ErrInsufficientACR = errors.New("psc: insufficient authentication level")

	// ErrAccessDenied: the professional refused (CIBA access_denied or
	// error=access_denied on the redirect).
	ErrAccessDenied = errors.New("psc: access denied")

	// ErrCIBAExpired: the backchannel authentication request expired
	// before the professional approved it (CIBA expired_token).
	ErrCIBAExpired = errors.New("psc: backchannel authentication request expired")

	// ErrDiscovery: the discovery document could not be used.
	ErrDiscovery = errors.New("psc: discovery failed")

	// ErrRedirect: an HTTP redirect the package does not follow (https to
	// http, or to another host).
	ErrRedirect = errors.New("psc: redirect refused")

	// ErrConfig: the Config or a request is not usable.
	ErrConfig = errors.New("psc: invalid configuration")
)

// quote returns s quoted, cut to textcut.Max bytes: an error quotes no more
// of a server's text.
func quote(s string) string { return textcut.Quote(s) }

// TokenError is an OAuth 2.0 error response (RFC 6749 §5.2) from a PSC
// endpoint: the token endpoint, the backchannel authentication endpoint or
// the revocation endpoint.
type TokenError struct {
	Endpoint    string // "token", "backchannel", "revocation", "userinfo"
	Grant       string // the grant_type of a token request, or ""
	Status      int    // HTTP status
	Code        string // the "error" member, e.g. "invalid_grant"
	Description string // the "error_description" member, cut to 100 bytes
}

func (e *TokenError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "psc: %s endpoint", e.Endpoint)
	if e.Grant != "" {
		fmt.Fprintf(&b, " (%s)", e.Grant)
	}
	fmt.Fprintf(&b, ": HTTP %d", e.Status)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", quote(e.Description))
	}
	return b.String()
}

// Is makes a TokenError match the sentinels its code stands for:
// access_denied is ErrAccessDenied, expired_token ErrCIBAExpired.
func (e *TokenError) Is(target error) bool {
	switch target {
	case ErrAccessDenied:
		return e.Code == "access_denied"
	case ErrCIBAExpired:
		return e.Code == "expired_token"
	}
	return false
}

// temporary reports whether the response may be different later: a
// server error or 429 with no OAuth error code that says otherwise.
func (e *TokenError) temporary() bool {
	if e.Code == "temporarily_unavailable" {
		return true
	}
	return e.Status >= 500 || e.Status == 429
}

// SessionEndedError is the error of a Session that ended. It matches
// ErrSessionEnded; Cause says why (a *TokenError with code invalid_grant
// when PSC refused the refresh token, ErrClosed after Close).
type SessionEndedError struct {
	Cause error
}

func (e *SessionEndedError) Error() string {
	if e.Cause == nil {
		return ErrSessionEnded.Error()
	}
	return ErrSessionEnded.Error() + ": " + e.Cause.Error()
}

// Is reports whether target is ErrSessionEnded.
func (e *SessionEndedError) Is(target error) bool { return target == ErrSessionEnded }

// Unwrap returns the cause.
func (e *SessionEndedError) Unwrap() error { return e.Cause }

// Temporary returns false: a package that does not import psc (the mail
// client) can tell, net.Error style, that trying again is useless.
func (e *SessionEndedError) Temporary() bool { return false }

// ErrClosed is the cause of a session ended by Session.Close.
var ErrClosed = errors.New("psc: session closed by the application")

// TemporaryError is a failure that may not happen again: the network, a
// PSC server error, a 429. It matches ErrTemporary. RetryAfter is when the
// session will try again (Session.Token does not call PSC before).
type TemporaryError struct {
	Cause      error
	RetryAfter time.Duration
}

func (e *TemporaryError) Error() string {
	return fmt.Sprintf("%s: %v", ErrTemporary.Error(), e.Cause)
}

// Is reports whether target is ErrTemporary.
func (e *TemporaryError) Is(target error) bool { return target == ErrTemporary }

// Unwrap returns the cause.
func (e *TemporaryError) Unwrap() error { return e.Cause }

// Temporary returns true (see SessionEndedError.Temporary).
func (e *TemporaryError) Temporary() bool { return true }

// AuthorizationError is an error returned on the redirect URI by the
// authorization endpoint (RFC 6749 §4.1.2.1), e.g. access_denied when the
// professional cancels.
type AuthorizationError struct {
	Code        string
	Description string
}

func (e *AuthorizationError) Error() string {
	s := "psc: authorization refused: " + quote(e.Code)
	if e.Description != "" {
		s += ": " + quote(e.Description)
	}
	return s
}

// Is makes access_denied match ErrAccessDenied.
func (e *AuthorizationError) Is(target error) bool {
	return target == ErrAccessDenied && e.Code == "access_denied"
}

// ACRError reports an authentication level the client did not ask for.
type ACRError struct {
	Got  string   // the acr claim, "" when absent
	Want []string // the accepted values
}

func (e *ACRError) Error() string {
	return fmt.Sprintf("psc: ID token acr %s, want one of %q", quote(e.Got), e.Want)
}

// Is reports whether target is ErrInsufficientACR.
func (e *ACRError) Is(target error) bool { return target == ErrInsufficientACR }
