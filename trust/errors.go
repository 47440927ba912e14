package trust

import "errors"

// Sentinel errors. Functions return them wrapped in error structs that carry
// the details; test with errors.Is.
var (
	// ErrMalformedList: the liste blanche is not well-formed XML or does not
	// follow the ANS format (see ParseError).
	ErrMalformedList = errors.New("trust: malformed liste blanche")

	// ErrListTooLarge: the liste blanche is larger than the configured limit.
	ErrListTooLarge = errors.New("trust: liste blanche too large")

	// ErrNotInTrustSpace: an address is outside the MSSanté trust space (see
	// AddressError).
	ErrNotInTrustSpace = errors.New("trust: address outside the MSSanté trust space")

	// ErrNoList: no liste blanche has been loaded yet.
	ErrNoList = errors.New("trust: no liste blanche loaded")

	// ErrChecksum: the downloaded list does not have the expected SHA-256.
	ErrChecksum = errors.New("trust: liste blanche SHA-256 mismatch")

	// ErrListRollback: a refresh returned a list generated before the current one.
	ErrListRollback = errors.New("trust: liste blanche older than the current one")

	// ErrListShrunk: a refresh returned a list that would remove more of the
	// trust space than Source.MaxShrink allows (see ShrinkError).
	ErrListShrunk = errors.New("trust: liste blanche shrank too much")

	// ErrRedirect: an HTTP redirect was refused: from https to http (every
	// download of the package), or to another host (the liste blanche, its
	// checksum and the CA bundle, unless allowed). See RedirectError.
	ErrRedirect = errors.New("trust: redirect refused")

	// ErrUnknownRoot: a CA bundle holds a self-signed certificate whose
	// fingerprint is neither a known IGC-Santé root nor one the caller added.
	ErrUnknownRoot = errors.New("trust: unknown root certificate")

	// ErrBadBundle: a CA bundle cannot be parsed, or holds a certificate that
	// is not a CA or does not chain to an accepted root.
	ErrBadBundle = errors.New("trust: invalid CA bundle")

	// ErrNoAnchors: a verification or download needs IGC-Santé anchors and
	// none were configured.
	ErrNoAnchors = errors.New("trust: no IGC-Santé trust anchors configured")

	// ErrUntrusted: the certificate does not chain to the IGC-Santé anchors.
	ErrUntrusted = errors.New("trust: certificate not issued under the IGC-Santé anchors")

	// ErrExpired: the certificate (or one of its issuers) is expired or not yet valid.
	ErrExpired = errors.New("trust: certificate expired or not yet valid")

	// ErrWrongUsage: the certificate's extended key usage does not allow the
	// use asked for (server, client, e-mail protection).
	ErrWrongUsage = errors.New("trust: certificate not valid for this usage")

	// ErrHostname: the server certificate does not name the host connected to.
	ErrHostname = errors.New("trust: certificate does not match the host name")

	// ErrRevoked: the certificate is revoked (CRL or OCSP).
	ErrRevoked = errors.New("trust: certificate revoked")

	// ErrRevocationUnknown: revocation status could not be established (no
	// valid CRL, no usable OCSP answer) and the policy is hard-fail.
	ErrRevocationUnknown = errors.New("trust: revocation status unknown")
)
