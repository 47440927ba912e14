// Command mss is a small tool for vendors debugging an MSSanté integration:
// compose and inspect messages, build and read CDA documents and IHE XDM
// packages, query the Annuaire Santé, check the trust space.
//
// Usage:
//
//	mss <command> [arguments]
//
// Run "mss help" for the list of commands. Every command exits with status 0
// on success and 1 on invalid input, with a one-line error on standard error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one "mss" subcommand. run gets the arguments after the
// command name.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its output streams. Commands never write
// to os.Stdout directly, so tests can run them in process.
type env struct {
	stdout io.Writer
	stderr io.Writer
	usage  bytes.Buffer // flag defaults of the last flag set, shown on -h
}

// commands lists every subcommand. Each lives in its own file, cmd_<name>.go.
var commands = map[string]command{
	"compose":  {"write an RFC 5322 MSSanté message", runCompose},
	"inspect":  {"parse a message (.eml) and print what the SDK sees", runInspect},
	"cda":      {"build, inspect and validate CDA R2 documents (new, inspect, validate)", runCDA},
	"xdm":      {"build and inspect IHE_XDM.ZIP packages (build, inspect)", runXDM},
	"annuaire": {"query the Annuaire Santé (search, lookup, parse, index)", runAnnuaire},
	"trust":    {"check addresses against the trust space (check, info)", runTrust},
	"cert":     {"inspect an IGC-Santé certificate (inspect)", runCert},
	"sandbox":  {"run the in-process test operator and print its settings", runSandbox},
	"send":     {"send a message through the operator set by MSSANTE_*", runSend},
	"sync":     {"list the new messages of a folder (MSSANTE_* operator)", runSync},
	"track":    {"list tracked messages and their per-recipient status", runTrack},
	"bench":    {"run the performance pairs and print the budget table", runBench},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 1
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "mss: unknown command %q (run \"mss help\")\n", args[0])
		return 1
	}
	if err := cmd.run(ctx, e, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "usage of mss %s:\n%s", args[0], e.usage.String())
			return 0
		}
		// One line, whatever the error text holds.
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		fmt.Fprintf(e.stderr, "mss %s: %s\n", args[0], msg)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mss <command> [arguments]")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
}

// newFlagSet returns a flag set that returns errors instead of printing
// them, so that a bad flag gives the one-line error of run; on -h its
// defaults are kept for run to print.
func newFlagSet(e *env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("mss "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		e.usage.Reset()
		fs.SetOutput(&e.usage)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// listFlag is a repeatable flag whose values may also be comma-separated.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// parseInterspersed parses flags that may come before or after positional
// arguments ("mss inspect FILE --json") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
