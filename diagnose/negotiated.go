package diagnose

import (
	"net/netip"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// negSeen is a negotiated address as one session named it.
type negSeen struct {
	// Session is the session's ID, Client and Server its control
	// connection's addresses at this point.
	Session        string
	Client, Server netip.AddrPort
	// At is where the negotiation's line was seen (the 227 reply, the
	// PORT command); reply (passive) or command and arg (active) are that
	// line, put together only when a finding quotes it (Line).
	At           analyze.Ref
	reply        analyze.Reply
	command, arg string
	passive      bool
}

// Line is the negotiation's line: the passive reply, or the PORT/EPRT
// command with its argument.
func (v negSeen) Line() string {
	if v.passive {
		return replyWhat(v.reply)
	}
	return strings.TrimSpace(v.command + " " + v.arg)
}

// negotiated remembers the addresses negotiated at one capture point, the
// latest maxRecentPassive of each kind: what ties the two sessions of an
// FXP (a PORT naming another session's passive address).
type negotiated struct {
	passives, actives recentAddrs
}

// recentAddrs is the latest maxRecentPassive addresses of one kind, the
// oldest forgotten first.
type recentAddrs struct {
	by    map[netip.AddrPort]negSeen
	order []netip.AddrPort // a ring: next is where the next address goes
	next  int
}

func (r *recentAddrs) put(ap netip.AddrPort, v negSeen) {
	if r.by == nil {
		r.by = map[netip.AddrPort]negSeen{}
	}
	if _, ok := r.by[ap]; !ok {
		if len(r.order) < maxRecentPassive {
			r.order = append(r.order, ap)
		} else {
			delete(r.by, r.order[r.next])
			r.order[r.next] = ap
			r.next = (r.next + 1) % maxRecentPassive
		}
	}
	r.by[ap] = v
}

// A Noted is what a Diagnoser remembers of one negotiation for the rules
// that span sessions (FXP, NAT pools), taken when the negotiation's reply
// is seen (Note). It holds no pointer into the analysis, so it can be
// handed to a Diagnoser on another goroutine (Remember) while the
// analysis goes on with the session.
type Noted struct {
	addr netip.AddrPort
	seen negSeen
	ok   bool
}

// IsZero reports whether there is nothing to remember: a negotiation
// without an address, or one refused.
func (x Noted) IsZero() bool { return !x.ok }

// Note takes what Negotiated would remember of n, negotiated in session
// s, as it is now.
func Note(s *analyze.Session, n *analyze.Negotiation) Noted {
	if n == nil || !n.Address.IsValid() || n.Inferred != "" || !n.Mode.IsPassive() && !n.Accepted() {
		return Noted{}
	}
	v := negSeen{Session: s.ID, Client: s.Client, Server: s.Server, passive: n.Mode.IsPassive()}
	if v.passive {
		v.At, v.reply = n.Reply.At, n.Reply
	} else {
		v.At, v.command, v.arg = n.CommandAt, n.Command, n.Arg
	}
	return Noted{addr: n.Address, seen: v, ok: true}
}

// add remembers what n negotiated in session s.
func (k *negotiated) add(s *analyze.Session, n *analyze.Negotiation) { k.remember(Note(s, n)) }

func (k *negotiated) remember(x Noted) {
	switch {
	case !x.ok:
	case x.seen.passive:
		k.passives.put(x.addr, x.seen)
	default:
		k.actives.put(x.addr, x.seen)
	}
}

// passive returns the session that advertised ap in a passive reply.
func (k *negotiated) passive(ap netip.AddrPort) (negSeen, bool) {
	if k == nil {
		return negSeen{}, false
	}
	v, ok := k.passives.by[ap]
	return v, ok
}

// active returns the session whose PORT/EPRT named ap.
func (k *negotiated) active(ap netip.AddrPort) (negSeen, bool) {
	if k == nil {
		return negSeen{}, false
	}
	v, ok := k.actives.by[ap]
	return v, ok
}
