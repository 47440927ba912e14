package psc_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// TestIdentity: the ID token gives the national identifier and the
// names; userinfo (JSON or signed JWT) adds the practices, situations,
// roles and identifiers, decoded from PSC's claim names.
func TestIdentity(t *testing.T) {
	for _, signed := range []bool{false, true} {
		name := "json"
		if signed {
			name = "jwt"
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t, &psctest.Options{SignedUserInfo: signed}, nil)
			s := r.login(t)
			id := s.Identity()
			if id.NationalID != drMartin || id.RPPS() != "10000000001" || id.ADELI() != "" || id.Name() != "Marie MARTIN" || id.ACR != "eidas1" {
				t.Fatalf("from the ID token: %+v", id)
			}
			if id.Practices != nil {
				t.Fatal("practices before userinfo")
			}
			full, err := s.UserInfo(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := r.idp.Professional()
			want.ACR = "eidas1"
			want.AuthLevel = "APPPRIP3^1.2.250.1.213.1.5.1.1.1"
			if !reflect.DeepEqual(full, want) {
				t.Fatalf("userinfo:\n got %+v\nwant %+v", full, want)
			}
			if !reflect.DeepEqual(s.Identity(), full) {
				t.Fatal("session identity not updated")
			}
		})
	}
}

// TestUserInfoRefusedToken: a 401 from userinfo invalidates the token so
// that the next call refreshes.
func TestUserInfoRefusedToken(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	r.idp.ExpireAccessTokens()
	var te *psc.TokenError
	if _, err := s.UserInfo(context.Background()); !errors.As(err, &te) || te.Status != http.StatusUnauthorized {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.UserInfo(context.Background()); err != nil {
		t.Fatalf("after refresh: %v", err)
	}
	if r.idp.Stats().Refreshes != 1 {
		t.Fatal("no refresh")
	}
}

// TestIdentityLenient: odd claim types are ignored, never a panic.
func TestIdentityLenient(t *testing.T) {
	ids := []psc.Identity{
		{NationalID: "0123456789"},
		{NationalID: "8123"},
		{NationalID: "81000000000x"},
		{},
	}
	if ids[0].ADELI() != "123456789" || ids[0].RPPS() != "" {
		t.Error("ADELI")
	}
	for _, id := range ids[1:] {
		if id.RPPS() != "" || id.ADELI() != "" || id.Name() != "" {
			t.Errorf("%+v", id)
		}
	}
}

// TestTLSClientAuth: the client authenticates with a certificate
// (tls_client_auth), for CIBA as the ANS proxy example does, and a wrong
// certificate is refused.
func TestTLSClientAuth(t *testing.T) {
	good, goodLeaf := selfSigned(t, "lps-proxy")
	bad, _ := selfSigned(t, "someone-else")
	for _, tc := range []struct {
		name string
		cert tls.Certificate
		ok   bool
	}{{"registered certificate", good, true}, {"other certificate", bad, false}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, &psctest.Options{ClientCertificate: goodLeaf, CIBAPendingPolls: -1}, func(c *psc.Config) { c.Auth = psc.TLSClientAuth(tc.cert) })
			s, err := r.c.LoginCIBA(context.Background(), psc.CIBARequest{LoginHint: drMartin})
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				r.clock.Advance(100 * time.Second)
				if _, err := s.Token(); err != nil {
					t.Fatal(err)
				}
				return
			}
			var te *psc.TokenError
			if !errors.As(err, &te) || te.Code != "invalid_client" {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func selfSigned(t *testing.T, cn string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf
}

// Client.UserInfo reads the identity of an access token obtained elsewhere
// (mss psc whoami), and refuses an expired one.
func TestClientUserInfo(t *testing.T) {
	r := newRig(t, nil, nil)
	s := r.login(t)
	tok, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	id, err := r.c.UserInfo(context.Background(), tok.AccessToken)
	if err != nil || id.NationalID != drMartin || len(id.Practices) == 0 {
		t.Fatalf("UserInfo: %+v %v", id, err)
	}
	r.idp.ExpireAccessTokens()
	var te *psc.TokenError
	if _, err := r.c.UserInfo(context.Background(), tok.AccessToken); !errors.As(err, &te) || te.Status != http.StatusUnauthorized {
		t.Fatalf("expired token: %v", err)
	}
}
