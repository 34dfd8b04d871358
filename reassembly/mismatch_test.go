package reassembly

import (
	"strings"
	"testing"
)

// TestMismatch checks that a retransmitted or overlapping copy whose bytes
// differ from the delivered copy is reported, with both copies and their
// frames, that identical copies are not, and that what is delivered does
// not change (the delivered copy wins).
func TestMismatch(t *testing.T) {
	const (
		user = "USER a\r\n"                   // at 0, 8 bytes
		port = "PORT 10,1,0,2,195,80\r\n"     // at 8
		alg  = "PORT 198,51,100,1,195,80\r\n" // what an FTP ALG made of it
		// Just under the window, so that "USER a\r\n" straddles its start.
		filler = WindowSize - 4
	)
	x := strings.Repeat("x", filler)
	// want describes one reported Mismatch; offsets are stream offsets.
	type want struct {
		off                int // of Delivered[0] and Dropped[0]
		firstDiff          int
		delivered, dropped string
		deliveredFrame     uint64 // 0: not known
		droppedFrame       uint64
	}
	tests := []struct {
		name        string
		isn         uint32
		noCallback  bool
		run         func(s *script)
		wantOut     string
		want        []want
		wantOverlap uint64 // Stats.OverlapBytes
	}{
		{
			name:    "identical retransmission",
			run:     func(s *script) { s.push(0, user); s.push(8, port); s.push(8, port); s.push(0, user+port) },
			wantOut: user + port, wantOverlap: 8 + 2*22,
		},
		{
			name:    "identical overlaps of a buffered segment",
			run:     func(s *script) { s.push(8, port); s.push(12, port[4:10]); s.push(0, user+port[:6]) },
			wantOut: user + port, wantOverlap: 6 + 6,
		},
		{
			// The ALG case: the first, partial "PORT 10,1,0,2," went by (the
			// receiver never got it), the retransmission was rewritten.
			name:    "rewritten retransmission of delivered bytes",
			run:     func(s *script) { s.push(0, user); s.push(8, port[:14]); s.push(8, alg) },
			wantOut: user + port[:14] + alg[14:], wantOverlap: 14,
			want: []want{{off: 8, firstDiff: 6, delivered: "PORT 10,1,0,2,", dropped: "PORT 198,51,10", deliveredFrame: 2, droppedFrame: 3}},
		},
		{
			name:    "overlap straddling the next byte expected",
			run:     func(s *script) { s.push(0, user+port[:8]); s.push(8, "PORT 99,1,0,2,195,80\r\n") },
			wantOut: user + port, wantOverlap: 8,
			want: []want{{off: 8, firstDiff: 5, delivered: "PORT 10,", dropped: "PORT 99,", deliveredFrame: 1, droppedFrame: 2}},
		},
		{
			// The buffered copy was captured first, but the in-order segment
			// filling the hole is delivered first: the buffered copy is the
			// one dropped.
			name:    "buffered segment overlapped by the segment that fills the hole",
			run:     func(s *script) { s.push(8, port); s.push(0, user+"PORT 99,") },
			wantOut: user + "PORT 99," + port[8:], wantOverlap: 8,
			want: []want{{off: 8, firstDiff: 5, delivered: "PORT 99,", dropped: "PORT 10,", deliveredFrame: 2, droppedFrame: 1}},
		},
		{
			name:    "two buffered segments overlapping each other",
			run:     func(s *script) { s.push(8, port); s.push(8, "PORT 99,1,0,2,195,80\r\n"); s.push(0, user) },
			wantOut: user + port, wantOverlap: 22,
			want: []want{{off: 8, firstDiff: 5, delivered: port, dropped: "PORT 99,1,0,2,195,80\r\n", deliveredFrame: 1, droppedFrame: 2}},
		},
		{
			name:       "counted without a callback",
			noCallback: true,
			run:        func(s *script) { s.push(0, user); s.push(0, "USER b\r\n") },
			wantOut:    user, wantOverlap: 8,
		},
		{
			name:    "bytes older than the window are not compared",
			run:     func(s *script) { s.push(0, user); s.push(8, x+"xxxx"); s.push(0, "XSER a\r\n") },
			wantOut: user + x + "xxxx", wantOverlap: 8,
		},
		{
			// The window holds offsets 4 on: the difference at 1 cannot be
			// seen, the one at 5 is.
			name:    "overlap straddling the start of the window",
			run:     func(s *script) { s.push(0, user); s.push(8, x); s.push(0, "UXER b\r\n") },
			wantOut: user + x, wantOverlap: 8,
			want: []want{{off: 4, firstDiff: 1, delivered: " a\r\n", dropped: " b\r\n", deliveredFrame: 1, droppedFrame: 3}},
		},
		{
			// Nor are the hole's bytes, arriving late: there was no first copy.
			name: "bytes delivered before a skipped hole are not compared",
			run: func(s *script) {
				s.push(0, user)
				s.push(16, "QUIT\r\n")
				s.flush()
				s.push(8, "RETR x\r\n")
				s.push(0, "USER b\r\n")
			},
			wantOut: user + "QUIT\r\n", wantOverlap: 16,
		},
		{
			name: "difference in bytes that wrap around the window's ring",
			run: func(s *script) {
				s.push(0, x)
				s.push(filler, "0123456789")
				s.push(filler, "01234567X9")
			},
			wantOut: x + "0123456789", wantOverlap: 10,
			want: []want{{off: filler, firstDiff: 8, delivered: "0123456789", dropped: "01234567X9", deliveredFrame: 2, droppedFrame: 3}},
		},
		{
			name:    "sequence number wrap-around",
			isn:     0xFFFFFFF0,
			run:     func(s *script) { s.push(0, user+port); s.push(8, alg[:22]) },
			wantOut: user + port, wantOverlap: 22,
			want: []want{{off: 8, firstDiff: 6, delivered: port, dropped: alg[:22], deliveredFrame: 1, droppedFrame: 2}},
		},
		{
			name: "long copies are cut around the first difference",
			run: func(s *script) {
				s.push(0, strings.Repeat("a", 1000))
				s.push(0, strings.Repeat("a", 100)+strings.Repeat("b", 900))
			},
			wantOut: strings.Repeat("a", 1000), wantOverlap: 1000,
			want: []want{{off: 100 - mismatchContext, firstDiff: mismatchContext,
				delivered:      strings.Repeat("a", MaxMismatchBytes),
				dropped:        strings.Repeat("a", mismatchContext) + strings.Repeat("b", MaxMismatchBytes-mismatchContext),
				deliveredFrame: 1, droppedFrame: 2}},
		},
		{
			name: "frame of the delivered copy no longer known",
			run: func(s *script) {
				s.push(0, "ab")
				for i := range chunkHistory {
					s.push(2+i, "c")
				}
				s.push(0, "Xb")
			},
			wantOut: "ab" + strings.Repeat("c", chunkHistory), wantOverlap: 2,
			want: []want{{off: 0, firstDiff: 0, delivered: "ab", dropped: "Xb", droppedFrame: chunkHistory + 2}},
		},
		{
			name:    "each differing copy is reported once",
			run:     func(s *script) { s.push(0, user); s.push(0, "USER b\r\n"); s.push(4, " c\r\n") },
			wantOut: user, wantOverlap: 12,
			want: []want{
				{off: 0, firstDiff: 5, delivered: user, dropped: "USER b\r\n", deliveredFrame: 1, droppedFrame: 2},
				{off: 4, firstDiff: 1, delivered: " a\r\n", dropped: " c\r\n", deliveredFrame: 1, droppedFrame: 3},
			},
		},
		{
			name:    "a closed direction compares nothing",
			run:     func(s *script) { s.pushFin(0, user); s.push(0, "USER b\r\n") },
			wantOut: user,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScript(t, tt.isn, 0)
			if tt.noCallback {
				s.h.Mismatch = nil
			}
			tt.run(s)
			s.expect(tt.wantOut)
			if s.h.Stats.OverlapBytes != tt.wantOverlap {
				t.Errorf("overlap bytes: want %d, got %d", tt.wantOverlap, s.h.Stats.OverlapBytes)
			}
			wantCount := uint64(len(tt.want))
			if tt.noCallback {
				wantCount = 1
			}
			if s.h.Stats.Mismatches != wantCount {
				t.Errorf("Stats.Mismatches: want %d, got %d", wantCount, s.h.Stats.Mismatches)
			}
			if len(s.c.mismatches) != len(tt.want) {
				t.Fatalf("want %d mismatches, got %d: %+v", len(tt.want), len(s.c.mismatches), s.c.mismatches)
			}
			for i, w := range tt.want {
				m := s.c.mismatches[i]
				if m.Seq != s.seq(w.off) || m.FirstDiff != w.firstDiff || string(m.Delivered) != w.delivered || string(m.Dropped) != w.dropped {
					t.Errorf("mismatch %d:\n- want: offset %d first diff %d %q / %q\n-  got: offset %d first diff %d %q / %q", i,
						w.off, w.firstDiff, w.delivered, w.dropped, int(m.Seq-s.seq(0)), m.FirstDiff, m.Delivered, m.Dropped)
				}
				if m.DeliveredMetaKnown != (w.deliveredFrame != 0) || m.DeliveredMeta.Frame != w.deliveredFrame || m.DroppedMeta.Frame != w.droppedFrame {
					t.Errorf("mismatch %d frames: want delivered %d dropped %d, got delivered %d (known %v) dropped %d", i,
						w.deliveredFrame, w.droppedFrame, m.DeliveredMeta.Frame, m.DeliveredMetaKnown, m.DroppedMeta.Frame)
				}
				if m.DroppedMeta.Time.IsZero() || (m.DeliveredMetaKnown && m.DeliveredMeta.Time.IsZero()) {
					t.Errorf("mismatch %d: capture times missing: %+v", i, m)
				}
			}
		})
	}
}

// TestMismatchCopiesOwned checks that a Mismatch's bytes stay valid after
// the callback and after more bytes went through the window.
func TestMismatchCopiesOwned(t *testing.T) {
	s := newScript(t, 0, 0)
	payload := []byte("USER b\r\n")
	s.push(0, "USER a\r\n")
	s.frame++
	s.h.Push(s.seq(0), false, false, false, payload, s.meta())
	copy(payload, "ZZZZZZZZ")
	s.push(8, strings.Repeat("z", WindowSize))
	if len(s.c.mismatches) != 1 {
		t.Fatalf("want 1 mismatch, got %d", len(s.c.mismatches))
	}
	if m := s.c.mismatches[0]; string(m.Delivered) != "USER a\r\n" || string(m.Dropped) != "USER b\r\n" {
		t.Errorf("copies changed after the call: %q / %q", m.Delivered, m.Dropped)
	}
}
