package cda

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TS is an HL7 V3 point in time as written in the document:
// YYYY[MM[DD[hh[mm[ss[.fff]]]]]][+|-ZZzz], e.g. "20210401134745+0100".
// Keeping the text keeps the precision the author chose.
type TS string

// ErrTS reports a malformed HL7 timestamp.
var ErrTS = errors.New("cda: malformed HL7 timestamp")

// TSFromTime returns t to the second with its zone offset, the form the
// CI-SIS examples use.
func TSFromTime(t time.Time) TS { return TS(t.Format("20060102150405-0700")) }

// DateTS returns the day of t (YYYYMMDD), the precision of a birth date.
func DateTS(t time.Time) TS { return TS(t.Format("20060102")) }

// Time parses ts. A time without offset is read in loc (UTC when loc is nil).
func (ts TS) Time(loc *time.Location) (time.Time, error) {
	s := string(ts)
	if loc == nil {
		loc = time.UTC
	}
	zone := ""
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		s, zone = s[:i], s[i:]
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s) == 14+len(s[i:]) {
		s = s[:i] // drop fractions of a second
	}
	layouts := map[int]string{4: "2006", 6: "200601", 8: "20060102", 10: "2006010215", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[len(s)]
	if !ok || (zone != "" && len(zone) != 5) {
		return time.Time{}, fmt.Errorf("%w: %q", ErrTS, string(ts))
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%w: %q", ErrTS, string(ts))
		}
	}
	if zone != "" {
		t, err := time.Parse(layout+"-0700", s+zone)
		if err != nil {
			return time.Time{}, fmt.Errorf("%w: %q", ErrTS, string(ts))
		}
		return t, nil
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q", ErrTS, string(ts))
	}
	return t, nil
}

// UTC returns ts as an XDS DTM in UTC (YYYY[MM[DD[hh[mm[ss]]]]]), keeping its
// precision. A time with an offset is converted; a time without one, or with
// day precision or less, is returned as written. It returns "" when ts is
// malformed.
func (ts TS) UTC() string {
	s := string(ts)
	base := s
	if i := strings.IndexAny(s, "+-"); i >= 0 {
		base = s[:i]
	}
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	t, err := ts.Time(time.UTC)
	if err != nil {
		return ""
	}
	if len(base) <= 8 || len(base) == len(s) {
		return base
	}
	return t.UTC().Format("20060102150405")[:len(base)]
}

// badZone reports a timestamp whose date and time are right but whose
// timezone offset, a sign and digits, is not +hhmm or -hhmm, e.g.
// "20240106113623+100".
func (ts TS) badZone() (base, zone string, ok bool) {
	s := string(ts)
	i := strings.IndexAny(s, "+-")
	if i < 0 {
		return "", "", false
	}
	base, zone = s[:i], s[i:]
	if len(zone) < 2 || len(zone) > 6 || strings.Trim(zone[1:], "0123456789") != "" {
		return "", "", false
	}
	if _, err := TS(base).Time(nil); err != nil {
		return "", "", false
	}
	if _, err := ts.Time(nil); err == nil {
		return "", "", false
	}
	return base, zone, true
}
