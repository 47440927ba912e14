// Package trust implements the MSSanté trust space: the ANS "liste blanche"
// of the domains allowed to exchange health data, the IGC-Santé trust
// anchors, and the checks of IGC-Santé certificates. It knows nothing of
// mail; the mssante package builds its send guard and its TLS settings on it.
//
// # Liste blanche
//
// ParseList reads the ANS XML (namespace https://listeblanche.mssante.fr/schema),
// streaming, into an immutable *List grouped by domain (the file has one
// <Domaine> per domain and operator certificate). The published file ends
// without the closing tag of its root element: that, and only that, is
// tolerated; anything else malformed is a *ParseError. The parser is purpose
// built (encoding/xml is too slow for the 50 ms budget on the 6 500-entry
// file); it refuses DTDs.
//
// List.Contains matches a domain exactly, ignoring ASCII case, and never by
// suffix: "x.medecin.mssante.fr" and "evil-mssante.fr" are outside even though
// "medecin.mssante.fr" is inside, and "mssante.fr" itself is not listed. It
// does not allocate for lower-case input. Names are compared as A-labels: a
// domain in Unicode (U-label) never matches; convert it with IDNA first.
// List.CheckAddress checks an addr-spec and returns an *AddressError that
// says why an address is out. The list proves the domain only: that a
// mailbox exists is for the Annuaire Santé to say, and patient addresses
// (<matricule INS>@patient.mssante.fr) need the INS key check on top, which
// the sender does (package cda).
//
// Source keeps a list current from DefaultListURL (HTTPS with the IGC-Santé
// roots), another URL or a file: conditional requests (ETag,
// If-Modified-Since), an optional SHA-256 check (pinned, or from a checksum
// file as ansforge/MSS-liste-blanche publishes), refusal of a list generated
// before the current one, and the last good list kept when a refresh fails.
// Refreshing is driven by the caller (Refresh, Due) or by Run. Status gives
// the generation date and age of the list so that a vendor can alert on a
// stale one. *List and *Source both implement Checker, the interface the send
// guard takes.
//
// # IGC-Santé anchors
//
// IGC-Santé roots are in no public trust store, and ECO.1.1.10 makes
// IGC-Santé the only authority accepted: use Anchors, never the system pool.
// ParseAnchors and FetchAnchors read the ANS bundle (PKCS#7 certs-only, DER or
// PEM, DefaultBundleURL) or PEM certificates. The SDK carries the SHA-256
// fingerprints of the production roots it knows (KnownRoots: "AC RACINE
// IGC-SANTE ELEMENTAIRE"), not the certificates, and refuses a bundle whose
// self-signed certificates are not among them, with an *UnknownRootError.
// The STANDARD and FORT production roots are not known to the SDK: they are
// accepted only when the caller adds their fingerprints
// (AnchorOptions.ExtraRoots), and the full ANS bundle, which holds them, fails
// unless the caller adds them or sets AnchorOptions.SkipUnknownRoots to keep
// ELEMENTAIRE only. Anchors the caller vouches for (the TEST hierarchy, a
// private test PKI) are loaded with NewAnchors or
// AnchorOptions.TrustBundleRoots.
//
// # Certificate checks
//
// A Verifier checks a certificate against the anchors: chain, dates
// (ECO.1.1.5), extended key usage along the chain (UsageServer for operator
// servers, UsageClient for BAL APP certificates, UsageEmail for S/MIME and
// organisation seals), host name, and revocation (ECO.1.1.6) of every
// certificate of the chain but the root: OCSP first (golang.org/x/crypto/ocsp,
// answers cached to their nextUpdate, at most an hour), then the HTTP CRL
// distribution points through a CRLCache that keeps the last valid CRL when a
// download fails (ECO.1.1.7). RevocationPolicy chooses hard-fail (the zero
// value), soft-fail or off; a revoked certificate is refused in every mode
// but off. Errors are *CertificateError wrapping ErrUntrusted, ErrExpired,
// ErrWrongUsage, ErrHostname, ErrRevoked or ErrRevocationUnknown.
//
// For TLS, Verifier.ClientTLSConfig gives the configuration to connect to an
// operator (IGC-Santé roots only, TLS 1.2 minimum per ECO.1.1.2, the ECO.1.1.3
// suites Go implements, revocation in VerifyConnection); VerifyConnection and
// VerifyPeerCertificate plug the same checks into a tls.Config of your own;
// ServerTLSConfig serves test operators that require BAL APP client
// certificates.
//
// IdentityOf reads what an IGC-Santé certificate says of its holder: the
// structure identifier from the OU of organisation certificates, the national
// PS identifier from CN=<idNatPS>/<serial> of personal ones, the UPN of the
// subject alternative name.
//
// # Deliberate differences and limits
//
//   - The liste blanche is not signed by the ANS; its integrity rests on TLS
//     with the IGC-Santé roots, and optionally on a SHA-256.
//   - Certificate policy OIDs are not checked, nor the peer's DN against
//     <DNCertificatOperateur> (a check operators make between themselves).
//   - Delta CRLs and LDAP distribution points are not supported; OCSP
//     requests carry no nonce and use SHA-1 CertIDs (the most widely served).
//   - A delegated OCSP responder must carry the OCSPSigning usage and be
//     valid, which golang.org/x/crypto/ocsp does not check by itself.
//   - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 (ECO.1.1.3) is not implemented by
//     Go, and TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is left out as insecure.
package trust
