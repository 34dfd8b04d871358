package analyze

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
)

// BenchmarkPacket measures the per-packet cost of traffic that is not FTP
// control (most of a capture): one flow lookup, no allocation.
func BenchmarkPacket(b *testing.B) {
	for _, tt := range []struct {
		name  string
		flags capture.Flags
		data  bool
	}{
		{"unrelated segment", capture.ACK, true},
		{"unrelated SYN", capture.SYN, false},
		{"data connection segment", capture.ACK, true},
	} {
		b.Run(tt.name, func(b *testing.B) {
			an := New(Options{})
			w := newWire(&testing.T{}, an, "10.1.0.2:40000", "203.0.113.10:21")
			w.handshake()
			w.c("PASV\r\n")
			w.s("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
			w.data("10.1.0.2:40001", "203.0.113.10:30000", "synack", 0)
			p := capture.Packet{Kind: capture.TCP, Time: w.now.Add(time.Second), Flags: tt.flags,
				Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), SrcPort: 5555, DstPort: 443,
				Payload: make([]byte, 1400), PayloadLen: 1400}
			if tt.name == "data connection segment" {
				p.Src, p.Dst, p.SrcPort, p.DstPort = netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("10.1.0.2"), 30000, 40001
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p.Frame = uint64(i)
				an.Packet(&p)
			}
		})
	}
}

func TestPacketPathAllocatesNothing(t *testing.T) {
	an := New(Options{})
	p := capture.Packet{Kind: capture.TCP, Time: time.Unix(1, 0), Flags: capture.ACK | capture.PSH,
		Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), SrcPort: 5555, DstPort: 443,
		Payload: []byte("GET / HTTP/1.1\r\n"), PayloadLen: 16}
	if n := testing.AllocsPerRun(1000, func() { an.Packet(&p) }); n != 0 {
		t.Errorf("a non-FTP segment costs %v allocations", n)
	}
	p.Flags = capture.SYN
	if n := testing.AllocsPerRun(1000, func() { an.Packet(&p) }); n != 0 {
		t.Errorf("a non-FTP SYN costs %v allocations", n)
	}
}
