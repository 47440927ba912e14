package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// startSandbox runs "mss sandbox ARGS... --json" in the process until the
// test ends, and returns its JSON once it listens.
func startSandbox(t *testing.T, args ...string) sandboxJSON {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdout: out, stderr: errOut}, append([]string{"sandbox", "--json"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sandbox: exit %d: %s", code, errOut.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second) // a sanity bound: it takes milliseconds
	for !strings.HasSuffix(out.String(), "}\n") {
		select {
		case code := <-done:
			done <- code
			t.Fatalf("sandbox stopped: exit %d: %s", code, errOut.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not listening: %q %q", out.String(), errOut.String())
		}
	}
	var v sandboxJSON
	if err := json.Unmarshal([]byte(out.String()), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// parseEnvFile reads the settings block as a POSIX shell would: comments,
// one "unset" line, "export NAME=VALUE" lines with single-quoted values.
// Any other line fails the test: the file must be sourceable as it is.
func parseEnvFile(t *testing.T, path string) (set map[string]string, unset []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	set = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "unset "):
			unset = append(unset, strings.Fields(line)[1:]...)
		case strings.HasPrefix(line, "export "):
			name, value, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if !ok || !strings.HasPrefix(name, "MSSANTE_") {
				t.Fatalf("line %q", line)
			}
			if strings.HasPrefix(value, "'") {
				value = strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(value, "'"), "'"), `'\''`, "'")
			} else if !shellSafe.MatchString(value) {
				t.Fatalf("unquoted value a shell would change: %q", line)
			}
			set[name] = value
		default:
			t.Fatalf("not a shell line of the block: %q", line)
		}
	}
	return set, unset
}

// onlyEnv leaves the MSSANTE_* variables of the test process unset, then
// sets vars: the commands run with those alone.
func onlyEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "MSSANTE_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
	for k, v := range vars {
		t.Setenv(k, v)
	}
}

// syncLines runs mss sync --json and returns its lines.
func syncLines(t *testing.T) []map[string]any {
	t.Helper()
	code, stdout, stderr := runCLI(t, "sync", "--json")
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, stderr)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("sync line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// trackedStates runs mss track --json and returns, per recipient, the state
// of the message id.
func trackedStates(t *testing.T, id string) map[string]string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "track", "--json")
	if code != 0 {
		t.Fatalf("track: exit %d: %s", code, stderr)
	}
	var out trackJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("track --json: %v\n%s", err, stdout)
	}
	states := map[string]string{}
	for _, m := range out.Messages {
		if m.MessageID != id {
			continue
		}
		for _, r := range m.Recipients {
			states[r.Address] = r.State
		}
	}
	return states
}

// Acceptance (issue 17, "Sandbox → send in one step"): mss sandbox
// --env-file F, then mss send, mss sync and mss track with F's variables
// alone, at the default revocation policy (hard: the sandbox publishes its
// CRLs and OCSP answers on loopback): the message arrives, its delivery
// report comes back, and the tracker sees the delivery. For a doctor's
// mailbox (XOAUTH2 token), an applicative one (certificate and SASL
// EXTERNAL) and over implicit TLS.
func TestSandboxEnvFileSendSyncTrack(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		auth string // the variable that authenticates
	}{
		{"PER mailbox, token", nil, "MSSANTE_TOKEN"},
		{"APP mailbox, certificate", []string{"--as", "integration@ch-test.mssante.fr"}, "MSSANTE_CERT"},
		{"implicit TLS", []string{"--implicit-tls"}, "MSSANTE_TOKEN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "sandbox.env")
			sb := startSandbox(t, append([]string{"--env-file", f}, tc.args...)...)
			if info, err := os.Stat(f); err != nil || info.Mode().Perm() != 0o600 {
				t.Fatalf("env file: %v %v", info, err)
			}
			vars, unset := parseEnvFile(t, f)

			// The default revocation policy, the anchors trusted as given
			// because the servers are on loopback: neither is set, and a
			// shell's earlier values are unset.
			for _, name := range []string{"MSSANTE_REVOCATION", "MSSANTE_ANCHORS_AS_GIVEN", "MSSANTE_PASSWORD"} {
				if _, ok := vars[name]; ok || !slices.Contains(unset, name) {
					t.Errorf("%s: set %v, unset %v", name, ok, slices.Contains(unset, name))
				}
			}
			for _, name := range []string{"MSSANTE_ADDRESS", "MSSANTE_SMTP", "MSSANTE_IMAP", tc.auth, "MSSANTE_ANCHORS", "MSSANTE_TRUST_LIST", "MSSANTE_PRODUCT_REF", "MSSANTE_STORE", "MSSANTE_TO"} {
				if vars[name] == "" {
					t.Errorf("%s not in the block", name)
				}
			}
			// The JSON carries the same settings.
			if len(sb.Env) != len(vars) || sb.EnvFile != f || sb.RevocationURL == "" || !sb.TemporaryDir {
				t.Errorf("JSON: %d variables (block %d), envFile %q, revocationUrl %q, temporaryDir %v", len(sb.Env), len(vars), sb.EnvFile, sb.RevocationURL, sb.TemporaryDir)
			}
			for k, v := range vars {
				if sb.Env[k] != v {
					t.Errorf("JSON env.%s = %q, block %q", k, sb.Env[k], v)
				}
			}

			onlyEnv(t, vars)
			from, to := vars["MSSANTE_ADDRESS"], vars["MSSANTE_TO"]
			code, stdout, stderr := runCLI(t, "send", "--to", to, "--subject", "Lettre de liaison", "--text", "Bonjour", "--json")
			var sent struct {
				MessageID  string `json:"messageId"`
				Recipients []struct {
					Address  string `json:"address"`
					Accepted bool   `json:"accepted"`
				} `json:"recipients"`
			}
			if code != 0 || json.Unmarshal([]byte(stdout), &sent) != nil || len(sent.Recipients) != 1 || !sent.Recipients[0].Accepted {
				t.Fatalf("send: exit %d: %s %s", code, stdout, stderr)
			}

			// The delivery report, in the sender's mailbox.
			var dsn map[string]any
			for _, m := range syncLines(t) {
				if r, _ := m["report"].(map[string]any); m["kind"] == "dsn" && r["originalMessageId"] == sent.MessageID {
					dsn = r
				}
			}
			rcpts, _ := dsn["recipients"].([]any)
			if len(rcpts) != 1 {
				t.Fatalf("no delivery report for %s: %v", sent.MessageID, dsn)
			}
			if r := rcpts[0].(map[string]any); r["action"] != "delivered" || r["address"] != to {
				t.Errorf("delivery report: %v", r)
			}
			// mss sync handed it to the tracker of MSSANTE_STORE.
			if got := trackedStates(t, sent.MessageID); got[to] != "delivered" || len(got) != 1 {
				t.Errorf("mss track: %v, want %s delivered", got, to)
			}

			// The message in the recipient's mailbox: the same block with
			// the recipient's address and token (from the JSON).
			for _, mb := range sb.Mailboxes {
				if mb.Address == to {
					t.Setenv("MSSANTE_ADDRESS", to)
					t.Setenv("MSSANTE_TOKEN", mb.Token)
				}
			}
			os.Unsetenv("MSSANTE_CERT")
			os.Unsetenv("MSSANTE_KEY")
			os.Unsetenv("MSSANTE_STORE")
			var arrived bool
			for _, m := range syncLines(t) {
				arrived = arrived || m["messageId"] == sent.MessageID && m["from"] == from && m["subject"] == "Lettre de liaison"
			}
			if !arrived {
				t.Errorf("%s did not arrive in %s", sent.MessageID, to)
			}
		})
	}
}

// The text output is the description as shell comments and the block: it
// can be pasted into a shell as it is. --dir keeps the files.
func TestSandboxTextIsShell(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "files")
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdout: out, stderr: errOut}, []string{"sandbox", "--dir", dir, "--product-ref", "DEV 935997"})
	}()
	for i := 0; i < 2000 && !strings.Contains(errOut.String(), "Ctrl-C"); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	path := filepath.Join(t.TempDir(), "out.sh")
	os.WriteFile(path, []byte(out.String()), 0o600)
	vars, _ := parseEnvFile(t, path)
	if vars["MSSANTE_PRODUCT_REF"] != "DEV 935997" || !strings.Contains(out.String(), "export MSSANTE_PRODUCT_REF='DEV 935997'\n") {
		t.Errorf("product reference with a space: %q", vars["MSSANTE_PRODUCT_REF"])
	}
	for _, name := range []string{"MSSANTE_ANCHORS", "MSSANTE_TRUST_LIST", "MSSANTE_STORE"} {
		if filepath.Dir(vars[name]) != dir {
			t.Errorf("%s = %q, not in --dir", name, vars[name])
		}
		if _, err := os.Stat(vars[name]); err != nil {
			t.Errorf("%s: not kept after the sandbox stopped: %v", name, err)
		}
	}
	if !strings.Contains(out.String(), "(kept)") {
		t.Errorf("the output does not say the files are kept:\n%s", out.String())
	}
}

// A temporary directory goes with the sandbox.
func TestSandboxTemporaryFilesRemoved(t *testing.T) {
	var dir string
	t.Run("running", func(t *testing.T) {
		sb := startSandbox(t)
		dir = sb.Dir
		if _, err := os.Stat(filepath.Join(dir, "anchors.pem")); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after the sandbox stopped: %v", dir, err)
	}
}

func TestSandboxUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sandbox", "--as", "nobody@medecin.mssante.fr"}, exitUsage, "--as nobody@medecin.mssante.fr: not one of the sandbox's mailboxes"},
		{[]string{"sandbox", "--env-file", filepath.Join(t.TempDir(), "missing", "f.env")}, exitFailure, "mss sandbox: --env-file "},
		{[]string{"sandbox", "extra"}, exitUsage, `unexpected argument "extra"`},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: exit %d %q", tc.args, code, stderr)
		}
	}
}
