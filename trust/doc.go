// Package trust implements the MSSanté trust space: the ANS "liste blanche"
// of the domains allowed to exchange health data, the IGC-Santé trust
// anchors, and the checks of IGC-Santé certificates. It knows nothing of
// mail; the mssante package builds its send guard and its TLS settings on it.
// Its entry points are a Source, which keeps the liste blanche current
// (Source.Run) and says whether an address is inside (Source.CheckAddress),
// and a Verifier over the Anchors read from the ANS bundle (ParseAnchors,
// FetchAnchors), which checks IGC-Santé certificates and makes the TLS
// configuration to reach an operator (Verifier.ClientTLSConfig).
//
// # Liste blanche
//
// The ANS publishes the list at DefaultListURL, and a copy with its SHA-256
// (the checksum file) in its repository ansforge/MSS-liste-blanche. It is XML in
// the namespace https://listeblanche.mssante.fr/schema: a root
// <ListeBlancheMSSante> holding <DateDeGeneration> (RFC 3339, required) and
// <ListeDomaines>, with one <Domaine> per domain and operator server
// certificate. A <Domaine> has <Nom>, the domain (required; matched
// exactly, ignoring case), <Description>, <DNCertificatOperateur> (the subject DN of the
// operator's IGC-Santé server certificate), <ResponsableContact>,
// <SupportContact> and <DateMAJ> (RFC 3339), all optional; unknown elements
// are skipped. The published file stops after </ListeDomaines>, without the
// closing root tag. A minimal valid list, in the layout the ANS writes:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
//	    <DateDeGeneration>2025-03-13T14:54:10Z</DateDeGeneration>
//	    <ListeDomaines>
//	        <Domaine>
//	            <Nom>medecin.mssante.fr</Nom>
//	            <Description>Domaine de messagerie MSSanté des médecins</Description>
//	            <DNCertificatOperateur>CN=bus.mssante.fr,OU=318751275100020,O=ASIP-SANTE,ST=Paris (75),C=FR</DNCertificatOperateur>
//	            <ResponsableContact>01 00 00 00 00, responsable@operateur.example</ResponsableContact>
//	            <SupportContact>01 00 00 00 00, support@operateur.example</SupportContact>
//	            <DateMAJ>2025-03-13T14:54:10Z</DateMAJ>
//	        </Domaine>
//	    </ListeDomaines>
//
// ParseList reads the ANS XML (namespace https://listeblanche.mssante.fr/schema),
// streaming, into an immutable *List grouped by domain (the file has one
// <Domaine> per domain and operator certificate). The parser is purpose
// built (encoding/xml takes four times as long and misses the 50 ms budget
// on a list the size of the ANS file: 6,554 entries, 3.7 MB, generated on
// 2025-03-13, in the ANS repository ansforge/MSS-liste-blanche; the
// measurement is in xmlscan.go); it refuses DTDs.
//
// What is strict and what is lenient, and why. The list decides where health
// data may go, so the document as a whole is strict: XML that is not
// well-formed, a wrong root element or namespace, a missing or bad
// <DateDeGeneration>, an element where a plain value belongs, or a list with
// no usable <Domaine> is a *ParseError (ErrMalformedList). The one exception
// is the missing closing tag of the root element, which the published file
// has always lacked. Entries, on the other hand, are lenient: the published
// list once held, among thousands of good entries, a <Nom> with an e-mail address,
// and rejecting the whole file for it left senders with no list at all, so
// refusing every recipient. A well-formed <Domaine> whose values are unusable
// (a <Nom> that is empty, absent, repeated or not a host name; a <DateMAJ>
// that is not an RFC 3339 date) is skipped and recorded with its line, element,
// value and reason (List.Skipped, List.SkippedCount). A skipped entry never
// widens the trust space: nothing is guessed from a bad value, so its domain is
// outside unless another entry lists it.
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
// If-Modified-Since), and the last good list kept when a refresh fails. A
// new list is refused, and the current one kept, when it does not match a
// pinned SHA-256 or the checksum file the ANS publishes beside it
// (ChecksumLocation; the published form, the digest written twice in a row,
// is accepted), when it was generated before the current one (a replayed old
// list could bring back a removed domain), or when it would remove more than
// MaxShrink of the domains (default half: a truncated download must not
// empty the trust space). Skipped entries and refused refreshes go to
// Source.Logger. The list and checksum downloads follow no redirect from
// https to http, nor to another host unless RedirectHosts names it.
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
// AnchorOptions.TrustBundleRoots. FetchAnchors follows no redirect from
// https to http, nor to another host unless AnchorOptions.RedirectHosts
// names it.
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
// download fails (ECO.1.1.7). An OCSP answer is used only while fresh: not
// past its nextUpdate, thisUpdate not more than 5 minutes ahead, and without
// nextUpdate not older than DefaultOCSPMaxAge (7 days), since a signed
// answer with no nextUpdate could otherwise be replayed forever. When OCSP
// says good, the CRL is asked too and a revocation it lists wins; a CRL that
// cannot be had leaves the OCSP answer standing. CRL and OCSP downloads
// follow redirects to any host (the answers are signed) but never from https
// to http. RevocationPolicy chooses hard-fail (the zero
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
//     with the IGC-Santé roots, and optionally on a SHA-256 (pinned, or the
//     ANS checksum file, which comes from the same publisher).
//   - The maximum age of an OCSP answer without nextUpdate is
//     DefaultOCSPMaxAge unless Verifier.OCSPMaxAge says otherwise.
//   - Certificate policy OIDs are not checked, nor the peer's DN against
//     <DNCertificatOperateur> (a check operators make between themselves;
//     mssante makes it only for a server found by DNS SRV outside the mail
//     domain).
//   - Delta CRLs and LDAP distribution points are not supported; OCSP
//     requests carry no nonce and use SHA-1 CertIDs (the most widely served).
//   - A delegated OCSP responder must carry the OCSPSigning usage and be
//     valid, which golang.org/x/crypto/ocsp does not check by itself.
//   - TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384 (ECO.1.1.3) is not implemented by
//     Go, and TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256 is left out as insecure.
package trust
