// Package xoauth2 implements the XOAUTH2 SASL mechanism (client and
// server), which go-sasl lacks. MSSanté operators authenticate Pro Santé
// Connect users with it (Ref#2 ECO.1.2.1).
//
// The client's initial response is "user=<address>\x01auth=Bearer
// <token>\x01\x01". A server that refuses the token answers with a
// challenge holding a JSON error such as
// {"status":"401","schemes":"bearer","scope":"mail"}; the client answers it
// with an empty response and the server then fails the exchange.
package xoauth2

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// Mechanism is the SASL mechanism name.
const Mechanism = "XOAUTH2"

// ServerError is the JSON error a server sends in its challenge.
type ServerError struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

// Client is an XOAUTH2 sasl.Client. After a failed exchange, Err holds the
// server's JSON error, if it sent one.
type Client struct {
	Username string
	Token    string
	// Err is set when the server answered with an error challenge.
	Err *ServerError
}

var _ sasl.Client = (*Client)(nil)

// Start returns the initial response.
func (c *Client) Start() (string, []byte, error) {
	if strings.ContainsAny(c.Username+c.Token, "\x01") {
		return "", nil, errors.New("xoauth2: user or token contains \\x01")
	}
	return Mechanism, []byte("user=" + c.Username + "\x01auth=Bearer " + c.Token + "\x01\x01"), nil
}

// Next answers a challenge. The only challenge XOAUTH2 knows is the server's
// error; it is recorded in c.Err and answered with an empty response, as the
// mechanism requires.
func (c *Client) Next(challenge []byte) ([]byte, error) {
	var e ServerError
	if len(challenge) > 0 && json.Unmarshal(challenge, &e) == nil {
		c.Err = &e
	} else {
		c.Err = &ServerError{Status: "unknown"}
	}
	return []byte{}, nil
}

// ErrInvalidResponse is returned by the server for a malformed response.
var ErrInvalidResponse = errors.New("xoauth2: invalid client response")

// ErrAuthFailed ends an exchange whose token was refused.
var ErrAuthFailed = errors.New("xoauth2: authentication failed")

// Authenticator checks a user and a bearer token. It returns nil to accept,
// or the JSON error to send (nil error pointer means a generic 401).
type Authenticator func(username, token string) *ServerError

// NewServer returns an XOAUTH2 sasl.Server that calls auth.
func NewServer(auth Authenticator) sasl.Server {
	return &server{auth: auth}
}

type server struct {
	auth   Authenticator
	failed bool
	asked  bool
}

func (s *server) Next(response []byte) (challenge []byte, done bool, err error) {
	if s.failed {
		return nil, true, ErrAuthFailed
	}
	if response == nil && !s.asked {
		s.asked = true
		return []byte{}, false, nil
	}
	user, token, ok := parseResponse(response)
	if !ok {
		return nil, true, ErrInvalidResponse
	}
	if e := s.auth(user, token); e != nil {
		s.failed = true
		b, _ := json.Marshal(e)
		return b, false, nil
	}
	return nil, true, nil
}

// parseResponse reads "user=...\x01auth=Bearer ...\x01\x01".
func parseResponse(b []byte) (user, token string, ok bool) {
	if !bytes.HasSuffix(b, []byte("\x01\x01")) {
		return "", "", false
	}
	for _, kv := range strings.Split(string(b[:len(b)-2]), "\x01") {
		k, v, found := strings.Cut(kv, "=")
		if !found {
			return "", "", false
		}
		switch k {
		case "user":
			user = v
		case "auth":
			scheme, tok, found := strings.Cut(v, " ")
			if !found || !strings.EqualFold(scheme, "Bearer") {
				return "", "", false
			}
			token = tok
		}
	}
	return user, token, user != "" && token != ""
}
