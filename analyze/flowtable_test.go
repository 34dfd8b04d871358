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

// TestFlowTableLastFound: the connection found last, kept in front of the
// map, never outlives its entry: replaced, the new one is found; deleted,
// none; another found in between, each is its own.
func TestFlowTableLastFound(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	k1, _ := makeKey(a, b, 40000, 21)
	k2, _ := makeKey(a, b, 40001, 20)
	ft := newFlowTable()
	f1, f1b, f2 := &flow{}, &flow{}, &flow{}
	if ft.get(k1) != nil {
		t.Fatal("found in an empty table")
	}
	ft.put(k1, f1)
	ft.put(k2, f2)
	for _, step := range []struct {
		name string
		do   func()
		k    flowKey
		want *flow
	}{
		{"first found", func() {}, k1, f1},
		{"found again", func() {}, k1, f1},
		{"another", func() {}, k2, f2},
		{"back to the first", func() {}, k1, f1},
		{"replaced", func() { ft.put(k1, f1b) }, k1, f1b},
		{"deleted", func() { ft.del(k1) }, k1, nil},
		{"the other still there", func() {}, k2, f2},
		{"deleted while not the last found", func() { ft.del(k1) }, k1, nil},
	} {
		step.do()
		if got := ft.get(step.k); got != step.want {
			t.Fatalf("%s: got %p, want %p", step.name, got, step.want)
		}
	}
}

// TestMakeKey: both directions of a connection make one key, and only
// they do; forward tells the two directions apart.
func TestMakeKey(t *testing.T) {
	for _, tt := range []struct {
		name     string
		src, dst string
		sp, dp   uint16
	}{
		{"IPv4, client lower", "10.0.0.1", "10.0.0.2", 40000, 21},
		{"IPv4, client higher", "192.0.2.200", "10.0.0.2", 40000, 21},
		{"same host, ports decide", "127.0.0.1", "127.0.0.1", 40000, 21},
		{"IPv6", "2001:db8::2", "2001:db8::1", 50000, 21},
		{"IPv6, differing in the low word only", "2001:db8::1:2", "2001:db8::1:1", 1, 2},
		{"IPv4 against IPv6", "10.0.0.1", "2001:db8::1", 1, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src, dst := netip.MustParseAddr(tt.src), netip.MustParseAddr(tt.dst)
			k1, fwd1 := makeKey(src, dst, tt.sp, tt.dp)
			k2, fwd2 := makeKey(dst, src, tt.dp, tt.sp)
			if k1 != k2 {
				t.Fatalf("the two directions make different keys: %v, %v", k1, k2)
			}
			if fwd1 == fwd2 {
				t.Fatalf("both directions are forward=%v", fwd1)
			}
			if other, _ := makeKey(src, dst, tt.sp+1, tt.dp); other == k1 {
				t.Fatal("another source port makes the same key")
			}
		})
	}
}
