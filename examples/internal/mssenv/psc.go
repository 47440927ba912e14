package mssenv

import (
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/psc"
)

// PSCConfig reads the Pro Santé Connect client of the MSSANTE_PSC_*
// variables: MSSANTE_PSC_ENV (bas, the default, or production; anything
// else is refused), MSSANTE_PSC_DISCOVERY_URL (another identity provider,
// instead), MSSANTE_PSC_CLIENT_ID (required), MSSANTE_PSC_CLIENT_SECRET
// (client_secret_basic when set) and MSSANTE_PSC_REDIRECT.
func PSCConfig(getenv func(string) string) (psc.Config, error) {
	var problems []string
	env := psc.BAS()
	switch v := getenv("MSSANTE_PSC_ENV"); v {
	case "", "bas":
	case "production":
		env = psc.Production()
	default:
		problems = append(problems, fmt.Sprintf("MSSANTE_PSC_ENV %q: bas or production", v))
	}
	if u := getenv("MSSANTE_PSC_DISCOVERY_URL"); u != "" {
		env = psc.Environment{Name: "MSSANTE_PSC_DISCOVERY_URL", DiscoveryURL: u}
	}
	id := getenv("MSSANTE_PSC_CLIENT_ID")
	if id == "" {
		problems = append(problems, "MSSANTE_PSC_CLIENT_ID is not set")
	}
	if len(problems) > 0 {
		return psc.Config{}, fmt.Errorf("configuration of Pro Santé Connect: %s", strings.Join(problems, "; "))
	}
	cfg := psc.Config{Environment: env, ClientID: id, RedirectURL: getenv("MSSANTE_PSC_REDIRECT")}
	if secret := getenv("MSSANTE_PSC_CLIENT_SECRET"); secret != "" {
		cfg.Auth = psc.ClientSecretBasic(secret)
	}
	return cfg, nil
}
