package diagnose

import (
	"net/netip"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// negSeen is a negotiated address as one session named it. A Diagnoser
// keeps thousands (maxRecentPassive of each kind): it holds only what the
// rules read.
type negSeen struct {
	// Session is the session's ID, Client and Server its control
	// connection's addresses at this point.
	Session        string
	Client, Server netip.Addr
	// At is where the negotiation's line was seen (the 227 reply, the
	// PORT command); the reply's code and text (passive) or the command
	// and arg (active) are that line, put together only when a finding
	// quotes it (Line).
	At           analyze.Ref
	replyCode    int
	replyText    string
	command, arg string
	passive      bool
}

// Line is the negotiation's line: the passive reply, or the PORT/EPRT
// command with its argument.
func (v negSeen) Line() string {
	if v.passive {
		return replyWhat(analyze.Reply{Code: v.replyCode, Text: v.replyText})
	}
	return commandLine(v.command, v.arg)
}

// negotiated remembers the addresses negotiated at one capture point, the
// latest maxRecentPassive of each kind: what ties the two sessions of an
// FXP (a PORT naming another session's passive address).
type negotiated struct {
	passives, actives recentAddrs
}

// recentAddrs is the latest maxRecentPassive addresses of one kind, the
// oldest forgotten first.
//
// The entries are kept in a ring that reuses a forgotten address's slot,
// the map holding only where each is: a negSeen is too big for a map to
// hold in place (past 128 bytes it keeps a pointer to each value, one
// allocation for every address put). The ring grows in blocks of
// recentBlock, the first as it fills: growing copies no more than a
// block, and a capture of few negotiations holds little.
type recentAddrs struct {
	at     map[netip.AddrPort]int32 // the address's index in the ring
	blocks [][]recentAddr           // the ring: index i is blocks[i/recentBlock][i%recentBlock]
	n      int                      // entries in the ring
	next   int                      // once full, where the next address goes
}

// recentBlock is how many entries a block of the ring holds.
const recentBlock = 64

type recentAddr struct {
	ap   netip.AddrPort
	seen negSeen
}

func (r *recentAddrs) entry(i int32) *recentAddr {
	return &r.blocks[i/recentBlock][i%recentBlock]
}

func (r *recentAddrs) put(ap netip.AddrPort, v negSeen) {
	if i, ok := r.at[ap]; ok {
		r.entry(i).seen = v
		return
	}
	if r.at == nil {
		r.at = map[netip.AddrPort]int32{}
	}
	if r.n < maxRecentPassive {
		switch last := len(r.blocks) - 1; {
		case last < 0:
			r.blocks = append(r.blocks, nil) // the first grows as it fills
		case len(r.blocks[last]) == recentBlock:
			r.blocks = append(r.blocks, make([]recentAddr, 0, recentBlock))
		}
		last := len(r.blocks) - 1
		r.blocks[last] = append(r.blocks[last], recentAddr{ap, v})
		r.at[ap] = int32(r.n)
		r.n++
		return
	}
	i := int32(r.next)
	e := r.entry(i)
	delete(r.at, e.ap)
	*e = recentAddr{ap, v}
	r.at[ap] = i
	r.next = (r.next + 1) % maxRecentPassive
}

// get returns what was put for ap.
func (r *recentAddrs) get(ap netip.AddrPort) (negSeen, bool) {
	i, ok := r.at[ap]
	if !ok {
		return negSeen{}, false
	}
	return r.entry(i).seen, true
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
	v := negSeen{Session: s.ID, Client: s.Client.Addr(), Server: s.Server.Addr(), passive: n.Mode.IsPassive()}
	if v.passive {
		v.At, v.replyCode, v.replyText = n.Reply.At, n.Reply.Code, n.Reply.Text
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
	return k.passives.get(ap)
}

// active returns the session whose PORT/EPRT named ap.
func (k *negotiated) active(ap netip.AddrPort) (negSeen, bool) {
	if k == nil {
		return negSeen{}, false
	}
	return k.actives.get(ap)
}
