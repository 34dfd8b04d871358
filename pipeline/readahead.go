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
// retired while it was read, given back once it is analysed.

const (
	// batchPackets is the most packets in one batch.
	batchPackets = 256
	// batchesAhead is how many batches the reader may have filled that the
	// analysis has not yet taken: with the one being read and the one
	// being analysed, at most batchesAhead+2 batches exist.
	batchesAhead = 2
)

// batch is packets read ahead, their payloads in the files' buffers.
type batch struct {
	pkts []capture.Packet
	// retired are the buffers the files retired before the batch was
	// handed over: given back once it is analysed.
	retired [][]byte
}

// readAhead reads pt to its end and hands its packets to each in order, on
// the caller's goroutine; the packets, and their payloads, are valid until
// each returns. It stops reading, soon, when stop returns true. A point
// whose inputs can all lend their buffers (files) is read on a goroutine
// of its own, done with pt when readAhead returns; any other is read on
// the caller's.
func readAhead(pt *capture.Point, each func(*capture.Packet), stop func() bool) {
	if !pt.Lends() {
		readOneByOne(pt, each, stop)
		return
	}
	lend := &capture.Lender{}
	pt.LendBuffers(lend)
	full := make(chan *batch, batchesAhead)
	free := make(chan *batch, batchesAhead+2)
	for range batchesAhead + 2 {
		free <- &batch{pkts: make([]capture.Packet, 0, batchPackets)}
	}
	var stopped atomic.Bool
	go func() {
		defer close(full)
		b := <-free
		for !stopped.Load() {
			if len(b.pkts) == batchPackets {
				b.retired = lend.Retired(b.retired)
				full <- b
				b = <-free
			}
			// Decoded in place: a packet is some 250 bytes with
			// pointers, whose copy costs a bulk write barrier while the
			// collector runs.
			n := len(b.pkts)
			b.pkts = b.pkts[:n+1]
			if pt.Next(&b.pkts[n]) != nil {
				b.pkts = b.pkts[:n]
				break
			}
		}
		if len(b.pkts) > 0 {
			b.retired = lend.Retired(b.retired)
			full <- b
		}
	}()
	for b := range full {
		for i := range b.pkts {
			each(&b.pkts[i])
			if stop() {
				stopped.Store(true)
				// Back empty: the reader may be waiting for a batch to fill.
				b.pkts = b.pkts[:0]
				free <- b
				for range full { // the reader sees stop at its next packet
				}
				return
			}
		}
		lend.GiveBack(b.retired)
		clear(b.retired)
		b.retired = b.retired[:0]
		b.pkts = b.pkts[:0]
		free <- b
	}
}

// readOneByOne reads pt to its end on the caller's goroutine, handing each
// packet to each (valid until the next is read), until stop returns true.
func readOneByOne(pt *capture.Point, each func(*capture.Packet), stop func() bool) {
	var p capture.Packet
	for !stop() && pt.Next(&p) == nil {
		each(&p)
	}
}
