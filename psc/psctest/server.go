package psctest

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mssante-go/sdk/internal/sysclock"
	"github.com/mssante-go/sdk/psc"
)

// Realm is the path of the realm, as on PSC's Keycloak.
const Realm = "/auth/realms/esante-wallet"

// Paths of the endpoints, under Server.URL. The authorization endpoint is
// "/auth", as on PSC's wallet front.
const (
	DiscoveryPath   = Realm + "/.well-known/wallet-openid-configuration"
	AuthorizePath   = "/auth"
	TokenPath       = Realm + "/protocol/openid-connect/token"
	JWKSPath        = Realm + "/protocol/openid-connect/certs"
	UserInfoPath    = Realm + "/protocol/openid-connect/userinfo"
	BackchannelPath = Realm + "/protocol/openid-connect/ext/ciba/auth"
	RevocationPath  = Realm + "/protocol/openid-connect/revoke"
)

// Options configure a Server. A nil *Options means defaults; every zero
// field has the default its comment gives.
type Options struct {
	// ClientID is the one client the server knows. Zero: "psctest-client".
	ClientID string
	// ClientSecret authenticates it (client_secret_basic or
	// client_secret_post). Zero: 32 random bytes, hex (Server.ClientSecret).
	ClientSecret string
	// PublicClient also accepts requests that carry client_id and no
	// authentication (PKCE only).
	PublicClient bool
	// ClientCertificate, when set, makes the server serve HTTPS and accept
	// tls_client_auth with this certificate (RFC 8705), with
	// mtls_endpoint_aliases in the discovery document.
	ClientCertificate *x509.Certificate
	// TLS serves HTTPS (httptest's certificate; use Server.HTTPClient).
	TLS bool

	// Professional is the identity the server asserts: the authorization
	// endpoint approves it without asking, CIBA accepts its NationalID as
	// login hint. Nil: DefaultProfessional(). Subject zero: derived from
	// NationalID.
	Professional *psc.Identity

	// AccessTokenLifetime: zero 120 s (PSC's, in the ANS examples).
	AccessTokenLifetime time.Duration
	// RefreshTokenLifetime: zero 30 min.
	RefreshTokenLifetime time.Duration
	// Audience is the aud of access tokens, which Verify checks. Zero:
	// {ClientID}.
	Audience []string

	// CIBAExpiresIn is the lifetime of a backchannel request: zero 120 s.
	CIBAExpiresIn time.Duration
	// CIBAInterval is the polling interval announced: zero 5 s.
	CIBAInterval time.Duration
	// CIBAPendingPolls is how many polls are answered authorization_pending
	// before the professional "approves". Zero: 2; negative: none.
	CIBAPendingPolls int

	// SignedUserInfo answers userinfo with a signed JWT (application/jwt)
	// instead of JSON.
	SignedUserInfo bool
	// RedirectURIs are the registered redirect URIs. Nil: any http URL on
	// a loopback address (127.0.0.1, ::1, localhost).
	RedirectURIs []string
	// Clock is the server's time (token lifetimes, CIBA polling). Nil: the
	// system clock. Give the fake Clock of this package to the server and
	// to the psc.Config under test, so that they agree.
	Clock psc.Clock
}

// Server is a Pro Santé Connect look-alike on an httptest server: the
// discovery document, the JWKS, the authorization endpoint (approving the
// configured professional at once), the token endpoint (authorization
// code with PKCE, refresh with rotation, CIBA poll), the CIBA backchannel
// endpoint, userinfo and revocation. Its tokens are real JWTs signed with
// RS256. Fault switches make it refuse refreshes, slow CIBA polling down,
// expire or deny CIBA requests, rotate its keys, expire access tokens and
// fail token requests. Safe for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string

	srv    *httptest.Server
	opts   Options
	issuer string

	mu      sync.Mutex
	keys    []*signingKey // keys[0] signs; all are published
	codes   map[string]*authCode
	refresh map[string]*refreshToken
	grants  map[string]*grant // sid → session
	access  map[string]string // access token jti → sid
	expired map[string]bool   // jtis made invalid by ExpireAccessTokens
	ciba    map[string]*cibaRequest
	faults  faults
	stats   Stats
}

// DefaultProfessional is Dr Marie MARTIN, a general practitioner with a
// liberal practice: the identity a Server asserts by default.
func DefaultProfessional() psc.Identity {
	return psc.Identity{
		NationalID: "810000000001",
		GivenName:  "Marie",
		FamilyName: "MARTIN",
		Civility:   "MME",
		Practices: []psc.Practice{{
			ProfessionCode: "10", CategoryCode: "C", CivilityCode: "DR",
			LastName: "MARTIN", FirstName: "Marie", ExpertiseTypeCode: "S", ExpertiseCode: "SM54",
			Situations: []psc.Situation{{
				ModeCode: "L", SectorCode: "SA07", ActivityKindCode: "GENR01",
				StructureID: "R10000000001", StructureName: "CABINET DU DR MARTIN",
				PostalCode: "75015", CedexOffice: "75015 PARIS", RegistrationAuthority: "CNOM/CNOM/CNOM",
			}},
		}},
		Roles:            []string{"10^1.2.250.1.213.1.1.5.5"},
		OrganizationName: "CABINET DU DR MARTIN",
		OrganizationID:   "R10000000001",
		ActivitySector:   "SA07^1.2.250.1.71.4.2.4",
		OtherIDs:         []psc.OtherID{{ID: "810000000001", Origin: "RPPS", Quality: 1}},
	}
}

// NewServer starts a Server on a loopback port. Close it when done.
func NewServer(opts *Options) (*Server, error) {
	s := &Server{
		codes:   map[string]*authCode{},
		refresh: map[string]*refreshToken{},
		grants:  map[string]*grant{},
		access:  map[string]string{},
		expired: map[string]bool{},
		ciba:    map[string]*cibaRequest{},
	}
	if opts != nil {
		s.opts = *opts
	}
	o := &s.opts
	if o.ClientID == "" {
		o.ClientID = "psctest-client"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = randomHex(32)
	}
	if o.Professional == nil {
		p := DefaultProfessional()
		o.Professional = &p
	}
	if o.Professional.Subject == "" {
		p := *o.Professional
		p.Subject = "f:00000000-0000-4000-8000-000000000000:" + p.NationalID
		o.Professional = &p
	}
	if o.AccessTokenLifetime <= 0 {
		o.AccessTokenLifetime = 120 * time.Second
	}
	if o.RefreshTokenLifetime <= 0 {
		o.RefreshTokenLifetime = 30 * time.Minute
	}
	if o.Audience == nil {
		o.Audience = []string{o.ClientID}
	}
	if o.CIBAExpiresIn <= 0 {
		o.CIBAExpiresIn = 120 * time.Second
	}
	if o.CIBAInterval <= 0 {
		o.CIBAInterval = 5 * time.Second
	}
	if o.CIBAPendingPolls == 0 {
		o.CIBAPendingPolls = 2
	}
	if o.Clock == nil {
		o.Clock = sysclock.Clock{}
	}
	k, err := initialKey()
	if err != nil {
		return nil, err
	}
	s.keys = []*signingKey{k}

	mux := http.NewServeMux()
	mux.HandleFunc("GET "+DiscoveryPath, s.handleDiscovery)
	mux.HandleFunc("GET "+JWKSPath, s.handleJWKS)
	mux.HandleFunc("GET "+AuthorizePath, s.handleAuthorize)
	mux.HandleFunc("POST "+TokenPath, s.handleToken)
	mux.HandleFunc("POST "+BackchannelPath, s.handleBackchannel)
	mux.HandleFunc(UserInfoPath, s.handleUserInfo)
	mux.HandleFunc("POST "+RevocationPath, s.handleRevocation)
	s.srv = httptest.NewUnstartedServer(mux)
	if o.ClientCertificate != nil || o.TLS {
		s.srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	s.issuer = s.URL + Realm
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Issuer returns the issuer identifier (URL + Realm).
func (s *Server) Issuer() string { return s.issuer }

// ClientID returns the client the server knows.
func (s *Server) ClientID() string { return s.opts.ClientID }

// ClientSecret returns its secret.
func (s *Server) ClientSecret() string { return s.opts.ClientSecret }

// Professional returns the identity the server asserts.
func (s *Server) Professional() psc.Identity { return *s.opts.Professional }

// HTTPClient returns a client that trusts the server's certificate (and
// any client for a plain HTTP server).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Environment returns the psc.Environment of the server.
func (s *Server) Environment() psc.Environment {
	return psc.Environment{Name: "psctest", DiscoveryURL: s.URL + DiscoveryPath}
}

// Config returns a psc.Config for the server's client, authenticating
// with client_secret_basic, with the server's HTTP client. Set Clock (and
// RedirectURL) as the test needs.
func (s *Server) Config() psc.Config {
	return psc.Config{
		Environment: s.Environment(),
		ClientID:    s.opts.ClientID,
		Auth:        psc.ClientSecretBasic(s.opts.ClientSecret),
		HTTPClient:  s.srv.Client(),
	}
}

// String describes the server without its secret and keys.
func (s *Server) String() string {
	return fmt.Sprintf("psctest.Server{URL: %q, ClientID: %q}", s.URL, s.opts.ClientID)
}

// GoString is String.
func (s *Server) GoString() string { return s.String() }

// MarshalJSON writes what String says.
func (s *Server) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"url": s.URL, "client_id": s.opts.ClientID})
}

// LogValue logs what String says.
func (s *Server) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", s.URL), slog.String("client_id", s.opts.ClientID))
}

// String describes the options without the secret.
func (o Options) String() string {
	return fmt.Sprintf("psctest.Options{ClientID: %q, ClientSecret: [redacted]}", o.ClientID)
}

// GoString is String.
func (o Options) GoString() string { return o.String() }

// MarshalJSON writes the options without the secret.
func (o Options) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"client_id": o.ClientID})
}

// LogValue logs the options without the secret.
func (o Options) LogValue() slog.Value { return slog.GroupValue(slog.String("client_id", o.ClientID)) }

func (s *Server) now() time.Time { return s.opts.Clock.Now() }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// handleDiscovery serves the discovery document, shaped like PSC's.
func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Discovery++ })
	doc := map[string]any{
		"issuer":                              s.issuer,
		"authorization_endpoint":              s.URL + AuthorizePath,
		"token_endpoint":                      s.URL + TokenPath,
		"userinfo_endpoint":                   s.URL + UserInfoPath,
		"jwks_uri":                            s.URL + JWKSPath,
		"revocation_endpoint":                 s.URL + RevocationPath,
		"backchannel_authentication_endpoint": s.URL + BackchannelPath,
		"backchannel_token_delivery_modes_supported":     []string{"poll"},
		"grant_types_supported":                          []string{"authorization_code", "refresh_token", psc.CIBAGrantType},
		"response_types_supported":                       []string{"code"},
		"subject_types_supported":                        []string{"public"},
		"id_token_signing_alg_values_supported":          []string{"RS256"},
		"scopes_supported":                               []string{"openid", "scope_all"},
		"acr_values_supported":                           []string{"eidas1"},
		"code_challenge_methods_supported":               []string{"S256"},
		"token_endpoint_auth_methods_supported":          []string{"client_secret_basic", "client_secret_post", "tls_client_auth"},
		"authorization_response_iss_parameter_supported": true,
	}
	if s.opts.ClientCertificate != nil {
		doc["mtls_endpoint_aliases"] = map[string]string{
			"token_endpoint":                      s.URL + TokenPath,
			"userinfo_endpoint":                   s.URL + UserInfoPath,
			"revocation_endpoint":                 s.URL + RevocationPath,
			"backchannel_authentication_endpoint": s.URL + BackchannelPath,
		}
	}
	writeJSON(w, http.StatusOK, doc)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError writes an OAuth error response.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="esante-wallet"`)
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// authenticateClient checks the client authentication of a form request:
// Basic, client_secret in the form, the TLS certificate, or none for a
// public client.
func (s *Server) authenticateClient(r *http.Request) bool {
	if id, secret, ok := r.BasicAuth(); ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		return id == s.opts.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	}
	if r.PostForm.Get("client_id") != s.opts.ClientID {
		return false
	}
	if secret := r.PostForm.Get("client_secret"); secret != "" {
		return subtle.ConstantTimeCompare([]byte(secret), []byte(s.opts.ClientSecret)) == 1
	}
	if c := s.opts.ClientCertificate; c != nil && r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates[0].Equal(c)
	}
	return s.opts.PublicClient
}

// redirectAllowed says whether uri is a registered redirect URI.
func (s *Server) redirectAllowed(uri string) bool {
	if s.opts.RedirectURIs != nil {
		for _, u := range s.opts.RedirectURIs {
			if u == uri {
				return true
			}
		}
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" {
		return false
	}
	switch u.Hostname() {
	case "127.0.0.1", "::1", "localhost":
		return true
	}
	return false
}

// scopeHas reports whether a space-separated scope has v.
func scopeHas(scope, v string) bool {
	for _, f := range strings.Fields(scope) {
		if f == v {
			return true
		}
	}
	return false
}
