package annuaire

import (
	"unicode"
	"unicode/utf8"
)

// foldName appends to dst the search form of s: lower case, accents removed
// from Latin letters, every run of characters that are neither letters nor
// digits turned into one space, no leading or trailing space. "Jean-Marie
// LEFÈVRE" and "jean marie lefevre" fold to the same bytes, so a name prefix
// typed by a user matches whatever spelling the extraction uses.
//
// A small table covers the Latin-1 and Latin Extended-A letters found in
// French names; other letters are only lower-cased. This is cheaper than a
// full Unicode decomposition and enough for the Annuaire Santé data.
func foldName(dst []byte, s string) []byte {
	start := len(dst)
	space := true // drop leading separators
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				if !space {
					dst = append(dst, ' ')
					space = true
				}
				continue
			}
			dst = append(dst, c)
			space = false
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if f, ok := foldTable[r]; ok {
			dst = append(dst, f...)
			space = false
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			if !space {
				dst = append(dst, ' ')
				space = true
			}
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		space = false
	}
	if space && len(dst) > start {
		dst = dst[:len(dst)-1]
	}
	return dst
}

// FoldName returns the accent- and case-insensitive form used by
// [Index.ByNamePrefix]: lower case, no diacritics on Latin letters,
// punctuation and spaces collapsed to single spaces.
func FoldName(s string) string { return string(foldName(nil, s)) }

// foldTable maps accented Latin letters (both cases) to their base letters.
var foldTable = map[rune]string{
	'À': "a", 'Á': "a", 'Â': "a", 'Ã': "a", 'Ä': "a", 'Å': "a", 'Æ': "ae",
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'Ç': "c", 'ç': "c", 'Ć': "c", 'ć': "c", 'Č': "c", 'č': "c",
	'È': "e", 'É': "e", 'Ê': "e", 'Ë': "e", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e",
	'Ē': "e", 'ē': "e", 'Ė': "e", 'ė': "e", 'Ę': "e", 'ę': "e", 'Ě': "e", 'ě': "e",
	'Ì': "i", 'Í': "i", 'Î': "i", 'Ï': "i", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i",
	'Ñ': "n", 'ñ': "n", 'Ń': "n", 'ń': "n",
	'Ò': "o", 'Ó': "o", 'Ô': "o", 'Õ': "o", 'Ö': "o", 'Ø': "o", 'Œ': "oe",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'œ': "oe",
	'Ù': "u", 'Ú': "u", 'Û': "u", 'Ü': "u", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u",
	'Ý': "y", 'ý': "y", 'ÿ': "y", 'Ÿ': "y",
	'ß': "ss", 'Š': "s", 'š': "s", 'Ş': "s", 'ş': "s", 'Ž': "z", 'ž': "z",
	'Ł': "l", 'ł': "l",
}
