package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A list written the way the ANS publishes it: no closing root tag.
const testList = `<?xml version="1.0" encoding="UTF-8"?>
<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">
<DateDeGeneration>2026-11-20T08:00:00Z</DateDeGeneration>
<ListeDomaines>
<Domaine><Nom>medecin.mssante.fr</Nom><Description>Mailiz</Description><DNCertificatOperateur>CN=bus.mssante.fr</DNCertificatOperateur><ResponsableContact>a@b.fr</ResponsableContact><SupportContact>s@b.fr</SupportContact><DateMAJ>2025-01-01T00:00:00Z</DateMAJ></Domaine>
<Domaine><Nom>medecin.mssante.fr</Nom><Description>Mailiz</Description><DNCertificatOperateur>CN=proxysmtp.mssante.fr</DNCertificatOperateur><ResponsableContact>a@b.fr</ResponsableContact><SupportContact>s@b.fr</SupportContact><DateMAJ>2025-01-01T00:00:00Z</DateMAJ></Domaine>
<Domaine><Nom>patient.mssante.fr</Nom><Description>CNAM</Description><DNCertificatOperateur>CN=smtps1.ens.atos-infogerance.fr</DNCertificatOperateur><ResponsableContact>a@b.fr</ResponsableContact><SupportContact>s@b.fr</SupportContact><DateMAJ>2025-01-01T00:00:00Z</DateMAJ></Domaine>
</ListeDomaines>
`

func writeList(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "liste.xml")
	if err := os.WriteFile(path, []byte(testList), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrustCheck(t *testing.T) {
	list := writeList(t)
	code, stdout, stderr := runCLI(t, "trust", "check", "--list", list, "dr@MEDECIN.mssante.fr", "279035121518989@patient.mssante.fr")
	if code != 0 || stdout != "dr@MEDECIN.mssante.fr in\n279035121518989@patient.mssante.fr in\n" {
		t.Fatalf("all in: %d %q %q", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "trust", "check", "dr@medecin.mssante.fr", "x@evil-mssante.fr", "y@medecin.mssante.fr.evil.com", "279035121518988@patient.mssante.fr", "--list", list)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != 1 || len(lines) != 4 || !strings.HasSuffix(lines[0], " in") || !strings.Contains(lines[1], " out ") ||
		!strings.Contains(lines[2], " out ") || !strings.Contains(lines[3], "INS") || !strings.Contains(stderr, "3 of 4") {
		t.Fatalf("some out: %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestTrustInfo(t *testing.T) {
	code, stdout, stderr := runCLI(t, "trust", "info", "--list", writeList(t), "--json")
	var v struct {
		Generated string `json:"generated"`
		Entries   int    `json:"entries"`
		Domains   int    `json:"domains"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v.Entries != 3 || v.Domains != 2 || !strings.HasPrefix(v.Generated, "2026-11-20T08:00:00") {
		t.Fatalf("%d %s %s", code, stdout, stderr)
	}
}

func TestCertInspect(t *testing.T) {
	certs := filepath.Join("..", "..", "..", "shared", "testdata-external", "annuaire", "certs")
	if _, err := os.Stat(certs); err != nil {
		t.Skip("../shared/testdata-external is absent: the IGC-Santé TEST certificates are not available")
	}
	code, stdout, stderr := runCLI(t, "cert", "inspect", "--json",
		filepath.Join(certs, "igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem"),
		"--anchors", filepath.Join(certs, "igc-sante-TEST-ACR-ELEMENTAIRE.pem"))
	if code != 0 || !strings.Contains(stdout, "testsign.test.asipsante.fr") || !strings.Contains(stdout, "300000000077081") {
		t.Fatalf("%d\n%s\n%s", code, stdout, stderr)
	}
}
