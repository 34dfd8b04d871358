package analyze

import (
	"net/netip"
	"testing"
)

func TestFlowTablePortCounts(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	k1, _ := makeKey(a, b, 40000, 21)
	k2, _ := makeKey(b, a, 21, 40000) // the same connection, seen the other way
	k3, _ := makeKey(a, b, 40001, 21)
	ft := newFlowTable()
	if ft.maybe(40000, 21) {
		t.Fatal("an empty table says a connection may be tracked")
	}
	ft.put(k1, &flow{})
	ft.put(k2, &flow{}) // replaces: still one connection
	ft.put(k3, &flow{})
	if !ft.maybe(40000, 21) || !ft.maybe(21, 40000) || !ft.maybe(21, 40001) {
		t.Fatal("a tracked connection is not found by its ports, in either direction")
	}
	ft.del(k1)
	ft.del(k1) // deleting twice must not decrement twice
	if ft.maybe(40000, 21) {
		t.Error("a deleted connection is still counted")
	}
	if !ft.maybe(40001, 21) {
		t.Error("deleting one connection forgot another")
	}

	// A count that saturates stays: it may cost lookups, never a miss.
	ft.ports[portSlot(1, 2)] = ^uint16(0)
	k4, _ := makeKey(a, b, 1, 2)
	ft.put(k4, &flow{})
	ft.del(k4)
	if !ft.maybe(1, 2) {
		t.Error("a saturated count went down")
	}
}
