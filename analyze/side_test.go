package analyze

import (
	"net/netip"
	"strings"
	"testing"
)

func TestHopsFromTTL(t *testing.T) {
	for _, tt := range []struct {
		ttl  uint8
		want int
	}{
		{64, 0},   // Linux, macOS: sent on this link
		{63, 1},   // one router
		{57, 7},   //
		{33, 31},  // still below 64: the furthest a Linux host can be read
		{32, 0},   // some embedded stacks start at 32
		{30, 2},   //
		{128, 0},  // Windows
		{127, 1},  //
		{100, 28}, //
		{65, 63},  // above 64: a Windows host far away
		{255, 0},  // network equipment, Solaris
		{254, 1},  //
		{129, 126},
	} {
		if got := HopsFromTTL(tt.ttl); got != tt.want {
			t.Errorf("HopsFromTTL(%d) = %d, want %d", tt.ttl, got, tt.want)
		}
	}
}

func TestInferSide(t *testing.T) {
	v4c, v4s := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("203.0.113.10:21")
	v6c, v6s := netip.MustParseAddrPort("[2001:db8:1::2]:40000"), netip.MustParseAddrPort("[2001:db8:203::10]:21")
	for _, tt := range []struct {
		name           string
		point          string
		client, server netip.AddrPort
		ttlc, ttls     uint8
		want           Side
		// why holds text the reason must say; notWhy text it must not.
		why, notWhy []string
	}{
		{name: "the client's packets arrive unrouted: the client's side", point: "capture", client: v4c, server: v4s, ttlc: 64, ttls: 57, want: SideClient,
			why: []string{"the client's packets arrive with TTL 64 (0 router hops)", "the server's with TTL 57 (7 router hops)"}},
		{name: "a Windows server on this link: the server's side", point: "capture", client: v4c, server: v4s, ttlc: 120, ttls: 128, want: SideServer,
			why: []string{"TTL 120 (8 router hops)", "TTL 128 (0 router hops)"}},
		{name: "a Windows client 1 hop away", point: "capture", client: v4c, server: v4s, ttlc: 127, ttls: 64, want: SideServer,
			why: []string{"TTL 127 (1 router hop)", "TTL 64 (0 router hops)"}},
		{name: "both unrouted: one LAN", point: "capture", client: v4c, server: v4s, ttlc: 64, ttls: 128, want: SideSameLAN},
		{name: "routers on both sides: between", point: "capture", client: v4c, server: v4s, ttlc: 63, ttls: 250, want: SideBetween,
			why: []string{"TTL 63 (1 router hop)", "TTL 250 (5 router hops)"}},
		{name: "a point named for the server's side is taken at its word", point: "server-lan", client: v4c, server: v4s, ttlc: 63, ttls: 250, want: SideServer,
			why: []string{`the capture point is named "server-lan"`}, notWhy: []string{"TTL"}},
		{name: "a point named client, in capitals", point: "Client-LAN", client: v4c, server: v4s, ttlc: 60, ttls: 64, want: SideClient,
			why: []string{`the capture point is named "Client-LAN"`}},
		{name: "only the client's direction captured: unknown", point: "capture", client: v4c, server: v4s, ttlc: 64, ttls: 0, want: SideUnknown,
			why: []string{"only one direction"}},
		{name: "only the server's direction captured: unknown", point: "capture", client: v4c, server: v4s, ttlc: 0, ttls: 64, want: SideUnknown,
			why: []string{"only one direction"}},
		{name: "IPv6: the client's side, said with the hop limit", point: "capture", client: v6c, server: v6s, ttlc: 64, ttls: 62, want: SideClient,
			why:    []string{"hop limit 64 (0 router hops)", "hop limit 62 (2 router hops)"},
			notWhy: []string{"TTL"}},
		{name: "IPv6 between routers, said with the hop limit", point: "capture", client: v6c, server: v6s, ttlc: 63, ttls: 254, want: SideBetween,
			why:    []string{"hop limit 63 (1 router hop)", "hop limit 254 (1 router hop)"},
			notWhy: []string{"TTL"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &Session{Client: tt.client, Server: tt.server, ClientTTL: tt.ttlc, ServerTTL: tt.ttls}
			got, why := InferSide(tt.point, s)
			if got != tt.want {
				t.Errorf("side %s (%s), want %s", got, why, tt.want)
			}
			if why == "" {
				t.Error("no reason given")
			}
			for _, w := range tt.why {
				if !strings.Contains(why, w) {
					t.Errorf("the reason does not say %q: %s", w, why)
				}
			}
			for _, w := range tt.notWhy {
				if strings.Contains(why, w) {
					t.Errorf("the reason says %q: %s", w, why)
				}
			}
		})
	}
}

// TestSessionSideFromTTLs: the analysis sets a session's side from the
// TTLs of its first packets each way.
func TestSessionSideFromTTLs(t *testing.T) {
	for _, tt := range []struct {
		name       string
		ttlc, ttls uint8
		want       Side
	}{
		{"client's link", 64, 62, SideClient},
		{"server's link", 61, 64, SideServer},
		{"one LAN", 64, 64, SideSameLAN},
		{"between", 61, 62, SideBetween},
	} {
		t.Run(tt.name, func(t *testing.T) {
			an := New(Options{Point: "capture"})
			w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
			w.ttlClient, w.ttlServer = tt.ttlc, tt.ttls
			w.handshake()
			w.s("220 hi\r\n")
			w.c("USER anonymous\r\n")
			w.s("230 ok\r\n")
			s := onlySession(t, an.Finish())
			if s.ClientTTL != tt.ttlc || s.ServerTTL != tt.ttls {
				t.Errorf("TTLs %d/%d, want %d/%d", s.ClientTTL, s.ServerTTL, tt.ttlc, tt.ttls)
			}
			if s.Side != tt.want || s.SideWhy == "" {
				t.Errorf("side %s (%s), want %s", s.Side, s.SideWhy, tt.want)
			}
		})
	}
}
