package annuaire

import (
	"io"
	"strings"
)

// nextBlock returns the next run of whole lines of the file, end-of-lines
// included: the rest of the current chunk up to its last newline (about a
// megabyte), or the last line at the end of the input. It is how the Index
// reads, so that splitting lines can run on other goroutines while this one
// reads; Line is not advanced. A line too long for the buffer gives a
// *RowError whose Line is meaningless (the caller numbers it), io.EOF ends
// the input, and any other error is final.
func (er *ExtractionReader) nextBlock() (string, error) {
	for {
		rest := er.chunk[er.pos:]
		if i := strings.LastIndexByte(rest, '\n'); i >= 0 {
			er.pos += i + 1
			return rest[:i+1], nil
		}
		if er.eof {
			if rest != "" {
				er.pos = len(er.chunk)
				return rest, nil
			}
			if er.err == nil {
				er.err = io.EOF
			}
			return "", er.err
		}
		if err := er.refill(); err != nil {
			return "", err
		}
	}
}
