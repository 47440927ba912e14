package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/delivery/boltstore"
	"github.com/mssante-go/sdk/mssante/mail"
)

// timelineLines runs mss track --timeline and returns its lines.
func timelineLines(t *testing.T, args ...string) []string {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"track", "--timeline"}, args...)...)
	if code != exitOK || stderr != "" {
		t.Fatalf("%q: exit %d %q", args, code, stderr)
	}
	t.Log("\n" + stdout)
	return strings.Split(strings.TrimRight(stdout, "\n"), "\n")
}

// checkLines asserts that each line holds its fields, in order.
func checkLines(t *testing.T, lines []string, want [][]string) {
	t.Helper()
	if len(lines) != len(want) {
		t.Errorf("%d lines, want %d", len(lines), len(want))
	}
	for i := 0; i < len(lines) && i < len(want); i++ {
		rest := lines[i]
		for _, w := range want[i] {
			at := strings.Index(rest, w)
			if at < 0 {
				t.Errorf("line %d %q lacks %q (in this order)", i, lines[i], w)
				break
			}
			rest = rest[at+len(w):]
		}
	}
}

// The timeline of a message, per recipient: the ladder reached and still
// awaited, each step with its time, its delay since queued, its cause and
// its report code.
func TestTrackTimelineText(t *testing.T) {
	path := trackStore(t)
	checkLines(t, timelineLines(t, "<2@medecin.mssante.fr>", "--store", path), [][]string{
		{"Message 2@medecin.mssante.fr (pending)"},
		{"subject: Lettre de sortie"},
		{"from:", "a@medecin.mssante.fr"},
		{"queued:", "2026-11-26T09:03:00Z"},
		{"asked:", "delivery receipt (DSN) and read receipt (MDN)"},
		{},
		{"c@ch-test.mssante.fr: queued → submitted → (delivered) → (displayed)"},
		{"2026-11-26T09:03:00Z", "+0s", "queued", "caller"},
		{"2026-11-26T09:04:00Z", "+1m00s", "submitted", "smtp"},
		{"waiting", "delivered", "-", "waiting for the delivery report (DSN)"},
		{"waiting", "displayed", "-", "waiting for the read receipt (MDN)"},
		{},
		{"279035121518989@patient.mssante.fr: queued → submitted → failed"},
		{"queued", "caller"},
		{"submitted", "smtp"},
		{"2026-11-26T09:07:00Z", "+4m00s", "failed", "dsn", "5.2.1", "Mon Espace Santé mailbox is closed"},
	})
	checkLines(t, timelineLines(t, "1@medecin.mssante.fr", "--store", path)[6:], [][]string{
		{"b@ch-test.mssante.fr: queued → submitted → delivered → displayed"},
		{"queued", "caller"},
		{"submitted", "smtp"},
		{"+4m00s", "delivered", "dsn", "2.0.0"},
		{"+5m00s", "displayed", "mdn"},
	})

	// The read receipt that did not come ends the wait: nothing is
	// awaited, nothing failed.
	path = readTimeoutStore(t)
	lines := timelineLines(t, "3@medecin.mssante.fr", "--store", path)
	checkLines(t, lines[:1], [][]string{{"Message 3@medecin.mssante.fr (settled)"}})
	checkLines(t, lines[6:], [][]string{
		{"b@ch-test.mssante.fr: queued → submitted → delivered → no read receipt"},
		{"queued"},
		{"submitted"},
		{"delivered", "dsn", "2.0.0"},
		{"+8d00h", "delivered", "timeout", "2.0.0", "no read receipt before the deadline"},
	})
	// A report the parser could not fully read says so.
	lines = timelineLines(t, "4@medecin.mssante.fr", "--store", path)
	checkLines(t, lines[len(lines)-1:], [][]string{{"failed", "dsn", "report without per-recipient status", "(report problems: malformed message/delivery-status"}})

	// --json: the object of mss track --json, with this message alone.
	code, stdout, _ := runCLI(t, "track", "--store", path, "--timeline", "4@medecin.mssante.fr", "--json")
	var got trackJSON
	if err := json.Unmarshal([]byte(stdout), &got); code != exitOK || err != nil || len(got.Messages) != 1 || got.Messages[0].MessageID != "4@medecin.mssante.fr" {
		t.Errorf("--json: exit %d %v\n%s", code, err, stdout)
	}
	// A message the store does not have.
	code, stdout, stderr := runCLI(t, "track", "--store", path, "--timeline", "<9@medecin.mssante.fr>")
	if code != exitFailure || stdout != "" || stderr != "mss track: --timeline: no message \"9@medecin.mssante.fr\" in the store\n" {
		t.Errorf("unknown message: exit %d %q %q", code, stdout, stderr)
	}
}

// hostileStore writes a store with one message whose subject, addresses
// and reports carry markup, as a hostile or broken peer could send.
func hostileStore(t *testing.T) (path, id, subject string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "track.db")
	st, err := boltstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tr := delivery.NewTracker(&delivery.TrackerOptions{Store: st, Clock: &stepClock{now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), step: time.Minute}})
	ctx := context.Background()
	id = "5@medecin.mssante.fr"
	subject = `<script>alert("x")</script> & <img src=x onerror=alert(1)> ]]> Résultats` + "\x1b[31m\x00\xff"
	m := &mail.Message{MessageID: id, From: mail.MustParseAddress("a@medecin.mssante.fr"), Subject: subject, RequestDeliveryReceipt: true,
		To: []mail.Address{mail.MustParseAddress("b@ch-test.mssante.fr"), mail.MustParseAddress("c@ch-test.mssante.fr")}}
	res := &mssante.SendResult{MessageID: id, DSNRequested: true, Recipients: []mssante.RecipientResult{
		{Address: "b@ch-test.mssante.fr", Accepted: true},
		{Address: "c@ch-test.mssante.fr", Err: errors.New(`550 5.1.1 <c@ch-test.mssante.fr>: "unknown" <script>x</script>`)},
	}}
	if err := tr.Sent(ctx, m, res, nil); err != nil {
		t.Fatal(err)
	}
	dsn := &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: id, Recipients: []mail.DSNRecipient{{FinalRecipient: "b@ch-test.mssante.fr",
		Action: mail.ActionFailed, Status: "5.7.1", DiagnosticCode: `smtp; 550 5.7.1 <iframe src="https://evil.example/"></iframe> refused`}}}}
	if ok, err := tr.Observe(ctx, dsn); !ok || err != nil {
		t.Fatalf("observe: %v %v", ok, err)
	}
	return path, id, subject
}

// --html writes one self-contained page: well-formed (XHTML, read here
// with encoding/xml), nothing fetched from elsewhere, no script, and every
// text from the network escaped, shown as it was written.
func TestTrackTimelineHTML(t *testing.T) {
	path, id, subject := hostileStore(t)
	page := filepath.Join(t.TempDir(), "timeline.html")
	code, stdout, stderr := runCLI(t, "track", "--store", path, "--timeline", id, "--html", page)
	if code != exitOK || stdout != "" || stderr != "" {
		t.Fatalf("exit %d %q %q", code, stdout, stderr)
	}
	data, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(page); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the page (subjects may name patients) is readable by others: %v", info.Mode())
	}
	// "--html -" writes the same page on standard output.
	if code, stdout, _ := runCLI(t, "track", "--store", path, "--timeline", id, "--html", "-"); code != exitOK ||
		stripDrawn(stdout) != stripDrawn(string(data)) {
		t.Errorf("--html -: exit %d, not the same page", code)
	}
	html := string(data)
	t.Log("\n" + html)
	for _, bad := range []string{"<script", "<img", "<iframe", "\x1b", "\x00"} {
		if strings.Contains(html, bad) {
			t.Errorf("the page holds %q", bad)
		}
	}

	dec := xml.NewDecoder(strings.NewReader(html))
	dec.Strict = true
	var (
		stack []string
		texts = map[string][]string{} // element path -> texts
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XHTML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch tok.Name.Local {
			case "script", "link", "img", "iframe", "object", "embed", "base":
				t.Errorf("element <%s>", tok.Name.Local)
			}
			for _, a := range tok.Attr {
				if n := strings.ToLower(a.Name.Local); n == "src" || n == "href" || n == "style" || strings.HasPrefix(n, "on") {
					t.Errorf("attribute %s=%q on <%s>", a.Name.Local, a.Value, tok.Name.Local)
				}
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				k := strings.Join(stack, "/")
				texts[k] = append(texts[k], s)
			}
		}
	}
	shown := oneLine(subject) // control characters become spaces, bad UTF-8 U+FFFD
	if h1 := texts["html/body/h1"]; len(h1) != 1 || h1[0] != strings.TrimSpace(shown) {
		t.Errorf("h1 %q, want %q", h1, shown)
	}
	if title := texts["html/head/title"]; len(title) != 1 || title[0] != "Timeline of "+id {
		t.Errorf("title %q", title)
	}
	if h2 := texts["html/body/section/h2"]; len(h2) != 2 || h2[0] != "b@ch-test.mssante.fr" || h2[1] != "c@ch-test.mssante.fr" {
		t.Errorf("recipients %q", h2)
	}
	cells := strings.Join(texts["html/body/section/table/tbody/tr/td"], "\n")
	for _, want := range []string{`<iframe src="https://evil.example/"></iframe> refused`, `"unknown" <script>x</script>`, "5.7.1", "dsn", "failed"} {
		if !strings.Contains(cells, want) {
			t.Errorf("the table lacks %q:\n%s", want, cells)
		}
	}
	path2 := texts["html/body/section/ol/li"]
	if strings.Join(path2, " ") != "queued → submitted → failed queued → failed" {
		t.Errorf("paths %q", path2)
	}

	// The text timeline keeps the terminal safe too.
	code, stdout, _ = runCLI(t, "track", "--store", path, "--timeline", id)
	if code != exitOK || strings.ContainsAny(stdout, "\x1b\x00") || !strings.Contains(stdout, `<script>alert("x")</script>`) {
		t.Errorf("text: exit %d\n%q", code, stdout)
	}
}

// stripDrawn removes the time the page was drawn.
func stripDrawn(s string) string {
	if i := strings.Index(s, "<footer>"); i >= 0 {
		return s[:i]
	}
	return s
}
