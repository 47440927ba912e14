package annuaire_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/annuaire"
	"github.com/mssante-go/sdk/annuaire/annuairetest"
)

const testKey = "TEST-KEY-0001"

// newTestClient returns a server and a client on a fake clock (so rate
// limiting and back-off cost no real time).
func newTestClient(t *testing.T, sopts *annuairetest.Options, copts annuaire.Options) (*annuairetest.Server, *annuaire.Client, *annuaire.FakeClock) {
	t.Helper()
	if sopts == nil {
		sopts = &annuairetest.Options{}
	}
	sopts.APIKey = testKey
	srv := annuairetest.NewServer(sopts)
	t.Cleanup(srv.Close)
	copts.BaseURL = srv.BaseURL()
	copts.APIKey = testKey
	clk := annuaire.NewFakeClock()
	copts.Clock = clk
	c, err := annuaire.NewClient(&copts)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, clk
}

func TestSearchPagingFollowsNext(t *testing.T) {
	srv, c, _ := newTestClient(t, &annuairetest.Options{Practitioners: 120}, annuaire.Options{})
	var ids []string
	for p, err := range c.Practitioners(context.Background(), &annuaire.PractitionerQuery{SearchOptions: annuaire.SearchOptions{Count: 25}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	if len(ids) != 120 {
		t.Fatalf("got %d practitioners, want 120", len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("duplicate %s", id)
		}
		seen[id] = true
	}
	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5 (1 search + 4 next pages)", len(reqs))
	}
	if reqs[0].Path != "/fhir/v2/Practitioner" || reqs[0].Query.Get("_count") != "25" {
		t.Errorf("first request %+v", reqs[0])
	}
	for i, r := range reqs {
		if r.APIKey != testKey {
			t.Errorf("request %d without API key", i)
		}
		if i > 0 && (r.Path != "/fhir/v2/_page" || r.Query.Get("id") == "") {
			t.Errorf("request %d = %+v, want the next link", i, r)
		}
	}
}

func TestSearchParameters(t *testing.T) {
	active := true
	tests := []struct {
		q    annuaire.Query
		want string
	}{
		{&annuaire.PractitionerQuery{}, "_count=50"},
		{&annuaire.PractitionerQuery{SearchOptions: annuaire.SearchOptions{Count: 5000}}, "_count=200"},
		{&annuaire.PractitionerQuery{RPPS: "10003461033", Name: "saucier", QualificationCode: "10"},
			"_count=50&identifier=https%3A%2F%2Frpps.esante.gouv.fr%7C10003461033&name=saucier&qualification-code=10"},
		{&annuaire.PractitionerQuery{Mailbox: "a@pro.mssante.fr", SearchOptions: annuaire.SearchOptions{
			Active: &active, LastUpdated: []string{"ge2026-06-01"}, RevInclude: []string{"PractitionerRole:practitioner"}}},
			"_count=50&_lastUpdated=ge2026-06-01&_revinclude=PractitionerRole%3Apractitioner&active=true&mailbox-mss%3Aexact=a%40pro.mssante.fr"},
		{&annuaire.OrganizationQuery{FINESS: "750712184", SIRET: "26750045200011"},
			"_count=50&identifier=https%3A%2F%2Ffiness.esante.gouv.fr%7C750712184%2Chttps%3A%2F%2Fsirene.fr%7C26750045200011"},
		{&annuaire.PractitionerRoleQuery{Organization: "Organization/org-1", SearchOptions: annuaire.SearchOptions{Include: []string{"PractitionerRole:organization"}}},
			"_count=50&_include=PractitionerRole%3Aorganization&organization=Organization%2Forg-1"},
	}
	c, _ := annuaire.NewClient(nil)
	for _, tt := range tests {
		if got := tt.q.Params().Encode(); got != tt.want {
			t.Errorf("%T: got %s\nwant %s", tt.q, got, tt.want)
		}
		if u := c.SearchURL(tt.q); !strings.HasPrefix(u, annuaire.DefaultBaseURL+"/"+tt.q.ResourceType()+"?") {
			t.Errorf("SearchURL = %s", u)
		}
	}
}

func TestSearchByIdentifierAndInclude(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{})
	ctx := context.Background()
	want := srv.Data().Practitioners[3]
	var got []*annuaire.Practitioner
	for p, err := range c.Practitioners(ctx, &annuaire.PractitionerQuery{RPPS: want.RPPS()}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p)
	}
	if len(got) != 1 || got[0].ID != want.ID || got[0].DisplayName() != want.DisplayName() {
		t.Fatalf("got %+v", got)
	}

	// Roles of that practitioner with their organization included: the
	// typed iterator yields only matches, Search yields both.
	q := &annuaire.PractitionerRoleQuery{Practitioner: want.ID, SearchOptions: annuaire.SearchOptions{Include: []string{"PractitionerRole:organization"}}}
	n := 0
	for r, err := range c.PractitionerRoles(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
		if r.Practitioner.ID() != want.ID {
			t.Errorf("role %s of %s", r.ID, r.Practitioner.ID())
		}
		n++
	}
	var types []string
	for r, err := range c.Search(ctx, q) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, r.ResourceType())
	}
	if n != 1 || strings.Join(types, ",") != "PractitionerRole,Organization" {
		t.Errorf("roles %d, search types %v", n, types)
	}

	org, err := c.ReadOrganization(ctx, srv.Data().Organizations[0].ID)
	if err != nil || org.FINESS() == "" || len(org.Mailboxes()) != 1 {
		t.Errorf("ReadOrganization = %+v, %v", org, err)
	}

	wantRole := srv.Data().PractitionerRoles[0]
	role, err := c.ReadPractitionerRole(ctx, wantRole.ID)
	if err != nil || role.ID != wantRole.ID || role.Practitioner.ID() != wantRole.Practitioner.ID() {
		t.Errorf("ReadPractitionerRole = %+v, %v", role, err)
	}
	// A read of one type answered with another is a DecodeError.
	if _, err := c.ReadPractitionerRole(ctx, srv.Data().Practitioners[0].ID); err == nil {
		t.Error("ReadPractitionerRole of a Practitioner id succeeded")
	}
}

func TestRetriesThenSuccess(t *testing.T) {
	srv, c, clk := newTestClient(t, nil, annuaire.Options{})
	srv.FailNext(annuairetest.RateLimited("7"), annuairetest.GatewayError(http.StatusBadGateway), annuairetest.GatewayError(http.StatusGatewayTimeout))
	p, err := c.ReadPractitioner(context.Background(), srv.Data().Practitioners[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != srv.Data().Practitioners[0].ID {
		t.Errorf("got %s", p.ID)
	}
	if n := len(srv.Requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
	// The first wait is the server's Retry-After; the next ones are
	// jittered back-off (between half and all of 1 s, then 2 s).
	var waits []time.Duration
	for _, d := range clk.Sleeps {
		if d > 100*time.Millisecond { // ignore rate-limit spacing
			waits = append(waits, d)
		}
	}
	if len(waits) != 3 || waits[0] != 7*time.Second ||
		waits[1] < 500*time.Millisecond || waits[1] > time.Second || waits[2] < time.Second || waits[2] > 2*time.Second {
		t.Errorf("waits = %v", waits)
	}
}

func TestRetriesExhausted(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{MaxRetries: 2})
	srv.FailNext(annuairetest.GatewayError(503), annuairetest.GatewayError(503), annuairetest.GatewayError(503))
	_, err := c.ReadPractitioner(context.Background(), "x")
	var apiErr *annuaire.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 3 || apiErr.Outcome != nil || apiErr.Body != "" {
		t.Fatalf("err = %#v", err)
	}
	if !errors.Is(err, annuaire.ErrUnavailable) || !strings.Contains(err.Error(), "empty body") {
		t.Errorf("err = %v", err)
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{MaxRetryDelay: 10 * time.Second})
	srv.FailNext(annuairetest.RateLimited("120"))
	_, err := c.ReadPractitioner(context.Background(), "x")
	var apiErr *annuaire.APIError
	if !errors.As(err, &apiErr) || apiErr.RetryAfter != 2*time.Minute || !errors.Is(err, annuaire.ErrRateLimited) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(apiErr.Body, "Rate limit exceeded") {
		t.Errorf("non-FHIR body lost: %q", apiErr.Body)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestOperationOutcomeErrors(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{})
	ctx := context.Background()

	_, err := c.Read(ctx, "PractitiXXXner", "1")
	var apiErr *annuaire.APIError
	if !errors.As(err, &apiErr) || apiErr.Outcome == nil || !strings.Contains(apiErr.Outcome.String(), "HAPI-0302") || !errors.Is(err, annuaire.ErrNotFound) {
		t.Errorf("unknown type: %v", err)
	}

	// mailbox-mss-type is in the IG but not served.
	q := annuaire.RawQuery{Type: "Practitioner", Values: map[string][]string{"mailbox-mss-type": {"PER"}}}
	for _, err := range c.Search(ctx, q) {
		if !errors.Is(err, annuaire.ErrBadRequest) || !strings.Contains(err.Error(), "mailbox-mss-type") {
			t.Errorf("unknown parameter: %v", err)
		}
	}

	srv.FailNext(annuairetest.OutcomeFault(500, "exception", "HAPI-0000: timeout"))
	_, err = c.ReadPractitioner(ctx, "x")
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Outcome == nil || apiErr.Outcome.Issue[0].Diagnostics != "HAPI-0000: timeout" {
		t.Errorf("500 outcome: %v", err)
	}
}

func TestUnauthorizedNonFHIRBody(t *testing.T) {
	srv := annuairetest.NewServer(&annuairetest.Options{APIKey: "right"})
	defer srv.Close()
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.BaseURL(), APIKey: "wrong", RateLimit: -1})
	_, err := c.ReadPractitioner(context.Background(), "x")
	var apiErr *annuaire.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, annuaire.ErrUnauthorized) || apiErr.Outcome != nil || !strings.Contains(apiErr.Body, "Unauthorized") {
		t.Errorf("err = %v", err)
	}
}

func TestBadAnswers(t *testing.T) {
	var other *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/fhir/v2/Practitioner", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("case") {
		case "html":
			fmt.Fprint(w, "<html>maintenance</html>")
		case "foreign":
			fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"%s/fhir/v2/_page?id=1"}]}`, other.URL)
		case "loop":
			fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","link":[{"relation":"next","url":"http://%s/fhir/v2/Practitioner?case=loop"}]}`, r.Host)
		case "big":
			fmt.Fprint(w, `{"resourceType":"Bundle","id":"`+strings.Repeat("x", 4096)+`"}`)
		case "notbundle":
			fmt.Fprint(w, `{"resourceType":"Practitioner","id":"1"}`)
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	other = httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.URL + "/fhir/v2", RateLimit: -1, MaxResponseSize: 1024})
	for cs, want := range map[string]error{
		"html":      annuaire.ErrNotFHIR,
		"foreign":   annuaire.ErrForeignNextLink,
		"loop":      annuaire.ErrPagingLoop,
		"big":       annuaire.ErrResponseTooLarge,
		"notbundle": nil,
	} {
		var last error
		for _, err := range c.Pages(context.Background(), annuaire.RawQuery{Type: "Practitioner", Values: map[string][]string{"case": {cs}}}) {
			last = err
		}
		if want == nil {
			var de *annuaire.DecodeError
			if !errors.As(last, &de) {
				t.Errorf("%s: err = %v, want a DecodeError", cs, last)
			}
			continue
		}
		if !errors.Is(last, want) {
			t.Errorf("%s: err = %v, want %v", cs, last, want)
		}
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close() // connection reset without an answer
			return
		}
		fmt.Fprint(w, `{"resourceType":"Practitioner","id":"p1"}`)
	}))
	defer srv.Close()
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.URL, Clock: annuaire.NewFakeClock()})
	p, err := c.ReadPractitioner(context.Background(), "p1")
	if err != nil || p.ID != "p1" || calls != 2 {
		t.Errorf("p=%v err=%v calls=%d", p, err, calls)
	}
}

func TestPagingStopsOnCancel(t *testing.T) {
	srv, c, _ := newTestClient(t, &annuairetest.Options{Practitioners: 100}, annuaire.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var last error
	for _, err := range c.Practitioners(ctx, &annuaire.PractitionerQuery{SearchOptions: annuaire.SearchOptions{Count: 10}}) {
		if err != nil {
			last = err
			break
		}
		n++
		if n == 15 {
			cancel()
		}
	}
	if !errors.Is(last, context.Canceled) || n != 20 {
		t.Errorf("n=%d err=%v: want the second page finished, then context.Canceled", n, last)
	}
	if got := len(srv.Requests()); got != 2 {
		t.Errorf("%d requests after cancel, want 2", got)
	}
}

func TestLookupAddress(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{})
	ctx := context.Background()
	d := srv.Data()
	tests := []struct {
		addr  string
		owner string
		typ   annuaire.MailboxType
	}{
		{d.Practitioners[0].Telecom[0].Value, "Practitioner/" + d.Practitioners[0].ID, ""},
		{d.PractitionerRoles[0].Telecom[0].Value, "PractitionerRole/" + d.PractitionerRoles[0].ID, annuaire.MailboxPER},
		{d.Organizations[0].Telecom[0].Value, "Organization/" + d.Organizations[0].ID, annuaire.MailboxORG},
		{"nobody@pro.mssante.fr", "", ""},
		{d.Organizations[0].Telecom[1].Value, "", ""}, // plain contact e-mail, not a mailbox
	}
	for _, tt := range tests {
		got, err := c.LookupAddress(ctx, tt.addr)
		if err != nil {
			t.Fatalf("%s: %v", tt.addr, err)
		}
		if tt.owner == "" {
			if len(got) != 0 {
				t.Errorf("%s: owners %v, want none", tt.addr, got)
			}
			continue
		}
		if len(got) != 1 || got[0].OwnerRef() != tt.owner || got[0].Mailbox.Type != tt.typ {
			t.Errorf("%s: got %+v, want %s", tt.addr, got, tt.owner)
		}
	}
	if _, err := c.LookupAddress(ctx, "not-an-address"); err == nil {
		t.Error("no error for a non-address")
	}
	srv.FailNext(annuairetest.OutcomeFault(400, "processing", "boom"), annuairetest.OutcomeFault(400, "processing", "boom"), annuairetest.OutcomeFault(400, "processing", "boom"))
	if _, err := c.LookupAddress(ctx, tests[0].addr); !errors.Is(err, annuaire.ErrBadRequest) {
		t.Errorf("error not reported: %v", err)
	}
}

func TestLookupAddressCaseFallback(t *testing.T) {
	srv, c, _ := newTestClient(t, nil, annuaire.Options{})
	addr := srv.Data().Organizations[1].Telecom[0].Value
	got, err := c.LookupAddress(context.Background(), strings.ToUpper(addr))
	if err != nil || len(got) != 1 || got[0].Mailbox.Address != addr {
		t.Errorf("got %+v, %v", got, err)
	}
	if n := len(srv.Requests()); n != 6 {
		t.Errorf("%d requests, want 6 (3 exact, 3 lower-case)", n)
	}
}

func TestRequestTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, _ := annuaire.NewClient(&annuaire.Options{BaseURL: srv.URL, RequestTimeout: 50 * time.Millisecond, MaxRetries: -1, RateLimit: -1})
	start := time.Now()
	_, err := c.ReadPractitioner(context.Background(), "x")
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
	}
}

// TestNilQuery: a nil query searches like a zero one instead of panicking.
func TestNilQuery(t *testing.T) {
	c, err := annuaire.NewClient(&annuaire.Options{BaseURL: "https://fhir.example/fhir/v2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, qs := range [][2]annuaire.Query{
		{(*annuaire.PractitionerQuery)(nil), &annuaire.PractitionerQuery{}},
		{(*annuaire.PractitionerRoleQuery)(nil), &annuaire.PractitionerRoleQuery{}},
		{(*annuaire.OrganizationQuery)(nil), &annuaire.OrganizationQuery{}},
	} {
		if u, want := c.SearchURL(qs[0]), c.SearchURL(qs[1]); u != want {
			t.Errorf("SearchURL(nil %s) = %q, want %q", qs[0].ResourceType(), u, want)
		}
	}
}
