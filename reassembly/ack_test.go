package reassembly

import (
	"slices"
	"strings"
	"testing"
)

// TestGapAcked checks that a skipped hole says whether the receiver had
// acknowledged it, and that Stats counts the unacknowledged holes and
// bytes, whichever way the hole was skipped and whenever the ACK came.
func TestGapAcked(t *testing.T) {
	// "RETR x\r\n" (8 bytes at 6) never reaches the capture.
	const (
		pasv = "PASV\r\n"   // at 0
		cwd  = "CWD ..\r\n" // at 14
		quit = "QUIT\r\n"   // at 22
	)
	type gap struct {
		n     int
		acked bool
	}
	tests := []struct {
		name         string
		isn          uint32
		maxBuffered  int
		noSYN        bool // the capture starts mid-connection
		run          func(s *script)
		want         string
		wantGaps     []gap
		wantUnacked  uint64 // Stats.UnackedGaps at the end
		wantUnackedB uint64 // Stats.UnackedBytes at the end
	}{
		{
			name: "ACK past the hole skips it as received",
			run:  func(s *script) { s.push(0, pasv); s.push(14, cwd); s.ack(22) },
			want: pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name: "hole skipped at flush without an ACK is unacknowledged",
			run:  func(s *script) { s.push(0, pasv); s.push(14, cwd); s.ack(6); s.flush() },
			want: pasv + cwd, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 8,
		},
		{
			name: "ACK seen before the data beyond the hole counts at flush",
			run: func(s *script) {
				s.push(0, pasv)
				s.ack(22)
				s.push(14, cwd)
				s.expect(pasv) // the hole's bytes may still come
				s.flush()
			},
			want: pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name: "ACK seen before the data beyond the hole counts at timeout",
			run:  func(s *script) { s.push(0, pasv); s.ack(22); s.push(14, cwd); s.timeout(3) },
			want: pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name: "ACK into the hole: only the bytes beyond it are unacknowledged",
			run:  func(s *script) { s.push(0, pasv); s.push(14, cwd); s.ack(10); s.flush() },
			want: pasv + cwd, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 4,
		},
		{
			name: "ACK after a timeout skipped the hole takes it out of the counts",
			run: func(s *script) {
				s.push(0, pasv)
				s.push(14, cwd)
				s.timeout(3)
				s.expect(pasv + cwd)
				s.ack(22)
			},
			want: pasv + cwd, wantGaps: []gap{{8, false}},
		},
		{
			name: "ACK into the hole after a timeout skipped it",
			run:  func(s *script) { s.push(0, pasv); s.push(14, cwd); s.timeout(3); s.ack(9) },
			want: pasv + cwd, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 5,
		},
		{
			name: "a late ACK passes the first of two holes",
			run: func(s *script) {
				s.push(0, pasv)
				s.push(14, cwd[:4])
				s.timeout(3)
				s.push(22, quit)
				s.flush()
				s.ack(18)
			},
			want: pasv + cwd[:4] + quit, wantGaps: []gap{{8, false}, {4, false}}, wantUnacked: 1, wantUnackedB: 4,
		},
		{
			name: "an older, lower ACK does not lower the highest",
			run:  func(s *script) { s.push(0, pasv); s.ack(22); s.ack(3); s.push(14, cwd); s.flush() },
			want: pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name: "ACK before the direction's first segment is kept",
			// newScript pushes no SYN: the stream starts at offset 0.
			noSYN: true,
			run:   func(s *script) { s.ack(22); s.push(0, pasv); s.push(14, cwd); s.flush() },
			want:  pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name:  "ACK before the first segment, far from the stream, is ignored",
			noSYN: true,
			run: func(s *script) {
				s.ack(1 << 31)
				s.push(0, pasv)
				s.push(14, cwd)
				s.flush()
			},
			want: pasv + cwd, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 8,
		},
		{
			name: "ACK far ahead of the stream is ignored",
			run: func(s *script) {
				s.push(0, pasv)
				s.ack(1<<30 + 100)
				s.push(14, cwd)
				s.flush()
			},
			want: pasv + cwd, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 8,
		},
		{
			// Too far from the stream to be remembered, but it passes the
			// hole, which is skipped at once.
			name: "ACK past a hole of more than 1 GiB",
			run:  func(s *script) { s.push(0, pasv); s.push(1<<30+10, "x"); s.ack(1<<30 + 11) },
			want: pasv + "x", wantGaps: []gap{{1<<30 + 4, true}},
		},
		{
			name: "sequence wrap-around inside the hole",
			isn:  0xFFFFFFF8,
			run:  func(s *script) { s.push(0, pasv); s.ack(22); s.push(14, cwd); s.flush() },
			want: pasv + cwd, wantGaps: []gap{{8, true}},
		},
		{
			name:        "hole forced by the buffer limit after an ACK passed it",
			maxBuffered: 8,
			run:         func(s *script) { s.push(0, pasv); s.ack(28); s.push(14, cwd); s.push(22, quit) },
			want:        pasv + cwd + quit, wantGaps: []gap{{8, true}},
		},
		{
			name:        "hole forced by the buffer limit without an ACK",
			maxBuffered: 8,
			run:         func(s *script) { s.push(0, pasv); s.push(14, cwd); s.push(22, quit) },
			want:        pasv + cwd + quit, wantGaps: []gap{{8, false}}, wantUnacked: 1, wantUnackedB: 8,
		},
		{
			name: "ACK after FIN closed the direction still counts",
			run: func(s *script) {
				s.push(0, pasv)
				s.pushFin(14, cwd)
				s.timeout(3)
				if !s.h.Closed() {
					s.t.Errorf("not closed after the FIN")
				}
				s.ack(23)
			},
			want: pasv + cwd, wantGaps: []gap{{8, false}},
		},
		{
			name: "more unacknowledged holes than are watched, then one ACK past them all",
			run: func(s *script) {
				for i := range 2 * maxUnackedHoles {
					s.push(2*i+1, "x") // a one-byte hole before each
				}
				s.flush()
				s.ack(4*maxUnackedHoles + 1)
			},
			want:     strings.Repeat("x", 2*maxUnackedHoles),
			wantGaps: slices.Repeat([]gap{{1, false}}, 2*maxUnackedHoles),
		},
		{
			name: "more unacknowledged holes than are watched, then an ACK past all but the last",
			run: func(s *script) {
				for i := range 2 * maxUnackedHoles {
					s.push(2*i+1, "x")
				}
				s.flush()
				s.ack(4*maxUnackedHoles - 3)
			},
			want:        strings.Repeat("x", 2*maxUnackedHoles),
			wantGaps:    slices.Repeat([]gap{{1, false}}, 2*maxUnackedHoles),
			wantUnacked: 1, wantUnackedB: 1,
		},
		{
			name: "more unacknowledged holes than are watched, then an ACK past the oldest few",
			run: func(s *script) {
				for i := range 2 * maxUnackedHoles {
					s.push(2*i+1, "x")
				}
				s.flush()
				s.ack(5) // passes the first three holes
			},
			want:     strings.Repeat("x", 2*maxUnackedHoles),
			wantGaps: slices.Repeat([]gap{{1, false}}, 2*maxUnackedHoles),
			// Beyond the watch list the oldest holes were merged: they leave
			// the counts together, once an ACK passes the last of them.
			wantUnacked: 2 * maxUnackedHoles, wantUnackedB: 2 * maxUnackedHoles,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *script
			if tt.noSYN {
				s = &script{t: t, isn: tt.isn, c: &collector{}}
				s.h = s.c.half(tt.maxBuffered, nil)
			} else {
				s = newScript(t, tt.isn, tt.maxBuffered)
			}
			tt.run(s)
			s.expect(tt.want)
			var got []gap
			for i, n := range s.c.gaps {
				got = append(got, gap{n, s.c.gapsAcked[i]})
			}
			if !slices.Equal(got, tt.wantGaps) {
				t.Errorf("gaps (bytes, acked): want %v, got %v", tt.wantGaps, got)
			}
			st := s.h.Stats
			if st.UnackedGaps != tt.wantUnacked || st.UnackedBytes != tt.wantUnackedB {
				t.Errorf("unacknowledged: want %d holes, %d bytes; got %d, %d", tt.wantUnacked, tt.wantUnackedB, st.UnackedGaps, st.UnackedBytes)
			}
			var missing uint64
			for _, g := range tt.wantGaps {
				missing += uint64(g.n)
			}
			if st.Gaps != uint64(len(tt.wantGaps)) || st.MissingBytes != missing {
				t.Errorf("totals: want %d holes, %d bytes; got %d, %d", len(tt.wantGaps), missing, st.Gaps, st.MissingBytes)
			}
		})
	}
}
