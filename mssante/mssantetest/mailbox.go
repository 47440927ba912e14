package mssantetest

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// MailboxType is the type of a mailbox (BAL), TRE_R257-TypeBAL: the values
// of annuaire.MailboxType, with the same constant names, so that a mailbox
// read from the Annuaire converts with MailboxType(row.Type). It decides how
// Config authenticates: a certificate for APP, Pro Santé Connect style
// tokens for the others.
type MailboxType string

// Mailbox types.
const (
	MailboxPER MailboxType = "PER" // a health professional's personal mailbox
	MailboxORG MailboxType = "ORG" // an organisational mailbox (a service, a secretariat)
	MailboxAPP MailboxType = "APP" // a program's mailbox, authenticated by certificate
)

// Mailbox is a mailbox held by the server. Its fields are set by AddMailbox
// and read-only afterwards.
type Mailbox struct {
	Address  string
	Type     MailboxType
	Password string // for AUTH PLAIN, test operators only
	// NationalIDs are the professionals whose Pro Santé Connect tokens open
	// the mailbox when Options.VerifyToken is set (MailboxOptions).
	NationalIDs []string

	user      *imapmemserver.User
	closed    bool     // a closed Mon Espace Santé mailbox: mail to it bounces
	delivered [][]byte // copies of what was delivered, for Messages
}

// Folders every new mailbox has.
var defaultFolders = []string{"INBOX", "Sent", "Trash"}

// ErrUnknownMailbox is returned for an address the server does not hold.
var ErrUnknownMailbox = errors.New("mssantetest: unknown mailbox")

// MailboxOptions configure a new mailbox. A nil *MailboxOptions means
// defaults.
type MailboxOptions struct {
	// NationalIDs are the national identifiers (IdNat_PS, as Pro Santé
	// Connect's SubjectNameID) of the professionals allowed to open the
	// mailbox with a token when Options.VerifyToken is set: the holder of a
	// personal mailbox, the people a structure lets use an organisational
	// one. Nil: no token vouched for by Options.VerifyToken opens it. Without
	// Options.VerifyToken they are not used.
	NationalIDs []string
}

// AddMailbox creates a mailbox with the folders INBOX, Sent and Trash and a
// random password. Its domain must be one of the server's.
func (s *Server) AddMailbox(address string, typ MailboxType, opts *MailboxOptions) (*Mailbox, error) {
	address = normalise(address)
	if !s.isLocal(domainOf(address)) {
		return nil, fmt.Errorf("mssantetest: %s is not in a domain of this server", address)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.mailboxes[address]; ok {
		return nil, fmt.Errorf("mssantetest: mailbox %s exists", address)
	}
	mb := &Mailbox{Address: address, Type: typ, Password: randomHex(12)}
	if opts != nil {
		mb.NationalIDs = append([]string(nil), opts.NationalIDs...)
	}
	mb.user = imapmemserver.NewUser(address, mb.Password)
	for _, f := range defaultFolders {
		if err := mb.user.Create(f, nil); err != nil {
			return nil, err
		}
	}
	s.mailboxes[address] = mb
	return mb, nil
}

// MustAddMailbox is AddMailbox for tests: it panics on error.
func (s *Server) MustAddMailbox(address string, typ MailboxType, opts *MailboxOptions) *Mailbox {
	mb, err := s.AddMailbox(address, typ, opts)
	if err != nil {
		panic(err)
	}
	return mb
}

func (s *Server) mailbox(address string) *Mailbox {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mailboxes[normalise(address)]
}

// Token issues a new XOAUTH2 bearer token for the mailbox, valid until
// RevokeToken: what Pro Santé Connect would give its owner. With
// Options.VerifyToken set, the server accepts none of its own tokens.
func (s *Server) Token(address string) (string, error) {
	if s.mailbox(address) == nil {
		return "", ErrUnknownMailbox
	}
	tok := "psc-test-" + randomHex(16)
	s.mu.Lock()
	s.tokens[tok] = normalise(address)
	s.mu.Unlock()
	return tok, nil
}

// RevokeToken makes a token invalid, as when it expires.
func (s *Server) RevokeToken(token string) {
	s.mu.Lock()
	delete(s.tokens, token)
	s.mu.Unlock()
}

func (s *Server) tokenOwner(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// tokenOpens reports whether a bearer token opens the mailbox user names,
// and returns the mailbox's address: a token the server issued for it, or,
// with Options.VerifyToken, a token the identity provider issued to one of
// its NationalIDs.
func (s *Server) tokenOpens(user, token string) (string, bool) {
	mb := s.mailbox(user)
	if mb == nil || token == "" {
		return "", false
	}
	if s.opts.VerifyToken == nil {
		return mb.Address, s.tokenOwner(token) == mb.Address
	}
	id, err := s.opts.VerifyToken(token)
	if err != nil || id == "" || !slices.Contains(mb.NationalIDs, id) {
		return "", false
	}
	return mb.Address, true
}

// ClientCertificate issues a client certificate for an applicative mailbox,
// signed by the server's PKI: the certificate a BAL APP presents in TLS
// before SASL EXTERNAL.
func (s *Server) ClientCertificate(address string) (tls.Certificate, error) {
	if s.mailbox(address) == nil {
		return tls.Certificate{}, ErrUnknownMailbox
	}
	return s.pki.ClientCertificate(normalise(address), "1750803447")
}

// CloseMailbox marks a mailbox closed: mail to it bounces with 5.2.1, as
// Mon Espace Santé does for a closed patient space.
func (s *Server) CloseMailbox(address string) error {
	mb := s.mailbox(address)
	if mb == nil {
		return ErrUnknownMailbox
	}
	s.mu.Lock()
	mb.closed = true
	s.mu.Unlock()
	return nil
}

// RecreateFolder deletes a folder and creates it again, empty, with a new
// UIDVALIDITY: what a client must detect to resynchronise.
func (s *Server) RecreateFolder(address, folder string) error {
	mb := s.mailbox(address)
	if mb == nil {
		return ErrUnknownMailbox
	}
	if err := mb.user.Delete(folder); err != nil {
		return err
	}
	return mb.user.Create(folder, nil)
}

// Deliver appends a raw message to a folder of a mailbox, as a local
// delivery would (no Return-Path is added). It returns the message's UID,
// the number mssante.Client.Fetch takes.
func (s *Server) Deliver(address, folder string, raw []byte) (uint32, error) {
	mb := s.mailbox(address)
	if mb == nil {
		return 0, ErrUnknownMailbox
	}
	data, err := mb.user.Append(folder, literal(raw), &imap.AppendOptions{Time: s.opts.Clock.Now()})
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	mb.delivered = append(mb.delivered, append([]byte(nil), raw...))
	s.mu.Unlock()
	return uint32(data.UID), nil
}

// Messages returns copies of the raw messages delivered to a mailbox so
// far (by SMTP, as DSNs, or by Deliver), oldest first, whatever happened to
// them in IMAP since.
func (s *Server) Messages(address string) ([][]byte, error) {
	mb := s.mailbox(address)
	if mb == nil {
		return nil, ErrUnknownMailbox
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(mb.delivered))
	for i, m := range mb.delivered {
		out[i] = append([]byte(nil), m...)
	}
	return out, nil
}

// literal adapts bytes to imap.LiteralReader.
type literalReader struct {
	*bytes.Reader
	size int64
}

func (l literalReader) Size() int64 { return l.size }

func literal(b []byte) imap.LiteralReader {
	return literalReader{bytes.NewReader(b), int64(len(b))}
}

func normalise(address string) string {
	address = strings.TrimSpace(strings.Trim(address, "<>"))
	if i := strings.LastIndexByte(address, '@'); i >= 0 {
		return address[:i] + "@" + strings.ToLower(address[i+1:])
	}
	return address
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
