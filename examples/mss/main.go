// Command mss is a small tool for vendors debugging an MSSanté integration:
// compose, send and inspect messages, build and read CDA documents and IHE
// XDM packages, query the Annuaire Santé, check the trust space.
//
// Usage:
//
//	mss <command> [flags] [arguments]
//
// Run "mss help" for the list of commands, and "mss help COMMAND" (or
// "mss COMMAND -h") for the flags of one. Every command behaves the same way:
// flags may come before or after the arguments; an unknown flag, a missing
// required flag or argument and an extra argument are usage errors; errors
// are one line on standard error; --json prints one JSON object (JSON.md
// describes each); progress bars go to standard error, only when it is a
// terminal and --json is not given.
//
// Exit status: 0 success, 1 a finding or invalid input, 2 a usage error
// (see exitUsageText).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // a finding, invalid input, or an operation that failed
	exitUsage   = 2 // the command line itself is wrong
)

// exitUsageText is the part of "mss help" about exit statuses.
const exitUsageText = `Exit status:
  0  success
  1  a finding (a certificate expired, revoked or not trusted, an address
     outside the trust space, a CDA document with errors, an archive whose
     documents cannot be read, a recipient refused) or invalid input (a file
     that cannot be read or is not what the command expects, a message the
     SDK refuses to send)
  2  a usage error: unknown command or flag, missing or extra argument,
     missing required flag
`

// command is one "mss" command or subcommand. A group ("cda") has no run:
// its subcommands ("cda new", "cda inspect"...) follow it in the table.
type command struct {
	name string // after "mss": "send", "cda new"
	// args is the synopsis of the positional arguments ("FILE.eml",
	// "ADDR..."), "" when there are none; minArgs and maxArgs bound their
	// number (maxArgs < 0: no bound).
	args             string
	minArgs, maxArgs int
	summary          string
	run              func(ctx context.Context, e *env, args []string) error
}

// env is what a command may touch: its output streams. Commands never write
// to os.Stdout directly, so tests can run them in process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	// tty reports that stderr is a terminal: progress bars are drawn only
	// then (see newProgress).
	tty bool
}

// commands is the table of every command and subcommand, in the order of
// "mss help". It drives the dispatch, the usage texts and the checks of the
// positional arguments (newFlagSet), and the tests that run every command.
var commands []command

func init() {
	commands = []command{
		{name: "compose", summary: "write an RFC 5322 MSSanté message (.eml)", run: runCompose},
		{name: "send", args: "[FILE.eml]", maxArgs: 1, summary: "send a message, or an .eml from mss compose (operator set by MSSANTE_*)", run: runSend},
		{name: "sync", summary: "list the new messages of a folder (operator set by MSSANTE_*)", run: runSync},
		{name: "inspect", args: "FILE.eml", minArgs: 1, maxArgs: 1, summary: "parse a message (.eml) and print what the SDK sees", run: runInspect},
		{name: "track", summary: "list tracked messages and their per-recipient status; --timeline ID (--html FILE) for one", run: runTrack},
		{name: "cda", summary: "build, inspect and validate CDA R2 documents"},
		{name: "cda new", summary: "build an N1 CDA R2 document around a PDF or a text", run: runCDANew},
		{name: "cda inspect", args: "FILE.xml", minArgs: 1, maxArgs: 1, summary: "print the header of a CDA R2 document", run: runCDAInspect},
		{name: "cda validate", args: "FILE.xml", minArgs: 1, maxArgs: 1, summary: "check a CDA R2 header against the CI-SIS rules", run: runCDAValidate},
		{name: "xdm", summary: "build and inspect IHE_XDM.ZIP packages"},
		{name: "xdm build", args: "[FILE.xml...]", maxArgs: -1, summary: "package CDA documents into an IHE_XDM.ZIP", run: runXDMBuild},
		{name: "xdm inspect", args: "FILE.zip", minArgs: 1, maxArgs: 1, summary: "read an IHE_XDM.ZIP and report each document's problems", run: runXDMInspect},
		{name: "annuaire", summary: "query the Annuaire Santé"},
		{name: "annuaire search", summary: "search practitioners and organisations (FHIR API)", run: runAnnuaireSearch},
		{name: "annuaire lookup", args: "ADDR", minArgs: 1, maxArgs: 1, summary: "who owns a mailbox (FHIR API or an extraction file)", run: runAnnuaireLookup},
		{name: "annuaire parse", args: "FILE.json", minArgs: 1, maxArgs: 1, summary: "list the MSSanté mailboxes of a FHIR resource", run: runAnnuaireParse},
		{name: "annuaire index", args: "FILE", minArgs: 1, maxArgs: 1, summary: "index an Extraction_Correspondance_MSSante file and count it", run: runAnnuaireIndex},
		{name: "trust", summary: "the MSSanté trust space (liste blanche)"},
		{name: "trust check", args: "ADDR...", minArgs: 1, maxArgs: -1, summary: "check addresses or domains against the liste blanche", run: runTrustCheck},
		{name: "trust info", summary: "describe the liste blanche and its skipped entries", run: runTrustInfo},
		{name: "cert", summary: "IGC-Santé certificates"},
		{name: "cert inspect", args: "FILE", minArgs: 1, maxArgs: 1, summary: "describe a certificate and verify its chain", run: runCertInspect},
		{name: "psc", summary: "Pro Santé Connect (MSSANTE_PSC_*)"},
		{name: "psc login", summary: "log in (browser, or --ciba on the e-CPS app) and print who logged in", run: runPSCLogin},
		{name: "psc whoami", summary: "print whom the access token of MSSANTE_TOKEN stands for", run: runPSCWhoami},
		{name: "sandbox", summary: "run the in-process test operator and print its settings", run: runSandbox},
		{name: "bench", summary: "run the performance pairs and print the budget table", run: runBench},
	}
}

// findCommand returns the table entry of a full name ("cda new"), or nil.
func findCommand(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// subcommands returns the entries under a group.
func subcommands(group string) []*command {
	var out []*command
	for i := range commands {
		if strings.HasPrefix(commands[i].name, group+" ") {
			out = append(out, &commands[i])
		}
	}
	return out
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	e := &env{stdout: os.Stdout, stderr: os.Stderr, tty: isTerminal(os.Stderr)}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

func isHelpArg(s string) bool {
	return s == "help" || s == "-h" || s == "-help" || s == "--help"
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	if isHelpArg(args[0]) {
		if len(args) == 1 {
			usage(e.stdout)
			return exitOK
		}
		// "mss help cda new" is "mss cda new -h".
		return run(ctx, e, append(slices.Clone(args[1:]), "-h"))
	}
	cmd := findCommand(args[0])
	rest := args[1:]
	if cmd == nil {
		fmt.Fprintf(e.stderr, "mss: unknown command %q (run \"mss help\")\n", args[0])
		return exitUsage
	}
	if cmd.run == nil {
		if len(rest) > 0 && isHelpArg(rest[0]) {
			groupUsage(e.stdout, cmd)
			return exitOK
		}
		if len(rest) == 0 {
			return report(e, cmd, usageErrorf("missing subcommand"))
		}
		sub := findCommand(cmd.name + " " + rest[0])
		if sub == nil {
			return report(e, cmd, usageErrorf("unknown subcommand %q", rest[0]))
		}
		cmd, rest = sub, rest[1:]
	}
	return report(e, cmd, cmd.run(ctx, e, rest))
}

// report prints what a command returned and gives the exit status: the
// usage on -h, a usage error, or the error on one line, each once.
func report(e *env, cmd *command, err error) int {
	var help *helpRequest
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		io.WriteString(e.stdout, help.text)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "mss %s: %s (run \"mss help %s\")\n", cmd.name, flatten(ue.msg), cmd.name)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "mss %s: %s\n", cmd.name, errorText(err))
	return exitFailure
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mss <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		if c.run != nil {
			fmt.Fprintf(w, "  %-17s %s\n", c.name, c.summary)
		}
	}
	fmt.Fprint(w, `
"mss help COMMAND" or "mss COMMAND -h" prints the flags of a command, the
required ones marked. Flags may come before or after the arguments.

`+exitUsageText+`
--json prints one JSON object (mss sync: one per line) with camelCase keys;
addresses are bare (local@domain). examples/mss/JSON.md describes each.
Progress bars go to standard error, only on a terminal and without --json.

Environment: send, sync and the examples read MSSANTE_* (the README lists
them); compose MSSANTE_PRODUCT_REF, track MSSANTE_STORE, trust
MSSANTE_TRUST_LIST, annuaire MSSANTE_ANNUAIRE_API_KEY.
`)
}

func groupUsage(w io.Writer, group *command) {
	fmt.Fprintf(w, "usage: mss %s <subcommand> [flags] [arguments]\n\n%s\n\nSubcommands:\n", group.name, group.summary)
	for _, c := range subcommands(group.name) {
		fmt.Fprintf(w, "  %-9s %s\n", strings.TrimPrefix(c.name, group.name+" "), c.summary)
	}
	fmt.Fprintf(w, "\nRun \"mss help %s SUBCOMMAND\" for its flags.\n", group.name)
}
