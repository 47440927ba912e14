package annuaire

import (
	"hash/maphash"
	"strings"
)

// blockParser checks the lines of a block of the file and extracts what
// the Index needs at load time: the mailbox type and the hash of each
// exact key. It splits a line only up to the last of these columns and
// counts the other separators, and it checks UTF-8 for the whole block at
// once: a line then costs a few vectorised byte searches instead of a
// byte-by-byte split of its 31 columns. A line is rejected with the same
// errors, in the same order, as [ExtractionReader.Read] would.
type blockParser struct {
	layout  *lineLayout
	maxLine int
	seed    maphash.Seed
	keep    int    // RowErrors kept per block; -1 keeps all
	slotOf  []int8 // field of the file -> wanted slot, or -1, up to the last wanted field
}

// Wanted slots: the columns split at load time.
const (
	slotType = 0 // the mailbox type; slot 1+k is the key of kind k
	numSlots = 1 + numKeys
)

func newBlockParser(l *lineLayout, maxLine int, seed maphash.Seed, keep int) *blockParser {
	p := &blockParser{layout: l, maxLine: maxLine, seed: seed, keep: keep}
	cols := [numSlots]Column{slotType: ColMailboxType}
	for k, kc := range keyColumns {
		cols[1+k] = kc.col
	}
	last := 0
	for _, c := range cols {
		last = max(last, l.fieldOf[c])
	}
	p.slotOf = make([]int8, last+1)
	for f := range p.slotOf {
		p.slotOf[f] = -1
	}
	for slot, c := range cols {
		if f := l.fieldOf[c]; f >= 0 {
			p.slotOf[f] = int8(slot)
		}
	}
	return p
}

// parsedBlock is a block of the file once parsed. Line numbers in it
// (rows, errs) count from the block's first line, which is only known once
// the blocks before it are parsed.
type parsedBlock struct {
	seq     int // order of the block in the file
	text    string
	lines   int
	rows    []rowPos
	hashes  [numKeys][]uint32 // per row; 0 for an empty key
	counts  typeCounts
	errs    []*RowError // Line counted from 1 in the block
	badRows int
	err     error // io.EOF after the last block, or why reading stopped
}

type typeCounts struct {
	per, org int
	other    map[MailboxType]int
}

func (p *blockParser) parse(b *parsedBlock, rowsHint int) {
	text := b.text
	bad := invalidUTF8(text, nil)
	b.rows = make([]rowPos, 0, rowsHint)
	for k := range b.hashes {
		b.hashes[k] = make([]uint32, 0, rowsHint)
	}
	lineNo := 0
	for pos := 0; pos < len(text); {
		start, end := pos, len(text)
		if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
			end = pos + i
		}
		pos = end + 1
		line := text[start:end]
		lineNo++
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(line) > p.maxLine {
			b.rowError(p, lineNo, line, ErrLineTooLong)
			continue
		}
		if len(line) == 0 || (line[0] == ' ' && strings.TrimSpace(line) == "") {
			continue
		}
		var vals [numSlots]string
		if !fieldCountOK(p.split(line, &vals), p.layout.nFields, line) {
			b.rowError(p, lineNo, line, ErrFieldCount)
			continue
		}
		for len(bad) > 0 && int(bad[0]) < start {
			bad = bad[1:]
		}
		if len(bad) > 0 && int(bad[0]) < start+len(line) {
			b.rowError(p, lineNo, line, ErrInvalidUTF8)
			continue
		}
		if err := checkAddress(vals[1+keyAddress]); err != nil {
			b.rowError(p, lineNo, line, err)
			continue
		}
		b.rows = append(b.rows, rowPos{off: uint32(start), line: uint32(lineNo - 1)})
		for k := range numKeys {
			b.hashes[k] = append(b.hashes[k], p.hashKey(vals[1+k], keyColumns[k].fold))
		}
		switch t := vals[slotType]; t {
		case "PER":
			b.counts.per++
		case "ORG":
			b.counts.org++
		default:
			if b.counts.other == nil {
				b.counts.other = make(map[MailboxType]int)
			}
			b.counts.other[MailboxType(t)]++
		}
	}
	b.lines = lineNo
}

// split stores the wanted fields of line in vals and returns the number of
// fields of the line. Vectorised byte searches find the few separators up
// to the last wanted field, and count the others.
func (p *blockParser) split(line string, vals *[numSlots]string) int {
	rest := line
	for f, slot := range p.slotOf {
		i := strings.IndexByte(rest, '|')
		if i < 0 {
			if slot >= 0 {
				vals[slot] = rest
			}
			return f + 1
		}
		if slot >= 0 {
			vals[slot] = rest[:i]
		}
		rest = rest[i+1:]
	}
	return len(p.slotOf) + 1 + strings.Count(rest, "|")
}

// hashKey returns the hash under which a key is indexed, or 0 for an
// empty key.
func (p *blockParser) hashKey(v string, fold bool) uint32 {
	v = trimKey(v)
	if v == "" {
		return 0
	}
	var buf [maxFoldKey]byte
	if fold {
		v = foldKey(v, buf[:])
	}
	return keyHash(p.seed, v)
}

func (b *parsedBlock) rowError(p *blockParser, lineNo int, line string, err error) {
	b.badRows++
	if p.keep < 0 || len(b.errs) < p.keep {
		b.errs = append(b.errs, &RowError{Line: lineNo, Text: clip(line), Err: err})
	}
}
