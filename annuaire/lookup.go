package annuaire

import (
	"context"
	"errors"
	"strings"
	"sync"
)

// LookupAddress finds who owns an MSSanté mailbox: it searches Practitioner,
// PractitionerRole and Organization with mailbox-mss:exact (the API has no
// cross-resource search), concurrently under the shared rate limit, and
// returns each resource publishing the address, with the mailbox as
// published there. No owner gives an empty slice and a nil error.
//
// The server matches the address exactly, case included; when nothing
// matches and addr holds upper-case letters, the lower-case form is tried
// too. Only telecoms equal to addr ignoring case are kept. Never use
// mailbox-mss:contains for this: it is not a real substring index.
func (c *Client) LookupAddress(ctx context.Context, addr string) ([]OwnedMailbox, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" || strings.IndexByte(addr, '@') <= 0 {
		return nil, errors.New("annuaire: not a mailbox address: " + addr)
	}
	out, err := c.lookupExact(ctx, addr)
	if err == nil && len(out) == 0 {
		if lower := strings.ToLower(addr); lower != addr {
			return c.lookupExact(ctx, lower)
		}
	}
	return out, err
}

func (c *Client) lookupExact(ctx context.Context, addr string) ([]OwnedMailbox, error) {
	queries := []Query{
		&PractitionerQuery{Mailbox: addr},
		&PractitionerRoleQuery{Mailbox: addr},
		&OrganizationQuery{Mailbox: addr},
	}
	results := make([][]OwnedMailbox, len(queries))
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r, err := range c.Search(ctx, q) {
				if err != nil {
					errs[i] = err
					return
				}
				owned, _ := ResourceMailboxes(r)
				for _, o := range owned {
					if strings.EqualFold(o.Mailbox.Address, addr) {
						results[i] = append(results[i], o)
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []OwnedMailbox
	for _, r := range results {
		out = append(out, r...)
	}
	if out == nil {
		out = []OwnedMailbox{}
	}
	return out, nil
}
