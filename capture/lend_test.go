package capture_test

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// lendCapture is a capture of n segments of distinct 1400-byte payloads:
// several times a File's buffer.
func lendCapture(t *testing.T, o pcapgen.Options, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:20")
	payload := make([]byte, 1400)
	for i := range n {
		for j := range payload {
			payload[j] = byte(i + j/7)
		}
		if err := w.WriteTCP(pcapgen.TCP{Time: t0.Add(time.Duration(i) * time.Microsecond), Src: srv, Dst: cli, Seq: uint32(i * 1400), Ack: 1,
			Flags: pcapgen.ACK, Payload: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLenderKeepsRecordsUntilGivenBack: with a Lender, every payload
// handed out stays intact, uncopied, however many reads later, until its
// buffer is given back; buffers given back are read into again (memory
// stays bounded). In pcap, pcapng, and gzip-compressed pcap.
func TestLenderKeepsRecordsUntilGivenBack(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    pcapgen.Options
	}{
		{"pcap", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}},
		{"pcapng", pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet}},
		{"pcap.gz", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet, Gzip: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := lendCapture(t, tt.o, 3000) // 4.4 MB: a dozen buffers
			want, _ := readAll(t, "x", b)

			f, err := capture.NewFile("x", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			pt := capture.NewPoint("p", []string{"x"}, []capture.Input{f})
			if !pt.Lends() {
				t.Fatal("a point of one File does not lend")
			}
			l := &capture.Lender{}
			pt.LendBuffers(l)
			var kept [][]byte // payloads as handed out, not copied
			var retired [][]byte
			for {
				var p capture.Packet
				if err := pt.Next(&p); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				kept = append(kept, p.Payload)
				retired = l.Retired(retired)
			}
			if len(kept) != len(want) {
				t.Fatalf("%d packets with a lender, %d without", len(kept), len(want))
			}
			for i := range want {
				if !bytes.Equal(kept[i], want[i].Payload) {
					t.Fatalf("payload of packet %d changed before its buffer was given back", i)
				}
			}
			if len(retired) < 8 {
				t.Fatalf("%d buffers retired over 4.4 MB, want one per fill", len(retired))
			}

			// Given back as it goes, the buffers are reused: a second read
			// takes no more than a few.
			f, _ = capture.NewFile("x", bytes.NewReader(b))
			pt = capture.NewPoint("p", []string{"x"}, []capture.Input{f})
			l = &capture.Lender{}
			pt.LendBuffers(l)
			seen := map[*byte]bool{}
			var p capture.Packet
			var prev []byte
			for i := 0; pt.Next(&p) == nil; i++ {
				// The packet before this one was read before the buffers
				// just given back were retired, yet is still where it was:
				// a File retires only buffers two fills old.
				if i > 0 && !bytes.Equal(prev, want[i-1].Payload) {
					t.Fatalf("payload of packet %d changed once the buffers retired after it were given back", i-1)
				}
				prev = p.Payload
				for _, buf := range l.Retired(nil) {
					seen[&buf[:1][0]] = true
					l.GiveBack([][]byte{buf})
				}
			}
			if len(seen) > 4 {
				t.Errorf("%d distinct buffers retired while giving each back at once, want them reused", len(seen))
			}
		})
	}
}
