package mssante

import (
	"strings"

	"github.com/emersion/go-message"
)

// contentType is h.ContentType() (mime.ParseMediaType, then RFC 2047
// decoding of the parameters), with a fast path for the values mailers
// write. A document mail has a dozen of these fields, and the general
// parser was a sixth of the cost of parsing one.
func contentType(h message.Header) (string, map[string]string, error) {
	if mt, params, ok := parseSimpleMediaType(h.Get("Content-Type")); ok {
		return mt, params, nil
	}
	return h.ContentType()
}

// contentDisposition is h.ContentDisposition() with the same fast path.
func contentDisposition(h message.Header) (string, map[string]string, error) {
	if d, params, ok := parseSimpleMediaType(h.Get("Content-Disposition")); ok {
		return d, params, nil
	}
	return h.ContentDisposition()
}

// parseSimpleMediaType gives what mime.ParseMediaType gives for a value of
// printable ASCII without RFC 2231 parameters ('*'), escapes ('\'),
// encoded words ("=?") or errors; for any other value it returns false,
// and the caller uses the general parser. FuzzSimpleMediaType checks the
// two agree.
func parseSimpleMediaType(v string) (string, map[string]string, bool) {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if (c < 0x20 && c != '\t') || c > 0x7e || c == '*' || c == '\\' || c == '=' && i+1 < len(v) && v[i+1] == '?' {
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
	v = v[len(base):]
	for {
		v = strings.TrimLeft(v, " \t")
		if v == "" {
			return mt, params, true
		}
		key, value, rest, ok := consumeSimpleParam(v)
		if !ok {
			if strings.TrimSpace(v) == ";" { // a trailing semicolon
				return mt, params, true
			}
			return "", nil, false
		}
		if old, dup := params[key]; dup && old != value {
			return "", nil, false
		}
		params[key] = value
		v = rest
	}
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
		if c := v[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return v[:i], v[i:]
		}
	}
	return v, ""
}
