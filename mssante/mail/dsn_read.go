package mail

import (
	"strings"
)

// parseDSNFields reads the body of a message/delivery-status part: a block
// of per-message fields, then one block per recipient. It never fails: what
// the report lacks or gets wrong is returned as problems, and the report
// keeps every field that could be read.
//
// Two shapes seen in the wild are read too: per-recipient fields in the
// first block (no blank line after the per-message fields, or no
// per-message block at all), and a recipient block without Final-Recipient
// (kept, unnamed).
func parseDSNFields(blocks []fieldBlock, part string) (*DSN, []error) {
	d := &DSN{}
	if len(blocks) == 0 {
		return d, []error{&ParseError{Part: part, Reason: "empty report"}}
	}
	probs := problemList{part: part}
	msg, rcpts := blocks[0], blocks[1:]
	if msg.get("Final-Recipient") != "" || msg.get("Action") != "" {
		rcpts = blocks
	}
	d.ReportingMTA = stripType(msg.get("Reporting-MTA"))
	d.OriginalEnvelopeID = strings.TrimSpace(msg.get("Original-Envelope-Id"))
	d.ArrivalDate = parseDate(msg.get("Arrival-Date"))
	for _, b := range rcpts {
		r := DSNRecipient{
			FinalRecipient:    stripType(b.get("Final-Recipient")),
			OriginalRecipient: stripType(b.get("Original-Recipient")),
			ReportedStatus:    firstWord(b.get("Status")),
			DiagnosticCode:    b.get("Diagnostic-Code"),
			RemoteMTA:         stripType(b.get("Remote-MTA")),
			LastAttemptDate:   parseDate(b.get("Last-Attempt-Date")),
			WillRetryUntil:    parseDate(b.get("Will-Retry-Until")),
		}
		action := b.get("Action")
		switch a := DSNAction(strings.ToLower(firstWord(action))); a {
		case ActionFailed, ActionDelayed, ActionDelivered, ActionRelayed, ActionExpanded:
			r.Action = a
		case "":
		default:
			probs.add(&ParseError{Part: part, Reason: "unknown Action", Quote: quote([]byte(action))})
		}
		switch {
		case validStatus(r.ReportedStatus):
			r.Status = r.ReportedStatus
		case r.ReportedStatus != "":
			probs.add(&ParseError{Part: part, Reason: "invalid Status", Quote: quote([]byte(r.ReportedStatus))})
		}
		if r.FinalRecipient == "" && r.OriginalRecipient == "" && action == "" && r.ReportedStatus == "" {
			continue // a block of extension fields, or a stray one
		}
		if r.FinalRecipient == "" {
			probs.add(&ParseError{Part: part, Reason: "recipient block without Final-Recipient"})
		}
		d.Recipients = append(d.Recipients, r)
	}
	return d, probs.list()
}

// infer completes a report with what its human-readable text and subject
// say (issue seen with Exim, which writes "Status: 5.0.0" whatever the
// reason, and with Postfix's "Delivery report unavailable"):
//   - a missing, invalid or generic (X.0.0) status is refined from the
//     first enhanced code of the same class in Diagnostic-Code, then in the
//     text about the recipient (StatusInferred);
//   - a missing action is read from the status class, else from the report
//     as a whole (ActionInferred);
//   - a report without any recipient block gets one unnamed entry, and the
//     problem ReasonNoRecipientStatus.
func (d *DSN) infer(text, subject, part string) []error {
	text = text[:min(len(text), maxInferText)]
	lowerText := asciiLower(text)
	single := len(d.Recipients) == 1
	for i := range d.Recipients {
		r := &d.Recipients[i]
		if r.Status == "" || genericStatus(r.Status) {
			classes := statusClasses(r)
			code := bestCode(r.DiagnosticCode, classes)
			if code == "" || genericStatus(code) {
				if c := bestCode(recipientText(text, lowerText, r, single), classes); c != "" && (code == "" || !genericStatus(c)) {
					code = c
				}
			}
			if code != "" && code != r.Status {
				r.Status, r.StatusInferred = code, true
			}
		}
		if r.Action == "" {
			r.ActionInferred = true
			if r.Action = classAction(r.Status); r.Action == "" {
				r.Action, _ = reportVerdict(text, subject)
			}
		}
	}
	if len(d.Recipients) > 0 {
		return nil
	}
	action, status := reportVerdict(text, subject)
	d.Recipients = append(d.Recipients, DSNRecipient{Action: action, ActionInferred: true, Status: status, StatusInferred: status != ""})
	return []error{&ParseError{Part: part, Reason: ReasonNoRecipientStatus}}
}

// maxInferText bounds how much of the human-readable text is searched for
// status codes: the codes are near the top, and the search stays cheap
// whatever the size of the text.
const maxInferText = 64 << 10

// statusClasses returns the classes a code refining r's status may have:
// the class of a generic status, else those its action allows ("4" for
// "failed" too: Postfix reports an expired message as failed with 4.4.7).
func statusClasses(r *DSNRecipient) string {
	if r.Status != "" {
		return r.Status[:1]
	}
	switch r.Action {
	case ActionFailed:
		return "54"
	case ActionDelayed:
		return "4"
	case ActionDelivered, ActionRelayed, ActionExpanded:
		return "2"
	}
	return "542"
}

// classAction is the action a status class stands for, or "".
func classAction(status string) DSNAction {
	if status == "" {
		return ""
	}
	switch status[0] {
	case '5':
		return ActionFailed
	case '4':
		return ActionDelayed
	case '2':
		return ActionDelivered
	}
	return ""
}

// reportVerdict reads what a report says as a whole, for recipients it does
// not name: the subject first ("Undelivered Mail Returned to Sender",
// "Delayed Mail", "Delivery Status Notification (Success)", and the French
// wordings), else the class of the first enhanced code of the text, else a
// failure: a report that says nothing more is a bounce. The status is the
// first code of the text that fits the action, or "".
func reportVerdict(text, subject string) (DSNAction, string) {
	s := strings.ToLower(subject)
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	var action DSNAction
	switch {
	case has("undeliver", "failure", "failed", "non distribu", "non remis", "échec", "echec", "returned", "rejected", "refus"):
		action = ActionFailed
	case has("delay", "retard", "warning", "avertissement", "still being retried", "en attente"):
		action = ActionDelayed
	case has("success", "réussi", "reussi", "delivered", "remis", "relayed"):
		action = ActionDelivered
	}
	if action == "" {
		code := bestCode(text, "542")
		if action = classAction(code); action == "" {
			return ActionFailed, ""
		}
		return action, code
	}
	classes := map[DSNAction]string{ActionFailed: "54", ActionDelayed: "4", ActionDelivered: "2"}[action]
	return action, bestCode(text, classes)
}

// recipientText returns the part of the human-readable text about r: from
// the first mention of its address to the next blank line (Postfix,
// Sendmail and Exim write one paragraph per address), or the whole text for
// the only recipient of a report that does not mention it.
func recipientText(text, lowerText string, r *DSNRecipient, single bool) string {
	for _, addr := range []string{r.FinalRecipient, r.OriginalRecipient} {
		if addr == "" {
			continue
		}
		if i := strings.Index(lowerText, asciiLower(addr)); i >= 0 {
			seg := text[i:min(len(text), i+2000)]
			if j := strings.Index(seg, "\n\n"); j >= 0 {
				seg = seg[:j]
			}
			return seg
		}
	}
	if single {
		return text
	}
	return ""
}

// bestCode returns the first enhanced status code of s whose class is in
// classes, preferring one that is not generic (X.0.0).
func bestCode(s, classes string) string {
	first := ""
	for s != "" {
		code, rest := nextCode(s)
		if code == "" {
			break
		}
		s = rest
		if !strings.Contains(classes, code[:1]) {
			continue
		}
		if !genericStatus(code) {
			return code
		}
		if first == "" {
			first = code
		}
	}
	return first
}

// nextCode finds the next RFC 3463 enhanced status code in s standing
// alone (not part of a longer dotted number such as an IP address or a
// version), and returns it with the text after it.
func nextCode(s string) (code, rest string) {
	for i := 0; i+5 <= len(s); i++ {
		c := s[i]
		if c != '2' && c != '4' && c != '5' || s[i+1] != '.' {
			continue
		}
		if i > 0 && (isDigit(s[i-1]) || s[i-1] == '.') {
			continue
		}
		j := i + 2
		n := countDigits(s[j:])
		if n == 0 || n > 3 || j+n >= len(s) || s[j+n] != '.' {
			continue
		}
		j += n + 1
		n = countDigits(s[j:])
		if n == 0 || n > 3 {
			continue
		}
		j += n
		if j < len(s) && s[j] == '.' && j+1 < len(s) && isDigit(s[j+1]) {
			continue
		}
		return s[i:j], s[j:]
	}
	return "", ""
}

// validStatus reports whether v is an enhanced status code (RFC 3464
// §2.3.4): class 2, 4 or 5, subject and detail of one to three digits.
func validStatus(v string) bool {
	code, rest := nextCode(v)
	return code != "" && code == v && rest == ""
}

// genericStatus reports whether a valid code says only its class (X.0.0).
func genericStatus(code string) bool { return strings.HasSuffix(code, ".0.0") && len(code) == 5 }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func countDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// asciiLower lower-cases the ASCII letters of s only, so that indexes into
// the result are valid in s whatever bytes s holds.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
