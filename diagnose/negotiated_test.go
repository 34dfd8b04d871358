package diagnose

import (
	"net/netip"
	"testing"
)

// recentAP is the i-th address of a test of recentAddrs.
func recentAP(i int) netip.AddrPort {
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 2000)
}

// TestRecentAddrsForgetsOldest: the latest maxRecentPassive addresses are
// remembered, each with what was last put for it; the oldest put first is
// forgotten first, a later put of the same address not making it younger.
func TestRecentAddrsForgetsOldest(t *testing.T) {
	var r recentAddrs
	for i := range maxRecentPassive {
		r.put(recentAP(i), negSeen{Session: "first"})
	}
	r.put(recentAP(0), negSeen{Session: "again"}) // still the oldest
	if v, ok := r.get(recentAP(0)); !ok || v.Session != "again" {
		t.Fatalf("address 0: %q %v, want the value put again", v.Session, ok)
	}
	const more = maxRecentPassive + 10
	for i := maxRecentPassive; i < maxRecentPassive+more; i++ {
		r.put(recentAP(i), negSeen{Session: "later"})
	}
	for i := range maxRecentPassive + more {
		_, ok := r.get(recentAP(i))
		if want := i >= more; ok != want {
			t.Fatalf("address %d remembered: %v, want %v", i, ok, want)
		}
	}
	if len(r.at) != maxRecentPassive {
		t.Errorf("%d addresses indexed, want %d", len(r.at), maxRecentPassive)
	}
}

// TestRecentAddrsPutDoesNotAllocate: once full, remembering an address
// reuses the slot of the one forgotten.
func TestRecentAddrsPutDoesNotAllocate(t *testing.T) {
	var r recentAddrs
	i := 0
	for ; i < 2*maxRecentPassive; i++ {
		r.put(recentAP(i), negSeen{Session: "S1"})
	}
	allocs := testing.AllocsPerRun(1000, func() {
		r.put(recentAP(i), negSeen{Session: "S2"})
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per put, want 0", allocs)
	}
}
