package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// flagSet is the flag set of one command. Its Parse takes flags before and
// after the positional arguments, checks the number of arguments against
// the command's table entry and the required flags, and reports every
// mistake of the command line as a *usageError (exit status 2), all at
// once; -h gives the command's usage (a *helpRequest). A command gets this
// behaviour by calling newFlagSet with its table name and Parse (or
// parseInterspersed) on its arguments.
type flagSet struct {
	*flag.FlagSet
	cmd      *command
	required [][]string // each a flag name, or alternatives
	pos      []string   // positional arguments, after Parse
}

// newFlagSet returns the flag set of the command whose table name is name
// ("send", "cda new").
func newFlagSet(name string) *flagSet {
	cmd := findCommand(name)
	if cmd == nil {
		// Not in the table (a test calling a helper): no bound on arguments.
		cmd = &command{name: name, maxArgs: -1}
	}
	fs := flag.NewFlagSet("mss "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, cmd: cmd}
}

// Require marks a flag as required; with several names, any one of them
// meets the requirement ("--pdf or --text"). A flag whose value is empty
// (given so, or by default) is missing; a default from the environment
// meets it.
func (fs *flagSet) Require(names ...string) {
	fs.required = append(fs.required, names)
}

// Parse parses the command line. It replaces flag.FlagSet.Parse.
func (fs *flagSet) Parse(args []string) error {
	pos, err := parseFlags(fs.FlagSet, args)
	if errors.Is(err, flag.ErrHelp) {
		return &helpRequest{text: fs.usage()}
	}
	if err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
			msg = "unknown flag " + name
		} else if m := invalidValue.FindStringSubmatch(msg); m != nil {
			msg = "--" + m[2] + " " + m[1] + ": " + m[3]
		}
		return &usageError{msg: msg}
	}
	var problems, missing []string
	if max := fs.cmd.maxArgs; max >= 0 && len(pos) > max {
		problems = append(problems, fmt.Sprintf("unexpected argument %q", pos[max]))
	}
	if len(pos) < fs.cmd.minArgs {
		missing = append(missing, fs.cmd.args)
	}
	// A required flag is met by a value, given or default ($MSSANTE_…);
	// a bool by true.
	given := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		given[f.Name] = v != "" && v != "false"
	})
	for _, req := range fs.required {
		met := false
		for _, n := range req {
			met = met || given[n]
		}
		if !met {
			missing = append(missing, "--"+strings.Join(req, " or --"))
		}
	}
	if len(missing) > 0 {
		problems = append([]string{"missing " + strings.Join(missing, ", ")}, problems...)
	}
	if len(problems) > 0 {
		return &usageError{msg: strings.Join(problems, "; ")}
	}
	fs.pos = pos
	return nil
}

// invalidValue matches the flag package's error for a value its Set refused.
var invalidValue = regexp.MustCompile(`^invalid (?:boolean )?value (".*") for flag -(\S+): (.*)$`)

// IsSet reports whether a flag was given on the command line.
func (fs *flagSet) IsSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// Args returns the positional arguments.
func (fs *flagSet) Args() []string { return fs.pos }

// NArg returns the number of positional arguments.
func (fs *flagSet) NArg() int { return len(fs.pos) }

// Arg returns the i'th positional argument, "" when there is none.
func (fs *flagSet) Arg(i int) string {
	if i < 0 || i >= len(fs.pos) {
		return ""
	}
	return fs.pos[i]
}

// usageErrorf reports a command line that breaks a rule of the command
// (two flags that exclude each other, say): exit status 2.
func (fs *flagSet) usageErrorf(format string, args ...any) error {
	return usageErrorf(format, args...)
}

// parseInterspersed parses the command line and returns the positional
// arguments ("mss inspect FILE --json").
func parseInterspersed(fs *flagSet, args []string) ([]string, error) {
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return fs.pos, nil
}

// parseFlags parses flags that may come before or after positional
// arguments; after "--" everything is positional.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usage is the text of -h: the synopsis, the summary, and the flags with
// the required ones marked.
func (fs *flagSet) usage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: mss %s", fs.cmd.name)
	nflags := 0
	fs.VisitAll(func(*flag.Flag) { nflags++ })
	if nflags > 0 {
		b.WriteString(" [flags]")
	}
	if fs.cmd.args != "" {
		b.WriteString(" " + fs.cmd.args)
	}
	b.WriteString("\n")
	if fs.cmd.summary != "" {
		fmt.Fprintf(&b, "\n%s\n", fs.cmd.summary)
	}
	if nflags == 0 {
		return b.String()
	}
	requirement := map[string]string{}
	for _, req := range fs.required {
		for _, n := range req {
			if len(req) == 1 {
				requirement[n] = "required"
				continue
			}
			var others []string
			for _, o := range req {
				if o != n {
					others = append(others, "--"+o)
				}
			}
			requirement[n] = "required, or " + strings.Join(others, " or ")
		}
	}
	b.WriteString("\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		arg, text := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if arg != "" {
			line += " " + arg
		}
		if r := requirement[f.Name]; r != "" {
			line += "   (" + r + ")"
		}
		b.WriteString(line + "\n        " + strings.ReplaceAll(text, "\n", "\n        "))
		if d := f.DefValue; d != "" && d != "false" && d != "0" && d != "[]" {
			if g, ok := f.Value.(flag.Getter); ok {
				if _, isString := g.Get().(string); isString {
					d = fmt.Sprintf("%q", d)
				}
			}
			b.WriteString(" (default " + d + ")")
		}
		b.WriteString("\n")
	})
	return b.String()
}

// helpRequest is returned by Parse on -h: run prints the text on standard
// output and exits 0.
type helpRequest struct{ text string }

func (h *helpRequest) Error() string { return "help requested" }

// Is makes errors.Is(err, flag.ErrHelp) true.
func (h *helpRequest) Is(target error) bool { return target == flag.ErrHelp }

// usageError is a command line that is wrong: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
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
