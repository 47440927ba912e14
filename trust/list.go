package trust

import (
	"sort"
	"time"
)

// Entry is one <Domaine> element of the liste blanche: a domain served by an
// operator, for one operator server certificate. Values are trimmed of
// surrounding white space; Domain keeps the case of the file.
type Entry struct {
	Domain             string    // <Nom>, e.g. "medecin.mssante.fr"
	Description        string    // <Description>
	OperatorDN         string    // <DNCertificatOperateur>: subject DN of the operator's IGC-Santé server certificate
	ResponsibleContact string    // <ResponsableContact>
	SupportContact     string    // <SupportContact>
	Updated            time.Time // <DateMAJ>; zero when the element is absent or empty
}

// Domain groups the entries of one domain name: the list holds one entry per
// (domain, operator certificate) pair.
type Domain struct {
	Name    string  // lower-case domain name
	Entries []Entry // in file order; never empty
}

// OperatorDNs returns the distinct operator certificate DNs of the domain, in
// file order.
func (d Domain) OperatorDNs() []string {
	out := make([]string, 0, len(d.Entries))
	for _, e := range d.Entries {
		dup := false
		for _, o := range out {
			if o == e.OperatorDN {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e.OperatorDN)
		}
	}
	return out
}

// List is a parsed liste blanche: the set of domains of the MSSanté trust
// space. A List is immutable, so it is safe for concurrent use; a nil *List
// is an empty list.
//
// Matching is exact on the whole domain name and ignores ASCII case. It never
// matches by suffix: "x.medecin.mssante.fr" is not in the trust space because
// "medecin.mssante.fr" is, and "mssante.fr" itself is not listed.
type List struct {
	generated    time.Time
	entries      int
	domains      map[string][]Entry // key: lower-case domain name
	skipped      []SkippedEntry     // the first MaxSkippedRecorded entries left out
	skippedCount int
}

// Generated returns the <DateDeGeneration> of the list.
func (l *List) Generated() time.Time {
	if l == nil {
		return time.Time{}
	}
	return l.generated
}

// Age returns how old the list is at now, from its generation date. A vendor
// alerts on a stale list with it (the ANS republishes the list as operators
// change; a list days old is suspect).
func (l *List) Age(now time.Time) time.Duration {
	if l == nil {
		return 0
	}
	return now.Sub(l.generated)
}

// Len returns the number of <Domaine> entries kept (skipped ones are not
// counted; see SkippedCount).
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return l.entries
}

// DomainCount returns the number of distinct domain names.
func (l *List) DomainCount() int {
	if l == nil {
		return 0
	}
	return len(l.domains)
}

// Domains returns the distinct domain names, lower-case and sorted.
func (l *List) Domains() []string {
	if l == nil {
		return nil
	}
	out := make([]string, 0, len(l.domains))
	for d := range l.domains {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Contains reports whether domain is in the trust space: an exact,
// ASCII-case-insensitive match of a <Nom> of the list. It does not allocate
// when domain is already lower case.
func (l *List) Contains(domain string) bool {
	if l == nil {
		return false
	}
	_, ok := l.domains[lowerASCII(domain)]
	return ok
}

// Lookup returns the entries of domain (matched as in Contains).
func (l *List) Lookup(domain string) (Domain, bool) {
	if l == nil {
		return Domain{}, false
	}
	key := lowerASCII(domain)
	e, ok := l.domains[key]
	if !ok {
		return Domain{}, false
	}
	return Domain{Name: key, Entries: append([]Entry(nil), e...)}, true
}

// lowerASCII lower-cases the ASCII letters of s, returning s itself (no
// allocation) when it has none in upper case. Non-ASCII bytes are kept: the
// list holds A-labels (punycode), so a U-label never matches.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
