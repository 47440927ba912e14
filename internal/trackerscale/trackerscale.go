// Package trackerscale is the load of the tracker at scale: the tracked
// messages, their delivery reports and the clock that storetest.TestScale
// asserts the work of (one message read per report, only the due ones by
// CheckTimeouts) and that pair 9 of internal/bench times. It does not
// import testing, so that mss bench does not link it.
package trackerscale

import (
	"fmt"
	"time"

	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/delivery"
	"github.com/mssante-go/sdk/mssante/mail"
)

// epoch is when the first due message was created.
var epoch = time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC)

// Now is the time of the tracker: the due messages were submitted more
// than 48 hours before, the others less.
var Now = epoch.Add(49 * time.Hour)

// Message returns message i: one recipient, submitted with a delivery
// receipt asked, waiting for it; due (submitted 49 hours before Now, a
// millisecond apart) or not (30 minutes before, a microsecond apart).
func Message(i int, due bool) *delivery.TrackedMessage {
	created := Now.Add(-30*time.Minute + time.Duration(i)*time.Microsecond)
	if due {
		created = epoch.Add(time.Duration(i) * time.Millisecond)
	}
	id := fmt.Sprintf("scale-%07d@medecin.mssante.fr", i)
	rcpt := fmt.Sprintf("dr%d@ch-test.mssante.fr", i%1000)
	sub := created.Add(time.Second)
	return &delivery.TrackedMessage{MessageID: id, EnvelopeID: mssante.EnvelopeID(id), From: "a@medecin.mssante.fr", Subject: "Lettre de liaison",
		Created: created, Submitted: sub, DeliveryReceipt: true,
		Recipients: []delivery.RecipientStatus{{Address: rcpt, State: delivery.StateSubmitted, Since: sub, Cause: delivery.CauseSMTP,
			History: []delivery.Transition{
				{Time: created, To: delivery.StateQueued, Cause: delivery.CauseOutbox},
				{Time: sub, From: delivery.StateQueued, To: delivery.StateSubmitted, Cause: delivery.CauseSMTP},
			}}}}
}

// Report returns the delivery report ("delivered") of Message(i, false).
func Report(i int) *mail.Message {
	m := Message(i, false)
	return &mail.Message{DSN: &mail.DSN{OriginalEnvelopeID: m.EnvelopeID,
		Recipients: []mail.DSNRecipient{{FinalRecipient: m.Recipients[0].Address, Action: mail.ActionDelivered, Status: "2.0.0"}}}}
}

// Clock is a tracker clock stopped at Now.
type Clock struct{}

func (Clock) Now() time.Time                         { return Now }
func (Clock) After(d time.Duration) <-chan time.Time { return time.After(d) }
