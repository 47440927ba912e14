package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testenv"
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
	certs := testenv.SharedDir(t, "annuaire", "certs") // the IGC-Santé TEST certificates
	root, _ := os.ReadFile(filepath.Join(certs, "igc-sante-TEST-ACR-ELEMENTAIRE.pem"))
	inter, _ := os.ReadFile(filepath.Join(certs, "igc-sante-TEST-ACI-ELEMENTAIRE-ORGANISATIONS.pem"))
	anchors := filepath.Join(t.TempDir(), "anchors.pem")
	os.WriteFile(anchors, append(append(root, '\n'), inter...), 0o600)
	leaf := filepath.Join(certs, "igc-sante-TEST-ee-ORG-SIGN-testsign.test.asipsante.fr.pem")
	// Valid in 2023.
	code, stdout, stderr := runCLI(t, "cert", "inspect", "--json", leaf, "--anchors", anchors, "--at", "2023-06-01")
	if code != 0 || !strings.Contains(stdout, "testsign.test.asipsante.fr") || !strings.Contains(stdout, "300000000077081") || !strings.Contains(stdout, `"status": "valid"`) {
		t.Fatalf("%d\n%s\n%s", code, stdout, stderr)
	}
	// Expired now (December 2024): a finding, exit 1, the description printed all the same.
	code, stdout, stderr = runCLI(t, "cert", "inspect", "--json", leaf, "--anchors", anchors)
	if code != 1 || !strings.Contains(stdout, `"expired": true`) || !strings.Contains(stderr, "expired on 2024-12-23") {
		t.Fatalf("expired: %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "cert", "inspect", leaf)
	if code != 1 || !strings.Contains(stdout, "(expired)") {
		t.Fatalf("expired, text: %d\n%s", code, stdout)
	}
}

// A list as the real one once was: among good entries, one <Nom> holding an
// e-mail address instead of a domain.
func writeListWithBadEntry(t *testing.T) string {
	bad := `<Domaine><Nom>someone@sub.domain.mssante.fr</Nom><Description>X</Description><DNCertificatOperateur>CN=x</DNCertificatOperateur><DateMAJ>2025-01-01T00:00:00Z</DateMAJ></Domaine>
`
	list := strings.Replace(testList, "<Domaine><Nom>patient.mssante.fr", bad+"<Domaine><Nom>patient.mssante.fr", 1)
	path := filepath.Join(t.TempDir(), "liste.xml")
	if err := os.WriteFile(path, []byte(list), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrustSkippedEntry: info reports the bad entry as skipped and counts
// the rest; check accepts the listed domains and refuses the bad one's.
func TestTrustSkippedEntry(t *testing.T) {
	list := writeListWithBadEntry(t)
	code, stdout, stderr := runCLI(t, "trust", "info", "--list", list, "--json")
	var v struct {
		Entries      int `json:"entries"`
		Domains      int `json:"domains"`
		SkippedCount int `json:"skippedCount"`
		Skipped      []struct {
			Line    int    `json:"line"`
			Element string `json:"element"`
			Value   string `json:"value"`
			Reason  string `json:"reason"`
		} `json:"skipped"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil {
		t.Fatalf("%d %s %s", code, stdout, stderr)
	}
	if v.Entries != 3 || v.Domains != 2 || v.SkippedCount != 1 || len(v.Skipped) != 1 {
		t.Fatalf("info: %s", stdout)
	}
	if s := v.Skipped[0]; s.Line != 7 || s.Element != "Nom" || s.Value != "someone@sub.domain.mssante.fr" || !strings.Contains(s.Reason, "e-mail address") {
		t.Errorf("skipped entry %+v", s)
	}
	code, stdout, stderr = runCLI(t, "trust", "check", "--list", list, "dr@medecin.mssante.fr", "279035121518989@patient.mssante.fr")
	if code != 0 || stdout != "dr@medecin.mssante.fr in\n279035121518989@patient.mssante.fr in\n" || !strings.Contains(stderr, "liste blanche: 1 skipped entries") {
		t.Fatalf("check, listed domains: %d %q %q", code, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "trust", "check", "--list", list, "someone@sub.domain.mssante.fr", "sub.domain.mssante.fr")
	if code != 1 || strings.Count(stdout, " out ") != 2 {
		t.Errorf("check, the skipped entry's domain: %d %q", code, stdout)
	}
	// Without --json, the skipped entries are listed too.
	code, stdout, _ = runCLI(t, "trust", "info", "--list", list)
	if code != 0 || !strings.Contains(stdout, "skipped:   1\n") || !strings.Contains(stdout, `line 7: <Nom> "someone@sub.domain.mssante.fr"`) {
		t.Errorf("info text: %q", stdout)
	}
}

// TestTrustChecksum: --checksum takes the ANS checksum file (digest written
// twice) and refuses a list that does not match.
func TestTrustChecksum(t *testing.T) {
	list := writeList(t)
	sum := sha256.Sum256([]byte(testList))
	hexSum := hex.EncodeToString(sum[:])
	good := filepath.Join(t.TempDir(), "checksum")
	os.WriteFile(good, []byte(hexSum+hexSum+"\n"), 0o600)
	if code, stdout, stderr := runCLI(t, "trust", "info", "--list", list, "--checksum", good, "--json"); code != 0 {
		t.Fatalf("good checksum: %d %s %s", code, stdout, stderr)
	}
	bad := filepath.Join(t.TempDir(), "checksum")
	os.WriteFile(bad, []byte(strings.Repeat("0", 64)), 0o600)
	if code, _, stderr := runCLI(t, "trust", "check", "--list", list, "--checksum", bad, "a@medecin.mssante.fr"); code != 1 || !strings.Contains(stderr, "SHA-256 mismatch") {
		t.Fatalf("bad checksum: %d %s", code, stderr)
	}
}

// TestTrustVerbatimList reads the list the ANS published on 2025-05-21 with
// its checksum file.
func TestTrustVerbatimList(t *testing.T) {
	dir := testenv.SharedDir(t, "annuaire", "listeblanche") // the published liste blanche
	code, stdout, stderr := runCLI(t, "trust", "info", "--json",
		"--list", filepath.Join(dir, "listeblanchemssante-2025-05-21.xml"), "--checksum", filepath.Join(dir, "checksum-2025-05-21"))
	if code != 0 || !strings.Contains(stdout, `"entries": 619`) || !strings.Contains(stdout, `"domains": 516`) || !strings.Contains(stdout, `"skipped": []`) {
		t.Fatalf("%d\n%s\n%s", code, stdout, stderr)
	}
}
