package capture

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"golang.org/x/net/bpf"
)

// Frames for the fanout program: Ethernet (with tags), IPv4 or IPv6, and a
// TCP header with the ports (or an ICMP error quoting such a packet).

func ether(tags []uint16, etherType uint16, payload []byte) []byte {
	b := make([]byte, 12, 64+len(payload))
	copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
	for _, tpid := range tags {
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, 42) // VLAN id
	}
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, payload...)
}

func tcpHeader(sp, dp uint16) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], sp)
	binary.BigEndian.PutUint16(b[2:], dp)
	b[12] = 5 << 4
	return b
}

// ip4 builds an IPv4 header with options bytes of options (a multiple of 4).
func ip4(src, dst string, proto byte, options int, payload []byte) []byte {
	b := make([]byte, 20+options)
	b[0] = 0x40 | byte((20+options)/4)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)+len(payload)))
	b[8], b[9] = 64, proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return append(b, payload...)
}

func ip6(src, dst string, next byte, payload []byte) []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:], uint16(len(payload)))
	b[6], b[7] = next, 64
	s, d := netip.MustParseAddr(src).As16(), netip.MustParseAddr(dst).As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return append(b, payload...)
}

func tcp4(tags []uint16, src string, sp uint16, dst string, dp uint16) []byte {
	return ether(tags, 0x0800, ip4(src, dst, 6, 0, tcpHeader(sp, dp)))
}

func tcp6(tags []uint16, src string, sp uint16, dst string, dp uint16) []byte {
	return ether(tags, 0x86dd, ip6(src, dst, 6, tcpHeader(sp, dp)))
}

func fanoutKey(t *testing.T, vm *bpf.VM, frame []byte) int {
	t.Helper()
	k, err := vm.Run(frame)
	if err != nil {
		t.Fatalf("fanout program: %v", err)
	}
	return k
}

func TestFanoutKeyHostPair(t *testing.T) {
	vm, err := bpf.NewVM(fanoutProgram(0))
	if err != nil {
		t.Fatalf("the fanout program does not load: %v", err)
	}
	const client, server, other = "192.0.2.10", "198.51.100.7", "203.0.113.99"
	const client6, server6 = "2001:db8::10", "2001:db8:1::7"
	dot1q, qinq := []uint16{0x8100}, []uint16{0x88a8, 0x8100}
	// One FTP session: the control connection both ways, a passive data
	// connection, an active one (from the server's port 20), with and
	// without VLAN tags.
	session4 := map[string][]byte{
		"control to server":        tcp4(nil, client, 40000, server, 21),
		"control to client":        tcp4(nil, server, 21, client, 40000),
		"passive data to server":   tcp4(nil, client, 40001, server, 50010),
		"passive data to client":   tcp4(nil, server, 50010, client, 40001),
		"active data to client":    tcp4(nil, server, 20, client, 40100),
		"active data to server":    tcp4(nil, client, 40100, server, 20),
		"802.1Q control to server": tcp4(dot1q, client, 40000, server, 21),
		"802.1Q data to client":    tcp4(dot1q, server, 50010, client, 40001),
		"QinQ control to server":   tcp4(qinq, client, 40000, server, 21),
		"QinQ data to client":      tcp4(qinq, server, 50010, client, 40001),
		// A router's ICMP error about the session is keyed by what it quotes.
		"ICMP unreachable from a router": ether(nil, 0x0800, ip4(other, client, 1, 0,
			append([]byte{3, 4, 0, 0, 0, 0, 5, 220}, ip4(client, server, 6, 0, tcpHeader(40001, 50010))...))),
		"ICMP time exceeded, outer header with options": ether(nil, 0x0800, ip4(other, server, 1, 8,
			append([]byte{11, 0, 0, 0, 0, 0, 0, 0}, ip4(server, client, 6, 0, tcpHeader(21, 40000))...))),
	}
	session6 := map[string][]byte{
		"control to server":      tcp6(nil, client6, 40000, server6, 21),
		"control to client":      tcp6(nil, server6, 21, client6, 40000),
		"passive data to client": tcp6(nil, server6, 50010, client6, 40001),
		"active data to server":  tcp6(nil, client6, 40100, server6, 20),
		"802.1Q data to server":  tcp6(dot1q, client6, 40001, server6, 50010),
		"QinQ control to client": tcp6(qinq, server6, 21, client6, 40000),
		"ICMPv6 packet too big from a router": ether(nil, 0x86dd, ip6("2001:db8:2::1", server6, 58,
			append([]byte{2, 0, 0, 0, 0, 0, 5, 0}, ip6(server6, client6, 6, tcpHeader(50010, 40001))...))),
	}
	for name, frames := range map[string]map[string][]byte{"IPv4": session4, "IPv6": session6} {
		want := fanoutKey(t, vm, frames["control to server"])
		for what, f := range frames {
			if k := fanoutKey(t, vm, f); k != want {
				t.Errorf("%s %s: key %#x, want the control connection's %#x (the same worker for a whole session)", name, what, k, want)
			}
		}
	}

	// Other host pairs get other keys, and two workers both get some.
	seen := map[int]bool{}
	buckets := [2]int{}
	for i := range 64 {
		a := netip.AddrFrom4([4]byte{10, 0, byte(i / 8), byte(1 + i%8)}).String()
		k := fanoutKey(t, vm, tcp4(nil, a, 40000, server, 21))
		seen[k] = true
		buckets[k%2]++
	}
	if len(seen) < 60 {
		t.Errorf("64 clients of one server got only %d distinct keys", len(seen))
	}
	if buckets[0] < 16 || buckets[1] < 16 {
		t.Errorf("64 clients of one server spread %d/%d over two workers", buckets[0], buckets[1])
	}
	// What is not IP goes to the first worker; a cut frame too.
	if k := fanoutKey(t, vm, ether(nil, 0x0806, make([]byte, 28))); k != 0 {
		t.Errorf("ARP: key %#x, want 0", k)
	}
	if k := fanoutKey(t, vm, tcp4(nil, client, 1, server, 2)[:20]); k != 0 {
		t.Errorf("a frame cut inside the IP header: key %#x, want 0", k)
	}
}

func TestFanoutProgramForTheKernel(t *testing.T) {
	raw := FanoutProgram()
	if len(raw) == 0 || len(raw) > 4096 {
		t.Fatalf("the program has %d instructions (the kernel takes 1 to 4096)", len(raw))
	}
	// The kernel's version is the VM's with every load moved to SKF_LL_OFF.
	if len(raw) != len(mustAssemble(fanoutProgram(0))) {
		t.Errorf("the kernel's program and the tested one differ in length")
	}
}
