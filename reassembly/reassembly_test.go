package reassembly

import (
	"bytes"
	"math/rand"
	"testing"
	"time"
)

type collector struct {
	out        bytes.Buffer
	gaps       []int
	gapsAcked  []bool // GapAcked of each gap in gaps
	frames     []uint64
	mismatches []Mismatch
}

func (c *collector) half(max int, b *Budget) *Half {
	return &Half{MaxBuffered: max, Budget: b, Deliver: func(ch Chunk) {
		if ch.Gap != 0 {
			c.gaps = append(c.gaps, ch.Gap)
			c.gapsAcked = append(c.gapsAcked, ch.GapAcked)
		}
		c.out.Write(ch.Data)
		c.frames = append(c.frames, ch.Frame)
	}, Mismatch: func(m Mismatch) {
		c.mismatches = append(c.mismatches, m)
	}}
}

type seg struct {
	off  int // offset into the stream
	n    int
	syn  bool
	fin  bool
	rst  bool
	data string // explicit data overrides stream[off:off+n]
}

func TestHalf(t *testing.T) {
	const stream = "USER anonymous\r\nPASS x\r\nPORT 10,1,0,2,195,80\r\nRETR f\r\n"
	tests := []struct {
		name      string
		isn       uint32
		segs      []seg
		flush     bool
		want      string
		wantGaps  []int
		wantRetx  uint64
		wantClose bool
	}{
		{name: "in order", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 16, n: 8}, {off: 24, n: len(stream) - 24}}, want: stream},
		{name: "out of order", segs: []seg{{off: -1, syn: true}, {off: 16, n: 8}, {off: 0, n: 16}, {off: 24, n: len(stream) - 24}}, want: stream},
		{name: "retransmission dropped", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 0, n: 16}, {off: 16, n: 8}}, want: stream[:24], wantRetx: 1},
		{name: "overlap keeps first copy", segs: []seg{{off: -1, syn: true}, {off: 0, n: 20}, {off: 16, data: "XXXX x\r\n"}}, want: stream[:24]},
		{name: "command split across segments", segs: []seg{{off: -1, syn: true}, {off: 0, n: 24}, {off: 24, n: 2}, {off: 26, n: len(stream) - 26}}, want: stream},
		{name: "sequence wrap-around", isn: 0xFFFFFFF0, segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 24, n: len(stream) - 24}, {off: 16, n: 8}}, want: stream},
		{name: "mid-stream start without SYN", segs: []seg{{off: 16, n: 8}, {off: 24, n: len(stream) - 24}}, want: stream[16:]},
		{name: "hole skipped at flush", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 24, n: len(stream) - 24}}, flush: true, want: stream[:16] + stream[24:], wantGaps: []int{8}},
		{name: "FIN closes", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 16, n: 8, fin: true}}, want: stream[:24], wantClose: true},
		{name: "FIN ahead of data waits", segs: []seg{{off: -1, syn: true}, {off: 16, n: 8, fin: true}, {off: 0, n: 16}}, want: stream[:24], wantClose: true},
		{name: "RST closes", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 16, rst: true}}, want: stream[:16], wantClose: true},
		{name: "fuzzed capture crasher: empty segment behind the stream", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 3}, {off: 16, n: 8}}, want: stream[:24]},
		{name: "stale RST ignored", segs: []seg{{off: -1, syn: true}, {off: 0, n: 16}, {off: 2, rst: true}, {off: 16, n: 8}}, want: stream[:24]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c collector
			h := c.half(0, nil)
			for i, s := range tt.segs {
				data := []byte(segData(s, stream))
				seq := tt.isn + 1 + uint32(s.off)
				h.Push(seq, s.syn, s.fin, s.rst, data, Meta{Frame: uint64(i + 1)})
			}
			if tt.flush {
				h.Flush()
			}
			if got := c.out.String(); got != tt.want {
				t.Errorf("bytes\n- want: %q\n-  got: %q", tt.want, got)
			}
			if len(c.gaps) != len(tt.wantGaps) || (len(c.gaps) > 0 && c.gaps[0] != tt.wantGaps[0]) {
				t.Errorf("gaps: want %v, got %v", tt.wantGaps, c.gaps)
			}
			if h.Stats.Retransmitted != tt.wantRetx {
				t.Errorf("retransmitted: want %d, got %d", tt.wantRetx, h.Stats.Retransmitted)
			}
			if h.Closed() != tt.wantClose {
				t.Errorf("closed: want %v, got %v", tt.wantClose, h.Closed())
			}
		})
	}
}

func segData(s seg, stream string) string {
	if s.data != "" {
		return s.data
	}
	if s.off < 0 || s.n == 0 {
		return ""
	}
	return stream[s.off : s.off+s.n]
}

func TestFramesFollowBytes(t *testing.T) {
	var c collector
	h := c.half(0, nil)
	h.Push(100, true, false, false, nil, Meta{Frame: 1})
	h.Push(101+6, false, false, false, []byte("world\n"), Meta{Frame: 3})
	h.Push(101, false, false, false, []byte("hello "), Meta{Frame: 2})
	if c.out.String() != "hello world\n" {
		t.Fatalf("got %q", c.out.String())
	}
	if len(c.frames) != 2 || c.frames[0] != 2 || c.frames[1] != 3 {
		t.Errorf("frames: want [2 3], got %v", c.frames)
	}
}

func TestLimits(t *testing.T) {
	t.Run("per direction", func(t *testing.T) {
		var c collector
		h := c.half(100, nil)
		h.Push(0, true, false, false, nil, Meta{})
		// A hole of 10 bytes, then 150 bytes beyond it: the limit (100) forces
		// the hole to be skipped.
		for i := 0; i < 15; i++ {
			h.Push(uint32(11+i*10), false, false, false, bytes.Repeat([]byte{'a'}, 10), Meta{})
		}
		if h.Buffered() > 100 {
			t.Errorf("buffered %d > limit 100", h.Buffered())
		}
		if h.Stats.ForcedByLimits == 0 || len(c.gaps) != 1 || c.gaps[0] != 10 {
			t.Errorf("want one forced gap of 10 bytes, got forced=%d gaps=%v", h.Stats.ForcedByLimits, c.gaps)
		}
		if c.out.Len() != 150 {
			t.Errorf("want the 150 bytes after the hole delivered, got %d", c.out.Len())
		}
	})
	t.Run("global budget", func(t *testing.T) {
		b := &Budget{Max: 1000}
		var cs [50]collector
		for i := range cs {
			h := cs[i].half(0, b)
			h.Push(0, true, false, false, nil, Meta{})
			h.Push(100, false, false, false, bytes.Repeat([]byte{'b'}, 100), Meta{})
			if b.Used > b.Max {
				t.Fatalf("budget used %d > max %d", b.Used, b.Max)
			}
		}
	})
}

func TestAckedPastHole(t *testing.T) {
	var c collector
	h := c.half(0, nil)
	h.Push(0, true, false, false, nil, Meta{})
	h.Push(1, false, false, false, []byte("PASV\r\n"), Meta{})
	// "RETR x\r\n" (8 bytes at 7) is lost; the next command waits behind it.
	h.Push(15, false, false, false, []byte("CWD ..\r\n"), Meta{})
	h.Acked(10) // acknowledges part of the hole only: nothing waits before 10
	if c.out.String() != "PASV\r\n" {
		t.Fatalf("skipped too early: %q", c.out.String())
	}
	h.Acked(24) // the receiver has everything up to the end of CWD
	if c.out.String() != "PASV\r\nCWD ..\r\n" || len(c.gaps) != 1 || c.gaps[0] != 8 || !c.gapsAcked[0] {
		t.Errorf("got %q gaps %v acked %v", c.out.String(), c.gaps, c.gapsAcked)
	}
}

func TestFlushOlderThan(t *testing.T) {
	var c collector
	h := c.half(0, nil)
	t0 := time.Unix(1000, 0)
	h.Push(0, true, false, false, nil, Meta{Time: t0})
	h.Push(5, false, false, false, []byte("late\n"), Meta{Time: t0.Add(time.Second)})
	h.FlushOlderThan(t0)
	if c.out.Len() != 0 {
		t.Fatalf("flushed too early")
	}
	h.FlushOlderThan(t0.Add(2 * time.Second))
	if c.out.String() != "late\n" || len(c.gaps) != 1 || c.gaps[0] != 4 {
		t.Errorf("got %q gaps %v", c.out.String(), c.gaps)
	}
}

// FuzzHalf checks the properties that matter. Whatever the order,
// duplication and overlap of the segments, when every byte was sent at
// least once the reassembled stream is exactly the original, with no gap,
// and identical copies never report a mismatch. And when one copy of a
// range has one byte changed, and the stream fits in the window (or the
// changed copy comes last, with its byte among the last WindowSize), the
// change is reported, at that byte, with both values, while every other
// byte comes back exactly.
func FuzzHalf(f *testing.F) {
	f.Add([]byte("220 ready\r\nUSER a\r\n331 pw\r\nPASS b\r\n230 ok\r\nPASV\r\n227 Entering Passive Mode (10,0,0,1,4,1)\r\n"), int64(1), uint32(0))
	f.Add([]byte("x"), int64(2), uint32(0xFFFFFFFF))
	f.Add(bytes.Repeat([]byte("PORT 10,1,0,2,195,80\r\n"), 50), int64(3), uint32(0xFFFFFF00))
	f.Add(bytes.Repeat([]byte("PORT 10,1,0,2,195,80\r\n"), 300), int64(4), uint32(0xFFFFF000))
	f.Fuzz(func(t *testing.T, data []byte, seed int64, isn uint32) {
		if len(data) == 0 || len(data) > 1<<16 {
			return
		}
		r := rand.New(rand.NewSource(seed))
		type piece struct {
			off  int
			data []byte
		}
		var pieces []piece
		for off := 0; off < len(data); {
			n := 1 + r.Intn(64)
			if off+n > len(data) {
				n = len(data) - off
			}
			pieces = append(pieces, piece{off, data[off : off+n]})
			off += n
		}
		// Duplicates and overlapping re-segmentations.
		for i := 0; i < len(pieces)/3; i++ {
			p := pieces[r.Intn(len(pieces))]
			start := max(0, p.off-r.Intn(8))
			end := min(len(data), p.off+len(p.data)+r.Intn(8))
			pieces = append(pieces, piece{start, data[start:end]})
		}
		r.Shuffle(len(pieces), func(i, j int) { pieces[i], pieces[j] = pieces[j], pieces[i] })
		run := func(pieces []piece) (*collector, *Half) {
			var c collector
			h := c.half(1<<20, nil)
			h.Push(isn, true, false, false, nil, Meta{})
			for i, p := range pieces {
				h.Push(isn+1+uint32(p.off), false, false, false, p.data, Meta{Frame: uint64(i)})
			}
			h.Flush()
			if len(c.gaps) != 0 {
				t.Fatalf("gaps %v with nothing missing", c.gaps)
			}
			if h.Buffered() != 0 {
				t.Fatalf("%d bytes still buffered after flush", h.Buffered())
			}
			return &c, h
		}

		c, h := run(pieces)
		if !bytes.Equal(c.out.Bytes(), data) {
			t.Fatalf("reassembled %d bytes differ from the %d sent", c.out.Len(), len(data))
		}
		if len(c.mismatches) != 0 || h.Stats.Mismatches != 0 {
			t.Fatalf("identical copies reported as differing: %d, first %+v", h.Stats.Mismatches, c.mismatches[0])
		}

		// One more copy of a range, with one byte changed.
		pos := r.Intn(len(data))
		if len(data) > WindowSize {
			pos = len(data) - 1 - r.Intn(WindowSize)
		}
		start := max(0, pos-r.Intn(8))
		changed := piece{start, append([]byte(nil), data[start:min(len(data), pos+1+r.Intn(8))]...)}
		was := data[pos]
		changed.data[pos-start] ^= byte(1 + r.Intn(255))
		now := changed.data[pos-start]
		at := len(pieces)
		if len(data) <= WindowSize {
			at = r.Intn(len(pieces) + 1)
		}
		pieces = append(pieces[:at], append([]piece{changed}, pieces[at:]...)...)
		c, h = run(pieces)
		out := c.out.Bytes()
		if len(out) != len(data) || !bytes.Equal(out[:pos], data[:pos]) || !bytes.Equal(out[pos+1:], data[pos+1:]) || (out[pos] != was && out[pos] != now) {
			t.Fatalf("with a changed copy of byte %d, the other bytes changed", pos)
		}
		if len(c.mismatches) == 0 || h.Stats.Mismatches != uint64(len(c.mismatches)) {
			t.Fatalf("byte %d changed from %#x to %#x in one copy: %d mismatches reported, %d counted", pos, was, now, len(c.mismatches), h.Stats.Mismatches)
		}
		for _, m := range c.mismatches {
			i := m.FirstDiff
			if m.Seq+uint32(i) != isn+1+uint32(pos) || len(m.Delivered) != len(m.Dropped) || i >= len(m.Delivered) ||
				!(m.Delivered[i] == was && m.Dropped[i] == now || m.Delivered[i] == now && m.Dropped[i] == was) {
				t.Fatalf("byte %d (seq %d) changed from %#x to %#x: reported %+v", pos, isn+1+uint32(pos), was, now, m)
			}
		}
	})
}
