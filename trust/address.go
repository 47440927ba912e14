package trust

import (
	"fmt"
	"strings"
)

// Checker is what a sender needs from the trust space. *List (a fixed list)
// and *Source (a list kept up to date) implement it; the mssante client's send
// guard takes one.
type Checker interface {
	// Contains reports whether domain is in the trust space (exact,
	// ASCII-case-insensitive match, never by suffix).
	Contains(domain string) bool
	// CheckAddress returns nil when address (an addr-spec, local@domain) may
	// receive MSSanté mail, and an *AddressError otherwise.
	CheckAddress(address string) error
}

var (
	_ Checker = (*List)(nil)
)

// Reason says why an address is outside the trust space.
type Reason int

// Reasons. The zero value is not used.
const (
	ReasonMalformed Reason = iota + 1 // the address is not of the form local@domain
	ReasonNotListed                   // its domain is not in the liste blanche
	ReasonNoList                      // no liste blanche is loaded, so no address is in
)

// String returns "malformed address", "domain not listed" or "no list loaded".
func (r Reason) String() string {
	switch r {
	case ReasonMalformed:
		return "malformed address"
	case ReasonNotListed:
		return "domain not listed"
	case ReasonNoList:
		return "no list loaded"
	}
	return "unknown reason"
}

// AddressError reports an address outside the trust space.
// errors.Is(err, ErrNotInTrustSpace) holds for every AddressError, and
// errors.Is(err, ErrNoList) too when Reason is ReasonNoList.
type AddressError struct {
	Address string // as given
	Domain  string // its domain part, "" when the address is malformed
	Reason  Reason
	Detail  string // a hint for a human, may be empty
}

func (e *AddressError) Error() string {
	msg := fmt.Sprintf("trust: %q is outside the MSSanté trust space: %s", e.Address, e.Explain())
	return msg
}

// Explain returns the reason and detail as one short phrase, without the
// address, e.g. "domain not listed (only exact names count; parent
// medecin.mssante.fr is listed)".
func (e *AddressError) Explain() string {
	if e.Detail == "" {
		return e.Reason.String()
	}
	return e.Reason.String() + " (" + e.Detail + ")"
}

// Is makes errors.Is work with ErrNotInTrustSpace and ErrNoList.
func (e *AddressError) Is(target error) bool {
	return target == ErrNotInTrustSpace || (target == ErrNoList && e.Reason == ReasonNoList)
}

// SplitAddress splits an addr-spec at its last '@'. It returns ok false for
// an address without local part or domain, with white space or control
// characters (spaces are allowed only inside a quoted local part, such as
// "a b"@x), with a domain literal ("[192.0.2.1]") or with angle brackets:
// pass the bare address, not "Name <address>".
func SplitAddress(address string) (local, domain string, ok bool) {
	at := strings.LastIndexByte(address, '@')
	if at <= 0 || at == len(address)-1 {
		return "", "", false
	}
	local, domain = address[:at], address[at+1:]
	quoted := len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"'
	for i := 0; i < len(address); i++ {
		c := address[i]
		if quoted && i > 0 && i < len(local)-1 && (c == ' ' || c == '<' || c == '>') {
			continue
		}
		if c <= ' ' || c == 0x7f || c == '<' || c == '>' {
			return "", "", false
		}
	}
	for i := 0; i < len(domain); i++ {
		switch domain[i] {
		case '[', ']', '"', ',', ';', '(', ')', '\\':
			return "", "", false
		}
	}
	return local, domain, true
}

// CheckAddress returns nil when address is in the trust space, and an
// *AddressError otherwise. Only the domain is checked: the list proves the
// domain, not that the mailbox exists (use the Annuaire Santé for that), and
// patient addresses (@patient.mssante.fr) also need the INS check of the
// local part, which is the sender's job.
func (l *List) CheckAddress(address string) error {
	_, domain, ok := SplitAddress(address)
	if !ok {
		return &AddressError{Address: address, Reason: ReasonMalformed}
	}
	if l == nil {
		return &AddressError{Address: address, Domain: domain, Reason: ReasonNoList}
	}
	if l.Contains(domain) {
		return nil
	}
	return &AddressError{Address: address, Domain: domain, Reason: ReasonNotListed, Detail: l.hint(domain)}
}

// hint explains a miss: a listed parent (suffix matching is not allowed) or a
// non-ASCII name.
func (l *List) hint(domain string) string {
	for i := 0; i < len(domain); i++ {
		if domain[i] >= 0x80 {
			return "non-ASCII domain; the list holds A-labels (xn--…)"
		}
	}
	d := lowerASCII(domain)
	for {
		dot := strings.IndexByte(d, '.')
		if dot < 0 {
			return ""
		}
		d = d[dot+1:]
		if _, ok := l.domains[d]; ok {
			return "only exact names count; parent " + d + " is listed"
		}
	}
}

// RecipientsError lists every address of a batch that is outside the trust
// space. errors.Is(err, ErrNotInTrustSpace) holds.
type RecipientsError struct {
	Total   int             // number of addresses checked
	Outside []*AddressError // in the order given; never empty
}

func (e *RecipientsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "trust: %d of %d recipients outside the MSSanté trust space: ", len(e.Outside), e.Total)
	for i, ae := range e.Outside {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%q (%s)", ae.Address, ae.Explain())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotInTrustSpace) true, and errors.Is(err,
// ErrNoList) when the failures come from a missing list.
func (e *RecipientsError) Is(target error) bool {
	if target == ErrNotInTrustSpace {
		return true
	}
	return target == ErrNoList && len(e.Outside) > 0 && e.Outside[0].Reason == ReasonNoList
}

// CheckAll checks every address with c and returns nil when all are in, or
// a *RecipientsError naming each address that is out: a send guard refuses
// the whole message before any byte goes out. A nil c refuses everything
// with ReasonNoList.
func CheckAll(c Checker, addresses []string) error {
	var out []*AddressError
	for _, a := range addresses {
		var err error
		if c == nil {
			err = (*List)(nil).CheckAddress(a)
		} else {
			err = c.CheckAddress(a)
		}
		if err == nil {
			continue
		}
		ae, ok := err.(*AddressError)
		if !ok {
			ae = &AddressError{Address: a, Reason: ReasonNotListed, Detail: err.Error()}
		}
		out = append(out, ae)
	}
	if len(out) == 0 {
		return nil
	}
	return &RecipientsError{Total: len(addresses), Outside: out}
}
