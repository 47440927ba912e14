package hostile

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/mssante-go/sdk/cda/xdm"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/trust"
)

// A case feeds one hostile input to the SDK and checks the outcome. Each
// clause of want is asserted by check: a reviewer maps the one to the
// other.
type hostileCase struct {
	area, name string
	want       string // the expected outcome, as written in ROBUSTNESS.md
	// run feeds the input and records in o what the SDK did. Its error is
	// a failure of the case's own setup (a server that did not start, a
	// fixture that could not be written), never the SDK's error, which
	// goes to o.err.
	run func(o *outcome) error
	// check returns nil when o is what want says, else the clause that
	// does not hold.
	check check
}

// outcome is what a case observed. Each case fills the fields its Expected
// text speaks of; the others stay zero.
type outcome struct {
	err  error // the SDK's error (nil: accepted)
	next error // the error of a second step, when the case has one (Package.Verify, Outbox.Send, reading an attachment)

	read  int64  // bytes the SDK read of the input, through a counting reader
	wrote int64  // bytes the SDK wrote to its output
	alloc uint64 // bytes allocated by the SDK call, when measured (see allocated)

	msg  *mail.Message // the parsed message (closed: its fields only)
	pkg  *xdm.Package  // the read package
	list *trust.List   // the parsed or kept liste blanche
	text string        // everything the case printed or logged, for the secrets rows

	counts map[string]int64 // what servers and hooks saw, by name ("connections"…)
}

// count adds n to the count called name.
func (o *outcome) count(name string, n int64) { o.counts[name] += n }

// allocated returns the bytes the process allocated while f ran. The
// catalogue runs its cases one at a time, and the servers it started sit
// idle meanwhile, so the figure is f's own within a few KB.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A check is one clause, or several joined by all.
type check func(o *outcome) error

func all(checks ...check) check {
	return func(o *outcome) error {
		for _, c := range checks {
			if err := c(o); err != nil {
				return err
			}
		}
		return nil
	}
}

// is: the SDK's error is target.
func is(target error) check {
	return func(o *outcome) error {
		if !errors.Is(o.err, target) {
			return fmt.Errorf("error %v, want %v", o.err, target)
		}
		return nil
	}
}

// nextIs: the error of the second step is target.
func nextIs(target error) check {
	return func(o *outcome) error {
		if !errors.Is(o.next, target) {
			return fmt.Errorf("second step: error %v, want %v", o.next, target)
		}
		return nil
	}
}

// accepted: the SDK returned no error.
func accepted(o *outcome) error {
	if o.err != nil {
		return fmt.Errorf("refused: %v", o.err)
	}
	return nil
}

// xdmLimit: an xdm.LimitError on that limit, with that maximum (any when
// max is 0).
func xdmLimit(limit string, max int64) check {
	return func(o *outcome) error {
		var le *xdm.LimitError
		if !errors.As(o.err, &le) || le.Limit != limit || max != 0 && le.Max != max {
			return fmt.Errorf("error %v, want the %s limit (%d)", o.err, limit, max)
		}
		return nil
	}
}

// mailLimit: a mail.LimitError on that limit, with that maximum.
func mailLimit(limit string, max int64) check {
	return func(o *outcome) error {
		var le *mail.LimitError
		if !errors.As(o.err, &le) || le.Limit != limit || le.Max != max {
			return fmt.Errorf("error %v, want the %s limit (%d)", o.err, limit, max)
		}
		return nil
	}
}

// readAtMost: the SDK read at most n bytes of the input.
func readAtMost(n int64) check {
	return func(o *outcome) error {
		if o.read > n {
			return fmt.Errorf("%d bytes read, want at most %d", o.read, n)
		}
		return nil
	}
}

// wroteNothing: the SDK wrote no byte.
func wroteNothing(o *outcome) error {
	if o.wrote != 0 {
		return fmt.Errorf("%d bytes written", o.wrote)
	}
	return nil
}

// allocAtMost: the SDK call allocated at most n bytes.
func allocAtMost(n uint64) check {
	return func(o *outcome) error {
		if o.alloc > n {
			return fmt.Errorf("%d bytes allocated, want at most %d", o.alloc, n)
		}
		return nil
	}
}

// counted: the count called name is want.
func counted(name string, want int64) check {
	return func(o *outcome) error {
		if got := o.counts[name]; got != want {
			return fmt.Errorf("%s: %d, want %d", name, got, want)
		}
		return nil
	}
}

// errText: the SDK's error says s.
func errText(s string) check {
	return func(o *outcome) error {
		if o.err == nil || !strings.Contains(o.err.Error(), s) {
			return fmt.Errorf("error %v does not say %q", o.err, s)
		}
		return nil
	}
}

// message checks the parsed message.
func message(f func(m *mail.Message) error) check {
	return func(o *outcome) error {
		if o.msg == nil {
			return fmt.Errorf("no message (error %v)", o.err)
		}
		return f(o.msg)
	}
}

// pkg checks the read package.
func pkg(f func(p *xdm.Package) error) check {
	return func(o *outcome) error {
		if o.pkg == nil {
			return fmt.Errorf("no package (error %v)", o.err)
		}
		return f(o.pkg)
	}
}

// sdk runs f as the case, its error being the SDK's.
func sdk(f func() error) func(o *outcome) error {
	return func(o *outcome) error {
		o.err = f()
		return nil
	}
}

// runCase runs one case with a recover: a panic fails the case whatever
// its check says.
func runCase(c hostileCase) (o *outcome, panicked any, setup error) {
	o = &outcome{counts: map[string]int64{}}
	defer func() { panicked = recover() }()
	setup = c.run(o)
	return o, nil, setup
}

// serverErrors collects the errors of test servers' handlers, which run
// on their own goroutines: a case returns them as a failure of its setup.
type serverErrors struct {
	mu   sync.Mutex
	errs []error
}

func (s *serverErrors) add(err error) {
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err)
		s.mu.Unlock()
	}
}

// write writes b as the answer, keeping the error.
func (s *serverErrors) write(w io.Writer, b []byte) {
	_, err := w.Write(b)
	s.add(err)
}

func (s *serverErrors) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// TestRunCaseRecovers: a case that panics is reported as such, whatever
// its check would accept.
func TestRunCaseRecovers(t *testing.T) {
	c := hostileCase{run: func(o *outcome) error { o.err = nil; panic("boom") }, check: accepted}
	if _, panicked, setup := runCase(c); panicked != "boom" || setup != nil {
		t.Fatalf("panic not reported: %v (setup %v)", panicked, setup)
	}
}
