package mssante

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"
	"golang.org/x/oauth2"

	"github.com/mssante-go/sdk/internal/textcut"
	"github.com/mssante-go/sdk/trust"
)

// Sentinel errors of the client; the error types below wrap them.
var (
	ErrConnect           = errors.New("mssante: cannot connect to the operator")
	ErrTLS               = errors.New("mssante: TLS with the operator failed")
	ErrAuth              = errors.New("mssante: authentication refused")
	ErrRecipientRejected = errors.New("mssante: recipient rejected")
	ErrMessageTooLarge   = errors.New("mssante: message larger than the operator accepts")
	ErrCapability        = errors.New("mssante: server capability missing")
	// ErrTransaction: the operator refused the message itself (MAIL FROM,
	// DATA or the content; see [TransactionError]).
	ErrTransaction = errors.New("mssante: message refused by the operator")
	// ErrNotFound: no message has the UID in the folder (see
	// [NotFoundError]).
	ErrNotFound = errors.New("mssante: no such message")
	// ErrOutsideTrustSpace: a recipient is not an MSSanté address; nothing
	// was sent (see [TrustError]). It is trust.ErrNotInTrustSpace, the one
	// sentinel of the concept, under the name this package always gave it
	// (as os.ErrNotExist is fs.ErrNotExist).
	ErrOutsideTrustSpace = trust.ErrNotInTrustSpace
	// ErrClosed: the client was closed.
	ErrClosed = errors.New("mssante: client closed")
	// ErrFolder: the IMAP server refused an operation on a folder (see
	// [FolderError]).
	ErrFolder = errors.New("mssante: folder operation refused")
	// ErrFolderNotFound: the folder does not exist (see
	// [FolderError.NotFound]).
	ErrFolderNotFound = errors.New("mssante: folder not found")
)

// ConnectError reports a server that could not be reached.
type ConnectError struct {
	Server string // host:port
	Err    error
}

func (e *ConnectError) Error() string {
	return fmt.Sprintf("mssante: cannot connect to %s: %v", e.Server, e.Err)
}
func (e *ConnectError) Unwrap() []error { return []error{ErrConnect, e.Err} }

// TLSError reports a failed TLS handshake, most often a certificate that
// does not chain to the configured anchors (IGC-Santé). Err is the
// crypto/tls or crypto/x509 error (x509.UnknownAuthorityError,
// x509.CertificateInvalidError, x509.HostnameError…), usable with errors.As.
type TLSError struct {
	Server string
	// Subject and Issuer describe the certificate the server presented,
	// when it presented one.
	Subject, Issuer string
	Err             error
}

func (e *TLSError) Error() string {
	s := "mssante: TLS with " + e.Server + " failed"
	if e.Subject != "" {
		s += " (certificate " + e.Subject + ", issued by " + e.Issuer + ")"
	}
	return s + ": " + e.Err.Error()
}
func (e *TLSError) Unwrap() []error { return []error{ErrTLS, e.Err} }

// AuthError reports that the client could not authenticate: the server
// refused the credentials, or the token source (Config.Auth's
// oauth2.TokenSource) gave no token. Status holds the XOAUTH2 JSON status
// ("401" for an expired or invalid token) when the server sent one.
//
// It never holds the token or password: a server that quotes the refused
// SASL response (in clear or base64, whole or truncated) has that part of
// Message replaced by "[REDACTED]" before the client keeps it, and the
// audit events carry this AuthError, not the server's raw text.
type AuthError struct {
	Server    string
	Mechanism string
	Code      int    // SMTP reply code, 0 for IMAP
	Status    string // XOAUTH2 status
	Message   string // the server's text, echoes of the credentials redacted
	// Err is the token source's error, when it gave no token: at the
	// connection, or when asked for a new one after the server refused the
	// last (status 401). Nil otherwise. A psc.Session's errors arrive
	// here: errors.Is(err, psc.ErrSessionEnded) holds on the client's
	// error once the Pro Santé Connect session has ended.
	Err error
}

func (e *AuthError) Error() string {
	s := fmt.Sprintf("mssante: %s authentication to %s refused", e.Mechanism, e.Server)
	if e.Code != 0 {
		s += fmt.Sprintf(" (%d)", e.Code)
	}
	if e.Status != "" {
		s += " (token status " + e.Status + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": no access token: " + textcut.Cut(e.Err.Error(), 2*textcut.Max)
	}
	return s
}

// Unwrap returns ErrAuth, and Err when the token source failed.
func (e *AuthError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrAuth, e.Err}
	}
	return []error{ErrAuth}
}

// Temporary reports whether authenticating again later may succeed: a
// refused token (status 401: the token source may give a new one) or a 4xx
// SMTP reply, unless the token source's error says otherwise. Package
// delivery's Outbox retries when it is true; Watch stops when it is false.
//
// A token source's error is temporary unless it has a Temporary() bool
// method that returns false (psc's *SessionEndedError: the professional
// must log in again, Ref#2 ECO.1.2.6) or is an OAuth error answer of the
// authorization server (an *oauth2.RetrieveError with an error code, such
// as invalid_grant).
func (e *AuthError) Temporary() bool {
	if e.Err != nil {
		return temporaryTokenError(e.Err)
	}
	return e.Status == "401" || (e.Code >= 400 && e.Code < 500)
}

// temporaryTokenError classifies a token source's error (see
// AuthError.Temporary).
func temporaryTokenError(err error) bool {
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		if _, isNet := t.(net.Error); isNet {
			return true // the network: net.Error's Temporary is deprecated and says false for most failures
		}
		return t.Temporary()
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode == ""
	}
	return true
}

// RecipientError is a recipient the operator refused during submission.
type RecipientError struct {
	Address  string
	Code     int    // SMTP reply code, e.g. 550
	Enhanced string // enhanced status code, e.g. "5.7.1"
	Message  string
}

func (e *RecipientError) Error() string {
	return fmt.Sprintf("mssante: recipient %s rejected: %d %s %s", e.Address, e.Code, e.Enhanced, e.Message)
}
func (e *RecipientError) Unwrap() error { return ErrRecipientRejected }

// Temporary reports a 4xx refusal, worth retrying later.
func (e *RecipientError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// SizeError reports a message over the operator's SIZE limit.
type SizeError struct {
	Size int64 // estimated size of the message, or 0 when the server refused it
	Max  int64 // the server's limit, or 0 when not advertised
}

func (e *SizeError) Error() string {
	if e.Size == 0 && e.Max == 0 {
		return "mssante: message refused by the operator as too large"
	}
	if e.Size == 0 {
		return fmt.Sprintf("mssante: message refused as too large (limit %d bytes)", e.Max)
	}
	return fmt.Sprintf("mssante: message of about %d bytes over the operator limit of %d bytes", e.Size, e.Max)
}
func (e *SizeError) Unwrap() error { return ErrMessageTooLarge }

// CapabilityError reports a server without an extension the operation
// needs.
type CapabilityError struct {
	Server     string
	Capability string
}

func (e *CapabilityError) Error() string {
	return fmt.Sprintf("mssante: %s does not offer %s", e.Server, e.Capability)
}
func (e *CapabilityError) Unwrap() error { return ErrCapability }

// TrustError lists the recipients outside the trust space: nothing was
// sent. Its chain holds ErrOutsideTrustSpace (trust.ErrNotInTrustSpace)
// and what Config.Trust said of each recipient: with a trust.List or
// trust.Source, errors.As(err, &addrErr) gives the first
// *trust.AddressError, with its Reason.
type TrustError struct {
	// Recipients are the refused addresses, in the order of the message.
	Recipients []string
	// Errs are what Config.Trust returned for each, in the same order: a
	// *trust.AddressError from package trust.
	Errs []error
}

func (e *TrustError) Error() string {
	parts := make([]string, len(e.Recipients))
	for i, r := range e.Recipients {
		reason := "refused"
		if i < len(e.Errs) && e.Errs[i] != nil {
			var ae *trust.AddressError
			if errors.As(e.Errs[i], &ae) {
				reason = ae.Explain()
			} else {
				reason = textcut.Cut(e.Errs[i].Error(), textcut.Max)
			}
		}
		parts[i] = textcut.Cut(r, textcut.Max) + " (" + reason + ")"
	}
	return "mssante: not sent, recipients outside the MSSanté trust space: " + strings.Join(parts, ", ")
}

// Unwrap returns ErrOutsideTrustSpace and the error of each recipient.
func (e *TrustError) Unwrap() []error {
	out := make([]error, 0, 1+len(e.Errs))
	out = append(out, ErrOutsideTrustSpace)
	for _, err := range e.Errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// TransactionError is a refusal of MAIL, DATA or the message itself. It
// wraps ErrTransaction.
type TransactionError struct {
	Server   string
	Code     int
	Enhanced string
	Message  string
}

func (e *TransactionError) Error() string {
	return "mssante: " + e.Server + " refused the message: " + strconv.Itoa(e.Code) + " " + e.Enhanced + " " + e.Message
}

// Unwrap returns ErrTransaction.
func (e *TransactionError) Unwrap() error { return ErrTransaction }

// Temporary reports a 4xx reply: the submission may succeed later.
func (e *TransactionError) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// NotFoundError reports a UID that is not in the folder. It wraps
// ErrNotFound.
type NotFoundError struct {
	Folder string
	UID    uint32
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("mssante: no message with UID %d in %s", e.UID, e.Folder)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// FolderError reports an IMAP NO answer about a folder: one that cannot be
// selected (Sync, Fetch, FetchRaw, SearchMessageID, SetFlags, Delete,
// Watch), the destination of a Move, or the folder of an Append. It wraps
// ErrFolder always, ErrFolderNotFound when the folder does not exist, and
// the go-imap *imap.Error.
type FolderError struct {
	Server string
	// Folder is the folder the server refused: the destination for a
	// move.
	Folder string
	// Command is the IMAP command refused: SELECT, EXAMINE, MOVE, COPY,
	// APPEND.
	Command string
	// Code is the response code (RFC 5530), "" when the server gave none:
	// "TRYCREATE" (the destination of a MOVE, COPY or APPEND does not
	// exist and could be created, RFC 9051 §7.1), "NONEXISTENT", "NOPERM",
	// "LIMIT"...
	Code string
	// Text is the server's text, at most 100 bytes of it.
	Text string
	Err  error
}

func (e *FolderError) Error() string {
	s := fmt.Sprintf("mssante: %s refused folder %q", e.Server, e.Folder)
	if e.Code != "" {
		s += " [" + e.Code + "]"
	}
	return s + " (" + e.Command + "): " + strconv.Quote(e.Text) // Text is bounded
}

// Unwrap returns ErrFolder, ErrFolderNotFound when the folder does not
// exist, and the IMAP error.
func (e *FolderError) Unwrap() []error {
	if e.NotFound() {
		return []error{ErrFolder, ErrFolderNotFound, e.Err}
	}
	return []error{ErrFolder, e.Err}
}

// TryCreate reports the TRYCREATE code: the folder does not exist and the
// command may succeed once it is created.
func (e *FolderError) TryCreate() bool { return e.Code == string(imap.ResponseCodeTryCreate) }

// NotFound reports that the folder does not exist: the codes TRYCREATE and
// NONEXISTENT, or, from a server that gives no code (Cyrus: "NO Mailbox
// does not exist"), a text that says so.
func (e *FolderError) NotFound() bool {
	switch imap.ResponseCode(e.Code) {
	case imap.ResponseCodeTryCreate, imap.ResponseCodeNonExistent:
		return true
	case "":
		t := strings.ToLower(e.Text)
		return strings.Contains(t, "does not exist") || strings.Contains(t, "doesn't exist") || strings.Contains(t, "no such mailbox")
	}
	return false
}

// maxFolderErrorText bounds the server text a FolderError keeps.
const maxFolderErrorText = 100

// folderError turns the NO answer of an IMAP command about folder into a
// *FolderError; other errors (BAD, a lost connection) are returned as they
// are.
func folderError(server, command, folder string, err error) error {
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo {
		return err
	}
	return &FolderError{Server: server, Folder: folder, Command: command, Code: string(ie.Code), Text: textcut.Cut(ie.Text, maxFolderErrorText), Err: err}
}
