package interop_test

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"math/rand"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/mssante-go/sdk/internal/mailserver"
	"github.com/mssante-go/sdk/mssante"
	"github.com/mssante-go/sdk/mssante/mail"
)

// attachmentSize is the size of the large attachment: 20 MiB, about 27 MiB
// once base64-encoded (the harness raises the MTA's message size limit to
// 64 MiB).
const attachmentSize = 20 << 20

// A 20 MB attachment goes through the MTA and the IMAP server intact, with bounded
// memory: streamed by Send (the heap grows by much less than the
// attachment) and by Sync, whose parsed message may hold the decoded
// attachment (in memory or spooled to a file) but no more than a small
// multiple of it.
func TestLargeAttachment(t *testing.T) {
	run(t, pairs(), nil, testLargeAttachment)
}

func testLargeAttachment(t *testing.T, v variant, s *mailserver.Server) {
	a := user(t, s, drA)
	b := user(t, s, drB)

	var sent hash.Hash
	msg := textMessage(drB)
	msg.RequestDeliveryReceipt = false
	msg.Attachments = []*mail.Attachment{{
		Filename:    "imagerie.pdf",
		ContentType: "application/pdf",
		Size:        attachmentSize,
		Open: func() (io.ReadCloser, error) {
			// Deterministic noise, made while it is read: the test holds
			// none of it.
			sent = sha256.New()
			src := io.LimitReader(rand.New(rand.NewSource(20)), attachmentSize)
			return io.NopCloser(io.TeeReader(src, sent)), nil
		},
	}}

	sendPeak := heapPeak(t, func() { send(t, a, msg) })
	var got []*mssante.Received
	recvPeak := heapPeak(t, func() { got = receive(t, b, "INBOX", &mssante.Cursor{}, 1) })

	in := got[0].Message
	if in.MessageID != msg.MessageID || len(in.Attachments) != 1 {
		t.Fatalf("received %s with %d attachments", in.MessageID, len(in.Attachments))
	}
	rc, err := in.Attachments[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil || n != attachmentSize || !bytes.Equal(h.Sum(nil), sent.Sum(nil)) {
		t.Fatalf("attachment changed in transit: %d bytes (want %d), %v", n, attachmentSize, err)
	}

	t.Logf("20 MB attachment (%d bytes, message %d bytes in %s): peak heap growth %.1f MiB during Send, %.1f MiB during Sync",
		attachmentSize, got[0].Size, v.pair, mib(sendPeak), mib(recvPeak))
	if sendPeak > attachmentSize/2 {
		t.Errorf("Send is not streaming: heap grew by %.1f MiB for a %.0f MiB attachment", mib(sendPeak), mib(attachmentSize))
	}
	if recvPeak > 4*attachmentSize {
		t.Errorf("Sync holds too much: heap grew by %.1f MiB for a %.0f MiB attachment", mib(recvPeak), mib(attachmentSize))
	}
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// heapPeak runs f and returns the peak growth of the live heap objects
// over what they were before f, sampled every millisecond.
func heapPeak(t *testing.T, f func()) uint64 {
	t.Helper()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var (
		mu   sync.Mutex
		peak = base
		stop = make(chan struct{})
		wg   sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if v := read(); v > peak {
					mu.Lock()
					peak = v
					mu.Unlock()
				}
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	if v := read(); v > peak {
		peak = v
	}
	return peak - base
}
