// Package delivery follows what an MSSanté mailbox sends, per recipient,
// from submission to read receipt, and makes sending durable.
//
// A [Tracker] is fed by the outcome of each submission (Track, then Sent
// around mssante.Client.Send) and by the reports the mailbox receives
// (Observe with each message of mssante.Client.Sync): RFC 3464 delivery
// status notifications, then RFC 8098 read receipts and the CI-SIS
// integration receipts, matched on the ENVID, the Original-Message-ID and
// the returned headers. A recipient only moves up a ladder of states
// (queued, submitted, delayed, delivered or relayed, displayed, processed
// or deleted, or failed), so duplicate and late reports change nothing.
//
// An [Outbox] is the tracked, durable way to send: Send stores the message
// (encoded once, exactly as it will go out) and returns; Run submits in the
// background with retries, at least once with the same Message-ID, and
// records each outcome in the Tracker. Both keep their state in a [Store]:
// [NewMemoryStore] for tests, package boltstore for one process on one
// machine, package pgstore (PostgreSQL) for several processes or machines.
// Every Store keeps one contract, checked by package storetest: atomic
// updates of a tracked message, lookups by Message-ID and ENVID through
// indexes, queries in pages with a cursor, outbox claims with a lease, and
// purges in batches; so a tracker holding a million messages answers a
// report or a timeout check in milliseconds, and several processes share
// one outbox without sending a message twice outside the documented
// window (see [Outbox]).
//
// # Where it differs
//
// The Tracker follows the delivery-notification model of the Direct
// Project, with MSSanté's reports; see its doc for the differences. Its
// read deadline is not a failure: a read receipt a patient never returns
// leaves the recipient delivered, marked [RecipientStatus.NoReadReceipt].
package delivery
