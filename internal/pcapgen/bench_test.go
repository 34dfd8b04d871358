package pcapgen

import (
	"io"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkWriteTCP measures WriteTCP per packet, through the Writer's
// buffer to io.Discard; it should not allocate.
func BenchmarkWriteTCP(b *testing.B) {
	cases := []struct {
		name    string
		o       Options
		v6      bool
		payload int
	}{
		{"PcapMicro/Ethernet/IPv4/1448", Options{Format: PcapMicro, Link: Ethernet}, false, 1448},
		{"PcapMicro/Ethernet/IPv4/64", Options{Format: PcapMicro, Link: Ethernet}, false, 64},
		{"PcapNanoBigEndian/Null/IPv6/1448", Options{Format: PcapNanoBigEndian, Link: Null}, true, 1448},
		{"Pcapng/LinuxSLL2/IPv4/1448", Options{Format: Pcapng, Link: LinuxSLL2}, false, 1448},
		{"Pcapng/EthernetQinQ/IPv6/64", Options{Format: Pcapng, Link: EthernetQinQ}, true, 64},
		{"gzip/PcapMicro/Ethernet/IPv4/1448", Options{Format: PcapMicro, Link: Ethernet, Gzip: true}, false, 1448},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			w, err := NewWriter(io.Discard, bc.o)
			if err != nil {
				b.Fatal(err)
			}
			p := TCP{
				Time:    t0,
				Src:     netip.MustParseAddrPort("192.0.2.10:50123"),
				Dst:     netip.MustParseAddrPort("192.0.2.21:20"),
				Flags:   PSH | ACK,
				Window:  65535,
				Payload: make([]byte, bc.payload),
			}
			if bc.v6 {
				p.Src = netip.MustParseAddrPort("[2001:db8::10]:50123")
				p.Dst = netip.MustParseAddrPort("[2001:db8::21]:20")
			}
			for i := range p.Payload {
				p.Payload[i] = byte(i * 7)
			}
			b.SetBytes(int64(bc.payload + 54))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				p.Seq += uint32(bc.payload)
				p.Time = p.Time.Add(time.Microsecond)
				if err := w.WriteTCP(p); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// TestWriteTCPAllocs holds WriteTCP, Conn segments and ICMP to zero
// allocations per packet.
func TestWriteTCPAllocs(t *testing.T) {
	for _, o := range []Options{{Format: PcapMicroBigEndian, Link: Null}, {Format: Pcapng, Link: LinuxSLL2, Interfaces: []LinkType{Loop}}} {
		w, _ := NewWriter(io.Discard, o)
		p := TCP{Time: t0, Src: netip.MustParseAddrPort("[2001:db8::1]:1"), Dst: netip.MustParseAddrPort("[2001:db8::2]:2"),
			Payload: make([]byte, 1000), IPv6ExtHeaders: true, Iface: len(o.Interfaces)}
		c := w.NewConn(netip.MustParseAddrPort("192.0.2.1:3"), netip.MustParseAddrPort("192.0.2.2:21"), t0)
		c.Client("warm up the scratch buffer")
		reply := []byte("200 ok\r\n")
		if n := testing.AllocsPerRun(100, func() {
			w.WriteTCP(p)
			w.WriteICMPUnreachable(t0, netip.MustParseAddr("2001:db8::fe"), p, 3)
			c.Client("NOOP\r\n")
			w.WriteTCP(c.NextServerSegment(reply))
		}); n != 0 {
			t.Errorf("%v: %v allocations per run, want 0", o, n)
		}
		w.Close()
	}
}
