package diagnose

import (
	"net/netip"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// negSeen is a negotiated address as one session named it.
type negSeen struct {
	// Session is the session's ID, Client and Server its control
	// connection's addresses at this point.
	Session        string
	Client, Server netip.AddrPort
	// Line is the negotiation's line (the 227 reply, the PORT command),
	// At where it was seen.
	Line string
	At   analyze.Ref
}

// negotiated remembers the addresses negotiated at one capture point, the
// latest maxRecentPassive of each kind: what ties the two sessions of an
// FXP (a PORT naming another session's passive address).
type negotiated struct {
	byPassive, byActive map[netip.AddrPort]negSeen
	passiveOrder        []netip.AddrPort
	activeOrder         []netip.AddrPort
}

// add remembers what n negotiated in session s.
func (k *negotiated) add(s *analyze.Session, n *analyze.Negotiation) {
	if n == nil || !n.Address.IsValid() || n.Inferred != "" || !n.Mode.IsPassive() && !n.Accepted() {
		return
	}
	m, order := &k.byActive, &k.activeOrder
	at, line := n.CommandAt, n.Line()
	if n.Mode.IsPassive() {
		m, order = &k.byPassive, &k.passiveOrder
		at, line = n.Reply.At, replyWhat(n.Reply)
	}
	if *m == nil {
		*m = map[netip.AddrPort]negSeen{}
	}
	if _, ok := (*m)[n.Address]; !ok {
		if len(*order) >= maxRecentPassive {
			delete(*m, (*order)[0])
			*order = (*order)[1:]
		}
		*order = append(*order, n.Address)
	}
	(*m)[n.Address] = negSeen{Session: s.ID, Client: s.Client, Server: s.Server, Line: line, At: at}
}

// passive returns the session that advertised ap in a passive reply.
func (k *negotiated) passive(ap netip.AddrPort) (negSeen, bool) {
	if k == nil {
		return negSeen{}, false
	}
	v, ok := k.byPassive[ap]
	return v, ok
}

// active returns the session whose PORT/EPRT named ap.
func (k *negotiated) active(ap netip.AddrPort) (negSeen, bool) {
	if k == nil {
		return negSeen{}, false
	}
	v, ok := k.byActive[ap]
	return v, ok
}
