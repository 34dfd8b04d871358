// Package reassembly puts the segments of one direction of a TCP connection
// back into byte order, and marks what is missing.
//
// ftpsniff reassembles only FTP control connections, so this is small and
// exact rather than general: every delivered byte keeps the frame and time
// of the segment that carried it (reports cite frames), out-of-order data is
// buffered up to a per-direction and a global limit, and a hole that is
// never filled is skipped and reported as a gap of a known number of bytes.
//
// Retransmissions and overlaps keep the first copy ("first data wins", as
// gopacket's reassembly and most receivers do); their bytes are counted.
// Sequence numbers are compared modulo 2^32, so wrap-around is handled.
package reassembly

import (
	"sort"
	"time"
)

// Meta says where bytes came from.
type Meta struct {
	Input int       // input index within the capture point
	Frame uint64    // frame number within the input
	Time  time.Time // capture time
}

// Chunk is a run of in-order bytes delivered to the consumer.
type Chunk struct {
	// Data aliases the caller's payload or the reassembler's buffer: it is
	// valid only during the Deliver call.
	Data []byte
	Meta
	// Seq is the sequence number of Data's first byte.
	Seq uint32
	// Gap is the number of bytes missing just before Data: 0 when Data
	// follows the previous chunk exactly.
	Gap int
}

// Budget bounds the out-of-order bytes buffered by every Half sharing it.
// It is not safe for concurrent use (one analyzer owns one).
type Budget struct {
	Max  int // 0 means no global limit
	Used int
}

// Stats counts what happened to one direction.
type Stats struct {
	Bytes          uint64 // bytes delivered in order
	Segments       uint64 // segments with payload
	Retransmitted  uint64 // segments whose every byte had already been delivered
	OverlapBytes   uint64 // bytes dropped because they were delivered already
	OutOfOrder     uint64 // segments that arrived ahead of a hole
	Gaps           uint64 // holes skipped
	MissingBytes   uint64 // bytes in the skipped holes
	ForcedByLimits uint64 // holes skipped because a buffer limit was reached
}

// DefaultMaxBuffered is the default limit on out-of-order bytes buffered per
// direction: 64 KiB, a typical receive window. A control connection has a
// few hundred bytes in flight; more than a window ahead of a hole means the
// hole will not be filled.
const DefaultMaxBuffered = 64 << 10

type segment struct {
	seq  uint32
	data []byte
	fin  bool
	Meta
}

// Half reassembles one direction of a connection. Its zero value is not
// usable: set Deliver (and optionally MaxBuffered and Budget).
type Half struct {
	// Deliver receives the in-order bytes.
	Deliver func(Chunk)
	// MaxBuffered limits the out-of-order bytes held; at the limit the
	// oldest hole is skipped. 0 means DefaultMaxBuffered.
	MaxBuffered int
	// Budget, when set, is shared with other Halves and bounds their total.
	Budget *Budget

	Stats Stats

	started  bool   // next is known
	next     uint32 // next sequence number expected
	pending  []segment
	buffered int
	finSeq   uint32
	finSeen  bool
	closed   bool // FIN reached, or RST
	reset    bool
}

func seqDiff(a, b uint32) int64 { return int64(int32(a - b)) }

// Closed reports whether the direction ended (FIN reached in order, or RST).
func (h *Half) Closed() bool { return h.closed }

// Reset reports whether the direction ended by RST.
func (h *Half) Reset() bool { return h.reset }

// Buffered returns the out-of-order bytes held.
func (h *Half) Buffered() int { return h.buffered }

// Started reports whether a sequence number has been seen.
func (h *Half) Started() bool { return h.started }

// Push adds one segment. syn is the SYN flag: it fixes the initial
// sequence number. A direction seen without its SYN (a capture started
// mid-connection) starts at the first segment.
func (h *Half) Push(seq uint32, syn, fin, rst bool, payload []byte, m Meta) {
	if h.closed {
		return
	}
	if syn {
		if !h.started {
			h.started = true
			h.next = seq + 1
		}
		// The SYN occupies one sequence number; data in a SYN is rare
		// (TCP Fast Open) and starts after it.
		seq++
	}
	if !h.started {
		h.started = true
		h.next = seq
	}
	if rst {
		// RFC 5961: a receiver honours an RST only in its window; one that
		// lies behind what was delivered is stale and ignored.
		if d := seqDiff(seq, h.next); d >= 0 && d < 1<<30 {
			h.Flush()
			h.closed, h.reset = true, true
		}
		return
	}
	if fin {
		h.finSeen = true
		h.finSeq = seq + uint32(len(payload))
	}
	if len(payload) > 0 {
		h.Stats.Segments++
	}
	d := seqDiff(seq, h.next)
	end := d + int64(len(payload))
	switch {
	case len(payload) > 0 && end <= 0:
		h.Stats.Retransmitted++
		h.Stats.OverlapBytes += uint64(len(payload))
	case d <= 0:
		if len(payload) > 0 {
			h.Stats.OverlapBytes += uint64(-d)
			h.deliver(Chunk{Data: payload[-d:], Meta: m})
		}
		h.drain()
	default:
		// Ahead of a hole: keep a copy until the hole is filled or given up.
		if len(payload) > 0 {
			h.Stats.OutOfOrder++
			h.insert(segment{seq: seq, data: append([]byte(nil), payload...), Meta: m})
			h.enforceLimits()
		}
	}
	h.checkFin()
}

func (h *Half) deliver(c Chunk) {
	c.Seq = h.next
	h.next += uint32(len(c.Data))
	h.Stats.Bytes += uint64(len(c.Data))
	if h.Deliver != nil {
		h.Deliver(c)
	}
}

func (h *Half) insert(s segment) {
	i := sort.Search(len(h.pending), func(i int) bool { return seqDiff(h.pending[i].seq, s.seq) > 0 })
	h.pending = append(h.pending, segment{})
	copy(h.pending[i+1:], h.pending[i:])
	h.pending[i] = s
	h.buffered += len(s.data)
	if h.Budget != nil {
		h.Budget.Used += len(s.data)
	}
}

func (h *Half) release(n int) {
	h.buffered -= n
	if h.Budget != nil {
		h.Budget.Used -= n
	}
}

// drain delivers buffered segments that are now in order.
func (h *Half) drain() {
	for len(h.pending) > 0 {
		s := h.pending[0]
		d := seqDiff(s.seq, h.next)
		if d > 0 {
			return
		}
		h.pending = h.pending[1:]
		h.release(len(s.data))
		data := s.data
		if -d >= int64(len(data)) {
			h.Stats.Retransmitted++
			h.Stats.OverlapBytes += uint64(len(data))
			continue
		}
		if d < 0 {
			h.Stats.OverlapBytes += uint64(-d)
			data = data[-d:]
		}
		h.deliver(Chunk{Data: data, Meta: s.Meta})
	}
	if len(h.pending) == 0 {
		h.pending = h.pending[:0:0] // let the backing array go
	}
}

// skip gives up on the hole before the first pending segment.
func (h *Half) skip() {
	if len(h.pending) == 0 {
		return
	}
	gap := seqDiff(h.pending[0].seq, h.next)
	if gap <= 0 {
		h.drain()
		return
	}
	h.Stats.Gaps++
	h.Stats.MissingBytes += uint64(gap)
	s := h.pending[0]
	h.pending = h.pending[1:]
	h.release(len(s.data))
	h.next = s.seq
	h.deliver(Chunk{Data: s.data, Meta: s.Meta, Gap: int(gap)})
	h.drain()
}

func (h *Half) enforceLimits() {
	max := h.MaxBuffered
	if max == 0 {
		max = DefaultMaxBuffered
	}
	for len(h.pending) > 0 && (h.buffered > max || (h.Budget != nil && h.Budget.Max > 0 && h.Budget.Used > h.Budget.Max)) {
		h.Stats.ForcedByLimits++
		h.skip()
	}
}

func (h *Half) checkFin() {
	if h.finSeen && len(h.pending) == 0 && seqDiff(h.next, h.finSeq) >= 0 {
		h.closed = true
	}
}

// Acked tells the direction that its receiver acknowledged everything
// before ack. When segments beyond a hole are waiting and the receiver has
// acknowledged past the hole, the hole's bytes reached the receiver but not
// the capture: they will never be seen, so the hole is skipped at once
// rather than after a timeout. (With nothing waiting, nothing is done: the
// capture may simply show the ACK before the data it acknowledges.)
func (h *Half) Acked(ack uint32) {
	if !h.started || h.closed {
		return
	}
	for len(h.pending) > 0 {
		if d := seqDiff(ack, h.pending[0].seq); d < 0 || d > 1<<30 {
			return
		}
		h.skip()
	}
	h.checkFin()
}

// FlushOlderThan skips holes whose first waiting segment arrived before t
// (capture time): the missing bytes are not coming.
func (h *Half) FlushOlderThan(t time.Time) {
	for len(h.pending) > 0 && h.pending[0].Time.Before(t) {
		h.skip()
	}
	h.checkFin()
}

// Flush skips every hole and delivers everything buffered (end of capture).
func (h *Half) Flush() {
	for len(h.pending) > 0 {
		h.skip()
	}
	h.checkFin()
}
