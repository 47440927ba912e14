package mssante

import (
	"context"
	"log/slog"
	"time"
)

// AuditEvent is the trace of one mailbox operation (Ref#2 ECO.4.1.1): who,
// when, what, on which object, with which result. It never holds a secret.
type AuditEvent struct {
	Time   time.Time
	Actor  string // the mailbox the client works for
	Action string // e.g. "smtp.send", "imap.fetch", "imap.move"
	Object string // what the action was about: a Message-ID, a folder, UIDs
	Server string // the operator endpoint
	Err    error  // nil when the operation succeeded
}

// Result returns "ok" or the error text.
func (e AuditEvent) Result() string {
	if e.Err == nil {
		return "ok"
	}
	return e.Err.Error()
}

// Auditor receives the audit events of a client. Implementations must be
// safe for concurrent use.
type Auditor interface {
	Audit(ctx context.Context, e AuditEvent)
}

// AuditorFunc adapts a function to Auditor.
type AuditorFunc func(ctx context.Context, e AuditEvent)

// Audit calls f.
func (f AuditorFunc) Audit(ctx context.Context, e AuditEvent) { f(ctx, e) }

// SlogAuditor writes audit events to a slog.Logger at level Info (Warn for
// failures), with the attributes actor, action, object, server and result.
func SlogAuditor(l *slog.Logger) Auditor {
	return AuditorFunc(func(ctx context.Context, e AuditEvent) {
		level := slog.LevelInfo
		if e.Err != nil {
			level = slog.LevelWarn
		}
		l.LogAttrs(ctx, level, "mssante audit",
			slog.Time("time", e.Time), slog.String("actor", e.Actor), slog.String("action", e.Action),
			slog.String("object", e.Object), slog.String("server", e.Server), slog.String("result", e.Result()))
	})
}
