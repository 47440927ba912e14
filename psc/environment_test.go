package psc_test

import (
	"strings"
	"testing"

	"github.com/mssante-go/sdk/psc"
	"github.com/mssante-go/sdk/psc/psctest"
)

// TestEnvironments: BAS and Production name PSC's two discovery documents,
// over https, at the realm path psctest serves (so that what the tests run
// against has the shape of the real endpoints).
func TestEnvironments(t *testing.T) {
	for _, tt := range []struct {
		env       psc.Environment
		name, url string
	}{
		{psc.BAS(), "BAS", psc.BASDiscoveryURL},
		{psc.Production(), "production", psc.ProductionDiscoveryURL},
	} {
		if tt.env.Name != tt.name || tt.env.DiscoveryURL != tt.url {
			t.Errorf("%s: %+v", tt.name, tt.env)
		}
		if !strings.HasPrefix(tt.url, "https://") || !strings.HasSuffix(tt.url, psctest.DiscoveryPath) {
			t.Errorf("%s: discovery URL %s, want https and the path %s", tt.name, tt.url, psctest.DiscoveryPath)
		}
	}
	if psc.BAS().DiscoveryURL == psc.Production().DiscoveryURL {
		t.Error("BAS and production share a discovery URL")
	}
}
