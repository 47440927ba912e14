package mssante_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mssante-go/sdk/internal/testdocs"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
	"github.com/mssante-go/sdk/mssante/mssantetest"
	"github.com/mssante-go/sdk/trust"
)

// trustList is a liste blanche holding the given domains.
func trustList(t *testing.T, domains ...string) *trust.List {
	t.Helper()
	l, err := trust.ParseList(strings.NewReader(testdocs.ListeBlanche(domains...)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// A Send refused by the trust-space guard keeps what the liste blanche
// said of each recipient (issue 15 §2): errors.Is with
// trust.ErrNotInTrustSpace and errors.As to *trust.AddressError hold, and
// nothing reached the operator.
func TestTrustErrorChain(t *testing.T) {
	s := newTestServer(t, mailboxA)
	cfg := s.MustConfig(mailboxA)
	cfg.Trust = trustList(t, "medecin.mssante.fr", "ch-test.mssante.fr")
	c := newTestClient(t, cfg)
	msg := &mail.Message{
		To:      []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr"), mail.MustParseAddress("x@evil.example")},
		Cc:      []mail.Address{mail.MustParseAddress("y@sub.medecin.mssante.fr")},
		Subject: "s", Text: "t",
	}
	_, err := c.Send(testCtx(t), msg)

	var addrErr *trust.AddressError
	var te *mssante.TrustError
	if !errors.Is(err, trust.ErrNotInTrustSpace) || !errors.Is(err, mssante.ErrOutsideTrustSpace) ||
		!errors.As(err, &addrErr) || !errors.As(err, &te) {
		t.Fatalf("Send = %#v", err)
	}
	if addrErr.Address != "x@evil.example" || addrErr.Reason != trust.ReasonNotListed {
		t.Errorf("first AddressError: %+v", addrErr)
	}
	if len(te.Recipients) != 2 || len(te.Errs) != 2 || te.Recipients[1] != "y@sub.medecin.mssante.fr" {
		t.Fatalf("TrustError: %+v", te)
	}
	var second *trust.AddressError
	if !errors.As(te.Errs[1], &second) || !strings.Contains(second.Detail, "parent medecin.mssante.fr is listed") {
		t.Errorf("second recipient: %v", te.Errs[1])
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "mssante: ") || !strings.Contains(msg, "x@evil.example (domain not listed)") {
		t.Errorf("message: %s", msg)
	}
	if st := s.Stats(); st.SMTPConnections != 0 {
		t.Errorf("the operator saw %d connections", st.SMTPConnections)
	}
}

// Each error type of the client wraps its sentinel.
func TestErrorSentinels(t *testing.T) {
	s := newTestServer(t, mailboxA, "bruno@ch-test.mssante.fr")
	c := mailboxClient(t, s, mailboxA)

	s.InjectFault(&mssantetest.Fault{Stage: mssantetest.StageData, Code: 554, Enhanced: [3]int{5, 6, 0}, Message: "content refused"})
	_, err := c.Send(testCtx(t), &mail.Message{To: []mail.Address{mail.MustParseAddress("bruno@ch-test.mssante.fr")}, Text: "t"})
	var tx *mssante.TransactionError
	if !errors.Is(err, mssante.ErrTransaction) || !errors.As(err, &tx) || tx.Code != 554 || tx.Temporary() {
		t.Errorf("refused DATA: %v", err)
	}

	_, err = c.Fetch(testCtx(t), "INBOX", 4242)
	var nf *mssante.NotFoundError
	if !errors.Is(err, mssante.ErrNotFound) || !errors.As(err, &nf) || nf.UID != 4242 {
		t.Errorf("absent UID: %v", err)
	}
	if err := c.FetchRaw(testCtx(t), "INBOX", 4242, nil); !errors.Is(err, mssante.ErrNotFound) {
		t.Errorf("FetchRaw of an absent UID: %v", err)
	}
}
