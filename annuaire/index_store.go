package annuaire

import "strings"

// store holds the text of an indexed extraction and where each row's line
// sits in it. The text is kept as the blocks of whole lines the reader
// returned (about a megabyte each, viewed as strings without copying); a
// row costs 8 bytes. Loading splits only the few columns it indexes; the
// other columns are split again when a row is materialised, which costs
// ~100 ns per row returned and keeps loading to one pass over the text.
type store struct {
	blocks []textBlock
	starts []int32 // first row of each block, for binary search
	n      int     // number of rows
	layout lineLayout
}

// textBlock is a run of whole lines of the file and the rows among them
// (blank and bad lines have none).
type textBlock struct {
	text      string
	firstLine int // line number of the first line of text
	rows      []rowPos
}

// rowPos locates a row's line in its block.
type rowPos struct {
	off  uint32 // offset of the line in the block's text
	line uint32 // line number, counted from the block's first line (0)
}

// lineLayout says where the columns are in a line, from the header.
type lineLayout struct {
	colOf   []int8          // field of the file -> Column, or -1
	fieldOf [NumColumns]int // Column -> field of the file, or -1
	nFields int             // fields in the header
}

func newLineLayout(er *ExtractionReader) lineLayout {
	l := lineLayout{colOf: er.colOf, nFields: er.nFields}
	for c := range l.fieldOf {
		l.fieldOf[c] = -1
	}
	for f, c := range er.colOf {
		if c >= 0 {
			l.fieldOf[c] = f
		}
	}
	return l
}

// add appends a block and its rows.
func (s *store) add(b textBlock) {
	s.blocks = append(s.blocks, b)
	s.starts = append(s.starts, int32(s.n))
	s.n += len(b.rows)
}

// locate returns the block of row i and the row's position in it.
func (s *store) locate(i int32) (*textBlock, rowPos) {
	lo, hi := 0, len(s.starts) // the last block starting at or before i
	for hi-lo > 1 {
		m := int(uint(lo+hi) >> 1)
		if s.starts[m] <= i {
			lo = m
		} else {
			hi = m
		}
	}
	b := &s.blocks[lo]
	return b, b.rows[i-s.starts[lo]]
}

// line returns the text of the line at p, without its end-of-line.
func (b *textBlock) line(p rowPos) string {
	line := b.text[p.off:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// field returns column c of row i.
func (s *store) field(i int32, c Column) string {
	b, p := s.locate(i)
	return fieldAt(b.line(p), s.layout.fieldOf[c])
}

// fieldAt returns field f (0-based) of line, or "" for f < 0.
func fieldAt(line string, f int) string {
	if f < 0 {
		return ""
	}
	for ; f > 0; f-- {
		i := strings.IndexByte(line, '|')
		if i < 0 {
			return ""
		}
		line = line[i+1:]
	}
	if i := strings.IndexByte(line, '|'); i >= 0 {
		return line[:i]
	}
	return line
}

func (s *store) row(i int32) Row {
	b, p := s.locate(i)
	return s.layout.makeRow(b, p)
}

func (l *lineLayout) makeRow(b *textBlock, p rowPos) Row {
	line := b.line(p)
	var spans [NumColumns]span
	splitLine(line, l.colOf, &spans)
	return makeRow(line, &spans, int32(b.firstLine+int(p.line)))
}

// all yields every row in file order.
func (s *store) all(yield func(int32, Row) bool) {
	i := int32(0)
	for bi := range s.blocks {
		b := &s.blocks[bi]
		for _, p := range b.rows {
			if !yield(i, s.layout.makeRow(b, p)) {
				return
			}
			i++
		}
	}
}
