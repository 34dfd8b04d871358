package analyze

import (
	"net/netip"
	"runtime"
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

// BenchmarkControlLines measures what one control line costs, from packet
// to kept line: whole sessions (handshake, the lines, both FINs), one per
// iteration on a new client port, released as they close as in
// `ftpsniff -F json`. It reports allocs/line (all of the session's
// allocations over its lines); run it with -benchmem:
//
//	go test ./analyze -run '^$' -bench ControlLines -benchmem
func BenchmarkControlLines(b *testing.B) {
	for _, tt := range []struct {
		name  string
		lines []string // client lines start with a letter, server lines with a digit
	}{
		{"commands", []string{"220 FTP server ready", "USER anonymous", "331 Password required", "PASS guest",
			"230 Logged in", "SYST", "215 UNIX Type: L8", "TYPE I", "200 Type set to I", "CWD /pub",
			"250 Directory successfully changed", "SIZE big.iso", "213 1048576", "QUIT", "221 Goodbye"}},
		{"passive transfer", []string{"220 FTP server ready", "USER anonymous", "331 Password required", "PASS guest",
			"230 Logged in", "TYPE I", "200 Type set to I", "PASV", "227 Entering Passive Mode (203,0,113,10,117,48)",
			"RETR big.iso", "150 Opening BINARY mode data connection for big.iso (1048576 bytes)",
			"226 Transfer complete", "QUIT", "221 Goodbye"}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			payloads := make([][]byte, len(tt.lines))
			for i, l := range tt.lines {
				payloads[i] = []byte(l + "\r\n")
			}
			released := 0
			an := New(Options{OnSessionDone: func(*Session) { released++ }})
			server := netip.MustParseAddr("203.0.113.10")
			client := netip.MustParseAddr("10.1.0.2")
			now := time.Unix(1700000000, 0)
			var frame uint64
			send := func(fromClient bool, port uint16, seq, ack uint32, flags capture.Flags, payload []byte) {
				frame++
				now = now.Add(time.Millisecond)
				p := capture.Packet{Frame: frame, Time: now, Kind: capture.TCP, TTL: 64, Seq: seq, Ack: ack, Flags: flags,
					Src: client, SrcPort: port, Dst: server, DstPort: 21, Payload: payload, PayloadLen: len(payload)}
				if !fromClient {
					p.Src, p.SrcPort, p.Dst, p.DstPort = server, 21, client, port
				}
				an.Packet(&p)
			}
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				port := uint16(1024 + i%60000)
				cseq, sseq := uint32(1000), uint32(5000)
				send(true, port, cseq, 0, capture.SYN, nil)
				send(false, port, sseq, cseq+1, capture.SYN|capture.ACK, nil)
				cseq++
				sseq++
				send(true, port, cseq, sseq, capture.ACK, nil)
				for j, l := range tt.lines {
					if l[0] >= 'A' {
						send(true, port, cseq, sseq, capture.PSH|capture.ACK, payloads[j])
						cseq += uint32(len(payloads[j]))
					} else {
						send(false, port, sseq, cseq, capture.PSH|capture.ACK, payloads[j])
						sseq += uint32(len(payloads[j]))
					}
				}
				send(false, port, sseq, cseq, capture.FIN|capture.ACK, nil)
				sseq++
				send(true, port, cseq, sseq, capture.FIN|capture.ACK, nil)
				cseq++
				send(false, port, sseq, cseq, capture.ACK, nil)
			}
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			if released < b.N*9/10 {
				b.Fatalf("%d of %d sessions released: the benchmark measures sessions that pile up", released, b.N)
			}
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N*len(tt.lines)), "allocs/line")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(tt.lines)), "ns/line")
		})
	}
}
