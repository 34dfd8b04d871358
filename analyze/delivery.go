package analyze

// segment records one segment of the direction: its sequence number, SYN
// flag and payload length (as sent, whatever the snap length kept).
func (d *Delivery) segment(seq uint32, syn, fin bool, n int, at Ref) {
	d.take(seq, syn, n, at)
	if fin && !syn {
		if e := seq + uint32(n) + 1; !d.finSeen || int32(e-d.finNext) > 0 {
			d.finNext, d.finSeen = e, true
		}
	}
}

// take records the segment's bytes (or, empty, its sequence number).
func (d *Delivery) take(seq uint32, syn bool, n int, at Ref) {
	if syn {
		d.base, d.high, d.started = seq+1, seq+1, true
		return
	}
	if !d.started {
		d.base, d.high, d.started = seq, seq, true
	}
	if n == 0 {
		// An empty segment's sequence number past the last byte seen: the
		// sender sent bytes that did not cross this point.
		if d.Unseen == 0 && int32(seq-d.high) > 0 && (!d.finSeen || int32(seq-d.finNext) > 0) {
			d.Unseen, d.UnseenAt, d.UnseenEnd = uint64(seq-d.high), at, uint64(seq-d.base)
		}
		return
	}
	end := seq + uint32(n)
	if d.Unseen != 0 && int32(seq-d.high) <= 0 && int32(end-d.high) > 0 {
		d.Unseen, d.UnseenAt = 0, Ref{} // they came after all
	}
	d.LargestSent = max(d.LargestSent, n)
	if n > d.cand && n > d.LargestAcked {
		d.cand, d.candEnd = n, end
	}
	// A segment starting below the highest byte seen resends bytes; it
	// counts when the receiver had not acknowledged all of them.
	if int32(d.high-seq) > 0 && (!d.ackSeen || int32(end-d.ackSeq) > 0) {
		if d.curN > 0 && seq == d.curSeq {
			d.curN++
		} else {
			d.curSeq, d.curLen, d.curN, d.curFirst = seq, n, 1, at
		}
		if d.curN > d.Resends {
			d.Resends, d.ResentOffset, d.ResentLen = d.curN, uint64(d.curSeq-d.base), d.curLen
			d.ResentFirst, d.ResentLast = d.curFirst, at
			d.ResentOriginal = Ref{}
			if d.headAt.Valid() && d.headSeq == d.curSeq {
				d.ResentOriginal = d.headAt
			}
		}
	} else if int32(seq-d.high) >= 0 && (!d.ackSeen && seq == d.base || d.ackSeen && seq == d.ackSeq) {
		d.headSeq, d.headAt = seq, at
	}
	if int32(end-d.high) > 0 {
		d.high = end
	}
}

// ack records the receiver's acknowledgement of the direction.
func (d *Delivery) ack(ack uint32, at Ref) {
	if !d.started {
		return
	}
	d.Acks++
	if d.ackSeen && int32(ack-d.ackSeq) <= 0 {
		return
	}
	d.ackSeq, d.ackSeen = ack, true
	if int32(ack-d.base) >= 0 {
		// an acknowledged FIN takes one sequence number past the bytes;
		// an acknowledgement past the bytes seen is of bytes the capture
		// missed
		n := ack - d.base
		if d.finSeen && ack == d.finNext {
			n--
		}
		d.Acked, d.AckedAt = uint64(n), at
	}
	d.curN = 0 // progress: a resend after this is a new story
	if d.cand > 0 && int32(ack-d.candEnd) >= 0 {
		d.LargestAcked, d.cand = d.cand, 0
	}
}
