package analyze

import "time"

// flight follows one direction of a control connection against the other
// side's acknowledgements: what was sent, what the receiver acknowledged,
// and which segments resent bytes the receiver had not acknowledged. Bytes
// resent and never acknowledged by the end are a Stall: the capture saw
// them pass, the receiver never got them.
type flight struct {
	started bool
	sentEnd uint32 // just past the highest payload byte sent
	acked   uint32 // the receiver's highest acknowledgement
	ackSeen bool
	ackAt   Ref // where acked was first reached
	lastAck Ref // the receiver's latest acknowledgement, moving or not
	// retx counts segments resending unacknowledged bytes since the
	// receiver's acknowledgement last moved; lastRetx is the latest.
	retx     int
	lastRetx Ref
	// sends are the latest original sends, a ring: where the oldest
	// unacknowledged byte was first sent is looked up there. resends are
	// the latest segments that resent unacknowledged bytes.
	sends   [16]sent
	nsend   int
	resends [16]sent
	nresend int
	// unseen is bytes the sender's sequence numbers show it sent (an empty
	// segment's sequence number past the last byte seen) that never crossed
	// this point, until a segment carrying them does.
	unseen     sent
	unseenSeen bool
	// behind is the first segment whose sequence number lies more than a
	// byte below the receiver's acknowledgement (see SeqMismatch); nbehind
	// counts them, overlap is the first of them with new bytes.
	behind  SeqMismatch
	nbehind int
	// agreed: after falling behind, a segment of the side started exactly
	// at the receiver's acknowledgement: the two ends count alike, and the
	// segment behind was an old one delivered late (reordering).
	agreed bool
}

// maxBehind bounds what counts as falling behind the acknowledgement: more
// is a wrapped or foreign number, not a count the two ends disagree on.
const maxBehind = 1 << 16

// checkBehind records a segment at seq (empty, or carrying new bytes) that
// starts more than one byte below the receiver's acknowledgement.
func (f *flight) checkBehind(seq uint32, at Ref, newBytes bool) {
	if !f.started || !f.ackSeen {
		return
	}
	if f.nbehind > 0 && seq == f.acked {
		f.agreed = true
	}
	d := int32(f.acked - seq)
	if d <= 1 || d > maxBehind {
		return
	}
	if f.nbehind == 0 {
		f.behind = SeqMismatch{At: at, Seq: seq, Acked: f.acked, Behind: int(d), AckAt: f.ackAt, SentEnd: f.sentEnd}
		if u := int32(f.acked - f.sentEnd); u > 0 {
			f.behind.Unseen = int(u)
		}
	}
	if newBytes && !f.behind.Overlap.Valid() {
		f.behind.Overlap = at
	}
	f.nbehind++
}

// mismatch returns the direction's sequence mismatch, if any.
func (f *flight) mismatch(fromClient bool) (SeqMismatch, bool) {
	if f.nbehind == 0 || f.agreed {
		return SeqMismatch{}, false
	}
	if f.nbehind == 1 && !f.behind.Overlap.Valid() && f.behind.Unseen == 0 {
		// One old segment without new bytes, below an acknowledgement of
		// bytes this point saw sent: a late copy (a pure ACK reordered
		// behind the data after it) looks the same. Not evidence enough.
		return SeqMismatch{}, false
	}
	m := f.behind
	m.FromClient, m.Segments = fromClient, f.nbehind
	return m, true
}

// empty records a segment without payload: a sequence number past the last
// byte seen means bytes that did not cross this point.
func (f *flight) empty(seq uint32, at Ref) {
	f.checkBehind(seq, at, false)
	if f.started && !f.unseenSeen && int32(seq-f.sentEnd) > 0 {
		f.unseen, f.unseenSeen = sent{f.sentEnd, seq, at}, true
	}
}

// fin records the sender's FIN at seq: it takes one sequence number.
func (f *flight) fin(seq uint32) {
	if f.started && int32(seq+1-f.sentEnd) > 0 {
		f.sentEnd = seq + 1
	}
}

// sent is one original send of payload bytes.
type sent struct {
	seq, end uint32
	at       Ref
}

// data records a payload segment of this direction.
func (f *flight) data(seq uint32, n int, at Ref) {
	end := seq + uint32(n)
	if !f.started {
		f.started, f.sentEnd = true, seq
	}
	if int32(end-f.sentEnd) > 0 {
		f.checkBehind(seq, at, true)
	}
	// A segment starting below the highest byte sent resends something;
	// it matters when the receiver had not acknowledged all of it.
	if int32(f.sentEnd-seq) > 0 && (!f.ackSeen || int32(end-f.acked) > 0) {
		f.retx++
		f.lastRetx = at
		f.resends[f.nresend%len(f.resends)] = sent{seq, end, at}
		f.nresend++
	}
	if f.unseenSeen && int32(f.unseen.seq-seq) >= 0 && int32(end-f.unseen.seq) > 0 {
		f.unseenSeen = false // they came after all
	}
	if int32(end-f.sentEnd) > 0 {
		start := seq
		if int32(f.sentEnd-seq) > 0 {
			start = f.sentEnd // partly a resend: the new bytes start here
		}
		f.sends[f.nsend%len(f.sends)] = sent{start, end, at}
		f.nsend++
		f.sentEnd = end
	}
}

// ack records the receiver's acknowledgement; it reports whether it moved
// forward.
func (f *flight) ack(ack uint32, at Ref) bool {
	f.lastAck = at
	if f.ackSeen && int32(ack-f.acked) <= 0 {
		return false
	}
	f.acked, f.ackSeen, f.ackAt = ack, true, at
	f.retx = 0
	return true
}

// resentIn counts the remembered resends that overlap [from, to), and
// returns the last of them.
func (f *flight) resentIn(from, to uint32) (int, Ref) {
	n, last := 0, Ref{}
	for i := range min(f.nresend, len(f.resends)) {
		r := f.resends[i]
		if int32(r.end-from) > 0 && int32(to-r.seq) > 0 {
			n++
			if !last.Valid() || r.at.Time.After(last.Time) {
				last = r.at
			}
		}
	}
	return n, last
}

// covers reports whether the receiver acknowledged every byte before end.
func (f *flight) covers(end uint32) bool { return f.ackSeen && int32(f.acked-end) >= 0 }

// stall returns the direction's stall, if bytes were resent and never
// acknowledged.
func (f *flight) stall(fromClient bool) (Stall, bool) {
	if !f.ackSeen || f.retx == 0 || int32(f.sentEnd-f.acked) <= 0 {
		return Stall{}, false
	}
	st := Stall{FromClient: fromClient, Seq: f.acked, Bytes: int(int32(f.sentEnd - f.acked)),
		Last: f.lastRetx, Retransmissions: f.retx, AckedTo: f.acked, AckAt: f.ackAt}
	for i := range min(f.nsend, len(f.sends)) {
		s := f.sends[i]
		if int32(f.acked-s.seq) >= 0 && int32(s.end-f.acked) > 0 {
			st.First = s.at
		}
	}
	if !st.First.Valid() {
		st.First = f.lastRetx
	}
	// TCP resends on a timer of at least 200 ms (RFC 6298 allows less, no
	// stack goes below about 200) and gives up within some minutes: resends
	// in the same instant, or years apart, are a mangled capture, not a
	// connection that stalled.
	if span := st.Last.Time.Sub(st.First.Time); span < minStallSpan || span > maxStallSpan {
		return Stall{}, false
	}
	return st, true
}

// The span from the first send of stalled bytes to their last resend that
// a real TCP stall can have.
const (
	minStallSpan = 150 * time.Millisecond
	maxStallSpan = time.Hour
)
