package main

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"
)

// inputError names the input at fault, a flag ("--cda doc.xml") or a file
// ("msg.eml"), before what is wrong with it. An *fs.PathError about that
// same file is shortened to its reason, so that the path is said once.
type inputError struct {
	input string // "--subject", "--cda doc.xml", "msg.eml"
	path  string // the file named in input, if any
	err   error
}

func (e *inputError) Error() string {
	err := e.err
	var pe *fs.PathError
	if e.path != "" && errors.As(err, &pe) && pe.Path == e.path {
		err = pe.Err
	}
	return e.input + ": " + err.Error()
}

func (e *inputError) Unwrap() error { return e.err }

// flagError names a flag at fault.
func flagError(flag string, err error) error {
	return &inputError{input: "--" + flag, err: err}
}

// flagFileError names a flag and the file it gave.
func flagFileError(flag, path string, err error) error {
	return &inputError{input: "--" + flag + " " + path, path: path, err: err}
}

// fileError names a file given as an argument.
func fileError(path string, err error) error {
	return &inputError{input: path, path: path, err: err}
}

// packagePrefix matches the "mail: " or "trust: " the SDK's errors start
// with, at the start of the text or of a wrapped error.
var packagePrefix = regexp.MustCompile(`(^|: )(?:mssante|mail|delivery|boltstore|trust|cda|xdm|annuaire|psc|mssenv): `)

// errorText is the one line printed for an error: "mss COMMAND: " is
// already said, so the package names the SDK puts in front of its errors
// (and of the errors they wrap) are left out, and the text stays on one
// line whatever it holds.
func errorText(err error) string {
	return flatten(withoutPackage(err.Error()))
}

// withoutPackage drops the package names the SDK puts in front of its
// error texts, at the start and after each ": " (stored reasons too: the
// table or the command says what the text is about).
func withoutPackage(s string) string {
	for t := ""; t != s; {
		t, s = s, packagePrefix.ReplaceAllString(s, "$1")
	}
	return s
}

// flatten keeps text on one line.
func flatten(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
