package analyze

import (
	"fmt"
	"strconv"
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
	// "the client's packets arrive with TTL 64 (0 router hops), the
	// server's with TTL 57 (7 router hops)", in one allocation: every
	// session says it.
	var w strings.Builder
	w.Grow(96)
	var d [24]byte
	for _, x := range [2]struct {
		who  string
		ttl  uint8
		hops int
	}{{"the client's packets arrive with ", s.ClientTTL, ch}, {", the server's with ", s.ServerTTL, sh}} {
		w.WriteString(x.who)
		w.WriteString(ttl)
		w.WriteByte(' ')
		w.Write(strconv.AppendUint(d[:0], uint64(x.ttl), 10))
		w.WriteString(" (")
		if x.hops == 1 {
			w.WriteString("1 router hop")
		} else {
			w.Write(strconv.AppendInt(d[:0], int64(x.hops), 10))
			w.WriteString(" router hops")
		}
		w.WriteByte(')')
	}
	why := w.String()
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
