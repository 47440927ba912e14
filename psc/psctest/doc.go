// Package psctest runs a Pro Santé Connect look-alike in the process, on
// an httptest server (loopback, HTTP, or HTTPS with Options.TLS or
// Options.ClientCertificate), for tests and examples: the psc package's
// own, and an MSSanté operator test double that must accept only tokens
// this IdP issued (Server.Verify, Server.Introspect; mssantetest's
// Options.VerifyToken plugs in Introspect). Start one with NewServer and
// give Server.Config to psc.New.
//
// It serves PSC's paths (Realm, ".well-known/wallet-openid-configuration",
// "/auth" for the authorization front, the Keycloak protocol paths) and
// its shapes: claim names (SubjectNameID, SubjectRefPro, otherIds...),
// acr "eidas1", refresh_expires_in, Keycloak's error texts. Tokens are
// JWTs signed RS256 (go-jose); access tokens carry typ "Bearer", the
// client as azp, Options.Audience as aud.
//
// What differs from PSC, on purpose:
//
//   - The authorization endpoint approves the configured professional at
//     once (no CPS card, no e-CPS) and requires PKCE S256, state and
//     nonce; CIBA approves after Options.CIBAPendingPolls polls.
//   - It knows one client and one professional.
//   - It enforces the CIBA interval (a poll before it is answered
//     slow_down and counted in Stats.TooFastPolls) and rotates refresh
//     tokens (each serves once); whether PSC does either is not
//     documented.
//   - Servers in one process share their first RSA key (generating one
//     takes up to a second on a busy machine); each keeps its own issuer
//     and token records, so none accepts another's tokens.
//
// Fault switches: RefuseRefresh, DenyAuthorize, DenyCIBA, ExpireCIBA,
// SlowDown, FailTokenRequests, RotateKeys, ExpireAccessTokens. Stats
// counts the requests of each kind, so that a test asserts the work a
// client did (no retry storm). Clock is a fake psc.Clock to share with the
// client so that token lifetimes and CIBA waits pass instantly.
package psctest
