package capture_test

import (
	"bytes"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

func TestFilter(t *testing.T) {
	tcp := &capture.Packet{Kind: capture.TCP, Src: netip.MustParseAddr("10.1.0.2"), Dst: netip.MustParseAddr("198.51.100.10"), SrcPort: 40000, DstPort: 21}
	icmp := &capture.Packet{Kind: capture.ICMPUnreachable, Src: netip.MustParseAddr("10.1.0.1"), Dst: netip.MustParseAddr("10.1.0.2")}
	v6 := &capture.Packet{Kind: capture.TCP, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), SrcPort: 20, DstPort: 50000}
	for _, tt := range []struct {
		expr            string
		tcp, icmp, ipv6 bool
	}{
		{"", true, true, true},
		{"tcp", true, false, true},
		{"icmp", false, true, false},
		{"host 10.1.0.2", true, true, false},
		{"src host 10.1.0.2", true, false, false},
		{"dst host 10.1.0.2", false, true, false},
		{"net 198.51.100.0/24", true, false, false},
		{"port 21", true, false, false},
		{"dst port 21", true, false, false},
		{"src port 21", false, false, false},
		{"portrange 20-21", true, false, true},
		{"tcp and not port 21", false, false, true},
		{"ip6 or icmp", false, true, true},
		{"host 10.1.0.2 and (port 21 or icmp)", true, true, false},
		{"! tcp", false, true, false},
		{"tcp && port 20 || icmp", false, true, true},
		{"ip6 port 20", false, false, true},
	} {
		f, err := capture.ParseFilter(tt.expr)
		if err != nil {
			t.Errorf("%q: %v", tt.expr, err)
			continue
		}
		if got := [3]bool{f.Match(tcp), f.Match(icmp), f.Match(v6)}; got != [3]bool{tt.tcp, tt.icmp, tt.ipv6} {
			t.Errorf("%q: tcp/icmp/ipv6 match %v, want %v", tt.expr, got, [3]bool{tt.tcp, tt.icmp, tt.ipv6})
		}
	}
	for _, bad := range []string{"host", "port x", "portrange 30-20", "(tcp", "tcp)", "vlan 100", "src tcp", "net 10.0.0.1"} {
		if _, err := capture.ParseFilter(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// TestDefaultFilter runs the kernel program in x/net/bpf's VM on frames:
// TCP, ICMP and IPv6 pass, the rest is dropped in the kernel.
func TestDefaultFilter(t *testing.T) {
	prog := capture.DefaultFilter()
	vm, err := bpf.NewVM(mustDisassemble(t, prog))
	if err != nil {
		t.Fatal(err)
	}
	prog[0].K++ // the caller's copy: the next call is unchanged
	if again := capture.DefaultFilter(); again[0].K != 12 {
		t.Fatalf("DefaultFilter returned a shared program: its first load is at %d after a caller changed its copy", again[0].K)
	}
	frame := func(v6 bool) []byte {
		b := sample(t, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, v6)
		f, _ := capture.NewFile("x", bytes.NewReader(b))
		var rec capture.Record
		f.ReadRecord(&rec)
		return append([]byte(nil), rec.Data...)
	}
	v4, v6 := frame(false), frame(true)
	udp := append([]byte(nil), v4...)
	udp[23] = 17
	arp := append([]byte(nil), v4...)
	arp[12], arp[13] = 0x08, 0x06
	for name, tt := range map[string]struct {
		data []byte
		pass bool
	}{"ipv4 tcp": {v4, true}, "ipv6": {v6, true}, "ipv4 udp": {udp, false}, "arp": {arp, false}} {
		n, err := vm.Run(tt.data)
		if err != nil {
			t.Fatal(err)
		}
		if (n > 0) != tt.pass {
			t.Errorf("%s: kept %d bytes, want pass=%v", name, n, tt.pass)
		}
	}
}

func mustDisassemble(t *testing.T, raw []bpf.RawInstruction) []bpf.Instruction {
	prog, ok := bpf.Disassemble(raw)
	if !ok {
		t.Fatal("cannot disassemble the default filter")
	}
	return prog
}
