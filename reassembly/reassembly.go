// Package reassembly puts the segments of one direction of a TCP connection
// back into byte order, and marks what is missing.
//
// ftpsniff reassembles only FTP control connections, so this is small and
// exact rather than general: every delivered byte keeps the frame and time
// of the segment that carried it (reports cite frames), out-of-order data is
// buffered up to a per-direction and a global limit, and a hole that is
// never filled is skipped and reported as a gap of a known number of bytes.
//
// A skipped hole says whether the receiver had acknowledged it (the capture
// missed bytes the receiver got) or not (lost before the receiver, or the
// capture ended first).
//
// Retransmissions and overlaps keep the first copy ("first data wins", as
// gopacket's reassembly and most receivers do); their bytes are counted,
// and compared with the delivered copy while it is among the last
// WindowSize bytes delivered: a copy that differs (a box on the path
// rewrote the bytes between two transmissions) is reported as a Mismatch.
// Sequence numbers are compared modulo 2^32, so wrap-around is handled.
package reassembly

import (
	"bytes"
	"sort"
	"sync"
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
	// GapAcked, with Gap > 0, says the receiver's ACK had passed the hole
	// when it was skipped: the receiver got those bytes and the capture
	// missed them. False: the receiver never acknowledged them as far as
	// the capture shows (lost on the path before the receiver, or the
	// capture ended first). An ACK that passes the hole only after it was
	// skipped (by FlushOlderThan) cannot change the delivered chunk, but it
	// does take the hole out of Stats.UnackedGaps and Stats.UnackedBytes.
	GapAcked bool
}

// Mismatch is a retransmission or overlap whose bytes differ from the copy
// of the same sequence range delivered before it: a box on the path (an FTP
// ALG rewriting a PORT command, say) changed the bytes between the two
// transmissions, or the sender sent different data for the same range. The
// delivered copy is kept ("first data wins"); the other copy is dropped.
//
// The delivered copy is usually the first captured, but not always: a
// segment buffered ahead of a hole is delivered only after the segment that
// fills the hole, so where both overlap, the filling segment's bytes are
// delivered and the buffered copy is the one dropped. Compare the Metas'
// times for the capture order.
//
// Only the last WindowSize bytes delivered, and none delivered before a
// skipped hole, can be compared: an overlap with older bytes is counted in
// Stats.OverlapBytes but never reported.
type Mismatch struct {
	// Seq is the sequence number of Delivered[0] and Dropped[0].
	Seq uint32
	// FirstDiff is the index in Delivered and Dropped of the first byte
	// that differs (sequence number Seq+uint32(FirstDiff)). Up to 64 equal
	// bytes of the compared range precede it, for context.
	FirstDiff int
	// Delivered is the delivered copy of the compared range from Seq on,
	// at most MaxMismatchBytes; Dropped is the dropped copy of the same
	// bytes, of the same length. Both are copies the callee may keep.
	Delivered, Dropped []byte
	// DeliveredMeta is the segment that carried the delivered copy of the
	// first differing byte, when DeliveredMetaKnown: it is unknown when
	// more than a few dozen chunks were delivered since.
	DeliveredMeta      Meta
	DeliveredMetaKnown bool
	// DroppedMeta is the segment whose copy was dropped.
	DroppedMeta Meta
}

// WindowSize is the number of most recently delivered bytes a Half keeps
// to compare retransmissions and overlaps with (see Mismatch). A Half
// holds it, and the Metas of its last few dozen chunks, from its first
// delivery until it is closed: one allocation of about 6 KiB.
const WindowSize = 4096

// MaxMismatchBytes bounds each copy in a Mismatch.
const MaxMismatchBytes = 256

// mismatchContext is how many equal bytes a Mismatch shows before the
// first differing byte.
const mismatchContext = 64

// chunkHistory is how many delivered chunks' Metas a Half keeps, to name
// the frame of a delivered copy (a power of two).
const chunkHistory = 32

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
	// UnackedGaps counts the skipped holes (of Gaps) that no ACK in the
	// capture passed, and UnackedBytes the bytes in them (of MissingBytes)
	// that no ACK covered: lost on the path before the receiver, or the
	// capture ended first. The rest the receiver got and the capture
	// missed. An ACK arriving after its hole was skipped still counts, so
	// these two can decrease.
	UnackedGaps  uint64
	UnackedBytes uint64
	// Mismatches counts retransmissions and overlaps whose bytes differed
	// from the delivered copy (one per dropped segment; see Mismatch).
	Mismatches uint64
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

// window holds the bytes a Half delivered last, in a ring indexed by
// sequence number modulo WindowSize, and the Metas of its last chunks.
type window struct {
	bytes [WindowSize]byte
	n     int // valid bytes, ending just before Half.next
	// chunks[i%chunkHistory] is the i-th chunk delivered since the window
	// (re)started; nchunks counts them.
	chunks  [chunkHistory]deliveredChunk
	nchunks uint
}

// deliveredChunk is where a delivered chunk starts and what carried it.
type deliveredChunk struct {
	seq uint32
	Meta
}

// unackedHole is a skipped hole, or several merged, from start to end,
// that no ACK has passed yet.
type unackedHole struct {
	start, end uint32
	gaps       uint64 // holes merged into this one
	bytes      uint64 // their bytes no ACK covered
}

// maxUnackedHoles bounds the skipped holes a Half watches for a late ACK;
// beyond it the oldest two are merged (a merged hole leaves the counts only
// once an ACK passes its end).
const maxUnackedHoles = 8

// Half reassembles one direction of a connection. Its zero value is not
// usable: set Deliver (and optionally MaxBuffered, Budget and Mismatch).
type Half struct {
	// Deliver receives the in-order bytes.
	Deliver func(Chunk)
	// MaxBuffered limits the out-of-order bytes held; at the limit the
	// oldest hole is skipped. 0 means DefaultMaxBuffered.
	MaxBuffered int
	// Budget, when set, is shared with other Halves and bounds their total.
	Budget *Budget
	// Mismatch, when set, is called for each retransmission or overlap
	// whose bytes differ from the delivered copy (see Mismatch).
	Mismatch func(Mismatch)

	Stats Stats

	started  bool   // next is known
	next     uint32 // next sequence number expected
	pending  []segment
	buffered int
	finSeq   uint32
	finSeen  bool
	closed   bool // FIN reached, or RST
	reset    bool

	ackSeen  bool   // maxAck is set
	maxAck   uint32 // highest acknowledgement told through Acked
	unacked  [maxUnackedHoles]unackedHole
	nUnacked int

	win *window // allocated at the first delivery, released at close
}

func seqDiff(a, b uint32) int64 { return int64(int32(a - b)) }

// plausibleAck reports whether ack lies within 1 GiB of next: farther is
// not an acknowledgement of this stream (or is too old to compare).
func (h *Half) plausibleAck(ack uint32) bool {
	d := seqDiff(ack, h.next)
	return d >= -(1<<30) && d <= 1<<30
}

// ackedThrough reports whether the highest ACK covers every byte before seq.
func (h *Half) ackedThrough(seq uint32) bool {
	return h.ackSeen && h.plausibleAck(h.maxAck) && seqDiff(h.maxAck, seq) >= 0
}

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
			h.close()
			h.reset = true
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
		h.compare(seq, payload, m)
	case d <= 0:
		if len(payload) > 0 {
			h.Stats.OverlapBytes += uint64(-d)
			if d < 0 {
				h.compare(seq, payload[:-d], m)
			}
			h.deliver(payload[-d:], &m, 0, false)
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

// deliver hands data, the next bytes expected, to Deliver; gap bytes were
// skipped just before it.
func (h *Half) deliver(data []byte, m *Meta, gap int, gapAcked bool) {
	seq := h.next
	h.remember(seq, data, gap > 0, m)
	h.next += uint32(len(data))
	h.Stats.Bytes += uint64(len(data))
	if h.Deliver != nil {
		h.Deliver(Chunk{Data: data, Meta: *m, Seq: seq, Gap: gap, GapAcked: gapAcked})
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
			h.compare(s.seq, data, s.Meta)
			continue
		}
		if d < 0 {
			h.Stats.OverlapBytes += uint64(-d)
			h.compare(s.seq, data[:-d], s.Meta)
			data = data[-d:]
		}
		h.deliver(data, &s.Meta, 0, false)
	}
	if len(h.pending) == 0 {
		h.pending = h.pending[:0:0] // let the backing array go
	}
}

// skip gives up on the hole before the first pending segment. byAck says
// the ACK being handled passed the hole.
func (h *Half) skip(byAck bool) {
	if len(h.pending) == 0 {
		return
	}
	gap := seqDiff(h.pending[0].seq, h.next)
	if gap <= 0 {
		h.drain()
		return
	}
	s := h.pending[0]
	acked := byAck || h.ackedThrough(s.seq)
	h.Stats.Gaps++
	h.Stats.MissingBytes += uint64(gap)
	if !acked {
		// An ACK may have passed the start of the hole: those bytes the
		// receiver got.
		start := h.next
		if h.ackSeen && h.plausibleAck(h.maxAck) && seqDiff(h.maxAck, start) > 0 {
			start = h.maxAck
		}
		n := uint64(s.seq - start)
		h.Stats.UnackedGaps++
		h.Stats.UnackedBytes += n
		h.watchUnacked(unackedHole{start: start, end: s.seq, gaps: 1, bytes: n})
	}
	h.pending = h.pending[1:]
	h.release(len(s.data))
	h.next = s.seq
	h.deliver(s.data, &s.Meta, int(gap), acked)
	h.drain()
}

// watchUnacked remembers a skipped hole no ACK has passed, so that a later
// ACK takes it out of the unacknowledged counts.
func (h *Half) watchUnacked(u unackedHole) {
	if h.nUnacked == maxUnackedHoles {
		a, b := h.unacked[0], h.unacked[1]
		h.unacked[1] = unackedHole{start: a.start, end: b.end, gaps: a.gaps + b.gaps, bytes: a.bytes + b.bytes}
		copy(h.unacked[:], h.unacked[1:])
		h.nUnacked--
	}
	h.unacked[h.nUnacked] = u
	h.nUnacked++
}

// ackUnacked takes the watched holes the highest ACK now covers out of the
// unacknowledged counts.
func (h *Half) ackUnacked() {
	for h.nUnacked > 0 {
		u := &h.unacked[0]
		if seqDiff(h.maxAck, u.end) < 0 {
			// Part of a single hole may be covered; of merged ones the
			// bytes of each are not known.
			if u.gaps == 1 && seqDiff(h.maxAck, u.start) > 0 {
				n := uint64(h.maxAck - u.start)
				h.Stats.UnackedBytes -= n
				u.bytes -= n
				u.start = h.maxAck
			}
			return
		}
		h.Stats.UnackedGaps -= u.gaps
		h.Stats.UnackedBytes -= u.bytes
		copy(h.unacked[:], h.unacked[1:h.nUnacked])
		h.nUnacked--
	}
}

func (h *Half) enforceLimits() {
	max := h.MaxBuffered
	if max == 0 {
		max = DefaultMaxBuffered
	}
	for len(h.pending) > 0 && (h.buffered > max || (h.Budget != nil && h.Budget.Max > 0 && h.Budget.Used > h.Budget.Max)) {
		h.Stats.ForcedByLimits++
		h.skip(false)
	}
}

func (h *Half) checkFin() {
	if h.finSeen && len(h.pending) == 0 && seqDiff(h.next, h.finSeq) >= 0 {
		h.close()
	}
}

// close ends the direction: nothing more is delivered or compared.
func (h *Half) close() {
	h.closed = true
	h.Release()
}

// windows recycles the windows of closed directions: a capture of many
// short control connections would otherwise allocate one per direction.
var windows = sync.Pool{New: func() any { return new(window) }}

// Release gives back the memory a direction keeps for comparing
// retransmissions (Mismatch); the Half compares nothing it delivered
// before. A Half releases it by itself when the direction closes; call
// Release when a direction is abandoned without closing.
func (h *Half) Release() {
	if h.win != nil {
		windows.Put(h.win)
		h.win = nil
	}
}

// remember keeps a chunk being delivered, data at seq, in the window.
// afterGap says bytes were skipped just before it.
func (h *Half) remember(seq uint32, data []byte, afterGap bool, m *Meta) {
	w := h.win
	if w == nil {
		w = windows.Get().(*window)
		w.n, w.nchunks = 0, 0
		h.win = w
	}
	if afterGap {
		// Bytes on both sides of a hole are not one run: start again.
		w.n, w.nchunks = 0, 0
	}
	w.n = min(w.n+len(data), WindowSize)
	dc := &w.chunks[w.nchunks%chunkHistory]
	w.nchunks++
	// Field by field: copying a Meta whole just after the caller wrote it
	// stalls on store forwarding, which measurably slowed the in-order
	// path (about 25 ns a segment).
	dc.seq, dc.Input, dc.Frame, dc.Time = seq, m.Input, m.Frame, m.Time
	if len(data) > WindowSize {
		seq += uint32(len(data) - WindowSize)
		data = data[len(data)-WindowSize:]
	}
	k := copy(w.bytes[seq%WindowSize:], data)
	copy(w.bytes[:], data[k:])
}

// compare checks a copy about to be dropped, data at seq, every byte of
// which was delivered already, against the delivered bytes still in the
// window, and reports a Mismatch if they differ.
func (h *Half) compare(seq uint32, data []byte, m Meta) {
	w := h.win
	if w == nil || w.n == 0 || len(data) == 0 {
		return
	}
	if before := seqDiff(h.next-uint32(w.n), seq); before > 0 {
		// Older than the window: not comparable.
		if before >= int64(len(data)) {
			return
		}
		data, seq = data[before:], seq+uint32(before)
	}
	pos := int(seq % WindowSize)
	n := min(len(data), WindowSize-pos) // the ring wraps after n bytes
	if bytes.Equal(w.bytes[pos:pos+n], data[:n]) && bytes.Equal(w.bytes[:len(data)-n], data[n:]) {
		return
	}
	h.mismatch(seq, data, m)
}

// mismatch reports a dropped copy, data at seq, that differs from the
// delivered bytes in the window.
func (h *Half) mismatch(seq uint32, data []byte, m Meta) {
	w := h.win
	at := func(i int) byte { return w.bytes[(seq+uint32(i))%WindowSize] }
	diff := 0
	for diff < len(data)-1 && at(diff) == data[diff] {
		diff++
	}
	from := max(0, diff-mismatchContext)
	to := min(len(data), from+MaxMismatchBytes)
	mm := Mismatch{
		Seq:         seq + uint32(from),
		FirstDiff:   diff - from,
		Delivered:   make([]byte, to-from),
		Dropped:     append([]byte(nil), data[from:to]...),
		DroppedMeta: m,
	}
	for i := range mm.Delivered {
		mm.Delivered[i] = at(from + i)
	}
	// The newest chunk starting at or before the byte carried it.
	first := seq + uint32(diff)
	for k := uint(1); k <= min(w.nchunks, chunkHistory); k++ {
		if c := &w.chunks[(w.nchunks-k)%chunkHistory]; seqDiff(first, c.seq) >= 0 {
			mm.DeliveredMeta, mm.DeliveredMetaKnown = c.Meta, true
			break
		}
	}
	h.Stats.Mismatches++
	if h.Mismatch != nil {
		h.Mismatch(mm)
	}
}

// Acked tells the direction that its receiver acknowledged everything
// before ack. The highest acknowledgement is remembered (compared modulo
// 2^32; one more than 1 GiB away from the stream is ignored), also when
// nothing waits and before the direction's first segment: a hole skipped
// later says whether it had been acknowledged (Chunk.GapAcked), and a hole
// skipped unacknowledged before leaves Stats.UnackedGaps.
//
// When segments beyond a hole are waiting and the receiver has
// acknowledged past the hole, the hole's bytes reached the receiver but not
// the capture: they will never be seen, so the hole is skipped at once
// rather than after a timeout. (With nothing waiting, nothing is skipped:
// the capture may simply show the ACK before the data it acknowledges.)
func (h *Half) Acked(ack uint32) {
	if !h.started {
		// Nothing to check it against yet: keep the highest, and check it
		// against the stream when holes are skipped.
		if !h.ackSeen || seqDiff(ack, h.maxAck) > 0 {
			h.maxAck, h.ackSeen = ack, true
		}
		return
	}
	if h.plausibleAck(ack) && (!h.ackSeen || seqDiff(ack, h.maxAck) > 0 || !h.plausibleAck(h.maxAck)) {
		h.maxAck, h.ackSeen = ack, true
		h.ackUnacked()
	}
	if h.closed {
		return
	}
	for len(h.pending) > 0 {
		if d := seqDiff(ack, h.pending[0].seq); d < 0 || d > 1<<30 {
			return
		}
		h.skip(true)
	}
	h.checkFin()
}

// FlushOlderThan skips holes whose first waiting segment arrived before t
// (capture time): the missing bytes are not coming.
func (h *Half) FlushOlderThan(t time.Time) {
	for len(h.pending) > 0 && h.pending[0].Time.Before(t) {
		h.skip(false)
	}
	h.checkFin()
}

// Flush skips every hole and delivers everything buffered (end of capture).
func (h *Half) Flush() {
	for len(h.pending) > 0 {
		h.skip(false)
	}
	h.checkFin()
}
