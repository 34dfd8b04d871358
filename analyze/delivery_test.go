package analyze

import "testing"

// A delivery step: a segment of the direction (seg) or the receiver's
// acknowledgement (ack).
type dstep struct {
	ack      bool
	seq      uint32
	syn, fin bool
	n        int
}

func seg(seq uint32, n int) dstep { return dstep{seq: seq, n: n} }
func ackTo(seq uint32) dstep      { return dstep{ack: true, seq: seq} }
func synAt(seq uint32) dstep      { return dstep{seq: seq, syn: true} }
func finAt(seq uint32) dstep      { return dstep{seq: seq, fin: true} }
func emptyAt(seq uint32) dstep    { return dstep{seq: seq} }
func runDelivery(steps []dstep) Delivery {
	var d Delivery
	for i, s := range steps {
		at := Ref{Frame: uint64(i + 1)}
		if s.ack {
			d.ack(s.seq, at)
		} else {
			d.segment(s.seq, s.syn, s.fin, s.n, at)
		}
	}
	return d
}

func TestDelivery(t *testing.T) {
	cases := []struct {
		name  string
		steps []dstep
		check func(t *testing.T, d Delivery)
	}{
		{"full-sized segment resent four times, never acknowledged; the original send is known",
			[]dstep{synAt(100), ackTo(101), seg(101, 1448), seg(1549, 1448), seg(101, 1448), seg(101, 1448), seg(101, 1448), seg(101, 1448)},
			func(t *testing.T, d Delivery) {
				if d.Acked != 0 || d.Resends != 4 || d.ResentOffset != 0 || d.ResentLen != 1448 || d.ResentFirst.Frame != 5 || d.ResentLast.Frame != 8 || d.ResentOriginal.Frame != 3 {
					t.Errorf("got %+v", d)
				}
				if d.LargestSent != 1448 || d.LargestAcked != 0 || d.Unseen != 0 {
					t.Errorf("sizes: got sent %d acked %d unseen %d", d.LargestSent, d.LargestAcked, d.Unseen)
				}
			}},
		{"progress, then a stall: acknowledged bytes, the largest acknowledged segment, the resend at its offset",
			[]dstep{synAt(0), seg(1, 500), ackTo(501), seg(501, 1448), seg(501, 1448), seg(501, 1448)},
			func(t *testing.T, d Delivery) {
				if d.Acked != 500 || d.AckedAt.Frame != 3 || d.LargestAcked != 500 || d.LargestSent != 1448 || d.Resends != 2 || d.ResentOffset != 500 || d.ResentOriginal.Frame != 4 {
					t.Errorf("got %+v", d)
				}
			}},
		{"a resend after progress starts a new count",
			[]dstep{synAt(0), seg(1, 100), seg(1, 100), ackTo(101), seg(101, 100), seg(101, 100), seg(101, 100)},
			func(t *testing.T, d Delivery) {
				if d.Resends != 2 || d.ResentOffset != 100 {
					t.Errorf("got resends %d at %d, want 2 at 100", d.Resends, d.ResentOffset)
				}
			}},
		{"an empty segment past the last byte seen: bytes that never crossed this point",
			[]dstep{synAt(0), ackTo(1), emptyAt(15929)},
			func(t *testing.T, d Delivery) {
				if d.Unseen != 15928 || d.UnseenAt.Frame != 3 || d.UnseenEnd != 15928 {
					t.Errorf("got unseen %d at %d end %d", d.Unseen, d.UnseenAt.Frame, d.UnseenEnd)
				}
			}},
		{"the ACK after a FIN takes the FIN's sequence number: nothing unseen, the FIN not counted as a byte",
			[]dstep{synAt(0), seg(1, 1000), finAt(1001), emptyAt(1002), ackTo(1002)},
			func(t *testing.T, d Delivery) {
				if d.Unseen != 0 || d.Acked != 1000 {
					t.Errorf("got unseen %d acked %d, want 0 and 1000", d.Unseen, d.Acked)
				}
			}},
		{"unseen bytes that came after all",
			[]dstep{synAt(0), emptyAt(101), seg(1, 100)},
			func(t *testing.T, d Delivery) {
				if d.Unseen != 0 {
					t.Errorf("got unseen %d, want 0", d.Unseen)
				}
			}},
		{"an acknowledgement past the bytes seen counts them (the capture missed them)",
			[]dstep{synAt(0), ackTo(1449), emptyAt(1449)},
			func(t *testing.T, d Delivery) {
				if d.Acked != 1448 || d.UnseenEnd != 1448 {
					t.Errorf("got acked %d unseen end %d, want 1448 and 1448", d.Acked, d.UnseenEnd)
				}
			}},
		{"mid-stream: offsets from the first byte seen",
			[]dstep{seg(5000, 100), ackTo(5100), seg(5100, 100), seg(5100, 100), seg(5100, 100)},
			func(t *testing.T, d Delivery) {
				if d.Acked != 100 || d.Resends != 2 || d.ResentOffset != 100 {
					t.Errorf("got %+v", d)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.check(t, runDelivery(c.steps)) })
	}
}
