package main

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// With MSSANTE_STORE, mss send FILE.eml records the message (with the
// reports it asks for) and mss sync the delivery report: mss track shows
// the recipient submitted, then delivered.
func TestSendEMLTracked(t *testing.T) {
	s := newOperator(t, "a@medecin.mssante.fr", "b@ch-test.mssante.fr")
	sandboxEnv(t, s, "a@medecin.mssante.fr")
	t.Setenv("MSSANTE_STORE", filepath.Join(t.TempDir(), "tracker.db"))

	eml := filepath.Join(t.TempDir(), "msg.eml")
	if code, _, stderr := runCLI(t, "compose", "--from", "a@medecin.mssante.fr", "--to", "b@ch-test.mssante.fr",
		"--subject", "s", "--text", "t", "--read-receipt", "--product-ref", "DEV935997", "-o", eml); code != 0 {
		t.Fatalf("compose: %s", stderr)
	}
	code, stdout, stderr := runCLI(t, "send", eml, "--json")
	if code != 0 {
		t.Fatalf("send: %s", stderr)
	}
	var sent struct {
		MessageID string `json:"messageId"`
	}
	if err := json.Unmarshal([]byte(stdout), &sent); err != nil || sent.MessageID == "" {
		t.Fatalf("send --json: %v %s", err, stdout)
	}
	id := sent.MessageID
	if got := trackedStates(t, id); got["b@ch-test.mssante.fr"] != "submitted" {
		t.Errorf("after send: %v", got)
	}
	// The reports the file asks for: a DSN (mss send's default) and,
	// from its Disposition-Notification-To, a read receipt.
	_, out, _ := runCLI(t, "track", "--json")
	var tracked trackJSON
	if err := json.Unmarshal([]byte(out), &tracked); err != nil || len(tracked.Messages) != 1 {
		t.Fatalf("mss track --json: %v\n%s", err, out)
	}
	if m := tracked.Messages[0]; m.MessageID != id || !m.DeliveryReceipt || !m.ReadReceipt {
		t.Errorf("mss track --json: %+v, want %s with both receipts asked", m, id)
	}
	syncLines(t)
	if got := trackedStates(t, id); got["b@ch-test.mssante.fr"] != "delivered" {
		t.Errorf("after sync: %v", got)
	}
	// A second sync reads nothing new and changes nothing.
	syncLines(t)
	if got := trackedStates(t, id); len(got) != 1 || got["b@ch-test.mssante.fr"] != "delivered" {
		t.Errorf("after a second sync: %v", got)
	}
}
