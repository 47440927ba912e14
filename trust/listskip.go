package trust

import (
	"fmt"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// MaxSkippedRecorded is how many skipped entries a List keeps the details
// of; List.SkippedCount counts them all.
const MaxSkippedRecorded = 1000

// maxQuotedValue bounds the value kept in a SkippedEntry, in bytes.
const maxQuotedValue = 100

// SkippedEntry is a <Domaine> of the liste blanche that ParseList left out
// because one of its values is unusable. The entry is not in the List: its
// domain, if it has one, is outside the trust space unless another entry
// lists it.
type SkippedEntry struct {
	Line    int    `json:"line"`    // 1-based line where the problem was seen
	Element string `json:"element"` // the element at fault: "Nom", "DateMAJ", or "Domaine" for an entry without <Nom>
	Value   string `json:"value"`   // its value, trimmed, at most 100 bytes ("…" marks a cut)
	Reason  string `json:"reason"`  // why it is unusable, e.g. "an e-mail address, not a domain name"
}

// String gives e.g. `line 812: <Nom> "someone@sub.domain.mssante.fr": an
// e-mail address, not a domain name`.
func (e SkippedEntry) String() string {
	if e.Value == "" {
		return fmt.Sprintf("line %d: <%s>: %s", e.Line, e.Element, e.Reason)
	}
	return fmt.Sprintf("line %d: <%s> %q: %s", e.Line, e.Element, e.Value, e.Reason)
}

// Skipped returns the entries ParseList left out, in file order: at most
// MaxSkippedRecorded of them (SkippedCount says how many there were). Nil
// when none were.
func (l *List) Skipped() []SkippedEntry {
	if l == nil || len(l.skipped) == 0 {
		return nil
	}
	return append([]SkippedEntry(nil), l.skipped...)
}

// SkippedCount returns the number of entries ParseList left out.
func (l *List) SkippedCount() int {
	if l == nil {
		return 0
	}
	return l.skippedCount
}

func (l *List) addSkipped(e SkippedEntry) {
	l.skippedCount++
	if len(l.skipped) < MaxSkippedRecorded {
		l.skipped = append(l.skipped, e)
	}
}

// quoteValue keeps at most maxQuotedValue bytes of v, cut on a character
// boundary.
func quoteValue(v []byte) string { return textcut.Bytes(v, maxQuotedValue) }

// domainNameProblem says why a <Nom> value is not a domain name as mail
// addresses write it, or returns "". The rules are those of a host name
// (RFC 1123 §2.1, letters, digits and hyphens in labels of 1 to 63
// characters, 253 in all) with at least two labels; an IDN must be written
// as an A-label (xn--...), as List.Contains compares A-labels.
func domainNameProblem(v []byte) string {
	switch {
	case len(v) == 0:
		return "empty"
	case strings.IndexByte(string(v), '@') >= 0:
		return "an e-mail address, not a domain name"
	case len(v) > 253:
		return "longer than 253 characters"
	}
	labels := 0
	for start := 0; start <= len(v); {
		end := start
		for end < len(v) && v[end] != '.' {
			c := v[end]
			switch {
			case c >= 0x80:
				return "not ASCII (an IDN must be written as an A-label, xn--...)"
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-':
			default:
				return fmt.Sprintf("character %q is not allowed in a domain name", rune(c))
			}
			end++
		}
		label := v[start:end]
		switch {
		case len(label) == 0:
			return "empty label (leading, trailing or double dot)"
		case len(label) > 63:
			return "label longer than 63 characters"
		case label[0] == '-' || label[len(label)-1] == '-':
			return "label starting or ending with a hyphen"
		}
		labels++
		start = end + 1
	}
	if labels < 2 {
		return "a single label, not a fully qualified domain name"
	}
	return ""
}
