package mail

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/mssante-go/sdk/internal/textcut"
)

// Header field names, spelled as the specifications write them. The
// encoder writes exactly these spellings; the parser matches without case.
const (
	// HeaderNIL carries the product reference of the sending software, given
	// by the ANS when the product is declared (Ref#2 ECO.2.4.3). Every
	// message has it.
	HeaderNIL = "X-MSS-NIL"
	// HeaderCodeCDA lists the code of each CDA document carried in an
	// IHE_XDM attachment, comma-separated (ECO.2.4.1). Absent otherwise.
	HeaderCodeCDA = "X-MSS-CODECDA"
	// HeaderINS is "O" when a qualified INS is present in the archive, "N"
	// otherwise (ECO.2.4.2). Absent without CDA.
	HeaderINS = "X-MSS-INS"
	// HeaderMES set to "FIN" ends a conversation with a patient: Mon Espace
	// Santé then forbids replies (ECO.2.2.8).
	HeaderMES = "X-MSS-MES"

	HeaderDispositionNotificationTo = "Disposition-Notification-To" // RFC 8098 read receipt request
	HeaderReturnReceiptTo           = "Return-Receipt-To"           // legacy delivery receipt request
	HeaderMessageID                 = "Message-ID"
)

// Values of the X-MSS-INS and X-MSS-MES headers.
const (
	INSQualified    = "O" // X-MSS-INS: a qualified INS is in the archive
	INSNotQualified = "N" // X-MSS-INS: no qualified INS in the archive
	MESEnd          = "FIN"
)

// ErrHeaderInjection is wrapped by a [*HeaderError] for a value that holds a
// line break or a NUL: written as is, it would add header fields of the
// attacker's choice.
var ErrHeaderInjection = errors.New("mail: header value contains CR, LF or NUL")

// ErrInvalidMessageID is wrapped by a [*HeaderError] for a Message-ID,
// In-Reply-To or References id that RFC 5322 §3.6.4 does not allow: empty
// ("<>"), with control characters, spaces, angle brackets or non-ASCII
// bytes, or, for the message's own Message-ID, without "@".
var ErrInvalidMessageID = errors.New("mail: invalid message id")

// ErrInvalidProductRef is wrapped by a [*HeaderError] for an X-MSS-NIL
// product reference that is not printable ASCII (ECO.2.4.3 gives references
// such as "DEV935997"; a header field holds ASCII only).
var ErrInvalidProductRef = errors.New("mail: X-MSS-NIL product reference must be printable ASCII")

// HeaderError reports a header value the encoder refuses.
type HeaderError struct {
	Field string // header field (or "filename" / "attachment content type")
	Value string
	Err   error
}

func (e *HeaderError) Error() string {
	return fmt.Sprintf("mail: header %s: %v (value %s)", e.Field, e.Err, textcut.Quote(e.Value))
}
func (e *HeaderError) Unwrap() error { return e.Err }

// checkHeaderValue refuses values that would break out of their field.
func checkHeaderValue(field, v string) error {
	if strings.ContainsAny(v, "\r\n\x00") {
		return &HeaderError{Field: field, Value: v, Err: ErrHeaderInjection}
	}
	return nil
}

// CheckMessageID reports whether id, without its angle brackets, can be
// written as a message id (printable ASCII without spaces or brackets):
// an *HeaderError wrapping ErrInvalidMessageID or ErrHeaderInjection when
// it cannot.
func CheckMessageID(id string) error { return checkMsgID(HeaderMessageID, id, false) }

// checkMsgID checks one message id as Validate writes it between angle
// brackets: printable ASCII without spaces or brackets, and for the
// message's own id (own) an "@" with something on both sides (RFC 5322
// msg-id = "<" id-left "@" id-right ">").
func checkMsgID(field, id string, own bool) error {
	if err := checkHeaderValue(field, id); err != nil {
		return err
	}
	bad := func(why string) error {
		return &HeaderError{Field: field, Value: id, Err: fmt.Errorf("%w: %s", ErrInvalidMessageID, why)}
	}
	v := strings.Trim(id, "<>")
	if v == "" {
		return bad("empty")
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20 || c == 0x7f:
			return bad("control character")
		case c == ' ':
			return bad("space")
		case c > 0x7f:
			return bad("non-ASCII byte")
		case c == '<' || c == '>':
			return bad("angle bracket inside the id")
		}
	}
	if own {
		at := strings.LastIndexByte(v, '@')
		if at <= 0 || at == len(v)-1 {
			return bad(`no "@" between two parts`)
		}
	}
	return nil
}

// CheckProductRef checks an X-MSS-NIL value: printable ASCII.
func CheckProductRef(v string) error {
	if err := checkHeaderValue(HeaderNIL, v); err != nil {
		return err
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c > 0x7e {
			return &HeaderError{Field: HeaderNIL, Value: v, Err: ErrInvalidProductRef}
		}
	}
	return nil
}

// fieldWriter collects header fields in order and formats them as folded
// RFC 5322 lines with the exact spelling of their names.
type fieldWriter struct {
	b strings.Builder
}

// add writes "Name: value" folded at white space to lines of at most 78
// characters where the value allows it. Values are already ASCII (encoded
// words) except where the caller knows otherwise.
func (f *fieldWriter) add(name, value string) {
	line := name + ":"
	words := strings.Split(value, " ")
	for i, w := range words {
		if i > 0 && len(line)+1+len(w) > 78 {
			f.b.WriteString(line)
			f.b.WriteString("\r\n")
			line = ""
		}
		line += " " + w
	}
	f.b.WriteString(line)
	f.b.WriteString("\r\n")
}

// encodeSubject returns s as the Subject field value: unchanged when it is
// printable ASCII; otherwise only the words that need it are RFC 2047
// Q-encoded UTF-8, one encoded word per run of such words (the spaces
// inside a run go inside the encoded word, since decoders drop white space
// between two encoded words), and the XDM/1.0/DDM+ prefix stays literal.
//
// Server rules that route document mails match "subject starts with
// XDM/1.0/DDM" on the raw header (CI-SIS, Transmission de documents CDA en
// HL7v2, cas d'usage), which a subject encoded whole would miss: 67 of the
// 114 JDV_J07 labels have accents. When the first word of the label is
// itself accented, its encoded word follows the prefix without a space:
// RFC 2047 §5 asks for white space around an encoded word, but the subject
// rule (ECO.2.1.3) has none there, and decoders (Go's mime, Python's email,
// Thunderbird) read such a word.
func encodeSubject(s string) string {
	if !needsEncodedWord(s) {
		return s
	}
	// The prefix also stays literal after the "[KO Intégration système !]
	// [<code>] " of an integration error report.
	if i := strings.Index(s, XDMSubjectPrefix); i >= 0 && (i == 0 || s[i-1] == ' ') {
		return encodeWords(s[:i]) + XDMSubjectPrefix + encodeWords(s[i+len(XDMSubjectPrefix):])
	}
	return encodeWords(s)
}

// encodeWords encodes the words of s that need it, one encoded word per
// run of them.
func encodeWords(s string) string {
	words := strings.Split(s, " ")
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); {
		if !needsEncodedWord(words[i]) {
			out = append(out, words[i])
			i++
			continue
		}
		// The run goes on over words that need encoding, and over blank
		// words (double spaces, tabs) followed by one: decoders drop the
		// white space between two encoded words.
		j := i + 1
		for j < len(words) {
			k := j
			for k < len(words) && strings.Trim(words[k], "\t") == "" {
				k++
			}
			if k == len(words) || !needsEncodedWord(words[k]) {
				break
			}
			j = k + 1
		}
		out = append(out, qEncodeWord(strings.Join(words[i:j], " ")))
		i = j
	}
	return strings.Join(out, " ")
}

// qEncodeWord returns s as RFC 2047 Q-encoded UTF-8 words. mime.QEncoding
// leaves printable ASCII as is, which is wrong for ASCII text that looks
// like an encoded word ("=?x?q?y?="): that case is encoded here.
func qEncodeWord(s string) string {
	if enc := mime.QEncoding.Encode("utf-8", s); enc != s {
		return enc
	}
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	n := 0 // encoded characters in the current word
	b.WriteString("=?utf-8?q?")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if n >= 60 { // 75-character words (RFC 2047 §2), 12 of them overhead
			b.WriteString("?= =?utf-8?q?")
			n = 0
		}
		switch {
		case c == ' ':
			b.WriteByte('_')
			n++
		case c > ' ' && c <= '~' && c != '=' && c != '?' && c != '_':
			b.WriteByte(c)
			n++
		default:
			b.WriteByte('=')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&15])
			n += 3
		}
	}
	b.WriteString("?=")
	return b.String()
}

// needsEncodedWord reports whether s cannot stand as is in an unstructured
// header: a byte outside printable ASCII (tab allowed), or text that a
// decoder would take for an encoded word.
func needsEncodedWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f || s[i] < 0x20 && s[i] != '\t' {
			return true
		}
	}
	return strings.Contains(s, "=?")
}

// formatAddressList joins addresses for To, Cc and the like.
func formatAddressList(list []Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.String()
		if i < len(list)-1 {
			parts[i] += ","
		}
	}
	return strings.Join(parts, " ")
}

// formatMsgID returns id between angle brackets.
func formatMsgID(id string) string {
	return "<" + strings.Trim(id, "<>") + ">"
}

// Replacers used when writing fields. They are built once: building one
// costs more than most of the replacements it does.
var (
	// quotedPairs escapes the content of an RFC 5322 quoted string.
	quotedPairs = strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	// oneLine folds a value onto one line (subjects, display names).
	oneLine = strings.NewReplacer("\r", " ", "\n", " ", "\x00", "")
	// hl7Separators blanks the separators of the CI-SIS error field
	// ("code^text^applicationErrorCondition").
	hl7Separators = strings.NewReplacer("^", " ", "|", " ", "\r", " ", "\n", " ")
)
