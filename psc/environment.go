package psc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Discovery documents of the two Pro Santé Connect environments. PSC
// serves its OpenID Connect discovery document under
// ".well-known/wallet-openid-configuration", not the standard
// ".well-known/openid-configuration", so the URL is given whole.
const (
	// BASDiscoveryURL is the integration sandbox ("bac à sable"), where
	// test CPS cards and e-CPS BAS identities (created with the ANS EDIT
	// tool) log in. Source: the ANS CIBA page and the ANS Keycloak plugin
	// (see the package documentation).
	BASDiscoveryURL = "https://auth.bas.psc.esante.gouv.fr/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"

	// ProductionDiscoveryURL is production. Source: the ANS Keycloak
	// plugin (ansforge/keycloak-prosanteconnect, psc.properties).
	ProductionDiscoveryURL = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/.well-known/wallet-openid-configuration"
)

// Environment says where Pro Santé Connect is. Its endpoints come from the
// discovery document; any non-empty override replaces the discovered value
// (tests, a vendor's proxy in front of the token endpoint, a document that
// lacks a field).
type Environment struct {
	// Name is for messages: "BAS", "production", "psctest".
	Name string
	// DiscoveryURL is the discovery document. Required unless every
	// endpoint the client uses is overridden below.
	DiscoveryURL string

	// Overrides. Zero: the discovered value.
	Issuer                     string
	AuthorizationEndpoint      string
	TokenEndpoint              string
	UserInfoEndpoint           string
	JWKSURI                    string
	BackchannelAuthEndpoint    string
	RevocationEndpoint         string
	EndSessionEndpoint         string
	IntrospectionEndpoint      string
	IDTokenSigningAlgs         []string
	TokenEndpointAuthMethods   []string
	DisableMTLSEndpointAliases bool // ignore mtls_endpoint_aliases (RFC 8705 §5)
}

// BAS returns the integration sandbox environment.
func BAS() Environment { return Environment{Name: "BAS", DiscoveryURL: BASDiscoveryURL} }

// Production returns the production environment.
func Production() Environment {
	return Environment{Name: "production", DiscoveryURL: ProductionDiscoveryURL}
}

// Metadata is what the client uses from the discovery document (OpenID
// Connect Discovery 1.0, RFC 8414, CIBA §4, RFC 8705 §5), after the
// environment's overrides.
type Metadata struct {
	Issuer                    string            `json:"issuer"`
	AuthorizationEndpoint     string            `json:"authorization_endpoint"`
	TokenEndpoint             string            `json:"token_endpoint"`
	UserInfoEndpoint          string            `json:"userinfo_endpoint"`
	JWKSURI                   string            `json:"jwks_uri"`
	BackchannelAuthEndpoint   string            `json:"backchannel_authentication_endpoint"`
	RevocationEndpoint        string            `json:"revocation_endpoint"`
	EndSessionEndpoint        string            `json:"end_session_endpoint"`
	IntrospectionEndpoint     string            `json:"introspection_endpoint"`
	IDTokenSigningAlgs        []string          `json:"id_token_signing_alg_values_supported"`
	TokenEndpointAuthMethods  []string          `json:"token_endpoint_auth_methods_supported"`
	ScopesSupported           []string          `json:"scopes_supported"`
	ACRValuesSupported        []string          `json:"acr_values_supported"`
	GrantTypesSupported       []string          `json:"grant_types_supported"`
	CodeChallengeMethods      []string          `json:"code_challenge_methods_supported"`
	BackchannelDeliveryModes  []string          `json:"backchannel_token_delivery_modes_supported"`
	AuthorizationResponseISS  bool              `json:"authorization_response_iss_parameter_supported"`
	MTLSEndpointAliases       map[string]string `json:"mtls_endpoint_aliases"`
	TLSCertificateBoundTokens bool              `json:"tls_client_certificate_bound_access_tokens"`
}

// maxDiscoveryBytes bounds the discovery document (the PSC one is about
// 9 kB).
const maxDiscoveryBytes = 1 << 20

// discover fetches and checks the environment's metadata.
func discover(ctx context.Context, env Environment, hc *http.Client) (*Metadata, error) {
	var m Metadata
	if env.DiscoveryURL != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, env.DiscoveryURL, nil)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDiscovery, err)
		}
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, &TemporaryError{Cause: fmt.Errorf("%w: %v", ErrDiscovery, err)}
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxDiscoveryBytes+1))
		if err != nil {
			return nil, &TemporaryError{Cause: fmt.Errorf("%w: reading %s: %v", ErrDiscovery, env.DiscoveryURL, err)}
		}
		if resp.StatusCode != http.StatusOK {
			err := fmt.Errorf("%w: %s: HTTP %d", ErrDiscovery, env.DiscoveryURL, resp.StatusCode)
			if resp.StatusCode >= 500 || resp.StatusCode == 429 {
				return nil, &TemporaryError{Cause: err}
			}
			return nil, err
		}
		if len(body) > maxDiscoveryBytes {
			return nil, fmt.Errorf("%w: %s: document over %d bytes", ErrDiscovery, env.DiscoveryURL, maxDiscoveryBytes)
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrDiscovery, env.DiscoveryURL, err)
		}
		// OpenID Connect Discovery §4.3: the issuer is the URL the
		// document was found under. PSC's path is not the standard one,
		// so we check the prefix.
		want := env.Issuer
		if want == "" {
			if !strings.HasPrefix(env.DiscoveryURL, strings.TrimSuffix(m.Issuer, "/")+"/.well-known/") || m.Issuer == "" {
				return nil, fmt.Errorf("%w: %w: document at %s names issuer %s", ErrDiscovery, ErrIssuerMismatch, env.DiscoveryURL, quote(m.Issuer))
			}
		} else if m.Issuer != want {
			return nil, fmt.Errorf("%w: %w: document names issuer %s, want %s", ErrDiscovery, ErrIssuerMismatch, quote(m.Issuer), quote(want))
		}
	}
	override := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	override(&m.Issuer, env.Issuer)
	override(&m.AuthorizationEndpoint, env.AuthorizationEndpoint)
	override(&m.TokenEndpoint, env.TokenEndpoint)
	override(&m.UserInfoEndpoint, env.UserInfoEndpoint)
	override(&m.JWKSURI, env.JWKSURI)
	override(&m.BackchannelAuthEndpoint, env.BackchannelAuthEndpoint)
	override(&m.RevocationEndpoint, env.RevocationEndpoint)
	override(&m.EndSessionEndpoint, env.EndSessionEndpoint)
	override(&m.IntrospectionEndpoint, env.IntrospectionEndpoint)
	if env.IDTokenSigningAlgs != nil {
		m.IDTokenSigningAlgs = env.IDTokenSigningAlgs
	}
	if env.TokenEndpointAuthMethods != nil {
		m.TokenEndpointAuthMethods = env.TokenEndpointAuthMethods
	}
	if env.DisableMTLSEndpointAliases {
		m.MTLSEndpointAliases = nil
	}
	for name, v := range map[string]string{"issuer": m.Issuer, "token_endpoint": m.TokenEndpoint, "jwks_uri": m.JWKSURI} {
		if v == "" {
			return nil, fmt.Errorf("%w: environment %s has no %s", ErrDiscovery, quote(env.Name), name)
		}
	}
	for _, u := range []string{m.AuthorizationEndpoint, m.TokenEndpoint, m.UserInfoEndpoint, m.JWKSURI, m.BackchannelAuthEndpoint, m.RevocationEndpoint, m.EndSessionEndpoint, m.IntrospectionEndpoint} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return nil, fmt.Errorf("%w: endpoint %s is not an http(s) URL", ErrDiscovery, quote(u))
		}
	}
	return &m, nil
}

// endpoint returns the URL to use for the named endpoint, the mTLS alias
// when the client authenticates with a certificate (RFC 8705 §5).
func (m *Metadata) endpoint(name string, mtls bool) string {
	if mtls {
		if a := m.MTLSEndpointAliases[name]; a != "" {
			return a
		}
	}
	switch name {
	case "token_endpoint":
		return m.TokenEndpoint
	case "backchannel_authentication_endpoint":
		return m.BackchannelAuthEndpoint
	case "revocation_endpoint":
		return m.RevocationEndpoint
	case "userinfo_endpoint":
		return m.UserInfoEndpoint
	case "introspection_endpoint":
		return m.IntrospectionEndpoint
	}
	return ""
}
