package annuaire

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes: the server default is 50 and the ANS asks clients to stay at
// or under 200 per page (larger pages time out).
const (
	DefaultCount = 50
	MaxCount     = 200
)

// Query is a FHIR search: a resource type and its parameters. The typed
// queries below implement it; RawQuery takes any parameters.
type Query interface {
	ResourceType() string
	Params() url.Values
}

// SearchOptions are the parameters common to every search. The zero value
// adds nothing but _count=50.
type SearchOptions struct {
	// Active filters on the active flag; nil does not filter. Inactive
	// resources carry only their identifiers.
	Active *bool
	// LastUpdated are _lastUpdated bounds with FHIR prefixes, e.g.
	// "ge2026-06-01" (the server keeps 30 days of updates). Repeated
	// bounds are ANDed.
	LastUpdated []string
	// Include and RevInclude are _include and _revinclude values, e.g.
	// "PractitionerRole:organization".
	Include, RevInclude []string
	// Count is the page size: 0 means DefaultCount (50); values above
	// MaxCount (200) are lowered to it.
	Count int
	// Total is _total ("none", "estimate", "accurate"); "" sends nothing.
	Total string
	// Extra holds any other parameters, sent as they are.
	Extra url.Values
}

func (o *SearchOptions) add(v url.Values) {
	if o.Active != nil {
		v.Set("active", strconv.FormatBool(*o.Active))
	}
	for _, d := range o.LastUpdated {
		v.Add("_lastUpdated", d)
	}
	for _, s := range o.Include {
		v.Add("_include", s)
	}
	for _, s := range o.RevInclude {
		v.Add("_revinclude", s)
	}
	n := o.Count
	if n <= 0 {
		n = DefaultCount
	}
	if n > MaxCount {
		n = MaxCount
	}
	v.Set("_count", strconv.Itoa(n))
	if o.Total != "" {
		v.Set("_total", o.Total)
	}
	for k, vals := range o.Extra {
		for _, s := range vals {
			v.Add(k, s)
		}
	}
}

func setIf(v url.Values, key, val string) {
	if val = strings.TrimSpace(val); val != "" {
		v.Set(key, val)
	}
}

// identifiers joins identifier tokens with ',' (FHIR OR).
func identifiers(v url.Values, tokens ...string) {
	var t []string
	for _, s := range tokens {
		if s != "" {
			t = append(t, s)
		}
	}
	if len(t) > 0 {
		v.Set("identifier", strings.Join(t, ","))
	}
}

func token(system, value string) string {
	value = strings.TrimSpace(value)
	if value == "" {
		return ""
	}
	return system + "|" + value
}

// PractitionerQuery searches Practitioner. Empty fields add no parameter.
type PractitionerQuery struct {
	Name    string // name (string search: starts with, case-insensitive)
	Family  string // family
	Given   string // given
	RPPS    string // identifier https://rpps.esante.gouv.fr|RPPS
	IdNatPS string // identifier urn:oid:1.2.250.1.71.4.2.1|idNat_PS
	// Identifier are more identifier tokens ("value" or "system|value").
	Identifier []string
	// Mailbox is an MSSanté address, matched exactly (mailbox-mss:exact).
	Mailbox string
	// QualificationCode is a profession (TRE_G15, e.g. "10"), specialty
	// (TRE_R38) or category (TRE_R09) code, with or without "system|".
	QualificationCode string
	SearchOptions
}

// ResourceType returns "Practitioner".
func (q *PractitionerQuery) ResourceType() string { return "Practitioner" }

// Params returns the search parameters; a nil q is a zero one.
func (q *PractitionerQuery) Params() url.Values {
	if q == nil {
		q = &PractitionerQuery{}
	}
	v := url.Values{}
	setIf(v, "name", q.Name)
	setIf(v, "family", q.Family)
	setIf(v, "given", q.Given)
	identifiers(v, append([]string{token(SystemRPPS, q.RPPS), token(SystemIdNatPS, q.IdNatPS)}, q.Identifier...)...)
	setIf(v, "mailbox-mss:exact", q.Mailbox)
	setIf(v, "qualification-code", q.QualificationCode)
	q.SearchOptions.add(v)
	return v
}

// PractitionerRoleQuery searches PractitionerRole.
type PractitionerRoleQuery struct {
	Identifier   []string // identifier tokens (idSituationExercice...)
	Practitioner string   // practitioner reference or id
	Organization string   // organization reference or id
	Role         string   // role token
	Mailbox      string   // mailbox-mss:exact
	SearchOptions
}

// ResourceType returns "PractitionerRole".
func (q *PractitionerRoleQuery) ResourceType() string { return "PractitionerRole" }

// Params returns the search parameters; a nil q is a zero one.
func (q *PractitionerRoleQuery) Params() url.Values {
	if q == nil {
		q = &PractitionerRoleQuery{}
	}
	v := url.Values{}
	identifiers(v, q.Identifier...)
	setIf(v, "practitioner", q.Practitioner)
	setIf(v, "organization", q.Organization)
	setIf(v, "role", q.Role)
	setIf(v, "mailbox-mss:exact", q.Mailbox)
	q.SearchOptions.add(v)
	return v
}

// OrganizationQuery searches Organization.
type OrganizationQuery struct {
	Name        string   // name
	FINESS      string   // identifier https://finess.esante.gouv.fr|FINESS
	SIRET       string   // identifier https://sirene.fr|SIRET
	IdNatStruct string   // identifier urn:oid:1.2.250.1.71.4.2.2|idNat_Struct
	Identifier  []string // more identifier tokens
	Type        string   // type token
	PartOf      string   // partof reference or id
	PostalCode  string   // address-postalcode
	City        string   // address-city
	Mailbox     string   // mailbox-mss:exact
	SearchOptions
}

// ResourceType returns "Organization".
func (q *OrganizationQuery) ResourceType() string { return "Organization" }

// Params returns the search parameters; a nil q is a zero one.
func (q *OrganizationQuery) Params() url.Values {
	if q == nil {
		q = &OrganizationQuery{}
	}
	v := url.Values{}
	setIf(v, "name", q.Name)
	identifiers(v, append([]string{token(SystemFINESS, q.FINESS), token(SystemSIRENE, q.SIRET), token(SystemIdNatStruct, q.IdNatStruct)}, q.Identifier...)...)
	setIf(v, "type", q.Type)
	setIf(v, "partof", q.PartOf)
	setIf(v, "address-postalcode", q.PostalCode)
	setIf(v, "address-city", q.City)
	setIf(v, "mailbox-mss:exact", q.Mailbox)
	q.SearchOptions.add(v)
	return v
}

// RawQuery is a search with parameters given as they are (no _count added).
type RawQuery struct {
	Type   string
	Values url.Values
}

// ResourceType returns q.Type.
func (q RawQuery) ResourceType() string { return q.Type }

// Params returns q.Values.
func (q RawQuery) Params() url.Values { return q.Values }

// SearchURL returns the first-page URL of q.
func (c *Client) SearchURL(q Query) string {
	u := c.base.String() + "/" + q.ResourceType()
	if p := q.Params().Encode(); p != "" {
		u += "?" + p
	}
	return u
}

// Pages runs the search and yields its result pages, following each
// link[next] exactly as the server gave it (with the API key). It stops at
// the last page, at the first error (yielded), or when ctx is done. A next
// link to another host than the base URL is refused (ErrForeignNextLink),
// so the key never leaks.
func (c *Client) Pages(ctx context.Context, q Query) iter.Seq2[*Bundle, error] {
	return func(yield func(*Bundle, error) bool) {
		u := c.SearchURL(q)
		seen := map[string]bool{}
		for u != "" {
			if err := ctx.Err(); err != nil {
				yield(nil, err)
				return
			}
			seen[u] = true
			r, err := c.get(ctx, u)
			if err != nil {
				yield(nil, err)
				return
			}
			b, ok := r.(*Bundle)
			if !ok {
				yield(nil, &DecodeError{URL: u, Err: fmt.Errorf("expected a Bundle, got a %s", r.ResourceType())})
				return
			}
			if !yield(b, nil) {
				return
			}
			next := b.Next()
			if next == "" {
				return
			}
			if err := c.checkNext(next); err != nil {
				yield(nil, err)
				return
			}
			if seen[next] {
				yield(nil, fmt.Errorf("%w: %s", ErrPagingLoop, next))
				return
			}
			u = next
		}
	}
}

func (c *Client) checkNext(next string) error {
	n, err := url.Parse(next)
	if err != nil || !n.IsAbs() {
		return fmt.Errorf("%w: %q", ErrForeignNextLink, next)
	}
	if !strings.EqualFold(n.Scheme, c.base.Scheme) || !strings.EqualFold(n.Host, c.base.Host) {
		return fmt.Errorf("%w: %s", ErrForeignNextLink, next)
	}
	return nil
}

// Search runs the search and yields every entry of every page, decoded:
// matches and _include/_revinclude resources alike (see BundleEntry.Mode
// through Pages if the difference matters).
func (c *Client) Search(ctx context.Context, q Query) iter.Seq2[Resource, error] {
	return func(yield func(Resource, error) bool) {
		for b, err := range c.Pages(ctx, q) {
			if err != nil {
				yield(nil, err)
				return
			}
			for i := range b.Entry {
				r, err := b.Entry[i].Decode()
				if !yield(r, err) || err != nil {
					return
				}
			}
		}
	}
}

// matches yields the entries of type T in search mode "match".
func matches[T Resource](ctx context.Context, c *Client, q Query) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for b, err := range c.Pages(ctx, q) {
			if err != nil {
				yield(zero, err)
				return
			}
			for i := range b.Entry {
				e := &b.Entry[i]
				if e.Mode() != "match" {
					continue
				}
				r, err := e.Decode()
				if err != nil {
					yield(zero, err)
					return
				}
				if t, ok := r.(T); ok && !yield(t, nil) {
					return
				}
			}
		}
	}
}

// Practitioners yields the Practitioners matching q, page after page.
func (c *Client) Practitioners(ctx context.Context, q *PractitionerQuery) iter.Seq2[*Practitioner, error] {
	return matches[*Practitioner](ctx, c, q)
}

// PractitionerRoles yields the PractitionerRoles matching q.
func (c *Client) PractitionerRoles(ctx context.Context, q *PractitionerRoleQuery) iter.Seq2[*PractitionerRole, error] {
	return matches[*PractitionerRole](ctx, c, q)
}

// Organizations yields the Organizations matching q.
func (c *Client) Organizations(ctx context.Context, q *OrganizationQuery) iter.Seq2[*Organization, error] {
	return matches[*Organization](ctx, c, q)
}
