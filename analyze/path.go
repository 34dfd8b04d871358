package analyze

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"time"
)

// A path is several capture points along the way from clients to servers
// (the client's LAN, both sides of each router, the server's link). The
// same session seen at each is one story: what every point saw of each
// negotiation, what each box between two neighbouring points did to it,
// and where along the path a data connection's SYN stopped being seen.

// PathOrder says how the points' order along the path was decided.
type PathOrder string

// How a path's order is decided.
const (
	OrderGiven     PathOrder = "given"      // by the user (--path)
	OrderHopLimits PathOrder = "hop-limits" // from the TTL/hop limit of the same packets seen at each point
	OrderListed    PathOrder = "listed"     // the order the points were given in (nothing told them apart)
)

// Path is the story of the sessions seen at several capture points.
type Path struct {
	// Points are the capture points in path order, the clients' side
	// first.
	Points []*Result
	// Order says how that order was decided; OrderWhy says it in words.
	Order    PathOrder
	OrderWhy string
	// Offsets are each point's clock minus the first point's, estimated
	// from the sessions seen at both.
	Offsets []time.Duration
	// Boxes lie between neighbouring points: Boxes[i] between Points[i]
	// and Points[i+1].
	Boxes []*Box
	// Sessions are the sessions seen at two or more points, in time order.
	Sessions []*PathSession
}

// Box is whatever lies between two neighbouring capture points (a router,
// a NAT, a firewall, or nothing but a cable), as its traffic shows it.
type Box struct {
	Index     int
	Near, Far string // the point on the clients' side, and the other
	// ClientNAT and ServerNAT count the sessions crossing it whose client
	// (server) address differs on its two sides: it translates them.
	ClientNAT, ServerNAT int
	// Sessions counts the sessions seen on both sides.
	Sessions int
	// Hops is how many routers the clients' packets crossed between the
	// two points (their TTL fell by as much), -1 when unknown.
	Hops int
	// ClientAddrs and ServerAddrs are one example of each translation
	// (near, far), when it translates.
	ClientAddrs, ServerAddrs [2]netip.AddrPort
}

// Name says where the box is: "between near and far".
func (b *Box) Name() string { return "between " + b.Near + " and " + b.Far }

// PathSession is one session seen at several points.
type PathSession struct {
	// At holds the session as each point saw it (nil: not seen there), in
	// path order.
	At []*Session
	// Control is where the control connection's SYN was seen.
	Control PathOpening
	// Negotiations are the session's negotiations, each as every point saw
	// it, in time order.
	Negotiations []*PathNegotiation
	// Encrypted holds, per box, the comparison that could not be made
	// because the control channel is encrypted (nil: clear text, or a side
	// that did not see the session).
	Encrypted []*ALGComparison
}

// First returns the session at the first point that saw it.
func (ps *PathSession) First() *Session {
	for _, s := range ps.At {
		if s != nil {
			return s
		}
	}
	return nil
}

// Seen returns the indexes of the points that saw the session.
func (ps *PathSession) Seen() []int {
	var out []int
	for i, s := range ps.At {
		if s != nil {
			out = append(out, i)
		}
	}
	return out
}

// PathNegotiation is one negotiation as every point saw it.
type PathNegotiation struct {
	Command string
	Mode    Mode
	// At holds the negotiation at each point (nil: not seen there).
	At []*Negotiation
	// Crossings are what each box did to it: Crossings[i] for Boxes[i]
	// (nil when one side of the box did not see the session). Inside is
	// the side the line came from (the client's for PORT/EPRT, the
	// server's for a passive reply), Outside the side it went to.
	Crossings []*ALGComparison
	// Data is where its data connection's SYN was seen.
	Data PathOpening
}

// PathOpening is one connection's SYN followed along the path: the points
// that saw it and where it stopped being seen.
type PathOpening struct {
	// Forward: the SYN travelled from the clients' side to the servers'
	// (a passive data connection, a control connection).
	Forward bool
	// SeenAt are the points that saw the SYN, in the order it travelled.
	SeenAt []int
	// State is the best answer any point saw: established (a SYN-ACK),
	// refused, unreachable, no-answer, or not-attempted (no SYN anywhere).
	State DataState
	// AnsweredAt are the points that saw that answer; Answer is the
	// opening as the first of them saw it (who answered, with what).
	AnsweredAt []int
	Answer     *Opening
	// DiedAfter is the last point, in the SYN's direction, that saw it,
	// and DiedBefore the next point that saw the session but not the SYN
	// (-1: none; the SYN went past the last point unanswered). Both are -1
	// when the SYN was answered (established, or a reset or ICMP error
	// from past the last point) or never sent.
	DiedAfter, DiedBefore int
	// BeforeEnded: DiedBefore's capture holds nothing after the SYN passed
	// DiedAfter, so it may have stopped before: the place holds only if it
	// was still running.
	BeforeEnded bool
}

// Died says whether the SYN stopped being seen somewhere along the path.
func (o *PathOpening) Died() bool { return o.DiedAfter >= 0 }

// PathOptions configure FollowPath.
type PathOptions struct {
	// Order, when set, names every point in path order, the clients' side
	// first (--path).
	Order []string
}

// FollowPath orders the points along the path, matches their sessions and
// follows each session's negotiations and connections from point to point.
func FollowPath(points []*Result, opts PathOptions) (*Path, error) {
	p := &Path{}
	ordered, err := orderPoints(points, opts.Order, p)
	if err != nil {
		return nil, err
	}
	p.Points = ordered
	p.Offsets = make([]time.Duration, len(ordered))
	p.match()
	for i := 0; i+1 < len(p.Points); i++ {
		p.Boxes = append(p.Boxes, p.box(i))
	}
	for _, ps := range p.Sessions {
		p.follow(ps)
	}
	return p, nil
}

// orderPoints puts the points in path order: as given, else by the hop
// limits of the clients' packets (higher nearer the clients), else as
// listed.
func orderPoints(points []*Result, given []string, p *Path) ([]*Result, error) {
	if len(given) > 0 {
		byName := map[string]*Result{}
		for _, r := range points {
			byName[r.Point] = r
		}
		if len(given) != len(points) {
			return nil, fmt.Errorf("--path names %d points, there are %d (%s)", len(given), len(points), strings.Join(pointNames(points), ", "))
		}
		var out []*Result
		for _, n := range given {
			r, ok := byName[n]
			if !ok {
				return nil, fmt.Errorf("--path names %q, which is not a capture point (%s)", n, strings.Join(pointNames(points), ", "))
			}
			out = append(out, r)
			delete(byName, n)
		}
		p.Order, p.OrderWhy = OrderGiven, "as given with --path"
		return out, nil
	}
	// nearer[i][j] > 0: the clients' packets had a higher TTL at i than at
	// j in most sessions seen at both: i is nearer the clients.
	n := len(points)
	nearer := make([][]int, n)
	for i := range nearer {
		nearer[i] = make([]int, n)
	}
	told := false
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var off time.Duration
			for _, pr := range matchSessions(points[i].Sessions, points[j].Sessions, &off) {
				a, b := pr[0].ClientTTL, pr[1].ClientTTL
				if a == 0 || b == 0 {
					continue
				}
				switch {
				case a > b:
					nearer[i][j]++
					nearer[j][i]--
				case a < b:
					nearer[j][i]++
					nearer[i][j]--
				}
			}
			if nearer[i][j] != 0 {
				told = true
			}
		}
	}
	out := slices.Clone(points)
	if !told {
		p.Order, p.OrderWhy = OrderListed, "in the order given: no session seen at two points told them apart by hop limit"
		return out, nil
	}
	// Rank: how many points each one is nearer the clients than.
	rank := map[*Result]int{}
	for i := range points {
		for j := range points {
			if nearer[i][j] > 0 {
				rank[points[i]]++
			}
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return rank[out[a]] > rank[out[b]] })
	var same []string
	for i := 0; i+1 < len(out); i++ {
		if rank[out[i]] == rank[out[i+1]] {
			same = append(same, out[i].Point+" and "+out[i+1].Point)
		}
	}
	p.Order, p.OrderWhy = OrderHopLimits, "from the hop limits of the clients' packets at each point (higher nearer the clients)"
	if len(same) > 0 {
		p.OrderWhy += "; " + strings.Join(same, ", ") + " saw the same hop limits (one link, or no router between them) and keep the order given"
	}
	return out, nil
}

func pointNames(rs []*Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Point)
	}
	return out
}

// match groups the points' sessions: each point's sessions are matched
// with the groups seen at the nearest earlier point that saw them.
func (p *Path) match() {
	var groups []*PathSession
	n := len(p.Points)
	for j, r := range p.Points {
		left := slices.Clone(r.Sessions)
		for k := j - 1; k >= 0 && len(left) > 0; k-- {
			// the groups seen at k and not yet at j
			var reps []*Session
			byRep := map[*Session]*PathSession{}
			for _, g := range groups {
				if g.At[k] != nil && g.At[j] == nil {
					reps = append(reps, g.At[k])
					byRep[g.At[k]] = g
				}
			}
			var off time.Duration
			pairs := matchSessions(reps, left, &off)
			if k == j-1 || p.Offsets[j] == 0 {
				if len(pairs) > 0 {
					p.Offsets[j] = p.Offsets[k] + off
				}
			}
			taken := map[*Session]bool{}
			for _, pr := range pairs {
				byRep[pr[0]].At[j] = pr[1]
				taken[pr[1]] = true
			}
			left = slices.DeleteFunc(left, func(s *Session) bool { return taken[s] })
		}
		for _, s := range left {
			g := &PathSession{At: make([]*Session, n)}
			g.At[j] = s
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		if len(g.Seen()) >= 2 {
			p.Sessions = append(p.Sessions, g)
		}
	}
	sort.SliceStable(p.Sessions, func(a, b int) bool {
		return p.start(p.Sessions[a]).Before(p.start(p.Sessions[b]))
	})
}

// start is a session's start on the first point's clock.
func (p *Path) start(ps *PathSession) time.Time {
	for i, s := range ps.At {
		if s != nil {
			return s.Start.Add(-p.Offsets[i])
		}
	}
	return time.Time{}
}

// box describes what lies between points i and i+1 from the sessions seen
// on both sides.
func (p *Path) box(i int) *Box {
	b := &Box{Index: i, Near: p.Points[i].Point, Far: p.Points[i+1].Point, Hops: -1}
	var hops []int
	for _, ps := range p.Sessions {
		a, f := ps.At[i], ps.At[i+1]
		if a == nil || f == nil {
			continue
		}
		b.Sessions++
		if a.Client.Addr() != f.Client.Addr() {
			if b.ClientNAT == 0 {
				b.ClientAddrs = [2]netip.AddrPort{a.Client, f.Client}
			}
			b.ClientNAT++
		}
		if a.Server.Addr() != f.Server.Addr() {
			if b.ServerNAT == 0 {
				b.ServerAddrs = [2]netip.AddrPort{a.Server, f.Server}
			}
			b.ServerNAT++
		}
		if a.ClientTTL != 0 && f.ClientTTL != 0 {
			hops = append(hops, int(a.ClientTTL)-int(f.ClientTTL))
		}
	}
	if len(hops) > 0 {
		sort.Ints(hops)
		b.Hops = max(hops[len(hops)/2], 0)
	}
	return b
}

// follow lines up one session's negotiations across the points, compares
// them across each box, and follows the SYNs.
func (p *Path) follow(ps *PathSession) {
	n := len(p.Points)
	ps.Control = p.opening(ps, true, func(i int) *Opening {
		if s := ps.At[i]; s != nil && !s.MidStream {
			return &s.Opening
		}
		return nil
	})
	// Negotiations: each point's, matched with an earlier point's of the
	// same command within 5 s (offsets applied), else a new one.
	for i, s := range ps.At {
		if s == nil {
			continue
		}
		used := map[*PathNegotiation]bool{}
		for _, ng := range s.Negotiations {
			if ng.Inferred != "" {
				continue
			}
			at := ng.CommandAt.Time.Add(-p.Offsets[i])
			var best *PathNegotiation
			bestD := 5 * time.Second
			for _, pn := range ps.Negotiations {
				if used[pn] || pn.Command != ng.Command || pn.At[i] != nil {
					continue
				}
				for k, o := range pn.At {
					if o == nil {
						continue
					}
					d := o.CommandAt.Time.Add(-p.Offsets[k]).Sub(at)
					if d < 0 {
						d = -d
					}
					if d < bestD {
						best, bestD = pn, d
					}
					break
				}
			}
			if best == nil {
				best = &PathNegotiation{Command: ng.Command, Mode: ng.Mode, At: make([]*Negotiation, n)}
				ps.Negotiations = append(ps.Negotiations, best)
			}
			best.At[i] = ng
			used[best] = true
		}
	}
	sort.SliceStable(ps.Negotiations, func(a, b int) bool {
		return p.negTime(ps.Negotiations[a]).Before(p.negTime(ps.Negotiations[b]))
	})
	ps.Encrypted = make([]*ALGComparison, len(p.Boxes))
	for i := range p.Boxes {
		near, far := ps.At[i], ps.At[i+1]
		if near != nil && far != nil && near.TLS && !near.TLSEnded {
			ps.Encrypted[i] = &ALGComparison{InsideSession: near, OutsideSession: far, Verdict: ALGEncrypted,
				Why: "the control channel is encrypted: no ALG could read a PORT or 227 in it"}
		}
	}
	for _, pn := range ps.Negotiations {
		pn.Crossings = make([]*ALGComparison, len(p.Boxes))
		for i := range p.Boxes {
			near, far := ps.At[i], ps.At[i+1]
			if near == nil || far == nil || pn.At[i] == nil && pn.At[i+1] == nil {
				continue
			}
			pn.Crossings[i] = crossBox(p.Offsets[i+1]-p.Offsets[i], near, far, pn.At[i], pn.At[i+1], pn.Mode)
		}
		forward := pn.Mode.IsPassive()
		pn.Data = p.opening(ps, forward, func(i int) *Opening {
			if ng := pn.At[i]; ng != nil && ng.Data != nil && !ng.Data.MidStream {
				return &ng.Data.Opening
			}
			return nil
		})
	}
}

func (p *Path) negTime(pn *PathNegotiation) time.Time {
	for i, ng := range pn.At {
		if ng != nil {
			return ng.CommandAt.Time.Add(-p.Offsets[i]).Time()
		}
	}
	return time.Time{}
}

// opening follows one connection's SYN: at(i) is the opening point i saw
// (nil: none).
func (p *Path) opening(ps *PathSession, forward bool, at func(i int) *Opening) PathOpening {
	o := PathOpening{Forward: forward, State: NotAttempted, DiedAfter: -1, DiedBefore: -1}
	order := ps.Seen()
	if !forward {
		slices.Reverse(order)
	}
	rank := func(s DataState) int {
		switch s {
		case Established:
			return 4
		case Refused:
			return 3
		case Unreachable:
			return 2
		case NoAnswer:
			return 1
		}
		return 0
	}
	var lastSYN time.Time // on the first point's clock
	for _, i := range order {
		op := at(i)
		if op == nil || !op.SYN.Valid() {
			continue
		}
		o.SeenAt = append(o.SeenAt, i)
		lastSYN = op.SYN.Time.Add(-p.Offsets[i]).Time()
		st := op.State()
		switch {
		case rank(st) > rank(o.State):
			o.State, o.AnsweredAt, o.Answer = st, []int{i}, op
		case st == o.State && st != NoAnswer:
			o.AnsweredAt = append(o.AnsweredAt, i)
		}
	}
	if len(o.SeenAt) == 0 || o.State == Established {
		return o
	}
	last := o.SeenAt[len(o.SeenAt)-1]
	o.DiedAfter = last
	// The next point on its way that was capturing when the SYN passed
	// the last one: whether or not it saw anything of the session (a
	// control connection's SYN that never arrived makes no session there).
	all := make([]int, len(p.Points))
	for i := range all {
		all[i] = i
	}
	if !forward {
		slices.Reverse(all)
	}
	for k := slices.Index(all, last) + 1; k < len(all); k++ {
		j := all[k]
		started, ended := p.capturing(j, lastSYN)
		if started {
			o.DiedBefore, o.BeforeEnded = j, ended
			break
		}
	}
	if o.DiedBefore < 0 && o.State != NoAnswer {
		// A reset or ICMP error answered it past the last point: whoever
		// sent it (the acceptor, or a box beyond), the SYN did not die
		// between two points; the answer's hop count says who.
		o.DiedAfter = -1
	}
	return o
}

// capturing says whether point i's capture had started at t (on the
// first point's clock), and whether it had already ended: its last packet
// is older than t. A capture's file holds no start or stop time, only
// packets: a point that saw nothing after t may have stopped, or may have
// had nothing more to see (a firewall before it dropping everything).
func (p *Path) capturing(i int, t time.Time) (started, ended bool) {
	r := p.Points[i]
	if r.Start.IsZero() {
		return false, false
	}
	t = t.Add(p.Offsets[i])
	return !t.Before(r.Start), t.After(r.End)
}

// crossBox compares one negotiation across the box between near (the
// clients' side) and far. The line's own direction decides which side is
// "inside": a PORT comes from the client, a passive reply from the server.
func crossBox(offset time.Duration, nearS, farS *Session, nearN, farN *Negotiation, mode Mode) *ALGComparison {
	r := &ALGResult{ClockOffset: offset}
	if mode.IsPassive() {
		r.ClockOffset = -offset
		r.compare(farS, nearS, farN, nearN)
	} else {
		r.compare(nearS, farS, nearN, farN)
	}
	return r.Comparisons[0]
}
