package mail

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// reportField is one "Name: value" field of a report body, its
// continuation lines unfolded.
type reportField struct{ name, value string }

// fieldBlock is one block of fields of a report body.
type fieldBlock []reportField

// get returns the first value of name, without case, or "".
func (b fieldBlock) get(name string) string {
	for _, f := range b {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

// fieldLimits bound what readFieldBlocks keeps of one report part.
type fieldLimits struct {
	maxFields     int // fields kept, all blocks together
	maxFieldBytes int // bytes of one unfolded value
}

// readFieldBlocks reads a report body (RFC 3464 §2.1, RFC 8098 §3.1):
// blocks of fields separated by blank lines, continuation lines unfolded
// into one space. part names the body in problems.
//
// It never fails, and its work is linear in the size of b: a value grows in
// one buffer, never by string concatenation. What it cannot read is left
// out and listed in the problems it returns: a line that is not a field
// (with the continuation lines that follow it), a continuation line before
// any field, a field whose value is over lim.maxFieldBytes, fields past
// lim.maxFields (a [*LimitError] in a [*ParseError]).
func readFieldBlocks(b []byte, lim fieldLimits, part string) ([]fieldBlock, []error) {
	var (
		blocks  []fieldBlock
		cur     fieldBlock
		probs   = problemList{part: part}
		name    string
		value   []byte // the open field's value; reused from field to field
		open    bool   // a field is open: continuation lines go to it
		over    bool   // the open field went over maxFieldBytes
		skip    bool   // continuation lines belong to a line left out
		kept    int    // fields kept
		tooMany bool
	)
	closeField := func() {
		if !open {
			return
		}
		open = false
		switch {
		case over:
			probs.add(&ParseError{Part: part, Reason: "field " + textcut.Cut(name, 40) + " left out",
				Err: &LimitError{Limit: "report field size", Max: int64(lim.maxFieldBytes)}})
		case kept >= lim.maxFields:
			if !tooMany {
				tooMany = true
				probs.add(&ParseError{Part: part, Reason: "fields left out",
					Err: &LimitError{Limit: "report fields", Max: int64(lim.maxFields)}})
			}
		default:
			kept++
			cur = append(cur, reportField{name, string(value)})
		}
	}
	closeBlock := func() {
		closeField()
		if len(cur) > 0 {
			blocks = append(blocks, cur)
			cur = nil
		}
	}
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		trimmed := bytes.TrimSpace(line)
		switch {
		case len(trimmed) == 0:
			closeBlock()
			skip = false
		case line[0] == ' ' || line[0] == '\t':
			switch {
			case skip, over:
			case !open:
				skip = true
				probs.add(&ParseError{Part: part, Reason: "continuation line without a field, left out", Quote: quote(line)})
			case len(value)+1+len(trimmed) > lim.maxFieldBytes:
				over = true
			default:
				if len(value) > 0 {
					value = append(value, ' ')
				}
				value = append(value, trimmed...)
			}
		default:
			closeField()
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 || bytes.ContainsAny(line[:colon], " \t") {
				skip = true
				probs.add(&ParseError{Part: part, Reason: "line is not a field, left out", Quote: quote(line)})
				continue
			}
			skip = false
			name = string(line[:colon])
			v := bytes.TrimSpace(line[colon+1:])
			open, over = true, len(v) > lim.maxFieldBytes
			value = value[:0]
			if !over {
				value = append(value, v...)
			}
		}
	}
	closeBlock()
	return blocks, probs.list()
}

// problemList collects the problems of one part, at most maxPartProblems of
// them: a hostile part of a million bad lines must not make a million
// errors.
type problemList struct {
	part    string
	errs    []error
	dropped int
}

func (l *problemList) add(err error) {
	if len(l.errs) < maxPartProblems {
		l.errs = append(l.errs, err)
	} else {
		l.dropped++
	}
}

// list returns the problems, the count of those left out last.
func (l *problemList) list() []error {
	if l.dropped > 0 {
		return append(l.errs, &ParseError{Part: l.part, Reason: fmt.Sprintf("%d more problems not listed", l.dropped)})
	}
	return l.errs
}
