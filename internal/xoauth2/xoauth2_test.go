package xoauth2

import (
	"errors"
	"testing"
)

func TestExchange(t *testing.T) {
	auth := func(user, token string) *ServerError {
		if user == "a@b.fr" && token == "good" {
			return nil
		}
		return &ServerError{Status: "401", Schemes: "bearer", Scope: "mail"}
	}
	// Accepted with an initial response.
	c := &Client{Username: "a@b.fr", Token: "good"}
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" || string(ir) != "user=a@b.fr\x01auth=Bearer good\x01\x01" {
		t.Fatalf("Start = %q %q %v", mech, ir, err)
	}
	s := NewServer(auth)
	if ch, done, err := s.Next(ir); !done || err != nil || ch != nil {
		t.Fatalf("accept: %q %v %v", ch, done, err)
	}
	// Without initial response the server asks first.
	s = NewServer(auth)
	if ch, done, err := s.Next(nil); done || err != nil || len(ch) != 0 {
		t.Fatalf("empty challenge: %q %v %v", ch, done, err)
	}
	if _, done, err := s.Next(ir); !done || err != nil {
		t.Fatalf("accept after challenge: %v %v", done, err)
	}
	// Refused: JSON challenge, empty answer, failure.
	c = &Client{Username: "a@b.fr", Token: "expired"}
	_, ir, _ = c.Start()
	s = NewServer(auth)
	ch, done, err := s.Next(ir)
	if done || err != nil || len(ch) == 0 {
		t.Fatalf("refusal challenge: %q %v %v", ch, done, err)
	}
	resp, err := c.Next(ch)
	if err != nil || len(resp) != 0 || c.Err == nil || c.Err.Status != "401" {
		t.Fatalf("client answer %q %v %+v", resp, err, c.Err)
	}
	if _, done, err := s.Next(resp); !done || !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("final: %v %v", done, err)
	}
	// Malformed responses.
	for _, bad := range []string{"", "user=a\x01\x01", "user=a\x01auth=Basic x\x01\x01", "garbage", "user=a\x01auth=Bearer t"} {
		s = NewServer(auth)
		s.Next(nil)
		if _, _, err := s.Next([]byte(bad)); !errors.Is(err, ErrInvalidResponse) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, _, err := (&Client{Username: "a\x01b", Token: "t"}).Start(); err == nil {
		t.Error("\\x01 in user accepted")
	}
}
