// Package storekeys lays out the ordered index keys that the memory store
// and the bbolt store share, so that both answer the queries of
// delivery.Store alike, and encodes page tokens.
//
// A key is a kind byte, then fields in an order that sorts as the query
// does: times as 8 bytes big-endian (microseconds since 1970, sign bit
// flipped), variable strings inside a key prefixed by their length
// (uvarint), the Message-ID last and unprefixed.
package storekeys

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"
)

// Kinds of keys.
const (
	kindCreated       = 'c' // time, id: every tracked message
	kindUnsettled     = 'u' // time, id
	kindSettled       = 's' // time, id
	kindAwaitDelivery = 'd' // time, id
	kindAwaitRead     = 'r' // time, id
	kindEnvelope      = 'e' // envid, id
	kindRecipient     = 'R' // mailbox key, time, id
	kindState         = 'S' // state, time, id
	kindOutboxCreated = 'C' // time, id
	kindOutboxDue     = 'D' // due, created, id
)

// MessageFields are the indexed fields of a tracked message
// (delivery.MessageIndex).
type MessageFields struct {
	EnvelopeID                     string
	Created                        time.Time
	Settled                        bool
	AwaitingDelivery, AwaitingRead time.Time
	Recipients                     []string
	States                         []string
}

// Message returns the index keys of a tracked message.
func Message(id string, f MessageFields) []string {
	keys := []string{timeKey(kindCreated, f.Created, id), lenKey(kindEnvelope, f.EnvelopeID) + id}
	if f.Settled {
		keys = append(keys, timeKey(kindSettled, f.Created, id))
	} else {
		keys = append(keys, timeKey(kindUnsettled, f.Created, id))
	}
	if !f.AwaitingDelivery.IsZero() {
		keys = append(keys, timeKey(kindAwaitDelivery, f.AwaitingDelivery, id))
	}
	if !f.AwaitingRead.IsZero() {
		keys = append(keys, timeKey(kindAwaitRead, f.AwaitingRead, id))
	}
	seen := map[string]bool{}
	for _, r := range f.Recipients {
		if !seen[r] {
			seen[r] = true
			keys = append(keys, lenKey(kindRecipient, r)+string(Time(f.Created))+id)
		}
	}
	for _, s := range f.States {
		keys = append(keys, lenKey(kindState, s)+string(Time(f.Created))+id)
	}
	return keys
}

// Outbox returns the index keys of an outbox entry.
func Outbox(id string, created, due time.Time) []string {
	return []string{
		timeKey(kindOutboxCreated, created, id),
		string([]byte{kindOutboxDue}) + string(Time(due)) + string(Time(created)) + id,
	}
}

// Time encodes t to the microsecond so that byte order is time order.
func Time(t time.Time) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixMicro())^(1<<63))
	return b[:]
}

// ParseTime decodes Time's encoding.
func ParseTime(b []byte) time.Time {
	return time.UnixMicro(int64(binary.BigEndian.Uint64(b) ^ (1 << 63))).UTC()
}

func timeKey(kind byte, t time.Time, id string) string {
	return string([]byte{kind}) + string(Time(t)) + id
}

func lenKey(kind byte, s string) string {
	b := []byte{kind}
	b = binary.AppendUvarint(b, uint64(len(s)))
	return string(b) + s
}

// Diff returns the keys of old that are not in new, and those of new not
// in old.
func Diff(old, new []string) (gone, added []string) {
	in := make(map[string]bool, len(old))
	for _, k := range old {
		in[k] = true
	}
	kept := make(map[string]bool, len(new))
	for _, k := range new {
		kept[k] = true
		if !in[k] {
			added = append(added, k)
		}
	}
	for _, k := range old {
		if !kept[k] {
			gone = append(gone, k)
		}
	}
	return gone, added
}

// Range is a run of keys in order: those that start with Prefix, at or
// after Start and before End (End empty: to the end of the prefix).
type Range struct {
	Prefix, Start, End string
	timed              bool // keys are Prefix, a time, the Message-ID
}

// Contains reports whether key is in the range, given that key >= Start.
func (r Range) Contains(key string) bool {
	if len(key) < len(r.Prefix) || key[:len(r.Prefix)] != r.Prefix {
		return false
	}
	return r.End == "" || key < r.End
}

// Split returns the time and the Message-ID of a key of the range.
func (r Range) Split(key string) (time.Time, string) {
	rest := key[len(r.Prefix):]
	if !r.timed || len(rest) < 8 {
		return time.Time{}, rest
	}
	return ParseTime([]byte(rest[:8])), rest[8:]
}

// Query is what the stores scan for a query: the range of one index,
// from the page token after, up to before (exclusive; zero: no bound).
func timedRange(prefix string, after string, before time.Time) (Range, error) {
	r := Range{Prefix: prefix, Start: prefix, timed: true}
	if after != "" {
		t, id, err := ParseToken(after)
		if err != nil {
			return Range{}, err
		}
		r.Start = prefix + string(Time(t)) + id + "\x00"
	}
	if !before.IsZero() {
		r.End = prefix + string(Time(before))
	}
	return r, nil
}

// Messages returns the range of the index a message query scans: the
// recipient's, else the state's, else the unsettled messages', else every
// message's. Conditions the index does not cover are left to the caller's
// filter.
func Messages(recipient, state string, unsettled bool, createdBefore time.Time, after string) (Range, error) {
	switch {
	case recipient != "":
		return timedRange(lenKey(kindRecipient, recipient), after, createdBefore)
	case state != "":
		return timedRange(lenKey(kindState, state), after, createdBefore)
	case unsettled:
		return timedRange(string([]byte{kindUnsettled}), after, createdBefore)
	}
	return timedRange(string([]byte{kindCreated}), after, createdBefore)
}

// Due returns the range of messages awaiting a delivery report (delivery
// true) or a read receipt since a time at or before before.
func Due(delivery bool, before time.Time, after string) (Range, error) {
	kind := byte(kindAwaitRead)
	if delivery {
		kind = kindAwaitDelivery
	}
	return timedRange(string([]byte{kind}), after, before.Add(time.Microsecond))
}

// Settled returns the range of settled messages created before a time.
func Settled(before time.Time) Range {
	r, _ := timedRange(string([]byte{kindSettled}), "", before)
	return r
}

// Envelope returns the range of the messages with an ENVID.
func Envelope(envelopeID string) Range {
	p := lenKey(kindEnvelope, envelopeID)
	return Range{Prefix: p, Start: p}
}

// OutboxCreated returns the range of outbox entries from a page token.
func OutboxCreated(after string) (Range, error) {
	return timedRange(string([]byte{kindOutboxCreated}), after, time.Time{})
}

// OutboxDue returns the range of entries due at or before now. Its keys
// split into the due time and the rest: use DueID for the Message-ID.
func OutboxDue(now time.Time) Range {
	r, _ := timedRange(string([]byte{kindOutboxDue}), "", now.Add(time.Microsecond))
	return r
}

// OutboxDueAll returns the range of every entry by due time.
func OutboxDueAll() Range {
	p := string([]byte{kindOutboxDue})
	return Range{Prefix: p, Start: p}
}

// DueID returns the Message-ID of a key of OutboxDue.
func DueID(key string) string { return key[1+16:] }

// DueTime returns the due time of a key of OutboxDue.
func DueTime(key string) time.Time { return ParseTime([]byte(key[1:9])) }

// Token encodes a position in a query's order as an opaque page token,
// safe in a URL.
func Token(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString(append(Time(t), id...))
}

// ErrToken is the error of a page token not made by Token.
var ErrToken = errors.New("delivery: invalid page token")

// ParseToken decodes Token's encoding.
func ParseToken(tok string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 9 {
		return time.Time{}, "", ErrToken
	}
	return ParseTime(b[:8]), string(b[8:]), nil
}
