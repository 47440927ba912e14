package mimeparse

import (
	"strings"

	"github.com/emersion/go-message"
)

// ContentType is h.ContentType() (mime.ParseMediaType, then RFC 2047
// decoding of the parameters), with a fast path for the values mailers
// write. A document mail has a dozen of these fields, and the general
// parser was a sixth of the cost of parsing one.
func ContentType(h message.Header) (string, map[string]string, error) {
	if mt, params, ok := parseSimpleMediaType(h.Get("Content-Type")); ok {
		return mt, params, nil
	}
	return h.ContentType()
}

// ContentDisposition is h.ContentDisposition() with the same fast path.
func ContentDisposition(h message.Header) (string, map[string]string, error) {
	if d, params, ok := parseSimpleMediaType(h.Get("Content-Disposition")); ok {
		return d, params, nil
	}
	return h.ContentDisposition()
}

// parseSimpleMediaType gives what go-message's ContentType gives
// (mime.ParseMediaType, then RFC 2047 decoding of the values) for a value
// of printable ASCII without escapes ('\'), encoded words ("=?"), RFC 2231
// continuations (name*0) or errors; RFC 2231 extended values in UTF-8
// (filename* set to the charset, an empty language and the percent-encoded
// name, which the encoder writes for non-ASCII names) are decoded. For any other value it returns false, and
// the caller uses the general parser. FuzzSimpleMediaType checks the two
// agree.
func parseSimpleMediaType(v string) (string, map[string]string, bool) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c > 0x7e || c == '\\' || c == '=' && i+1 < len(v) && v[i+1] == '?' {
			return "", nil, false
		}
	}
	base, _, _ := strings.Cut(v, ";")
	mt := strings.TrimSpace(strings.ToLower(base))
	typ, rest := consumeMIMEToken(mt)
	if typ == "" {
		return "", nil, false
	}
	if rest != "" {
		if rest[0] != '/' {
			return "", nil, false
		}
		if sub, rest := consumeMIMEToken(rest[1:]); sub == "" || rest != "" {
			return "", nil, false
		}
	}
	params := make(map[string]string)
	var extended map[string]string // name* -> its raw value
	v = v[len(base):]
	for {
		v = strings.TrimLeft(v, " \t")
		if v == "" {
			break
		}
		key, value, rest, ok := consumeSimpleParam(v)
		if !ok {
			if strings.TrimSpace(v) == ";" { // a trailing semicolon
				break
			}
			return "", nil, false
		}
		pmap := params
		if star := strings.IndexByte(key, '*'); star >= 0 {
			if star != len(key)-1 {
				return "", nil, false // a continuation
			}
			if extended == nil {
				extended = make(map[string]string)
			}
			pmap = extended
		}
		if old, dup := pmap[key]; dup && old != value {
			return "", nil, false
		}
		pmap[key] = value
		v = rest
	}
	// An extended value replaces the plain one, wherever it stands.
	for key, value := range extended {
		decoded, ok := decodeExtendedValue(value)
		if !ok || strings.Contains(decoded, "=?") {
			return "", nil, false
		}
		params[key[:len(key)-1]] = decoded
	}
	return mt, params, true
}

// decodeExtendedValue decodes an RFC 2231 value in UTF-8 or US-ASCII,
// charset'language'percent-encoded, or returns false.
func decodeExtendedValue(v string) (string, bool) {
	charset, v, ok := strings.Cut(v, "'")
	if !ok {
		return "", false
	}
	if _, v, ok = strings.Cut(v, "'"); !ok {
		return "", false
	}
	if !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		return "", false
	}
	if !strings.Contains(v, "%") {
		return v, true
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			out = append(out, v[i])
			continue
		}
		if i+2 >= len(v) || unhexDigit(v[i+1]) < 0 || unhexDigit(v[i+2]) < 0 {
			return "", false
		}
		out = append(out, byte(unhexDigit(v[i+1])<<4|unhexDigit(v[i+2])))
		i += 2
	}
	return string(out), true
}

func unhexDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// consumeSimpleParam reads `; name = value` (a token or a quoted string).
func consumeSimpleParam(v string) (key, value, rest string, ok bool) {
	rest, ok = strings.CutPrefix(v, ";")
	if !ok {
		return "", "", "", false
	}
	key, rest = consumeMIMEToken(strings.TrimLeft(rest, " \t"))
	if key == "" {
		return "", "", "", false
	}
	if rest, ok = strings.CutPrefix(strings.TrimLeft(rest, " \t"), "="); !ok {
		return "", "", "", false
	}
	rest = strings.TrimLeft(rest, " \t")
	if strings.HasPrefix(rest, `"`) {
		end := strings.IndexByte(rest[1:], '"')
		if end < 0 {
			return "", "", "", false
		}
		return strings.ToLower(key), rest[1 : 1+end], rest[2+end:], true
	}
	value, rest = consumeMIMEToken(rest)
	if value == "" {
		return "", "", "", false
	}
	return strings.ToLower(key), value, rest, true
}

// consumeMIMEToken splits off a leading RFC 2045 token.
func consumeMIMEToken(v string) (token, rest string) {
	for i := 0; i < len(v); i++ {
		if !mimeTokenChar[v[i]] {
			return v[:i], v[i:]
		}
	}
	return v, ""
}

// mimeTokenChar tells the bytes of an RFC 2045 token: printable ASCII but
// the tspecials.
var mimeTokenChar = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune(`()<>@,;:\"/[]?=`, c)
	}
	return t
}()
