package mssante

import (
	"bytes"
	"net"
)

// maxEHLOBytes bounds what ehloRecorder keeps: the greeting and the EHLO
// answer of a real server fit in far less.
const maxEHLOBytes = 8 << 10

// ehloRecorder keeps what the SMTP server sends in clear, the greeting and
// the answer to EHLO, to read the capabilities it advertised: go-smtp
// checks STARTTLS inside NewClientStartTLS and tells only by its error
// text. Once the answer is complete it only passes the bytes on.
type ehloRecorder struct {
	net.Conn
	buf  []byte
	done bool
}

func (r *ehloRecorder) Read(p []byte) (int, error) {
	n, err := r.Conn.Read(p)
	if !r.done && n > 0 {
		r.buf = append(r.buf, p[:min(n, maxEHLOBytes-len(r.buf))]...)
		r.done = len(r.buf) >= maxEHLOBytes || r.answered()
	}
	return n, err
}

// ehloLines returns the complete reply lines of the EHLO (or HELO) answer:
// those with code 250, the last one ending the answer.
func (r *ehloRecorder) ehloLines() (lines [][]byte, complete bool) {
	for rest := r.buf; ; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return lines, false
		}
		line := bytes.TrimRight(rest[:i], "\r")
		rest = rest[i+1:]
		if len(line) < 4 || string(line[:3]) != "250" {
			continue // the greeting (220), or not a reply line
		}
		lines = append(lines, line[4:])
		if line[3] == ' ' {
			return lines, true
		}
	}
}

// answered reports whether the server's answer to EHLO (or HELO) was read
// whole and accepted the greeting.
func (r *ehloRecorder) answered() bool {
	_, complete := r.ehloLines()
	return complete
}

// offers reports whether the EHLO answer lists the extension keyword (RFC
// 5321 §4.1.1.1: one per line after the first, the keyword first).
func (r *ehloRecorder) offers(keyword string) bool {
	lines, _ := r.ehloLines()
	for i, l := range lines {
		if i == 0 {
			continue // the server's domain and greeting
		}
		kw, _, _ := bytes.Cut(l, []byte(" "))
		if bytes.EqualFold(kw, []byte(keyword)) {
			return true
		}
	}
	return false
}
