// Package annuaire finds MSSanté mailboxes (BAL) in the Annuaire Santé, as
// an MSSanté client must let its users do (ANS Référentiel #2, ECO.3.1.4).
// It offers two sources:
//
//   - the Annuaire Santé FHIR API (R4, JSON, https://gateway.api.esante.gouv.fr/fhir/v2,
//     key in the ESANTE-API-KEY header): [Client] ([NewClient]), with typed searches of
//     Practitioner, PractitionerRole and Organization, paging through
//     link[next] as Go iterators, reads by id, and [Client.LookupAddress];
//   - the daily bulk file Extraction_Correspondance_MSSante (ZIP or text,
//     '|'-separated UTF-8, 31 columns, about 535,000 rows): [ExtractionReader]
//     streams it, [Index] answers lookups by address, RPPS/idNat_PS,
//     structure and name prefix in memory, [DownloadExtraction] fetches it
//     with a conditional GET and [Diff] compares two of them.
//
// # FHIR model
//
// The FHIR types are small hand-written structs ([Practitioner],
// [PractitionerRole], [Organization], [Bundle], [OperationOutcome]) with
// only the elements the SDK reads; there is no FHIR framework. A telecom is
// an MSSanté mailbox ([ContactPoint.Mailbox]) when it carries the fr-core
// email-type extension with code MSSANTE or the as-ext-mailbox-mss-metadata
// extension: the Annuaire IG examples sometimes carry only the first, the
// MSSanté IG examples only the second. The metadata give the type (PER,
// ORG, APP, CAB), description, service, responsible and listeRouge; the
// "digitization" flag, removed from the IG in June 2026 but still seen in
// API answers, is read when present. Identifiers are recognised in both the
// v2 systems (https://rpps.esante.gouv.fr...) and the v1 ones
// (http://rpps.fr...).
//
// # Client behaviour
//
// The client spaces its requests to stay under the ANS quota (17 requests
// per second per application; golang.org/x/time/rate's token bucket,
// shared by every goroutine using the Client, read on Options.Clock), asks for pages of 50 (at most 200, as the ANS
// recommends), and retries 429, 502, 503, 504 and network errors with
// exponential back-off and jitter, honouring Retry-After. Errors are
// [*APIError] values matching [ErrNotFound], [ErrRateLimited],
// [ErrUnavailable]...; the gateway's empty or non-FHIR bodies are kept
// as text, FHIR OperationOutcome bodies are decoded.
//
// Where the SDK deliberately differs from what the documents allow:
//
//   - next-page links are followed exactly as given, but only on the host
//     of the base URL, so the API key is never sent elsewhere;
//   - address lookups use mailbox-mss:exact, never :contains (measured not
//     to be a real substring index), then keep telecoms equal to the
//     address ignoring case;
//   - mailbox-mss-type is in the IG but not served (June 2026): filter on
//     [Mailbox.Type] client-side instead.
//
// # Extraction
//
// Columns are found by header name, compared without case, accents or
// punctuation, so a reordered file or one with extra columns reads
// correctly; the header and rows may end with a trailing '|'. A bad line
// (wrong field count, no address, invalid UTF-8, too long) is reported as a
// [*RowError] with its line number, and reading goes on. The Index keeps
// the file text once, in chunks of about a megabyte, and per row only the
// byte spans of its columns (no pointers, so the garbage collector does not
// scan them); rows are materialised on lookup without copying. Exact keys
// are looked up in compact open-addressing tables, built at load time or,
// with [IndexOptions].Lazy, on first use; the name index (accent- and
// case-insensitive prefixes, see [FoldName]) is always built on first use.
//
// The ANS extraction server presents an IGC-Santé certificate, which public
// trust stores do not hold: give [DownloadExtraction] an *http.Client
// trusting the IGC-Santé roots.
//
// Redirects. net/http would forward the ESANTE-API-KEY header to whatever
// host a redirect names. The [Client] therefore refuses a redirect to
// another host, as it refuses a next-page link to another host
// ([ErrForeignNextLink]), and a redirect from https to http: the request
// fails with an error matching [ErrRedirect] and is not retried. Redirects on
// the same host (the gateway sends /fhir to /fhir/v2) are followed.
// [DownloadExtraction] carries no credential and follows a redirect to
// another host (the data.gouv.fr mirror uses one), but never from https to
// http. Neither uses http.DefaultClient.
package annuaire
