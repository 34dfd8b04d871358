package pipeline

import (
	"sync/atomic"

	"github.com/ftpsniff/ftpsniff/capture"
)

// Reading ahead: a capture file is read and decoded on a goroutine of its
// own, in batches, while the analysis works through the batch before, so
// that on a machine with two cores reading and decoding cost the analysis
// no time. Live capture does not read ahead: a batch would hold a quiet
// link's packets until it filled.
//
// The packets' payloads stay where the file was read into: the files
// borrow their buffers (capture.Lender), and a batch carries the buffers
// retired while it was read, given back once it is analysed. A point with
// an input that cannot lend (none in practice: files are Files) has its
// payloads copied into the batch instead.

const (
	// batchPackets is the most packets in one batch.
	batchPackets = 256
	// batchBytes is the room for copied payloads in one batch (without a
	// Lender); a payload larger than that has a buffer of its own.
	batchBytes = 128 << 10
	// batchesAhead is how many batches the reader may have filled that the
	// analysis has not yet taken: with the one being read and the one
	// being analysed, at most batchesAhead+2 batches exist.
	batchesAhead = 2
)

// batch is packets read ahead: their payloads where the file was read
// into, or copied into buf.
type batch struct {
	pkts []capture.Packet
	buf  []byte
	// retired are the buffers the files retired before the batch was
	// handed over: given back once it is analysed.
	retired [][]byte
}

// readAhead reads pt to its end on a goroutine of its own and hands its
// packets to each in order, on the caller's goroutine. The packets handed
// to each, and their payloads, are valid until each returns. It stops
// reading, soon, when stop returns true; it returns once the reader's
// goroutine is done with pt.
func readAhead(pt *capture.Point, each func(*capture.Packet), stop func() bool) {
	var lend *capture.Lender
	if pt.Lends() {
		lend = &capture.Lender{}
		pt.LendBuffers(lend)
	}
	full := make(chan *batch, batchesAhead)
	free := make(chan *batch, batchesAhead+2)
	for range batchesAhead + 2 {
		b := &batch{pkts: make([]capture.Packet, 0, batchPackets)}
		if lend == nil {
			b.buf = make([]byte, 0, batchBytes)
		}
		free <- b
	}
	var stopped atomic.Bool
	go func() {
		defer close(full)
		var p capture.Packet
		b := <-free
		hand := func() {
			if lend != nil {
				b.retired = lend.Retired(b.retired)
			}
			full <- b
		}
		for !stopped.Load() && pt.Next(&p) == nil {
			if len(b.pkts) == batchPackets || lend == nil && len(b.buf)+len(p.Payload) > cap(b.buf) && len(b.pkts) > 0 {
				hand()
				b = <-free
			}
			if n := len(p.Payload); n > 0 && lend == nil {
				if n > cap(b.buf) {
					b.buf = make([]byte, 0, n) // one outsized payload: its own buffer, dropped after
				}
				off := len(b.buf)
				b.buf = append(b.buf, p.Payload...)
				p.Payload = b.buf[off:len(b.buf):len(b.buf)]
			}
			b.pkts = append(b.pkts, p)
		}
		if len(b.pkts) > 0 {
			hand()
		}
	}()
	for b := range full {
		for i := range b.pkts {
			each(&b.pkts[i])
			if stop() {
				stopped.Store(true)
				free <- b
				for range full { // the reader sees stop at its next packet
				}
				return
			}
		}
		if lend != nil {
			lend.GiveBack(b.retired)
			clear(b.retired)
			b.retired = b.retired[:0]
		}
		b.pkts = b.pkts[:0]
		if cap(b.buf) > batchBytes {
			b.buf = make([]byte, 0, batchBytes) // an outsized payload's buffer goes
		}
		b.buf = b.buf[:0]
		free <- b
	}
}
