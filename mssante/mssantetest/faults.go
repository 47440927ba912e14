package mssantetest

import (
	"net"
	"sync"

	"github.com/emersion/go-smtp"
)

// Stage is a point of a session where a fault can be injected.
type Stage string

// Stages.
const (
	StageGreeting Stage = "greeting" // SMTP: a new connection
	StageAuth     Stage = "auth"     // SMTP AUTH, IMAP LOGIN/AUTHENTICATE
	StageMail     Stage = "mail"     // SMTP MAIL FROM
	StageRcpt     Stage = "rcpt"     // SMTP RCPT TO
	StageData     Stage = "data"     // SMTP DATA, before the content is read
	StageDataEnd  Stage = "data-end" // SMTP DATA, content read, before the reply
	// StageDataAccepted: SMTP DATA, the message delivered, before the 250
	// reaches the client: the window where a client cannot know that its
	// message was taken.
	StageDataAccepted Stage = "data-accepted"
	StageFetch        Stage = "imap-fetch" // IMAP FETCH
	StageIdle         Stage = "imap-idle"  // IMAP IDLE
)

// Fault describes what goes wrong at a stage.
type Fault struct {
	Stage Stage
	// Drop closes the connection at the stage.
	Drop bool
	// Code, Enhanced and Message give the SMTP reply sent instead of the
	// normal one when Drop is false, e.g. 421 or 451 (temporary), 550 or
	// 552 (permanent).
	Code     int
	Enhanced [3]int
	Message  string
	// Times is how many times the fault fires. Zero means once.
	Times int

	mu    sync.Mutex
	fired int
}

// Fired returns how many times the fault fired.
func (f *Fault) Fired() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// InjectFault arms a fault. Faults fire in the order they were injected.
func (s *Server) InjectFault(f *Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, f)
	s.mu.Unlock()
}

// ClearFaults disarms every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// fault fires the first armed fault of the stage: it closes conn, or returns
// the SMTP error to answer.
func (s *Server) fault(stage Stage, conn net.Conn) error {
	s.mu.Lock()
	var f *Fault
	for _, c := range s.faults {
		c.mu.Lock()
		times := c.Times
		if times == 0 {
			times = 1
		}
		if c.Stage == stage && c.fired < times {
			c.fired++
			f = c
		}
		c.mu.Unlock()
		if f != nil {
			break
		}
	}
	s.mu.Unlock()
	if f == nil {
		return nil
	}
	if f.Drop {
		conn.Close()
		return errClosedByFault
	}
	return &smtp.SMTPError{Code: f.Code, EnhancedCode: smtp.EnhancedCode(f.Enhanced), Message: f.Message}
}
