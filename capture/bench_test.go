package capture_test

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// benchShape is how a benchmark capture lays out its records in time.
type benchShape int

const (
	increasing   benchShape = iota // every record later than the one before: the common case
	pairsAtOnce                    // two records, different, at each timestamp
	doubledShape                   // each record twice in a row, at one timestamp
)

// benchCapture writes about size bytes of one bulk TCP transfer, full
// segments and the ACKs for them, a microsecond apart unless the shape
// says otherwise.
func benchCapture(b *testing.B, format pcapgen.Format, size int, shape benchShape) []byte {
	b.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: format, Link: pcapgen.Ethernet})
	if err != nil {
		b.Fatal(err)
	}
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:20")
	payload := bytes.Repeat([]byte("0123456789abcdef"), 1448/16)
	t := t0
	var segs []pcapgen.TCP
	for seq := uint32(0); buf.Len() < size; seq += uint32(len(payload)) {
		t = t.Add(time.Microsecond)
		segs = append(segs[:0], pcapgen.TCP{Time: t, Src: srv, Dst: cli, Seq: seq, Ack: 1, Flags: pcapgen.ACK, Payload: payload})
		if shape != pairsAtOnce {
			t = t.Add(time.Microsecond)
		}
		segs = append(segs, pcapgen.TCP{Time: t, Src: cli, Dst: srv, Seq: 1, Ack: seq + uint32(len(payload)), Flags: pcapgen.ACK})
		if shape == doubledShape {
			segs = slices.Insert(segs, 1, segs[0])
			segs = append(segs, segs[2])
		}
		for _, s := range segs {
			if err := w.WriteTCP(s); err != nil {
				b.Fatal(err)
			}
		}
		w.Flush()
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if shape != doubledShape {
		return buf.Bytes()
	}
	// pcapgen numbers IP datagrams: write the doubles again as the same bytes.
	f, err := capture.NewFile("x", bytes.NewReader(buf.Bytes()))
	if err != nil {
		b.Fatal(err)
	}
	var recs []raw
	var rec capture.Record
	for i := 0; f.ReadRecord(&rec) == nil; i++ {
		if i%2 == 0 {
			r := raw{time: rec.Time, data: bytes.Clone(rec.Data), wire: rec.WireLen}
			recs = append(recs, r, r)
		}
	}
	return writeRecords(b, format, false, recs)
}

// BenchmarkPointNext reads a 16 MiB capture through a Point (read, merge,
// duplicate detection, decode): the per-packet path without analysis.
// "increasing" is the common case; the others cost the detection: a
// record compared with the one before it at each timestamp, different
// or the same (then skipped).
func BenchmarkPointNext(b *testing.B) {
	for _, shape := range []struct {
		name  string
		shape benchShape
	}{{"increasing", increasing}, {"pairs-at-one-timestamp", pairsAtOnce}, {"doubled", doubledShape}} {
		for _, format := range []pcapgen.Format{pcapgen.PcapNano, pcapgen.Pcapng} {
			b.Run(shape.name+"/"+format.String(), func(b *testing.B) {
				data := benchCapture(b, format, 16<<20, shape.shape)
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					f, err := capture.NewFile("bench", bytes.NewReader(data))
					if err != nil {
						b.Fatal(err)
					}
					pt := capture.NewPoint("bench", []string{"bench"}, []capture.Input{f})
					var p capture.Packet
					n := 0
					for pt.Next(&p) == nil {
						n++
					}
					if n == 0 || len(pt.Errors) > 0 {
						b.Fatalf("%d packets, errors %v", n, pt.Errors)
					}
					b.ReportMetric(float64(pt.Stats.Duplicates), "duplicates/op")
				}
			})
		}
	}
}
