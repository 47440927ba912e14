package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire/annuairetest"
	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/internal/testpki"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/psc/psctest"
)

// TestEveryCommandLine runs every command of the table with -h, through
// "mss help", with an unknown flag and with an extra argument: the same
// behaviour everywhere, without running anything.
func TestEveryCommandLine(t *testing.T) {
	for _, c := range commands {
		if c.run == nil {
			testGroupLine(t, c)
			continue
		}
		name := strings.Fields(c.name)
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(name, "-h")...)
			head := "usage: mss " + c.name
			if code != exitOK || !strings.HasPrefix(stdout, head) || !strings.Contains(stdout, c.summary) || stderr != "" {
				t.Errorf("-h: exit %d, %q, %q", code, stdout, stderr)
			}
			if c.args != "" && !strings.HasPrefix(stdout, head+" [flags] "+c.args+"\n") {
				t.Errorf("-h: the synopsis lacks %q: %q", c.args, stdout)
			}
			code, helpOut, _ := runCLI(t, append([]string{"help"}, name...)...)
			if code != exitOK || helpOut != stdout {
				t.Errorf("mss help %s: exit %d, %q, want the -h text", c.name, code, helpOut)
			}

			code, stdout, stderr = runCLI(t, append(name, "--no-such-flag")...)
			if code != exitUsage || stdout != "" || !oneLineStartingWith(stderr, "mss "+c.name+": ") || !strings.Contains(stderr, "unknown flag -no-such-flag") {
				t.Errorf("unknown flag: exit %d, %q, %q", code, stdout, stderr)
			}

			if c.maxArgs < 0 {
				return // any number of arguments
			}
			args := append([]string(nil), name...)
			for i := 0; i < c.maxArgs; i++ {
				args = append(args, "arg")
			}
			args = append(args, "extra-arg")
			code, stdout, stderr = runCLI(t, args...)
			if code != exitUsage || stdout != "" || !oneLineStartingWith(stderr, "mss "+c.name+": ") || !strings.Contains(stderr, `unexpected argument "extra-arg"`) {
				t.Errorf("extra argument: exit %d, %q, %q", code, stdout, stderr)
			}
		})
	}
	// The case: an extra argument of send is a file, never sent as
	// a recipient list would be.
	if code, _, stderr := runCLI(t, "send", "--to", "b@medecin.mssante.fr", "a", "extra-arg"); code != exitUsage || !strings.Contains(stderr, `unexpected argument "extra-arg"`) {
		t.Errorf("send with two arguments: %d %q", code, stderr)
	}
	if code, stdout, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(stdout, "Exit status:") || !strings.Contains(stdout, "2  a usage error") {
		t.Errorf("mss help: %d %q", code, stdout)
	}
	if code, _, stderr := runCLI(t); code != exitUsage || !strings.HasPrefix(stderr, "usage: mss") {
		t.Errorf("mss alone: %d %q", code, stderr)
	}
}

func testGroupLine(t *testing.T, g command) {
	t.Run(g.name, func(t *testing.T) {
		for _, args := range [][]string{{g.name, "-h"}, {"help", g.name}, {g.name, "help"}} {
			code, stdout, _ := runCLI(t, args...)
			if code != exitOK || !strings.HasPrefix(stdout, "usage: mss "+g.name+" <subcommand>") {
				t.Errorf("%q: exit %d, %q", args, code, stdout)
			}
			for _, sub := range subcommands(g.name) {
				if !strings.Contains(stdout, strings.TrimPrefix(sub.name, g.name+" ")) {
					t.Errorf("%q does not list %s", args, sub.name)
				}
			}
		}
		for _, args := range [][]string{{g.name}, {g.name, "nosuch"}, {g.name, "--json"}} {
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || stdout != "" || !oneLineStartingWith(stderr, "mss "+g.name+": ") {
				t.Errorf("%q: exit %d, %q, %q", args, code, stdout, stderr)
			}
		}
	})
}

// oneLineStartingWith reports whether s is one line with that prefix.
func oneLineStartingWith(s, prefix string) bool {
	return strings.HasPrefix(s, prefix) && strings.Count(s, "\n") == 1 && strings.HasSuffix(s, "\n")
}

// Required flags are marked in the usage and all reported at once.
func TestRequiredFlags(t *testing.T) {
	code, stdout, _ := runCLI(t, "cda", "new", "-h")
	if code != exitOK || !strings.Contains(stdout, "--ins matricule   (required)") || !strings.Contains(stdout, "--pdf file   (required, or --text)") {
		t.Errorf("usage: %s", stdout)
	}
	code, _, stderr := runCLI(t, "cda", "new", "--ins", "279035121518989", "--family", "X")
	want := "mss cda new: missing --pdf or --text, --given, --gender, --birth, --birthplace, --author-rpps, --author-family, --org-finess, --org-name, --type"
	if code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit %d, %q\nwant %q", code, stderr, want)
	}
	// Missing flags and arguments, and an extra one, in one report.
	code, _, stderr = runCLI(t, "compose", "a", "--to", "b@medecin.mssante.fr")
	if code != exitUsage || !strings.Contains(stderr, `missing --from, --product-ref or --no-product-ref; unexpected argument "a"`) {
		t.Errorf("compose: %d %q", code, stderr)
	}
	// A default from the environment meets a requirement.
	t.Setenv("MSSANTE_PRODUCT_REF", "DEV935997")
	code, stdout, stderr = runCLI(t, "compose", "--from", "a@medecin.mssante.fr", "--to", "b@medecin.mssante.fr", "--text", "t")
	if code != exitOK || !strings.Contains(stdout, "X-MSS-NIL: DEV935997") {
		t.Errorf("compose with $MSSANTE_PRODUCT_REF: %d %q", code, stderr)
	}
}

// notAdopted lists the commands whose --json does not follow the
// convention yet, and why. Their files are being changed elsewhere; the
// description in JSON.md is what they adopt. An entry that the output no
// longer needs makes the test fail, so that it is removed.
var notAdopted = map[string]string{}

// jsonKey is the key convention: camelCase, acronyms as words.
var jsonKey = regexp.MustCompile(`^[a-z][a-z0-9]*(?:[A-Z][a-z0-9]+)*$`)

// TestEveryJSONOutput runs every command that reports with --json, on
// real inputs: each output parses, is an object (one per line for sync),
// uses camelCase keys and bare addresses, and every key is described in
// JSON.md under its command.
func TestEveryJSONOutput(t *testing.T) {
	doc := readJSONDoc(t)
	f := newJSONFixtures(t)
	type jsonRun struct {
		cmd  string // the JSON.md section
		args []string
		code int
		want string // in the output, if set
	}
	runs := []jsonRun{
		{"send", []string{"send", "--to", "b@ch-test.mssante.fr", "--subject", "Bonjour", "--text", "t", "--json"}, 0, ""},
		{"send", []string{"send", "--to", "b@ch-test.mssante.fr,x@autre-operateur.mssante.fr", "--subject", "Bonjour", "--text", "t", "--json"}, 0, `"accepted": false`},
		{"sync", []string{"sync", "--json"}, 0, ""},
		{"inspect", []string{"inspect", f.eml, "--json"}, 0, ""},
		{"inspect", []string{"inspect", filepath.Join("..", "..", "mssante", "mail", "testdata", "dsn-postfix-failure.eml"), "--json"}, 0, ""},
		{"inspect", []string{"inspect", filepath.Join("..", "..", "mssante", "mail", "testdata", "mdn-cisis-error.eml"), "--json"}, 0, ""},
		{"track", []string{"track", "--store", trackStore(t), "--json"}, 0, ""},
		{"track", []string{"track", "--store", readTimeoutStore(t), "--json"}, 0, `"noReadReceipt": true`},
		{"track", []string{"track", "--store", readTimeoutStore(t), "--timeline", "4@medecin.mssante.fr", "--json"}, 0, `"problems": [`},
		{"cda inspect", []string{"cda", "inspect", f.cda, "--json"}, 0, ""},
		{"cda validate", []string{"cda", "validate", f.cda, "--json"}, 0, ""},
		{"cda validate", []string{"cda", "validate", f.badCDA, "--json"}, 1, `"valid": false`},
		{"xdm build", []string{"xdm", "build", "--cda", f.cda, "-o", filepath.Join(t.TempDir(), "IHE_XDM.ZIP"), "--json"}, 0, ""},
		{"xdm inspect", []string{"xdm", "inspect", f.xdm, "--json"}, 0, ""},
		{"annuaire search", []string{"annuaire", "search", "--mailbox", f.mailbox, "--base", f.annuaireURL, "--json"}, 0, ""},
		{"annuaire search", []string{"annuaire", "search", "--name", "a", "--limit", "3", "--base", f.annuaireURL, "--json"}, 0, ""},
		{"annuaire lookup", []string{"annuaire", "lookup", f.mailbox, "--base", f.annuaireURL, "--json"}, 0, ""},
		{"annuaire lookup", []string{"annuaire", "lookup", f.extractionAddr, "--extraction", f.extraction, "--json"}, 0, ""},
		{"annuaire parse", []string{"annuaire", "parse", f.fhir, "--json"}, 0, ""},
		{"annuaire index", []string{"annuaire", "index", f.extraction, "--json"}, 0, ""},
		{"trust check", []string{"trust", "check", "--list", f.list, "dr@medecin.mssante.fr", "x@evil.example", "--json"}, 1, `"out": 1`},
		{"trust info", []string{"trust", "info", "--list", writeListWithBadEntry(t), "--json"}, 0, ""},
		{"cert inspect", []string{"cert", "inspect", f.cert, "--anchors", f.anchors, "--json"}, 0, ""},
		{"cert inspect", []string{"cert", "inspect", f.cert, "--json", "--at", "2001-01-01"}, 1, `"notYetValid": true`},
		{"bench", tinyBench(t, "--json"), 0, `"pair": 6`},
	}
	for _, r := range runs {
		code, stdout, stderr := runCLI(t, r.args...)
		if code != r.code {
			t.Errorf("%q: exit %d, want %d\n%s", r.args, code, r.code, stderr)
			continue
		}
		if !strings.Contains(stdout, r.want) {
			t.Errorf("%q: output lacks %s:\n%s", r.args, r.want, stdout)
		}
		checkJSONOutput(t, doc, r.cmd, r.args, stdout)
	}

	// The sandbox prints its JSON once it listens, then runs until stopped.
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() { done <- run(ctx, &env{stdout: out, stderr: &syncBuffer{}}, []string{"sandbox", "--json"}) }()
	for i := 0; i < 500 && !strings.HasSuffix(out.String(), "}\n"); i++ {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("sandbox --json: exit %d", code)
	}
	checkJSONOutput(t, doc, "sandbox", []string{"sandbox", "--json"}, out.String())

	// mss psc against a PSC look-alike (CIBA, so that no browser is needed).
	idp, err := psctest.NewServer(&psctest.Options{CIBAInterval: time.Second, CIBAPendingPolls: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer idp.Close()
	t.Setenv("MSSANTE_PSC_DISCOVERY_URL", idp.Environment().DiscoveryURL)
	t.Setenv("MSSANTE_PSC_CLIENT_ID", idp.ClientID())
	t.Setenv("MSSANTE_PSC_CLIENT_SECRET", idp.ClientSecret())
	loginArgs := []string{"psc", "login", "--ciba", idp.Professional().NationalID, "--show-token", "--json"}
	code, stdout, stderr := runCLI(t, loginArgs...)
	if code != 0 {
		t.Fatalf("%q: exit %d\n%s", loginArgs, code, stderr)
	}
	checkJSONOutput(t, doc, "psc login", loginArgs, stdout)
	var login struct{ AccessToken string }
	json.Unmarshal([]byte(stdout), &login)
	t.Setenv("MSSANTE_TOKEN", login.AccessToken)
	code, stdout, stderr = runCLI(t, "psc", "whoami", "--json")
	if code != 0 {
		t.Fatalf("psc whoami: exit %d\n%s", code, stderr)
	}
	checkJSONOutput(t, doc, "psc whoami", []string{"psc", "whoami", "--json"}, stdout)

	// Every command that has --json is run above.
	ran := map[string]bool{"sandbox": true, "psc login": true, "psc whoami": true}
	for _, r := range runs {
		ran[r.cmd] = true
	}
	for _, c := range commands {
		if c.run == nil {
			continue
		}
		_, usage, _ := runCLI(t, append(strings.Fields(c.name), "-h")...)
		if strings.Contains(usage, "\n  --json\n") && !ran[c.name] {
			t.Errorf("mss %s has --json but no run here", c.name)
		}
		if strings.Contains(usage, "\n  --json\n") && doc[c.name] == nil {
			t.Errorf("mss %s has --json but no section in JSON.md", c.name)
		}
	}
}

// checkJSONOutput parses one output (JSON Lines for sync) and checks it.
func checkJSONOutput(t *testing.T, doc map[string]map[string]bool, cmd string, args []string, out string) {
	t.Helper()
	documented := doc[cmd]
	if cmd == "sync" {
		documented = map[string]bool{}
		for p := range doc["sync"] {
			documented[p] = true
		}
		for p := range doc["inspect"] {
			documented[p] = true
		}
	}
	if documented == nil {
		t.Errorf("JSON.md has no section for mss %s", cmd)
		return
	}
	var values []any
	if cmd == "sync" {
		sc := bufio.NewScanner(strings.NewReader(out))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var v any
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				t.Errorf("%q: line %q: %v", args, sc.Text(), err)
			}
			values = append(values, v)
		}
		if len(values) == 0 {
			t.Errorf("%q: no line", args)
		}
	} else {
		dec := json.NewDecoder(strings.NewReader(out))
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Errorf("%q: %v\n%s", args, err, out)
			return
		}
		if dec.More() {
			t.Errorf("%q: more than one JSON value", args)
		}
		values = append(values, v)
	}
	var faults []string
	for _, v := range values {
		if _, ok := v.(map[string]any); !ok {
			faults = append(faults, "not a JSON object")
		}
		faults = append(faults, jsonFaults(v, "", documented)...)
	}
	sort.Strings(faults)
	faults = compactStrings(faults)
	if why, pending := notAdopted[cmd]; pending {
		if len(faults) == 0 {
			t.Errorf("mss %s follows the JSON convention now: remove it from notAdopted", cmd)
		} else {
			t.Logf("mss %s: not adopted yet (%s): %s", cmd, why, strings.Join(faults, "; "))
		}
		return
	}
	for _, f := range faults {
		t.Errorf("%q: %s", args, f)
	}
}

// jsonFaults walks a value: keys that break the convention or are not
// documented, and addresses that are not bare.
func jsonFaults(v any, path string, documented map[string]bool) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if documented[p+".*"] {
				continue // a map: its keys are data
			}
			if !jsonKey.MatchString(k) {
				out = append(out, "key "+p+" is not camelCase")
			}
			if arr, ok := val.([]any); ok {
				if !documented[p] && !documented[p+"[]"] {
					out = append(out, "key "+p+" is not in JSON.md")
				}
				for _, el := range arr {
					out = append(out, jsonFaults(el, p+"[]", documented)...)
				}
				if isAddressKey(k) {
					for _, el := range arr {
						out = append(out, addressFault(p, el)...)
					}
				}
				continue
			}
			if !documented[p] {
				out = append(out, "key "+p+" is not in JSON.md")
			}
			if isAddressKey(k) {
				out = append(out, addressFault(p, val)...)
			}
			out = append(out, jsonFaults(val, p, documented)...)
		}
	case []any:
		for _, el := range x {
			out = append(out, jsonFaults(el, path+"[]", documented)...)
		}
	}
	return out
}

// isAddressKey tells the keys that hold mail addresses.
func isAddressKey(k string) bool {
	switch k {
	case "address", "from", "to", "cc", "readReceiptTo":
		return true
	}
	return false
}

func addressFault(path string, v any) []string {
	s, ok := v.(string)
	if !ok || !strings.Contains(s, "@") {
		return nil // a state (track's history "from"), a bare domain
	}
	if strings.ContainsAny(s, "<> \"") {
		return []string{"address " + path + " is not bare: " + s}
	}
	return nil
}

func compactStrings(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// readJSONDoc reads the key paths JSON.md lists under each "## mss CMD
// --json" section.
func readJSONDoc(t *testing.T) map[string]map[string]bool {
	t.Helper()
	data, err := os.ReadFile("JSON.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]map[string]bool{}
	section := regexp.MustCompile("^## mss (.+) --json$")
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var cur map[string]bool
	for _, line := range strings.Split(string(data), "\n") {
		if m := section.FindStringSubmatch(line); m != nil {
			cur = map[string]bool{}
			doc[m[1]] = cur
			continue
		}
		if m := row.FindStringSubmatch(line); m != nil && cur != nil {
			cur[m[1]] = true
		}
	}
	return doc
}

// jsonFixtures are the inputs of TestEveryJSONOutput.
type jsonFixtures struct {
	eml, cda, badCDA, xdm, list, cert, anchors, fhir string
	annuaireURL, mailbox, extraction, extractionAddr string
}

func newJSONFixtures(t *testing.T) *jsonFixtures {
	t.Helper()
	f := &jsonFixtures{list: writeList(t)}
	dir := t.TempDir()

	// An operator where a sent b a message and got its delivery report.
	s, err := mssantetest.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	s.MustAddMailbox("a@medecin.mssante.fr", mssantetest.MailboxPER, nil)
	s.MustAddMailbox("b@ch-test.mssante.fr", mssantetest.MailboxPER, nil)
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	// A domain of the liste blanche that the operator refuses at RCPT.
	t.Setenv("MSSANTE_TRUST_LIST", writeFile(t, "liste.xml", testdocs.ListeBlanche(append(append([]string(nil), mssantetest.DefaultDomains()...), "autre-operateur.mssante.fr")...)))
	if code, _, stderr := runCLI(t, "send", "--to", "b@ch-test.mssante.fr", "--subject", "s", "--text", "t"); code != 0 {
		t.Fatalf("send: %s", stderr)
	}

	f.eml = filepath.Join(dir, "msg.eml")
	if code, _, stderr := runCLI(t, "compose", "--from", "Dr_Marie_MARTIN <marie.martin@medecin.mssante.fr>", "--to", "b@ch-test.mssante.fr",
		"--cc", "c@ch-test.mssante.fr", "--subject", "s", "--text", "t", "--read-receipt", "--product-ref", "DEV935997", "-o", f.eml); code != 0 {
		t.Fatalf("compose: %s", stderr)
	}
	f.cda = writeCDA(t, func(*cda.Document) {})
	f.badCDA = writeCDA(t, func(d *cda.Document) { d.Patient.INS.Matricule = "279035121518988" })
	f.xdm = filepath.Join(dir, "IHE_XDM.ZIP")
	if code, _, stderr := runCLI(t, "xdm", "build", "--cda", f.cda, "--to", "b@ch-test.mssante.fr", "-o", f.xdm); code != 0 {
		t.Fatalf("xdm build: %s", stderr)
	}

	srv := annuairetest.NewServer(nil)
	t.Cleanup(srv.Close)
	f.annuaireURL, f.mailbox = srv.BaseURL(), firstMailbox(t, srv.Data())
	b, err := json.Marshal(srv.Data().Organizations[0])
	if err != nil {
		t.Fatal(err)
	}
	var org map[string]any
	json.Unmarshal(b, &org)
	org["resourceType"] = "Organization"
	b, _ = json.Marshal(org)
	f.fhir = writeFile(t, "Organization.json", string(b))
	f.extraction = filepath.Join(dir, "Extraction_Correspondance_MSSante.txt")
	ef, err := os.Create(f.extraction)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := annuairetest.WriteExtraction(ef, &annuairetest.ExtractionOptions{Rows: 50, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ef.Close()
	data, _ := os.ReadFile(f.extraction)
	for _, fld := range strings.Split(strings.Split(string(data), "\n")[1], "|") {
		if strings.Contains(fld, "@") {
			f.extractionAddr = fld
		}
	}

	pki, err := testpki.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := pki.ClientCertificate("app@ch-test.mssante.fr", "10000000001")
	if err != nil {
		t.Fatal(err)
	}
	f.cert = writeFile(t, "cert.pem", string(testpki.PEM(leaf.Leaf, pki.Intermediate)))
	f.anchors = writeFile(t, "anchors.pem", string(testpki.PEM(pki.Root)))
	return f
}

// Every MSSANTE_* variable a command or an example reads is in the README's
// table, and mss reads no other prefix.
func TestEnvironmentVariablesDocumented(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	table := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| `MSSANTE_") {
			cell := strings.Split(line, "|")[1]
			for _, m := range regexp.MustCompile("`(MSSANTE_[A-Z0-9_]+)`").FindAllStringSubmatch(cell, -1) {
				table[m[1]] = true
			}
		}
	}
	variable := regexp.MustCompile(`"((?:MSSANTE|MSS|ESANTE)_[A-Z0-9_]+)"`)
	read := map[string]bool{}
	err = filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range variable.FindAllStringSubmatch(string(src), -1) {
			read[m[1]] = true
			if !table[m[1]] && m[1] != "ESANTE_API_KEY" { // named only to say it is no longer read
				t.Errorf("%s reads %s, which is not in the README's table", path, m[1])
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"MSSANTE_ADDRESS", "MSSANTE_PASSWORD", "MSSANTE_STORE", "MSSANTE_SRV_TARGETS", "MSSANTE_TRUST_LIST", "MSSANTE_ANNUAIRE_API_KEY"} {
		if !read[v] {
			t.Errorf("%s is read nowhere: the walk misses files", v)
		}
	}
}

// The flag set's Args, NArg and Arg give the positional arguments, flags
// taken out wherever they stood.
func TestFlagSetPositional(t *testing.T) {
	fs := newFlagSet("trust check")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse([]string{"a@medecin.mssante.fr", "--json", "medecin.mssante.fr"}); err != nil {
		t.Fatal(err)
	}
	if !*asJSON || fs.NArg() != 2 || fs.Arg(1) != "medecin.mssante.fr" || fs.Arg(2) != "" ||
		len(fs.Args()) != 2 || fs.Args()[0] != "a@medecin.mssante.fr" {
		t.Errorf("json=%v args=%q", *asJSON, fs.Args())
	}
}
