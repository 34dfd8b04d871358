package analyze

import (
	"fmt"
	"strings"
)

// Side is where a capture point sits relative to a session's hosts.
type Side string

// Capture sides.
const (
	SideClient  Side = "client"   // on the client's side of every router (its LAN or the client itself)
	SideServer  Side = "server"   // on the server's side
	SideSameLAN Side = "same-lan" // both hosts are local: no router between them
	SideBetween Side = "between"  // routers on both sides (a transit link, or outside a NAT)
	SideUnknown Side = "unknown"
)

// HopsFromTTL guesses how many routers a packet crossed from its TTL: the
// initial TTLs in use are 64 (Linux, macOS), 128 (Windows) and 255.
func HopsFromTTL(ttl uint8) int {
	for _, initial := range []int{32, 64, 128, 255} {
		if int(ttl) <= initial {
			return initial - int(ttl)
		}
	}
	return -1
}

// InferSide infers where the capture point sits for session s, and says
// why. A point named "client" or "server" (or starting so) is taken at its
// word.
func InferSide(point string, s *Session) (Side, string) {
	p := strings.ToLower(point)
	switch {
	case strings.HasPrefix(p, "client"):
		return SideClient, fmt.Sprintf("the capture point is named %q", point)
	case strings.HasPrefix(p, "server"):
		return SideServer, fmt.Sprintf("the capture point is named %q", point)
	}
	if s.ClientTTL == 0 || s.ServerTTL == 0 {
		return SideUnknown, "only one direction of the control connection was captured"
	}
	ch, sh := HopsFromTTL(s.ClientTTL), HopsFromTTL(s.ServerTTL)
	ttl := "TTL"
	if s.Client.Addr().Is6() && !s.Client.Addr().Is4In6() {
		ttl = "hop limit"
	}
	why := fmt.Sprintf("the client's packets arrive with %s %d (%s), the server's with %s %d (%s)", ttl, s.ClientTTL, hops(ch), ttl, s.ServerTTL, hops(sh))
	switch {
	case ch == 0 && sh == 0:
		return SideSameLAN, why
	case ch == 0:
		return SideClient, why
	case sh == 0:
		return SideServer, why
	}
	return SideBetween, why
}

// hops says how many routers a packet crossed, in words.
func hops(n int) string {
	if n == 1 {
		return "1 router hop"
	}
	return fmt.Sprintf("%d router hops", n)
}
