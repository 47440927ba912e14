// Package psc is a client of Pro Santé Connect (PSC), the OpenID Connect
// identity provider of French health professionals run by the ANS (CPS
// card or e-CPS app). Its access tokens open personal and organisational
// MSSanté mailboxes over SASL XOAUTH2 (Référentiel socle MSSanté #2,
// ECO.1.2.1): a *Session is the oauth2.TokenSource to give mssante.OAuth2.
// Start with New, then log in (LoginLoopback, AuthCodeURL and Exchange, or
// LoginCIBA) to get the Session. Time is read from Config.Clock, the
// module's Clock convention (nil: the system clock).
//
// # Flows
//
// New discovers an Environment (BAS(), the integration sandbox, or
// Production(); a psctest.Server's for tests; any endpoint can be
// overridden). Then:
//
//   - Authorization code with PKCE (RFC 6749 §4.1, RFC 7636 S256) for web
//     and desktop software: AuthCodeURL and Exchange for a web
//     application, LoginLoopback for a desktop one (RFC 8252 §7.3: a
//     listener on 127.0.0.1, the browser sent to PSC, the redirect caught).
//     The state, the nonce (in the ID token), the issuer of the redirect
//     when PSC names one (RFC 9207) and the PKCE verifier are checked for
//     the caller. acr_values is "eidas1" and the scopes "openid scope_all",
//     as PSC expects.
//   - CIBA, poll mode (OpenID Connect CIBA Core 1.0), for background
//     sending: StartCIBA asks PSC to authenticate a professional, named by
//     the login hint (the IdNat_PS), on the e-CPS app or the CPS card
//     (through CPS-Gestion); PollCIBA waits the interval before each poll,
//     adds 5 s on slow_down, continues on authorization_pending and stops
//     on access_denied (ErrAccessDenied), expired_token or the request's
//     own expiry (ErrCIBAExpired). LoginCIBA does both.
//
// Both verify the ID token (go-oidc: signature with PSC's JWKS, fetched
// again on an unknown key id so key rotation needs nothing; issuer;
// audience; expiry; and the acr: ErrInsufficientACR) and decode the
// professional into an Identity: national identifier (SubjectNameID),
// RPPS or ADELI, names, and after Session.UserInfo the practices and
// practice situations (SubjectRefPro), roles and other identifiers. A
// userinfo answer in JSON or as a signed JWT is accepted.
//
// # Sessions (Ref#2 ECO.1.2.5 to 1.2.7)
//
// A Session holds the access token in memory only and never writes it
// anywhere (ECO.1.2.5); Token hands out the access token, never the
// refresh token, and nothing in the package persists either. Token
// refreshes ahead of expiry (Config.RefreshAhead, default 30 s or a third
// of the lifetime; PSC access tokens live 2 to 5 minutes). Invalidate
// tells the session that a server refused a token (XOAUTH2 status 401):
// the next Token refreshes. When PSC refuses the refresh token (an OAuth
// error such as invalid_grant), the session ends (ECO.1.2.6): Token
// returns a *SessionEndedError, errors.Is(err, ErrSessionEnded), from
// then on without calling PSC again, and Done is closed; the professional
// must log in again. A refresh that fails temporarily (network, 5xx, 429)
// is tried again with backoff; the current token is handed out while it
// is valid; after the last attempt Token returns a *TemporaryError
// (ErrTemporary) and does not call PSC again before the backoff has
// passed, however often it is called. Reopening the IMAP and SMTP
// sessions while the PSC session lives (ECO.1.2.7) is the mail client's
// part: it asks Token at each connection and stops on ErrSessionEnded.
// KeepAlive refreshes in the background when the application wants a
// token always ready. Close revokes the refresh token (RFC 7009).
//
// The Config's secret, the tokens, the codes, the PKCE verifier and the
// CIBA request id never print: Config, ClientAuth, Client, Session,
// Pending and Backchannel implement String, GoString, MarshalJSON and
// slog.LogValuer without them, errors quote at most 100 bytes of what a
// server said and never a token, and the Logger receives none of them.
// (oauth2.Token, which Token returns, is x/oauth2's type: do not log it.)
//
// # Client authentication
//
// PSC documents HTTP Basic with the client secret (ClientSecretBasic) for
// its CIBA and introspection endpoints; its discovery document also lists
// client_secret_post (ClientSecretPost). The ANS proxy e-Santé example
// authenticates CIBA with a TLS client certificate in production, RFC
// 8705 tls_client_auth (TLSClientAuth; the mtls_endpoint_aliases of the
// discovery document are used). private_key_jwt and client_secret_jwt
// appear in the discovery document, which Keycloak generates, but in no
// PSC documentation or ANS code we could read: they are not implemented.
//
// PSC requires the client ID and secret to stay on a server ("Le
// fournisseur de service DOIT conserver le client ID et le Secret au
// niveau d'un serveur", exigence 22; the CIBA page: a heavy client or a
// mobile app "ne peuvent pas échanger directement avec PSC"). So run the
// flows on the vendor's server (a web LPS, a proxy e-Santé), or, for a
// desktop LoginLoopback, point Environment.TokenEndpoint (and the
// backchannel and revocation endpoints) at a proxy of the vendor that
// adds the client authentication, and leave Config.Auth zero (a public
// client: client_id only, PKCE). PSC does not document public clients;
// psctest accepts them with Options.PublicClient.
//
// # Sources, and what could not be verified
//
// Facts were taken from, in order of trust:
//
//   - ANS, "Pro Santé Connect – Documentation technique",
//     https://industriels.esante.gouv.fr/produits-et-services/pro-sante-connect/documentation-technique:
//     the standards (OpenID Connect 1.0, RFC 6749, RFC 6750, JWT/JWS/JWE/JWA,
//     TLS 1.2), JSON only, exigence 22 above, no CORS.
//   - ANS, "CIBA", https://industriels.esante.gouv.fr/produits-et-services/pro-sante-connect/ciba:
//     poll mode only, CIBA activated per service, the BAS discovery
//     document at .well-known/wallet-openid-configuration (not the
//     standard path), the BAS authorization endpoint
//     https://wallet.bas.psc.esante.gouv.fr/auth and backchannel endpoint
//     .../protocol/openid-connect/ext/ciba/auth, POST with Basic Auth, the
//     intermediate server, the CPS card through CPS-Gestion.
//   - ANS, introspection page (https://industriels.esante.gouv.fr/en/node/1164):
//     Basic Auth; SubjectNameID in the access token.
//   - ANS code: ansforge/keycloak-prosanteconnect (psc.properties: the BAS
//     and production endpoints, production at auth.esw.esante.gouv.fr and
//     wallet.esw.esante.gouv.fr; eidas1 the only level, acr checked; HS256
//     ID tokens checked with the client secret; userinfo as JSON or JWT),
//     ansforge/psc-edc-proxy-esante (CIBA with scope "openid scope_all",
//     acr_values eidas1, login_hint the national identifier,
//     binding_message, channel "CARD"; mTLS client authentication for
//     production, Basic deprecated; a PSC-like discovery document with
//     mtls_endpoint_aliases; expires_in 120, interval 1, refresh_expires_in),
//     prosanteconnect/psc-context-sharing-api (the userinfo claim names:
//     SubjectNameID, SubjectRefPro, exercices, activities, otherIds,
//     SubjectRole, SubjectOrganization, Secteur_Activite...).
//   - LemonLDAP::NG documentation, "Pro Santé Connect": an older BAS
//     metadata set (auth.bas.esw.esante.gouv.fr), scopes.
//   - Public integrations (mod_auth_openidc configurations, a Synapse
//     module's test with a BAS userinfo answer): "openid scope_all",
//     acr_values=eidas1, PKCE S256, the shape of SubjectRefPro.
//
// Not verified, hence configurable or lenient: the production discovery
// URL (from the ANS Keycloak plugin only; the production table of the CIBA
// page could not be read; ProductionDiscoveryURL, or any Environment);
// which claims PSC puts in the ID token rather than only in userinfo (the
// Identity takes what is there); the values of "channel" other than
// "CARD" and the limits of binding_message (CIBARequest passes them
// through); the audience MSSanté operators require of the access token;
// whether PSC's authorization front adds iss to the redirect (checked
// only when present); public clients. Encrypted (JWE) ID tokens and
// userinfo are not supported.
package psc
