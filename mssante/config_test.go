package mssante_test

import (
	"errors"
	"testing"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// NewClient holds its mailbox address and product reference to the rules
// of the messages it will send.
func TestConfigChecks(t *testing.T) {
	base := mssante.Config{Address: mail.MustParseAddress("a@medecin.mssante.fr"), Auth: mssante.Password("a", "b"), UseSystemRoots: true, AllowAnyRecipient: true}
	for _, tt := range []struct {
		name string
		edit func(*mssante.Config)
		want error
	}{
		{"display name without first name", func(c *mssante.Config) {
			c.Address = mail.Address{Name: "Jean_Pierre_MARTIN", Addr: "jp@medecin.mssante.fr"}
		}, mail.ErrDisplayName},
		{"two @", func(c *mssante.Config) { c.Address = mail.Address{Addr: "victim@evil.com@medecin.mssante.fr"} }, mail.ErrInvalidAddress},
		{"non-ASCII product reference", func(c *mssante.Config) { c.ProductRef = "RÉF" }, mail.ErrInvalidProductRef},
	} {
		cfg := base
		tt.edit(&cfg)
		if _, err := mssante.NewClient(cfg); !errors.Is(err, tt.want) {
			t.Errorf("%s: NewClient = %v, want %v", tt.name, err, tt.want)
		}
	}
}
