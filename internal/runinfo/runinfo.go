// Package runinfo describes the run that produced a figure: the commit of
// the code, the date, the Go version, the machine and its load, and the
// command line. The tables of BENCHMARKS.md and the figures of ROBUSTNESS.md
// are pasted outputs that start with it, so that each quoted figure names
// its run (issue 20).
package runinfo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Info is the description of a run.
type Info struct {
	// Commit is the revision of the code that ran: the binary's
	// vcs.revision when the go command stamped it (go build), else what
	// git says of the working directory (go run and go test do not stamp
	// it). "+dirty" follows it when files were modified; "unknown" when
	// neither knows.
	Commit string `json:"commit"`
	// Time is when the run started, UTC, to the second.
	Time time.Time `json:"time"`
	// GoVersion is runtime.Version().
	GoVersion string `json:"goVersion"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPUs      int    `json:"cpus"`       // runtime.NumCPU
	MaxProcs  int    `json:"gomaxprocs"` // runtime.GOMAXPROCS
	// CPUModel is the "model name" of /proc/cpuinfo; "" when unknown.
	CPUModel string `json:"cpuModel,omitempty"`
	// Load is the load average over 1, 5 and 15 minutes when the run
	// started (/proc/loadavg); "" when unknown.
	Load string `json:"load,omitempty"`
	// Command is the command line (the program's base name and its
	// arguments), with the passwords of URLs and key=value DSNs replaced
	// by "xxxxx".
	Command string `json:"command"`
}

// Collect describes the current run: the process's own command line when
// command is empty.
func Collect(command string) Info {
	if command == "" {
		command = Command(os.Args)
	}
	return Info{
		Commit:    commit(),
		Time:      time.Now().UTC().Truncate(time.Second),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		MaxProcs:  runtime.GOMAXPROCS(0),
		CPUModel:  cpuModel(),
		Load:      loadAverage(),
		Command:   command,
	}
}

// String is the description on one line, as the tables quote it:
//
//	run: commit 1a2b3c4d5e6f, 2026-12-04 16:50:00 UTC, go1.26.8 linux/amd64, 2 CPU (Intel(R) Xeon(R) Processor), GOMAXPROCS 2, load 1.02 0.87 0.66; command: mss bench --pairs 3
func (i Info) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run: commit %s, %s, %s %s/%s, %d CPU", i.Commit, i.Time.Format("2006-01-02 15:04:05 UTC"), i.GoVersion, i.OS, i.Arch, i.CPUs)
	if i.CPUModel != "" {
		fmt.Fprintf(&b, " (%s)", i.CPUModel)
	}
	fmt.Fprintf(&b, ", GOMAXPROCS %d", i.MaxProcs)
	if i.Load != "" {
		fmt.Fprintf(&b, ", load %s", i.Load)
	}
	fmt.Fprintf(&b, "; command: %s", i.Command)
	return b.String()
}

// Command joins a command line (os.Args) for display: the program's base
// name, then the arguments, quoted when they hold spaces, with passwords
// redacted.
func Command(args []string) string {
	if len(args) == 0 {
		return ""
	}
	out := []string{filepath.Base(args[0])}
	for _, a := range args[1:] {
		a = Redact(a)
		if a == "" || strings.ContainsAny(a, " \t\"'") {
			a = fmt.Sprintf("%q", a)
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

// Env is an environment assignment for a command line: name=value, the
// value redacted and quoted as Command quotes arguments.
func Env(name, value string) string {
	value = Redact(value)
	if value == "" || strings.ContainsAny(value, " \t\"'") {
		value = fmt.Sprintf("%q", value)
	}
	return name + "=" + value
}

var keyValuePassword = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:\\.|[^'\\])*'?|[^\s&]*)`)

// Redact replaces the passwords of an argument: the user information of
// each URL in it (postgres://user:secret@host/db), found without parsing
// the URL so that a password a URL parser refuses (%zz, #) is hidden too,
// and password=… of a key=value DSN or a URL query, quoted or not.
func Redact(arg string) string {
	var b strings.Builder
	rest := arg
	for {
		i := strings.Index(rest, "://")
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i+3])
		rest = rest[i+3:]
		// The user information ends at the last @ before the URL does
		// (white space, a quote, another URL).
		end := len(rest)
		if k := strings.IndexAny(rest, " \t\"'"); k >= 0 {
			end = k
		}
		if k := strings.Index(rest[:end], "://"); k >= 0 {
			end = k
		}
		if at := strings.LastIndexByte(rest[:end], '@'); at >= 0 {
			if user, _, hasPassword := strings.Cut(rest[:at], ":"); hasPassword {
				b.WriteString(user + ":xxxxx")
				rest = rest[at:]
			}
		}
	}
	return keyValuePassword.ReplaceAllString(b.String(), "${1}xxxxx")
}

// commit returns the revision the binary was built from, else the one
// git reports for the working directory.
func commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		if modified == "true" {
			rev += "+dirty"
		}
		return shortRevision(rev)
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v // go install …@version: a release of the module
	}
	// go run and go test do not stamp the revision: ask git, if the
	// working directory is in this module's repository.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	top, err := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return "unknown"
	}
	mod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "go.mod"))
	if err != nil || bi.Main.Path == "" || !strings.Contains(string(mod), "module "+bi.Main.Path+"\n") {
		return "unknown"
	}
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev = strings.TrimSpace(string(out))
	// Tracked files changed since the commit: the figure is not the
	// commit's alone.
	if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err != nil || len(strings.TrimSpace(string(st))) > 0 {
		rev += "+dirty"
	}
	return shortRevision(rev)
}

// shortRevision keeps 12 hex digits of a revision, and its +dirty.
func shortRevision(rev string) string {
	hash, dirty, _ := strings.Cut(rev, "+")
	if len(hash) > 12 {
		hash = hash[:12]
	}
	if dirty != "" {
		return hash + "+" + dirty
	}
	return hash
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
