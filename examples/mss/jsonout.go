package main

import (
	"encoding/json"
	"io"

	"github.com/mssante-go/sdk/mssante/mail"
)

// The --json outputs follow one convention, described in JSON.md and
// checked by the tests on every command:
//
//   - one JSON object per run (mss sync: one object per line, JSON Lines),
//     never a bare array, so that fields can be added;
//   - keys in camelCase ("messageId", "dsnRequested"), acronyms as words
//     ("insOid", "hashOk"); the keys of a map are data and keep their
//     spelling (header names, mailbox types);
//   - an address is its bare addr-spec, "local@domain": no angle brackets,
//     no display name (a display name has a key of its own);
//   - times are RFC 3339 strings; a list is [] rather than null when empty.

// writeJSON prints v as one indented JSON object, HTML characters kept as
// they are (an address in <> or a CDA title with & stays readable).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSONLine prints v as one line, for the commands that stream
// (mss sync).
func writeJSONLine(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// jsonAddress is an address in JSON: the addr-spec alone.
func jsonAddress(a mail.Address) string { return a.Addr }

// jsonAddresses is a list of addresses in JSON, [] when empty.
func jsonAddresses(list []mail.Address) []string {
	out := make([]string, 0, len(list))
	for _, a := range list {
		out = append(out, jsonAddress(a))
	}
	return out
}
