package reassembly

import (
	"testing"
	"time"
)

// BenchmarkHalf pushes a control stream's segments (40-byte lines, one per
// segment) in order, and with every fourth pair swapped (out of order:
// buffered, then drained), and reports bytes per second and allocations.
func BenchmarkHalf(b *testing.B) {
	line := []byte("227 Entering Passive Mode (10,1,0,2,195,80)\r\n")
	for _, tc := range []struct {
		name  string
		order func(i int) int
	}{
		{"in-order", func(i int) int { return i }},
		{"reordered", func(i int) int {
			if i%8 == 0 {
				return i + 1
			}
			if i%8 == 1 {
				return i - 1
			}
			return i
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var got int
			h := &Half{Deliver: func(c Chunk) { got += len(c.Data) }}
			const n = 1024
			b.SetBytes(n * int64(len(line)))
			b.ReportAllocs()
			t := time.Unix(1, 0)
			var base uint32 = 1000
			for b.Loop() {
				for i := 0; i < n; i++ {
					j := tc.order(i)
					h.Push(base+uint32(j*len(line)), false, false, false, line, Meta{Frame: uint64(j + 1), Time: t})
				}
				base += n * uint32(len(line))
			}
			if got == 0 {
				b.Fatal("nothing delivered")
			}
		})
	}
}
