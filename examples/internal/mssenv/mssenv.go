// Package mssenv builds an mssante.Config from MSSANTE_* environment
// variables, for the examples. Copy it into your integration and adapt it:
// it shows every piece a real operator needs.
//
//	MSSANTE_ADDRESS        the mailbox (BAL), required
//	MSSANTE_SMTP           submission server host:port (empty: DNS SRV)
//	MSSANTE_IMAP           IMAP server host:port (empty: DNS SRV)
//	MSSANTE_SRV_TARGETS    with DNS SRV: comma-separated host names the records
//	                       may name outside the mailbox's domain (pinned)
//	MSSANTE_IMPLICIT_TLS   "1": ports 465/993 style TLS instead of STARTTLS
//	MSSANTE_TOKEN          a Pro Santé Connect access token (XOAUTH2), or
//	MSSANTE_CERT + MSSANTE_KEY          BAL APP certificate and key (PEM), or
//	MSSANTE_P12 + MSSANTE_P12_PASSWORD  BAL APP certificate (PKCS#12), or
//	MSSANTE_PASSWORD       a password (test operators only)
//	MSSANTE_ANCHORS        IGC-Santé CA bundle (.p7b or PEM), required
//	MSSANTE_ANCHORS_AS_GIVEN  "1": trust the bundle's roots without the
//	                       fingerprint check (test hierarchies only)
//	MSSANTE_REVOCATION     hard (default), soft or off
//	MSSANTE_TRUST_LIST     liste blanche file or https URL, required
//	MSSANTE_PRODUCT_REF    the X-MSS-NIL product reference, required
package mssenv

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// Getenv reads a variable; os.Getenv in programs, a map in tests.
type Getenv func(string) string

// Configured reports whether MSSANTE_ADDRESS is set.
func Configured(getenv Getenv) bool { return getenv("MSSANTE_ADDRESS") != "" }

// Load builds the configuration. It reads the anchors and the trust list
// (downloading the list when MSSANTE_TRUST_LIST is a URL).
func Load(ctx context.Context, getenv Getenv) (mssante.Config, error) {
	var cfg mssante.Config
	addr, err := mail.ParseAddress(getenv("MSSANTE_ADDRESS"))
	if err != nil {
		return cfg, fmt.Errorf("MSSANTE_ADDRESS: %w", err)
	}
	cfg.Address = addr
	implicit := getenv("MSSANTE_IMPLICIT_TLS") == "1"
	cfg.Operator = mssante.Operator{SMTP: getenv("MSSANTE_SMTP"), IMAP: getenv("MSSANTE_IMAP"), SMTPImplicitTLS: implicit, IMAPImplicitTLS: implicit}
	// DNS SRV targets outside the mailbox's domain are refused unless the
	// liste blanche binds them to the domain's operator, or they are pinned.
	for _, h := range strings.Split(getenv("MSSANTE_SRV_TARGETS"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			cfg.SRVTargets = append(cfg.SRVTargets, h)
		}
	}
	cfg.ProductRef = getenv("MSSANTE_PRODUCT_REF")
	if cfg.ProductRef == "" {
		return cfg, errors.New("MSSANTE_PRODUCT_REF is required (the X-MSS-NIL reference the ANS gave your product)")
	}

	switch {
	case getenv("MSSANTE_TOKEN") != "":
		cfg.Auth = mssante.OAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: getenv("MSSANTE_TOKEN")}))
	case getenv("MSSANTE_CERT") != "":
		cert, err := tls.LoadX509KeyPair(getenv("MSSANTE_CERT"), getenv("MSSANTE_KEY"))
		if err != nil {
			return cfg, fmt.Errorf("MSSANTE_CERT/MSSANTE_KEY: %w", err)
		}
		cfg.Auth = mssante.Certificate(cert)
	case getenv("MSSANTE_P12") != "":
		data, err := os.ReadFile(getenv("MSSANTE_P12"))
		if err != nil {
			return cfg, err
		}
		cert, err := mssante.CertificateFromPKCS12(data, getenv("MSSANTE_P12_PASSWORD"))
		if err != nil {
			return cfg, err
		}
		cfg.Auth = mssante.Certificate(cert)
	case getenv("MSSANTE_PASSWORD") != "":
		cfg.Auth = mssante.Password(addr.Addr, getenv("MSSANTE_PASSWORD"))
	default:
		return cfg, errors.New("set MSSANTE_TOKEN, MSSANTE_CERT and MSSANTE_KEY, MSSANTE_P12, or MSSANTE_PASSWORD")
	}

	bundle := getenv("MSSANTE_ANCHORS")
	if bundle == "" {
		return cfg, errors.New("MSSANTE_ANCHORS is required: the IGC-Santé CA bundle (" + trust.DefaultBundleURL + ")")
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		return cfg, err
	}
	// The ANS bundle also holds the STANDARD and FORT hierarchies, whose
	// roots the SDK does not know: keep the ones it knows. A test hierarchy
	// (IGC-Santé TEST, a sandbox) is trusted as given only on request.
	opts := &trust.AnchorOptions{SkipUnknownRoots: true}
	if getenv("MSSANTE_ANCHORS_AS_GIVEN") == "1" {
		opts = &trust.AnchorOptions{TrustBundleRoots: true}
	}
	anchors, err := trust.ParseAnchors(data, opts)
	if err != nil {
		return cfg, fmt.Errorf("MSSANTE_ANCHORS: %w", err)
	}
	v := &trust.Verifier{Anchors: anchors}
	switch getenv("MSSANTE_REVOCATION") {
	case "", "hard":
	case "soft":
		v.Revocation = trust.RevocationSoftFail
	case "off":
		v.Revocation = trust.RevocationOff
	default:
		return cfg, errors.New("MSSANTE_REVOCATION must be hard, soft or off")
	}
	cfg.Verifier = v // IGC-Santé roots, usage and revocation checks

	listLoc := getenv("MSSANTE_TRUST_LIST")
	if listLoc == "" {
		return cfg, errors.New("MSSANTE_TRUST_LIST is required: the liste blanche file or " + trust.DefaultListURL)
	}
	src := &trust.Source{Location: listLoc, Anchors: anchors}
	if _, err := src.Refresh(ctx); err != nil {
		return cfg, fmt.Errorf("MSSANTE_TRUST_LIST: %w", err)
	}
	cfg.Trust = src
	return cfg, nil
}
