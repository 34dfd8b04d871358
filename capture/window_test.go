package capture

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"testing"
)

// TestWindowKeepsTwoFills: a record's bytes stay where they were handed
// out while Record.fill says so (until the next fill, or, once the File
// keeps two buffers, the fill after next), which Point's duplicate
// detection relies on, in pcap and in pcapng, through blocks larger than
// the buffer (which grow it) and blocks skipped unread.
func TestWindowKeepsTwoFills(t *testing.T) {
	le := binary.LittleEndian
	const n = 3000 // about 3 MB: many fills
	payloads := make([][]byte, n)
	for i := range payloads {
		payloads[i] = append(fmt.Appendf(nil, "record %d ", i), bytes.Repeat([]byte{byte(i)}, 900+i%300)...)
	}
	var pcap []byte
	pcap = le.AppendUint32(pcap, 0xa1b2c3d4)
	pcap = le.AppendUint16(pcap, 2)
	pcap = le.AppendUint16(pcap, 4)
	pcap = append(pcap, make([]byte, 8)...)
	pcap = le.AppendUint32(pcap, MaxRecordLength)
	pcap = le.AppendUint32(pcap, 1)
	ng := append(ngSHB(le, 1, 0), ngIDB(le, 1, 0)...)
	for i, p := range payloads {
		pcap = le.AppendUint32(pcap, uint32(1700000000+i))
		pcap = le.AppendUint32(pcap, 0)
		pcap = le.AppendUint32(pcap, uint32(len(p)))
		pcap = le.AppendUint32(pcap, uint32(len(p)))
		pcap = append(pcap, p...)
		switch i {
		case 1000: // an interface description larger than the buffer
			var opts [][]byte
			for range 15 {
				opts = append(opts, ngOption(le, 2, bytes.Repeat([]byte{'c'}, 60000)))
			}
			ng = append(ng, ngIDB(le, 1, 0, opts...)...)
		case 2000: // a long block of an unknown type, skipped unread
			ng = append(ng, ngBlock(le, 0x0bad, make([]byte, 1<<20))...)
		}
		ng = append(ng, ngEPB(le, 0, uint64(1700000000+i)*1000000, p, uint32(len(p)))...)
	}
	for _, format := range []struct {
		name string
		data []byte
	}{{"pcap", pcap}, {"pcapng", ng}} {
		// keepFrom: the record after which the File is told to keep two
		// buffers (-1: never).
		for _, keepFrom := range []int{-1, 0, 1500} {
			t.Run(fmt.Sprintf("%s/keep from %d", format.name, keepFrom), func(t *testing.T) {
				f, err := NewFile(format.name, bytes.NewReader(format.data))
				if err != nil {
					t.Fatal(err)
				}
				var recs []Record
				kept := 0 // records checked in the buffer before the current one
				for i := 0; ; i++ {
					if i == keepFrom {
						f.keepPrevious()
					}
					var r Record
					if err := f.ReadRecord(&r); err == io.EOF {
						break
					} else if err != nil {
						t.Fatal(err)
					}
					recs = append(recs, r)
					for j := len(recs) - 1; j >= 0 && r.fill-recs[j].fill <= 1; j-- {
						if !bytes.Equal(recs[j].Data, payloads[j]) {
							t.Fatalf("after record %d (fill %d), record %d (fill %d) is overwritten", i+1, r.fill, j+1, recs[j].fill)
						}
						if r.fill != recs[j].fill {
							kept++
						}
					}
				}
				if len(recs) != n {
					t.Fatalf("%d records, want %d", len(recs), n)
				}
				if (kept > 0) != (keepFrom >= 0) {
					t.Errorf("%d records checked in the buffer before", kept)
				}
				if fills := recs[n-1].fill; fills < 5 {
					t.Errorf("%d fills: the test reads too little to check refills", fills)
				}
			})
		}
	}
}
