// Package annuairetest provides a fake Annuaire Santé FHIR server and
// synthetic extraction files, for tests and examples of code that uses
// package annuaire. Nothing here reaches the network.
package annuairetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/mssante-go/sdk/annuaire"
)

// BasePath is where the server mounts the FHIR API, as the gateway does.
const BasePath = "/fhir/v2"

// Options configures a Server. A nil *Options means defaults.
type Options struct {
	// Practitioners and Organizations size the generated dataset; 0 means
	// 120 and 12. Ignored when Dataset is set.
	Practitioners, Organizations int
	// Seed makes generation deterministic (same seed, same data).
	Seed uint64
	// Dataset, if set, is served instead of a generated one.
	Dataset *Dataset
	// APIKey, if set, is required in the ESANTE-API-KEY header; a request
	// without it gets 401 with a non-FHIR JSON body, as from the gateway.
	APIKey string
	// MaxCount caps _count; 0 means 1000.
	MaxCount int
}

// Fault is a canned error answer, served instead of the normal one.
type Fault struct {
	Status      int    // HTTP status
	RetryAfter  string // Retry-After header, "" for none
	Body        string // body, "" for an empty body
	ContentType string // "" means application/fhir+json when Body is set
}

// RateLimited is a 429 with Retry-After and the gateway's non-FHIR body.
func RateLimited(retryAfter string) Fault {
	return Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter,
		Body:        `{"message":"Rate limit exceeded ! You reach the limit of 17 requests per 1 seconds","http_status_code":429}`,
		ContentType: "application/json"}
}

// GatewayError is a 5xx with an empty body (Content-Length: 0), as the
// gateway sends on 502 and 504.
func GatewayError(status int) Fault { return Fault{Status: status} }

// OutcomeFault is an error answer with a FHIR OperationOutcome body.
func OutcomeFault(status int, code, diagnostics string) Fault {
	b, _ := json.Marshal(outcomeJSON{"OperationOutcome", outcome(code, diagnostics)})
	return Fault{Status: status, Body: string(b)}
}

// Request is a request the server received.
type Request struct {
	Path   string
	Query  url.Values
	APIKey string
}

// Server is a fake Annuaire Santé FHIR API over loopback HTTP. It serves
// read, search (name, family, given, identifier, mailbox-mss with :exact and
// :contains, qualification-code, organization, practitioner, active,
// _lastUpdated, _count, _include/_revinclude of the PractitionerRole links)
// and paging through opaque "_page?id=" next links like the v2 gateway.
// Unknown resource types and parameters get OperationOutcome errors.
type Server struct {
	*httptest.Server
	data     *Dataset
	apiKey   string
	maxCount int

	mu       sync.Mutex
	faults   []Fault
	requests []Request
	results  map[string][]entry
	nextID   int
}

type entry struct {
	res  annuaire.Resource
	mode string
}

// NewServer starts a Server. Close it when done.
func NewServer(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Practitioners == 0 {
		o.Practitioners = 120
	}
	if o.Organizations == 0 {
		o.Organizations = 12
	}
	if o.MaxCount <= 0 {
		o.MaxCount = 1000
	}
	s := &Server{data: o.Dataset, apiKey: o.APIKey, maxCount: o.MaxCount, results: map[string][]entry{}}
	if s.data == nil {
		s.data = Generate(o.Practitioners, o.Organizations, o.Seed)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// BaseURL returns the FHIR base URL to give annuaire.Options.BaseURL.
func (s *Server) BaseURL() string { return s.URL + BasePath }

// Data returns the dataset served. Do not modify it while serving.
func (s *Server) Data() *Dataset { return s.data }

// FailNext queues faults: the next len(faults) requests get them, in order.
func (s *Server) FailNext(faults ...Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, faults...)
	s.mu.Unlock()
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, Request{Path: r.URL.Path, Query: r.URL.Query(), APIKey: r.Header.Get(annuaire.APIKeyHeader)})
	var fault *Fault
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		fault = &f
	}
	s.mu.Unlock()

	if fault != nil {
		if fault.RetryAfter != "" {
			w.Header().Set("Retry-After", fault.RetryAfter)
		}
		if fault.Body != "" {
			ct := fault.ContentType
			if ct == "" {
				ct = "application/fhir+json"
			}
			w.Header().Set("Content-Type", ct)
		} else {
			w.Header().Set("Content-Length", "0")
		}
		w.WriteHeader(fault.Status)
		fmt.Fprint(w, fault.Body)
		return
	}
	if s.apiKey != "" && r.Header.Get(annuaire.APIKeyHeader) != s.apiKey {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Unauthorized","http_status_code":401}`)
		return
	}
	if r.Method != http.MethodGet {
		s.fail(w, http.StatusMethodNotAllowed, "not-supported", "Only GET is served")
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, BasePath+"/")
	if !ok {
		s.fail(w, http.StatusNotFound, "not-found", "route root non gérée par la gateway")
		return
	}
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 1 && parts[0] == "_page":
		s.page(w, r.URL.Query().Get("id"))
	case len(parts) == 1:
		s.search(w, parts[0], r.URL.Query())
	case len(parts) == 2:
		s.read(w, parts[0], parts[1])
	default:
		s.fail(w, http.StatusBadRequest, "processing", "Invalid request: "+r.URL.Path)
	}
}

func outcome(code, diagnostics string) *annuaire.OperationOutcome {
	return &annuaire.OperationOutcome{Issue: []annuaire.OperationOutcomeIssue{{Severity: "error", Code: code, Diagnostics: diagnostics}}}
}

type outcomeJSON struct {
	ResourceType string `json:"resourceType"`
	*annuaire.OperationOutcome
}

func (s *Server) fail(w http.ResponseWriter, status int, code, diagnostics string) {
	writeJSON(w, status, outcomeJSON{"OperationOutcome", outcome(code, diagnostics)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/fhir+json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// withType marshals a resource with its resourceType member first.
func withType(r annuaire.Resource) json.RawMessage {
	b, _ := json.Marshal(r)
	out := []byte(`{"resourceType":"` + r.ResourceType() + `"`)
	if len(b) > 2 {
		out = append(out, ',')
	}
	return append(out, b[1:]...)
}

func (s *Server) resources(typ string) ([]annuaire.Resource, bool) {
	var out []annuaire.Resource
	switch typ {
	case "Practitioner":
		for _, r := range s.data.Practitioners {
			out = append(out, r)
		}
	case "PractitionerRole":
		for _, r := range s.data.PractitionerRoles {
			out = append(out, r)
		}
	case "Organization":
		for _, r := range s.data.Organizations {
			out = append(out, r)
		}
	case "HealthcareService", "Device":
	default:
		return nil, false
	}
	return out, true
}

func unknownType(typ string) string {
	return fmt.Sprintf("HAPI-0302: Unknown resource type '%s' - Server knows how to handle: [Practitioner, PractitionerRole, Device, Organization, HealthcareService]", typ)
}

func (s *Server) read(w http.ResponseWriter, typ, id string) {
	all, ok := s.resources(typ)
	if !ok {
		s.fail(w, http.StatusNotFound, "processing", unknownType(typ))
		return
	}
	for _, r := range all {
		if r.ResourceID() == id {
			w.Header().Set("Content-Type", "application/fhir+json;charset=UTF-8")
			w.Write(withType(r))
			return
		}
	}
	s.fail(w, http.StatusNotFound, "processing", fmt.Sprintf("HAPI-2001: Resource %s/%s is not known", typ, id))
}

func (s *Server) search(w http.ResponseWriter, typ string, q url.Values) {
	all, ok := s.resources(typ)
	if !ok {
		s.fail(w, http.StatusNotFound, "processing", unknownType(typ))
		return
	}
	count := 50
	var filters []func(annuaire.Resource) bool
	var includes, revincludes []string
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range q[k] {
			name, mod, _ := strings.Cut(k, ":")
			switch name {
			case "_count":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					s.fail(w, http.StatusBadRequest, "processing", "Invalid _count: "+v)
					return
				}
				count = min(n, s.maxCount)
				continue
			case "_total", "_format":
				continue
			case "_include":
				includes = append(includes, v)
				continue
			case "_revinclude":
				revincludes = append(revincludes, v)
				continue
			}
			f, err := filterFor(typ, name, mod, v)
			if err != nil {
				s.fail(w, http.StatusBadRequest, "processing", err.Error())
				return
			}
			filters = append(filters, f)
		}
	}
	var matched []entry
	for _, r := range all {
		keep := true
		for _, f := range filters {
			if !f(r) {
				keep = false
				break
			}
		}
		if keep {
			matched = append(matched, entry{r, "match"})
		}
	}
	matched = append(matched, s.included(matched, includes, revincludes)...)
	s.mu.Lock()
	s.nextID++
	id := fmt.Sprintf("r%06dQ", s.nextID)
	s.results[id] = matched
	s.mu.Unlock()
	s.writePage(w, id, 0, count, typ, q)
}

// page serves a continuation page. ids are "<result id>.<offset>.<count>".
func (s *Server) page(w http.ResponseWriter, id string) {
	parts := strings.Split(id, ".")
	if len(parts) != 3 {
		s.fail(w, http.StatusGone, "processing", "Search id expired or invalid: "+id)
		return
	}
	off, err1 := strconv.Atoi(parts[1])
	count, err2 := strconv.Atoi(parts[2])
	s.mu.Lock()
	_, ok := s.results[parts[0]]
	s.mu.Unlock()
	if !ok || err1 != nil || err2 != nil || off < 0 || count <= 0 {
		s.fail(w, http.StatusGone, "processing", "Search id expired or invalid: "+id)
		return
	}
	s.writePage(w, parts[0], off, count, "", nil)
}

type bundleJSON struct {
	ResourceType string                `json:"resourceType"`
	ID           string                `json:"id"`
	Type         string                `json:"type"`
	Total        int                   `json:"total"`
	Link         []annuaire.BundleLink `json:"link"`
	Entry        []entryJSON           `json:"entry,omitempty"`
}

type entryJSON struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Search   struct {
		Mode string `json:"mode"`
	} `json:"search"`
}

func (s *Server) writePage(w http.ResponseWriter, id string, off, count int, typ string, q url.Values) {
	s.mu.Lock()
	all := s.results[id]
	s.mu.Unlock()
	base := s.URL + BasePath
	b := bundleJSON{ResourceType: "Bundle", ID: id, Type: "searchset"}
	for _, e := range all {
		if e.mode == "match" {
			b.Total++
		}
	}
	self := fmt.Sprintf("%s/_page?id=%s.%d.%d", base, id, off, count)
	if typ != "" {
		self = base + "/" + typ + "?" + q.Encode()
	}
	b.Link = append(b.Link, annuaire.BundleLink{Relation: "self", URL: self})
	end := min(off+count, len(all))
	if end < len(all) && count > 0 {
		b.Link = append(b.Link, annuaire.BundleLink{Relation: "next", URL: fmt.Sprintf("%s/_page?id=%s.%d.%d", base, id, end, count)})
	}
	for _, e := range all[min(off, len(all)):end] {
		ej := entryJSON{FullURL: base + "/" + e.res.ResourceType() + "/" + e.res.ResourceID(), Resource: withType(e.res)}
		ej.Search.Mode = e.mode
		b.Entry = append(b.Entry, ej)
	}
	writeJSON(w, http.StatusOK, b)
}

// included returns the _include and _revinclude resources of the matches.
func (s *Server) included(matched []entry, includes, revincludes []string) []entry {
	var out []entry
	seen := map[string]bool{}
	add := func(r annuaire.Resource) {
		k := r.ResourceType() + "/" + r.ResourceID()
		if !seen[k] {
			seen[k] = true
			out = append(out, entry{r, "include"})
		}
	}
	for _, m := range matched {
		role, isRole := m.res.(*annuaire.PractitionerRole)
		for _, inc := range includes {
			if !isRole {
				continue
			}
			if inc == "PractitionerRole:organization" || inc == "*" {
				if o := s.find("Organization", role.Organization.ID()); o != nil {
					add(o)
				}
			}
			if inc == "PractitionerRole:practitioner" || inc == "*" {
				if p := s.find("Practitioner", role.Practitioner.ID()); p != nil {
					add(p)
				}
			}
		}
		for _, rev := range revincludes {
			for _, r := range s.data.PractitionerRoles {
				switch {
				case rev == "PractitionerRole:practitioner" && m.res.ResourceType() == "Practitioner" && r.Practitioner.ID() == m.res.ResourceID(),
					rev == "PractitionerRole:organization" && m.res.ResourceType() == "Organization" && r.Organization.ID() == m.res.ResourceID():
					add(r)
				}
			}
		}
	}
	return out
}

func (s *Server) find(typ, id string) annuaire.Resource {
	all, _ := s.resources(typ)
	for _, r := range all {
		if r.ResourceID() == id {
			return r
		}
	}
	return nil
}
