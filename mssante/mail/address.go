package mail

import (
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"

	"github.com/mssante-go/sdk/cda"
	"github.com/mssante-go/sdk/internal/textcut"
)

// PatientDomain is the domain of Mon Espace Santé mailboxes: a patient's
// address is <INS matricule>@patient.mssante.fr (Ref#2 §3.4.2, ECO.2.2.6).
const PatientDomain = "patient.mssante.fr"

// ErrInvalidAddress is wrapped by every [*AddressError].
var ErrInvalidAddress = errors.New("mail: invalid address")

// AddressError reports an address that cannot be used. It wraps
// ErrInvalidAddress and, for a patient address with a wrong INS, the
// [cda.INSError] (so errors.Is(err, cda.ErrINSKey) holds).
type AddressError struct {
	Input  string // the text that was parsed
	Reason string // why it was refused
	Err    error  // underlying error, if any
}

func (e *AddressError) Error() string {
	return fmt.Sprintf("mail: invalid address %s: %s", textcut.Quote(e.Input), e.Reason)
}

// Unwrap returns ErrInvalidAddress and the underlying error.
func (e *AddressError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrInvalidAddress, e.Err}
	}
	return []error{ErrInvalidAddress}
}

// Address is a mailbox: an optional display name and an RFC 5322 addr-spec.
// Addresses built by [ParseAddress] or [PatientAddress] have a lower-case
// domain and the local part as given.
type Address struct {
	Name string // display name, decoded; empty when absent
	Addr string // local@domain
}

// wordDecoder decodes RFC 2047 words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// ParseAddress parses a single mailbox, "dr.martin@medecin.mssante.fr" or
// "Dr_Marie_MARTIN <dr.martin@medecin.mssante.fr>", with RFC 2047 display
// names in any charset. Besides RFC 5322 syntax it requires an ASCII domain
// made of DNS labels with at least one dot (MSSanté domains are never
// internationalised), and, in the patient domain, that a local part made of
// digits (and 2A/2B) is a valid 15-character INS matricule: a typo in an INS
// is refused rather than sent to the wrong person. Other local parts of the
// patient domain (service mailboxes such as the ANS auto-reply test box) are
// accepted, and [Address.IsPatient] reports false for them.
func ParseAddress(s string) (Address, error) {
	p := mail.AddressParser{WordDecoder: wordDecoder}
	a, err := p.Parse(s)
	if err != nil {
		return Address{}, &AddressError{Input: s, Reason: err.Error()}
	}
	return checkAddress(s, a.Name, a.Address)
}

// ParseAddressList parses a comma-separated list of mailboxes, as found in
// To or Cc. An empty or blank string gives an empty list.
func ParseAddressList(s string) ([]Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	p := mail.AddressParser{WordDecoder: wordDecoder}
	list, err := p.ParseList(s)
	if err != nil {
		return nil, &AddressError{Input: s, Reason: err.Error()}
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		addr, err := checkAddress(s, a.Name, a.Address)
		if err != nil {
			return nil, err
		}
		out = append(out, addr)
	}
	return out, nil
}

// MustParseAddress is like [ParseAddress] but panics on error. It is meant for
// constants in programs and tests.
func MustParseAddress(s string) Address {
	a, err := ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// checkAddress applies the MSSanté rules to an addr-spec that net/mail has
// already accepted.
func checkAddress(input, name, spec string) (Address, error) {
	at := strings.LastIndexByte(spec, '@')
	if at <= 0 || at == len(spec)-1 {
		return Address{}, &AddressError{Input: input, Reason: "missing local part or domain"}
	}
	return checkParts(input, name, spec[:at], spec[at+1:])
}

// checkParts applies the MSSanté rules to a mailbox given as its display
// name, its local part (unquoted) and its domain.
func checkParts(input, name, local, domain string) (Address, error) {
	domain = strings.ToLower(domain)
	if reason := checkDomain(domain); reason != "" {
		return Address{}, &AddressError{Input: input, Reason: reason}
	}
	for i := 0; i < len(local); i++ {
		if c := local[i]; c < 0x20 || c >= 0x7f {
			return Address{}, &AddressError{Input: input, Reason: "local part must be printable ASCII"}
		}
	}
	if strings.ContainsAny(name, "\r\n\x00") {
		return Address{}, &AddressError{Input: input, Reason: "display name contains a line break or NUL"}
	}
	if !utf8.ValidString(name) {
		return Address{}, &AddressError{Input: input, Reason: "display name is not valid UTF-8"}
	}
	if domain == PatientDomain && looksLikeINS(local) {
		if err := cda.CheckMatricule(local); err != nil {
			return Address{}, &AddressError{Input: input, Reason: "patient address: " + err.Error(), Err: err}
		}
	}
	return Address{Name: name, Addr: addrSpec(local, domain)}, nil
}

// maxLocalPart is the longest local part RFC 5321 §4.5.3.1.1 allows.
const maxLocalPart = 64

// Validate checks an Address that may have been built by hand, not by
// ParseAddress, as Send does for every address it sends to or from: its Addr must be an RFC 5321 Mailbox, a dot-atom or a
// quoted string of at most 64 characters, one '@' outside the quotes, and
// a domain. Without this,
// "victim@evil.com@ch.mssante.fr" (two '@'), a source route
// "@evil.com:victim@ch.mssante.fr" or "a>,<evil@evil.com@ch.mssante.fr"
// would reach the trust check whole, be judged by their last domain, and go
// out as such in RCPT TO and in To.
func (a Address) Validate() error {
	local, domain, reason := splitMailbox(a.Addr)
	if reason != "" {
		return &AddressError{Input: a.Addr, Reason: reason}
	}
	// Only what is sent is held to the SMTP limit: received mail (a long
	// VERP Return-Path) still parses.
	if len(local) > maxLocalPart {
		return &AddressError{Input: a.Addr, Reason: "local part longer than 64 characters (RFC 5321 §4.5.3.1.1)"}
	}
	_, err := checkParts(a.Addr, a.Name, local, domain)
	return err
}

// splitMailbox parses an addr-spec with the RFC 5321 Mailbox grammar
// (§4.1.2): Local-part = Dot-string / Quoted-string, "@", Domain. It
// returns the local part unquoted, the domain as written, or why s is not
// a mailbox.
func splitMailbox(s string) (local, domain, reason string) {
	if s == "" {
		return "", "", "empty address"
	}
	var rest string
	if s[0] == '"' {
		var b strings.Builder
		i := 1
		for ; i < len(s) && s[i] != '"'; i++ {
			c := s[i]
			switch {
			case c == '\\':
				// quoted-pairSMTP: a backslash and any printable ASCII.
				if i+1 >= len(s) || s[i+1] < 0x20 || s[i+1] > 0x7e {
					return "", "", "bad quoted pair in the local part"
				}
				i++
				b.WriteByte(s[i])
			case c >= 0x20 && c <= 0x7e:
				b.WriteByte(c) // qtextSMTP
			default:
				return "", "", "quoted local part holds a character RFC 5321 does not allow"
			}
		}
		if i >= len(s) {
			return "", "", "unterminated quoted local part"
		}
		local, rest = b.String(), s[i+1:]
		if local == "" {
			return "", "", "empty quoted local part"
		}
	} else {
		at := strings.IndexByte(s, '@')
		if at < 0 {
			return "", "", "missing '@'"
		}
		local, rest = s[:at], s[at:]
		if local == "" {
			return "", "", "missing local part (a source route such as \"@host:user@domain\" is not allowed)"
		}
		if !isDotAtom(local) {
			return "", "", "local part is neither a dot-atom nor a quoted string (RFC 5321 Mailbox)"
		}
	}
	if !strings.HasPrefix(rest, "@") {
		return "", "", "missing '@' after the local part"
	}
	domain = rest[1:]
	if domain == "" {
		return "", "", "missing domain"
	}
	if strings.IndexByte(domain, '@') >= 0 {
		return "", "", "more than one '@' outside quotes"
	}
	return local, domain, ""
}

// addrSpec joins a local part (as net/mail returns it, unquoted) and a
// domain into the RFC 5321 form used on the wire: the local part is quoted
// when it is not a dot-atom, so that "a b"@x stays one mailbox.
func addrSpec(local, domain string) string {
	if isDotAtom(local) {
		return local + "@" + domain
	}
	return `"` + quotedPairs.Replace(local) + `"@` + domain
}

// isDotAtom reports whether s is an RFC 5322 dot-atom.
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// checkDomain returns why domain is not a usable DNS name, or "".
func checkDomain(d string) string {
	if len(d) > 253 {
		return "domain longer than 253 characters"
	}
	if !strings.Contains(d, ".") {
		return "domain must have at least two labels"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 {
			return "domain has an empty or over-long label"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "domain label starts or ends with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "domain must be ASCII letters, digits, hyphens and dots"
			}
		}
	}
	return ""
}

// looksLikeINS reports whether a patient-domain local part is meant as an
// INS matricule: only digits, and the Corsican letters A/B.
func looksLikeINS(local string) bool {
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !(c >= '0' && c <= '9' || c == 'A' || c == 'B' || c == 'a' || c == 'b') {
			return false
		}
	}
	return local != ""
}

// PatientAddress returns the Mon Espace Santé address of the patient whose
// INS matricule is ins (15 characters, key checked). Ref#2 ECO.2.2.6 requires
// the INS to be qualified: checking that is the caller's job (the INS comes
// from its identity server); this function checks the form and the key.
func PatientAddress(ins string) (Address, error) {
	if err := cda.CheckMatricule(ins); err != nil {
		return Address{}, &AddressError{Input: ins, Reason: "patient address: " + err.Error(), Err: err}
	}
	return Address{Addr: strings.ToUpper(ins) + "@" + PatientDomain}, nil
}

// LocalPart returns the part of the address before the last '@'.
func (a Address) LocalPart() string {
	if i := strings.LastIndexByte(a.Addr, '@'); i >= 0 {
		return a.Addr[:i]
	}
	return a.Addr
}

// Domain returns the part of the address after the last '@', as stored
// (lower case for parsed addresses).
func (a Address) Domain() string {
	if i := strings.LastIndexByte(a.Addr, '@'); i >= 0 {
		return a.Addr[i+1:]
	}
	return ""
}

// IsPatient reports whether a is a patient's Mon Espace Santé mailbox: the
// patient domain with an INS matricule whose key is right.
func (a Address) IsPatient() bool {
	_, ok := a.PatientINS()
	return ok
}

// PatientINS returns the INS matricule of a patient address, and false when a
// is not one.
func (a Address) PatientINS() (string, bool) {
	if !strings.EqualFold(a.Domain(), PatientDomain) {
		return "", false
	}
	local := a.LocalPart()
	if cda.CheckMatricule(local) != nil {
		return "", false
	}
	return local, true
}

// Equal reports whether a and b are the same mailbox: the domain compared
// without case, the local part exactly (RFC 5321 §2.4), display names ignored.
func (a Address) Equal(b Address) bool {
	return a.LocalPart() == b.LocalPart() && strings.EqualFold(a.Domain(), b.Domain())
}

// String formats the address for a header: the display name RFC 2047-encoded
// when it is not ASCII, quoted when needed, then the addr-spec.
func (a Address) String() string {
	if a.Name == "" {
		return "<" + a.Addr + ">"
	}
	return formatPhrase(a.Name) + " <" + a.Addr + ">"
}

// formatPhrase formats a display name. Printable ASCII names are quoted by
// net/mail. Other names are RFC 2047 words: Q-encoded when every character of the
// words is atext (readable in a phrase), else B-encoded, since Go's Q
// encoding leaves characters such as '\' or '"' that a phrase cannot hold.
func formatPhrase(name string) string {
	for i := 0; i < len(name); i++ {
		// Non-ASCII and control characters cannot stand in a phrase.
		if c := name[i]; c >= 0x7f || c < 0x20 {
			q := mime.QEncoding.Encode("utf-8", name)
			if isPhraseAtoms(q) {
				return q
			}
			return mime.BEncoding.Encode("utf-8", name)
		}
	}
	// net/mail formats the phrase of an ASCII name.
	const placeholder = "x@x"
	s := (&mail.Address{Name: name, Address: placeholder}).String()
	return strings.TrimSuffix(s, " <"+placeholder+">")
}

// isPhraseAtoms reports whether s is atext atoms separated by spaces.
func isPhraseAtoms(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0) {
			return false
		}
	}
	return true
}

// IsZero reports whether a has no address.
func (a Address) IsZero() bool { return a.Addr == "" }
