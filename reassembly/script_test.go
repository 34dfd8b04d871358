package reassembly

import (
	"testing"
	"time"
)

// script drives one Half with stream offsets instead of sequence numbers:
// offset 0 is the first byte after the SYN. Each push is a new frame, one
// second after the previous one.
type script struct {
	t     *testing.T
	isn   uint32
	h     *Half
	c     *collector
	frame uint64
}

// t0 is the time of frame 0; frame n is captured n seconds later.
var t0 = time.Unix(1000, 0)

func newScript(t *testing.T, isn uint32, maxBuffered int) *script {
	s := &script{t: t, isn: isn, c: &collector{}}
	s.h = s.c.half(maxBuffered, nil)
	s.h.Push(isn, true, false, false, nil, s.meta())
	return s
}

func (s *script) meta() Meta {
	return Meta{Frame: s.frame, Time: t0.Add(time.Duration(s.frame) * time.Second)}
}

// seq is the sequence number of the byte at stream offset off.
func (s *script) seq(off int) uint32 { return s.isn + 1 + uint32(off) }

func (s *script) push(off int, data string) {
	s.frame++
	s.h.Push(s.seq(off), false, false, false, []byte(data), s.meta())
}

func (s *script) pushFin(off int, data string) {
	s.frame++
	s.h.Push(s.seq(off), false, true, false, []byte(data), s.meta())
}

// ack acknowledges every byte before stream offset off.
func (s *script) ack(off int) { s.h.Acked(s.seq(off)) }

// timeout skips the holes waiting since before frame n was captured.
func (s *script) timeout(frame uint64) {
	s.h.FlushOlderThan(t0.Add(time.Duration(frame) * time.Second))
}

func (s *script) flush() { s.h.Flush() }

// expect checks the bytes delivered so far.
func (s *script) expect(want string) {
	s.t.Helper()
	if got := s.c.out.String(); got != want {
		s.t.Errorf("delivered so far\n- want: %q\n-  got: %q", want, got)
	}
}
