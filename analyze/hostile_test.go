package analyze

import (
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
)

// heapAfter runs f and returns the live heap after a collection, in MiB.
func heapAfter(f func()) float64 {
	f()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// TestHostileTraffic feeds what an attacker on the network can send and
// checks that memory stays bounded, that what was cut is counted, and that
// an ordinary session analysed alongside is unaffected.
func TestHostileTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile traffic: a few seconds of generated packets")
	}
	lim := DefaultLimits()
	lim.MaxFlows = 1 << 16
	// The attacks below move the capture clock on by hours; the ordinary
	// session must not time out meanwhile.
	lim.IdleTimeout = 1000 * time.Hour
	an := New(Options{Limits: lim})
	// An ordinary session, before and after the attacks.
	good := newWire(t, an, "10.9.9.9:40000", "203.0.113.10:21")
	good.handshake()
	good.s("220 hi\r\n")
	good.c("PASV\r\n")
	good.s("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
	base := heapAfter(func() {})

	cases := []struct {
		name  string
		run   func()
		check func(*Result) string
	}{
		{"a SYN flood over a million distinct flows, some to the expected data port", func() {
			p := capture.Packet{Kind: capture.TCP, Flags: capture.SYN, Dst: netip.MustParseAddr("203.0.113.10"), DstPort: 30000, Time: good.now}
			for i := 0; i < 1_000_000; i++ {
				p.Src = netip.AddrFrom4([4]byte{100, byte(i >> 16), byte(i >> 8), byte(i)})
				p.SrcPort = uint16(i)
				if i%2 == 1 {
					p.DstPort = uint16(1024 + i%60000)
				} else {
					p.DstPort = 30000
				}
				an.Packet(&p)
			}
		}, func(r *Result) string {
			if r.Dropped.Flows == 0 {
				return "flows beyond MaxFlows were not counted as dropped"
			}
			return ""
		}},
		{"a control line of 300 MB with no line end", func() {
			w := newWire(t, an, "10.8.0.1:40000", "203.0.113.10:21")
			w.handshake()
			chunk := strings.Repeat("A", 1400)
			for i := 0; i < 300<<20/1400; i++ {
				w.c(chunk)
			}
			w.c("\r\nQUIT\r\n")
		}, func(r *Result) string {
			if r.Dropped.LongLines == 0 {
				return "the over-long line was not counted"
			}
			return ""
		}},
		{"100,000 PORT commands in one session", func() {
			w := newWire(t, an, "10.8.0.2:40000", "203.0.113.10:21")
			w.handshake()
			for i := 0; i < 100_000; i++ {
				w.c(fmt.Sprintf("PORT 10,8,0,2,%d,%d\r\n", (i>>8)&255, i&255))
				w.s("200 ok\r\n")
			}
		}, func(r *Result) string {
			if r.Dropped.Transfers < 90_000 || r.Dropped.Expectations == 0 {
				return fmt.Sprintf("dropped transfers %d, expectations %d", r.Dropped.Transfers, r.Dropped.Expectations)
			}
			return ""
		}},
		{"a multi-line reply that never ends", func() {
			w := newWire(t, an, "10.8.0.3:40000", "203.0.113.10:21")
			w.handshake()
			w.s("220-welcome\r\n")
			for i := 0; i < 200_000; i++ {
				w.s("220-and more\r\n")
			}
		}, func(r *Result) string { return "" }},
		{"out-of-order segments far beyond the window", func() {
			w := newWire(t, an, "10.8.0.4:40000", "203.0.113.10:21")
			w.handshake()
			for i := 0; i < 50_000; i++ {
				w.send(w.client, w.server, w.cseq+uint32(10_000+i*1400), w.sseq, capture.ACK|capture.PSH, strings.Repeat("B", 1400))
			}
		}, func(r *Result) string {
			if r.Dropped.ReassemblyForced == 0 {
				return "holes skipped at the buffer limit were not counted"
			}
			return ""
		}},
	}
	for _, c := range cases {
		c.run()
		if heap := heapAfter(func() {}); heap-base > 96 {
			t.Errorf("%s: the heap grew by %.0f MiB", c.name, heap-base)
		}
	}
	good.now = good.now.Add(time.Millisecond)
	good.data("10.9.9.9:40001", "203.0.113.10:30000", "synack", 100)
	good.c("RETR f\r\n")
	good.s("226 done\r\n")
	r := an.Finish()
	for _, c := range cases {
		if msg := c.check(r); msg != "" {
			t.Errorf("%s: %s", c.name, msg)
		}
	}
	s := r.Sessions[0]
	tr := s.Transfers[0]
	if s.Client.String() != "10.9.9.9:40000" || tr.Command != "RETR" || tr.Data() == nil || tr.Data().State() != Established || tr.Final.Code != 226 {
		t.Errorf("the ordinary session was disturbed: %+v / %+v", s, tr)
	}
}
