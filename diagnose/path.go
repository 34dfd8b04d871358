package diagnose

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// A session seen at several capture points along a path is one story. The
// points' own findings about it were made before anything was compared; the
// path decides between them:
//
//   - what a box did to a negotiation (the same line on its two sides) is
//     said once, naming the box, and replaces what each point guessed about
//     a NAT or helper it could not see;
//   - a point's guess that a NAT hid the client is dropped when a point
//     farther along saw the server's SYN come to the advertised address as
//     the client's own;
//   - a data or control connection whose SYN stopped being seen is said
//     once, by the last point that saw it, with the place it died;
//   - every other cause is said once, at its most severe, with the points
//     that saw it.

// PathDiagnosis is the diagnosis of the sessions seen at several points.
type PathDiagnosis struct {
	*analyze.Path
	// Points are the capture points' own diagnoses in path order; their
	// Findings no longer hold those of the path's sessions (see Stories).
	Points []*Point
	// Stories are the path's sessions with their findings, in time order.
	Stories []*Story
}

// Story is one session seen at several points, with its findings.
type Story struct {
	*analyze.PathSession
	// Findings are the session's findings, one per cause, most severe
	// first; each names the points it rests on (Finding.Points).
	Findings []*Finding
}

// pointOnlyCodes are findings about a point's whole capture, not about the
// session they are attached to: they stay with their point.
var pointOnlyCodes = map[Code]bool{DuplicateRecords: true}

// dataCodes say what became of a data connection at one point.
var dataCodes = map[Code]bool{DataNoAnswer: true, DataRefused: true, DataUnreachable: true, DataNotSeen: true, DataNotAttempted: true}

// controlCodes say what became of a control connection's SYN.
var controlCodes = map[Code]bool{ControlNoAnswer: true, ControlRefused: true, ControlUnreachable: true}

// DiagnosePath makes one story per session seen at two or more points,
// from the path and the points' own diagnoses (in any order).
func DiagnosePath(p *analyze.Path, points []*Point) *PathDiagnosis {
	byResult := map[*analyze.Result]*Point{}
	for _, pt := range points {
		byResult[pt.Result] = pt
	}
	d := &PathDiagnosis{Path: p}
	for _, r := range p.Points {
		d.Points = append(d.Points, byResult[r])
	}
	inStory := map[*analyze.Session]*Story{}
	for _, ps := range p.Sessions {
		st := &Story{PathSession: ps}
		d.Stories = append(d.Stories, st)
		for _, s := range ps.At {
			if s != nil {
				inStory[s] = st
			}
		}
	}
	// Take the stories' findings away from their points.
	own := map[*Story][][]*Finding{}
	for i, pt := range d.Points {
		kept := pt.Findings[:0:0]
		for _, f := range pt.Findings {
			st := inStory[f.Session]
			if st == nil || pointOnlyCodes[f.Code] {
				kept = append(kept, f)
				continue
			}
			if own[st] == nil {
				own[st] = make([][]*Finding, len(d.Points))
			}
			own[st][i] = append(own[st][i], f)
		}
		pt.Findings = kept
	}
	for _, st := range d.Stories {
		st.Findings = d.story(st, own[st])
	}
	return d
}

// Findings are every story's findings.
func (d *PathDiagnosis) Findings() []*Finding {
	var out []*Finding
	for _, st := range d.Stories {
		out = append(out, st.Findings...)
	}
	return out
}

// Totals counts the stories' findings and the points' own, by severity.
func (d *PathDiagnosis) Totals() [3]int {
	var t [3]int
	for _, f := range d.Findings() {
		t[f.Severity]++
	}
	for _, pt := range d.Points {
		for _, f := range pt.Findings {
			t[f.Severity]++
		}
	}
	return t
}

// name is point i's name.
func (d *PathDiagnosis) name(i int) string { return d.Path.Points[i].Point }

// names lists points' names in words: "a, b and c".
func (d *PathDiagnosis) names(is []int) string {
	var ns []string
	for _, i := range is {
		ns = append(ns, d.name(i))
	}
	switch len(ns) {
	case 0:
		return "no point"
	case 1:
		return ns[0]
	}
	return strings.Join(ns[:len(ns)-1], ", ") + " and " + ns[len(ns)-1]
}

// story decides one session's findings from the box comparisons and each
// point's own (own[i]: point i's).
func (d *PathDiagnosis) story(st *Story, own [][]*Finding) []*Finding {
	ps := st.PathSession
	rep := ps.First()
	pointIndex := map[string]int{}
	for i, r := range d.Path.Points {
		pointIndex[r.Point] = i
	}
	pnOf := map[*analyze.Negotiation]*analyze.PathNegotiation{}
	for _, pn := range ps.Negotiations {
		for _, n := range pn.At {
			if n != nil {
				pnOf[n] = pn
			}
		}
	}
	negsOf := func(f *Finding) []*analyze.PathNegotiation {
		var out []*analyze.PathNegotiation
		for _, t := range f.Transfers {
			if pn := pnOf[t.Negotiation]; pn != nil && !slices.Contains(out, pn) {
				out = append(out, pn)
			}
		}
		return out
	}
	var out []*Finding

	// 1. What each box did to each negotiation.
	decided := map[*analyze.PathNegotiation]bool{}
	for _, pn := range ps.Negotiations {
		for bi, c := range pn.Crossings {
			if c == nil {
				continue
			}
			box := d.Boxes[bi]
			inPoint, outPoint := box.Near, box.Far
			if pn.Mode.IsPassive() {
				inPoint, outPoint = box.Far, box.Near
			}
			a := &analyze.ALGResult{Inside: &analyze.Result{Point: inPoint}, Outside: &analyze.Result{Point: outPoint}}
			for _, r := range algRules {
				f := r.run(a, c)
				if f == nil {
					continue
				}
				f.Summary = "B" + box.Name()[1:] + ": " + f.Summary
				f.Advice = strings.Replace(f.Advice, "this NAT", "the NAT "+box.Name(), 1)
				if f.Severity == Error {
					f.Summary += answeredWords(pn)
				}
				in := pointIndex[inPoint]
				if f.Code == ActiveNATNoALG {
					port := rep.Server.Port()
					withHelperPort(f, port, pn.Command, d.rewroteOtherPort(bi, port))
				}
				f.Session, f.Point, f.Points = ps.At[in], inPoint, []string{box.Near, box.Far}
				f.Transfers = transfersAt(pn, ps, in)
				f.Evidence = crossingEvidence(c, inPoint, outPoint)
				out = append(out, f)
				decided[pn] = true
			}
		}
	}

	// 2. The points' own findings, minus what the path disproves or says
	// better.
	var rest []found
	seqBroken := slices.ContainsFunc(out, func(f *Finding) bool { return f.Code == ALGSeqBroken })
	for i, fs := range own {
		for _, f := range fs {
			negs := negsOf(f)
			switch {
			case natCodes[f.Code] && d.decidedAll(negs, decided, ps):
				continue // a box's comparison says what happened
			case f.Code == ControlSeqMismatch && seqBroken:
				continue // the box that broke the numbering is named
			case f.Code == TransferFailed && seqBroken && cutByServer(f):
				// what the broken numbering did next: the box's finding says it
				tr := f.Transfers[0]
				for _, g := range out {
					if g.Code == ALGSeqBroken && !strings.Contains(g.Summary, "reached the server cut") {
						g.Summary += fmt.Sprintf("; the client's next command, %s, reached the server cut: it answered \"%s\" (%s frame %d)", strings.TrimSpace(tr.Command+" "+tr.Arg),
							replyWhat(tr.Final), d.name(i), tr.Final.At.Frame)
						break
					}
				}
				continue
			case f.Code == ActiveNATNoALG && d.clientSeenAtPORTAddress(ps, negs):
				continue // disproved: no NAT hid the client on the way
			}
			rest = append(rest, found{f, i})
		}
	}

	// A split command a helper dropped (said by the point before it) and
	// the stream stopping at the points after it are one cause.
	if k := slices.IndexFunc(rest, func(fd found) bool { return fd.f.Code == ALGMissedSplit }); k >= 0 {
		split := rest[k]
		stalledAfter := func(o found) bool {
			return o.f.Code == ControlStalled && o.point > split.point && strings.Contains(o.f.Summary, "client's")
		}
		if next := slices.IndexFunc(rest, stalledAfter); next >= 0 {
			var stalled []int
			for _, o := range rest {
				if stalledAfter(o) {
					stalled = append(stalled, o.point)
				}
			}
			var f *Finding
			f, rest = d.gather(rest, func(o found) bool { return o.f == split.f || stalledAfter(o) }, func(a, b found) bool { return a.f == split.f })
			f.Summary = sentence(f.Summary, fmt.Sprintf("Along the path, %s saw the client's stream stop there: the segment was lost between %s and %s.",
				d.names(stalled), d.name(split.point), d.name(slices.Min(stalled))))
		}
	}
	// A private passive address no box rewrote: name the box that
	// translates the server, where a helper would have to be at work.
	for _, fd := range rest {
		if fd.f.Code != PassivePrivateAddress {
			continue
		}
		for _, pn := range negsOf(fd.f) {
			for bi, c := range pn.Crossings {
				if c != nil && c.Verdict == analyze.ALGNotRewritten && pn.Mode.IsPassive() && !strings.Contains(fd.f.Summary, d.Boxes[bi].Name()) {
					fd.f.Summary = sentence(fd.f.Summary, fmt.Sprintf("The %d reply crossed the port forwarding %s (%s → %s) unchanged: no helper rewrote it there.",
						c.Inside.Reply.Code, d.Boxes[bi].Name(), c.NATAddr, c.Inside.Address.Addr()))
					fd.f.Advice = strings.Replace(fd.f.Advice, "from the NAT to the server", "from the NAT "+d.Boxes[bi].Name()+" to the server", 1)
				}
			}
		}
	}

	// Bytes of the control connection one side resent and the points past
	// it never saw: one finding, from the last point that saw them, with
	// the place.
	for _, fromClient := range []bool{true, false} {
		after, before, ok := stallPlace(ps, fromClient)
		if !ok {
			continue
		}
		var f *Finding
		f, rest = d.gather(rest, func(fd found) bool {
			return fd.f.Code == ControlStalled && fromClient == strings.Contains(fd.f.Summary, "client's")
		}, at(after))
		if f == nil {
			continue
		}
		who := "server"
		if fromClient {
			who = "client"
		}
		f.Summary = sentence(f.Summary, fmt.Sprintf("Along the path, the %s's unacknowledged bytes were sent past %s and never crossed %s: they were lost between %s and %s.",
			who, d.name(after), d.name(before), d.name(after), d.name(before)))
		f.Advice = d.startWith(after, before, "the bytes were lost there") + f.Advice
	}

	// A control connection forgotten on the way, and a data connection
	// whose segments stopped somewhere: said once, with the place.
	rest = d.stateLostPlace(rest)
	rest = d.dataStallPlace(rest)

	// An encrypted control channel "with a NAT in sight": the path shows
	// whether a NAT lies between the points, and which box it is.
	if slices.ContainsFunc(rest, func(fd found) bool { return fd.f.Code == TLSBlindALG }) {
		nats := d.natBoxes(ps)
		seen := ps.Seen()
		whole := acceptorAt(ps, analyze.PathOpening{Forward: true}, seen[len(seen)-1]) == "server" &&
			acceptorAt(ps, analyze.PathOpening{Forward: false}, seen[0]) == "client"
		switch {
		case len(nats) == 0 && whole:
			// disproved: from the client's link to the server's, no box
			// translates either address
			rest = slices.DeleteFunc(rest, func(fd found) bool { return fd.f.Code == TLSBlindALG })
		case len(nats) == 0:
			for _, fd := range rest {
				if fd.f.Code == TLSBlindALG {
					fd.f.Summary = sentence(fd.f.Summary, fmt.Sprintf("No box between %s and %s translates either address: a NAT, if there is one, lies outside the capture points.", d.name(seen[0]), d.name(seen[len(seen)-1])))
				}
			}
		default:
			for _, fd := range rest {
				if fd.f.Code == TLSBlindALG {
					fd.f.Summary = sentence(fd.f.Summary, "The path shows where: "+strings.Join(nats, "; ")+".")
				}
			}
		}
	}

	// A data connection that reached the server from another address than
	// the control connection: the box where the two addresses part.
	for _, pn := range ps.Negotiations {
		bi, words := d.poolBox(ps, pn)
		if bi < 0 {
			continue
		}
		var f *Finding
		f, rest = d.gather(rest, func(fd found) bool { return fd.f.Code == NATPoolUnpaired && slices.Contains(negsOf(fd.f), pn) },
			func(a, b found) bool {
				return a.f.Severity > b.f.Severity || a.f.Severity == b.f.Severity && a.point == bi+1
			})
		if f == nil {
			continue
		}
		f.Summary = sentence(strings.Replace(f.Summary, ", or a client with several addresses", "", 1), words)
		f.Advice = "On the NAT " + d.Boxes[bi].Name() + ": " + lowerFirst(natPoolFix)
		if f.Severity != Error {
			f.Advice = "Nothing failed here. For servers that check the address, on the NAT " + d.Boxes[bi].Name() + ": " + lowerFirst(natPoolFix)
		}
	}

	// 3. Connections whose SYN died on the way: one finding, from the last
	// point that saw the SYN, with the place.
	said := map[*analyze.PathNegotiation]bool{}
	for _, pn := range ps.Negotiations {
		if !pn.Data.Died() {
			continue
		}
		var f *Finding
		f, rest = d.gather(rest, func(fd found) bool { return dataCodes[fd.f.Code] && slices.Contains(negsOf(fd.f), pn) },
			func(a, b found) bool { return at(pn.Data.DiedAfter)(a, b) || a.f.Severity > b.f.Severity })
		if f == nil {
			continue
		}
		if d.acceptorNeverGotIt(ps, pn.Data) {
			f.Summary = firewallOrItself.ReplaceAllString(f.Summary, ", by a box on the way")
		}
		f.Summary = sentence(f.Summary, d.place(ps, pn.Data, dataWhat(pn)))
		f.Advice = d.whereToLook(ps, pn.Data) + f.Advice
		said[pn] = true
	}
	if ps.Control.Died() {
		var f *Finding
		f, rest = d.gather(rest, func(fd found) bool { return controlCodes[fd.f.Code] }, at(ps.Control.DiedAfter))
		if f != nil {
			f.Summary = sentence(f.Summary, d.place(ps, ps.Control, fmt.Sprintf("the client's SYN to %s", rep.Server)))
			f.Advice = d.whereToLook(ps, ps.Control) + f.Advice
		}
	}

	// 4. Every other cause once, at its most severe (the point nearest the
	// acceptor speaking for a connection).
	var codes []Code
	for _, fd := range rest {
		if !slices.Contains(codes, fd.f.Code) {
			codes = append(codes, fd.f.Code)
		}
	}
	for _, c := range codes {
		var f *Finding
		f, rest = d.gather(rest, func(fd found) bool { return fd.f.Code == c }, func(a, b found) bool {
			return a.f.Severity > b.f.Severity || a.f.Severity == b.f.Severity && d.nearerAcceptor(a, b, pnOf)
		})
		out = append(out, f)
	}
	for _, f := range out {
		if len(f.Points) > 1 && !strings.HasPrefix(f.Summary, "Between ") {
			f.Summary = "At " + f.Point + ": " + f.Summary
		}
	}

	// 5. A SYN that died with no finding left to say where: said by the
	// finding about its negotiation.
	for _, pn := range ps.Negotiations {
		if !pn.Data.Died() || said[pn] {
			continue
		}
		for _, f := range out {
			if f.Severity == Error && (slices.Contains(negsOf(f), pn) || len(f.Transfers) == 0 && len(ps.Negotiations) == 1) {
				f.Summary = sentence(f.Summary, d.place(ps, pn.Data, dataWhat(pn)))
				said[pn] = true
				break
			}
		}
	}
	SortFindings(out)
	return out
}

// firewallOrItself is a point's guess that the acceptor itself may have
// dropped a SYN, which the path disproves when the SYN never reached the
// acceptor's own link.
var firewallOrItself = regexp.MustCompile(`, by a firewall or the (server|client) itself`)

// acceptorNeverGotIt says whether the point where a SYN stopped being seen
// is on its acceptor's own link: the acceptor never received it.
func (d *PathDiagnosis) acceptorNeverGotIt(ps *analyze.PathSession, o analyze.PathOpening) bool {
	if o.DiedBefore < 0 || o.State != analyze.NoAnswer {
		return false
	}
	return acceptorAt(ps, o, o.DiedBefore) != ""
}

// acceptorAt names the acceptor of a connection ("server" or "client")
// when point i is on its own link (its packets arrive there with the hop
// limit they left with), else "".
func acceptorAt(ps *analyze.PathSession, o analyze.PathOpening, i int) string {
	s := ps.At[i]
	if s == nil {
		return ""
	}
	who, ttl := "server", s.ServerTTL
	if !o.Forward {
		who, ttl = "client", s.ClientTTL
	}
	if ttl == 0 || analyze.HopsFromTTL(ttl) != 0 {
		return ""
	}
	return who
}

// sentence appends a sentence to a summary.
func sentence(summary, add string) string {
	summary = strings.TrimRight(summary, " ")
	if !strings.HasSuffix(summary, ".") && !strings.HasSuffix(summary, ".\"") {
		summary += "."
	}
	return summary + " " + add
}

// answeredWords says how the server answered a negotiation, as the point
// nearest the server saw it: "; the server answered 500 Illegal PORT
// command." ("" when no point saw an answer).
func answeredWords(pn *analyze.PathNegotiation) string {
	for i := len(pn.At) - 1; i >= 0; i-- {
		if n := pn.At[i]; n != nil && n.Reply.Code != 0 && !n.Mode.IsPassive() {
			return fmt.Sprintf("; the server answered \"%d %s\"", n.Reply.Code, n.Reply.Text)
		}
	}
	return ""
}

// poolBox finds the box where a passive data connection and its control
// connection part: on its near side both come from one client address, on
// its far side from two. It returns the box's index (-1: none) and the
// sentence that says it.
func (d *PathDiagnosis) poolBox(ps *analyze.PathSession, pn *analyze.PathNegotiation) (int, string) {
	if !pn.Mode.IsPassive() {
		return -1, ""
	}
	src := func(i int) (ctl, data netip.Addr, ok bool) {
		for _, t := range transfersAt(pn, ps, i) {
			if dc := t.Data(); dc != nil {
				return ps.At[i].Client.Addr(), dc.Src.Addr(), true
			}
		}
		return netip.Addr{}, netip.Addr{}, false
	}
	for bi := range d.Boxes {
		nc, nd, ok1 := src(bi)
		fc, fd, ok2 := src(bi + 1)
		if ok1 && ok2 && nc == nd && fc != fd {
			return bi, fmt.Sprintf("The path shows where: %s, the client %s leaves as %s for the control connection and as %s for the data connection: that NAT maps one host's connections to different addresses of its pool.",
				d.Boxes[bi].Name(), nc, fc, fd)
		}
	}
	return -1, ""
}

// rewroteOtherPort names a session on another control port whose
// PORT/EPRT box bi's helper rewrote ("the same NAT rewrote the PORT of the
// session to 203.0.113.10:21 (client-lan S2)"), or "" when none did.
func (d *PathDiagnosis) rewroteOtherPort(bi int, port uint16) string {
	for _, ps := range d.Path.Sessions {
		near := ps.At[d.Boxes[bi].Index]
		if near == nil || near.Server.Port() != ftpControlPort || port == ftpControlPort {
			continue
		}
		for _, pn := range ps.Negotiations {
			if bi < len(pn.Crossings) && pn.Crossings[bi] != nil && pn.Crossings[bi].Verdict == analyze.ALGRewritten && !pn.Mode.IsPassive() {
				return fmt.Sprintf("the same NAT rewrote the %s of the session to %s (%s %s)", pn.Command, near.Server, d.Boxes[bi].Near, near.ID)
			}
		}
	}
	return ""
}

// natBoxes says which boxes translate the session's addresses: "between
// a and b, which translates the client 10.1.0.2 → 198.51.100.1".
func (d *PathDiagnosis) natBoxes(ps *analyze.PathSession) []string {
	var out []string
	for i, b := range d.Boxes {
		near, far := ps.At[i], ps.At[i+1]
		if near == nil || far == nil {
			continue
		}
		var what []string
		if near.Client.Addr() != far.Client.Addr() {
			what = append(what, fmt.Sprintf("the client %s → %s", near.Client.Addr(), far.Client.Addr()))
		}
		if near.Server.Addr() != far.Server.Addr() {
			what = append(what, fmt.Sprintf("the server %s → %s", far.Server.Addr(), near.Server.Addr()))
		}
		if len(what) > 0 {
			out = append(out, b.Name()+", which translates "+strings.Join(what, " and "))
		}
	}
	return out
}

// stallPlace finds where one direction's unacknowledged control bytes
// were lost: the last point, in the direction they travelled, that saw
// them sent (a stall), and the next one whose stream has a hole there.
func stallPlace(ps *analyze.PathSession, fromClient bool) (after, before int, ok bool) {
	order := ps.Seen()
	if !fromClient {
		slices.Reverse(order)
	}
	after, before = -1, -1
	for _, i := range order {
		s := ps.At[i]
		if slices.ContainsFunc(s.Stalls, func(st analyze.Stall) bool { return st.FromClient == fromClient }) {
			after, before = i, -1
			continue
		}
		if after >= 0 && before < 0 && slices.ContainsFunc(s.Lost, func(h analyze.Hole) bool { return h.FromClient == fromClient }) {
			before = i
		}
	}
	return after, before, after >= 0 && before >= 0
}

// nearerAcceptor says whether finding a was made nearer than b to the
// acceptor of the connection it is about (the server for a control
// connection, the data connection's acceptor for a data finding): that
// point saw how it was answered first-hand.
func (d *PathDiagnosis) nearerAcceptor(a, b found, pnOf map[*analyze.Negotiation]*analyze.PathNegotiation) bool {
	switch {
	case controlCodes[a.f.Code]:
		return a.point > b.point
	case dataCodes[a.f.Code]:
		for _, t := range a.f.Transfers {
			if pn := pnOf[t.Negotiation]; pn != nil {
				if pn.Data.Forward {
					return a.point > b.point
				}
				return a.point < b.point
			}
		}
	}
	return false
}

// decidedAll says whether a box's comparison decided every negotiation a
// finding is about (all of the session's, when it names none).
func (d *PathDiagnosis) decidedAll(negs []*analyze.PathNegotiation, decided map[*analyze.PathNegotiation]bool, ps *analyze.PathSession) bool {
	if len(negs) == 0 {
		negs = ps.Negotiations
	}
	if len(negs) == 0 {
		return false
	}
	for _, pn := range negs {
		if !decided[pn] {
			return false
		}
	}
	return true
}

// clientSeenAtPORTAddress says whether, for every active negotiation of
// negs, a point saw the server's SYN arrive for the advertised address and
// the client there at that very address: nothing on the way translated the
// client, so no NAT lost its PORT.
func (d *PathDiagnosis) clientSeenAtPORTAddress(ps *analyze.PathSession, negs []*analyze.PathNegotiation) bool {
	if len(negs) == 0 {
		return false
	}
	for _, pn := range negs {
		if pn.Mode.IsPassive() {
			return false
		}
		ok := false
		for _, i := range pn.Data.SeenAt {
			n, s := pn.At[i], ps.At[i]
			if n != nil && s != nil && n.Address.Addr() == s.Client.Addr() && n.Data != nil && n.Data.Dst.Addr() == s.Client.Addr() {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// gather takes the findings match accepts out of rest and makes them one:
// the one better prefers (better(a, b): a over b; else the first) keeps its
// words and gains the others' points and evidence. It returns that finding
// (nil when none matched) and what is left of rest, the finding kept.
func (d *PathDiagnosis) gather(rest []found, match func(found) bool, better func(a, b found) bool) (*Finding, []found) {
	var best found
	var others []found
	for _, fd := range rest {
		switch {
		case !match(fd):
		case best.f == nil:
			best = fd
		case better(fd, best):
			others, best = append(others, best), fd
		default:
			others = append(others, fd)
		}
	}
	if best.f == nil {
		return nil, rest
	}
	d.mergeInto(best.f, best.point, others)
	return best.f, slices.DeleteFunc(rest, func(fd found) bool {
		return slices.ContainsFunc(others, func(o found) bool { return o.f == fd.f })
	})
}

// at prefers a finding made at point i over one made elsewhere.
func at(i int) func(a, b found) bool {
	return func(a, b found) bool { return a.point == i && b.point != i }
}

// mergeInto makes f the one finding of its cause: the evidence of the
// others (with their point) is added, and f names every point.
func (d *PathDiagnosis) mergeInto(f *Finding, point int, others []found) {
	pts := []int{point}
	for _, name := range f.Points { // already merged once
		for i := range d.Path.Points {
			if d.name(i) == name && !slices.Contains(pts, i) {
				pts = append(pts, i)
			}
		}
	}
	for _, o := range others {
		if !slices.Contains(pts, o.point) {
			pts = append(pts, o.point)
		}
		for _, e := range othersEvidence(o.f) {
			if e.Point == "" {
				e.Point = o.f.Point
			}
			if e.Point == f.Point {
				e.Point = ""
			}
			if len(f.Evidence) < maxEvidence && !hasEvidence(f.Evidence, e) {
				f.Evidence = append(f.Evidence, e)
			}
		}
	}
	slices.Sort(pts)
	sortEvidence(f.Evidence)
	f.Points = nil
	for _, i := range pts {
		f.Points = append(f.Points, d.name(i))
	}
}

// found is one point's finding: point is its index on the path.
type found struct {
	f     *Finding
	point int
}

// othersEvidence is what another point's finding adds to the one kept: the
// first SYN it saw (the same connection, with that point's addresses), or
// its first frame.
func othersEvidence(f *Finding) []Evidence {
	for _, e := range f.Evidence {
		if strings.HasPrefix(e.What, "SYN ") {
			return []Evidence{e}
		}
	}
	if len(f.Evidence) > 0 {
		return f.Evidence[:1]
	}
	return nil
}

// dataWhat names a negotiation's data connection: "the client's SYN to
// 203.0.113.10:30000".
func dataWhat(pn *analyze.PathNegotiation) string {
	for _, i := range pn.Data.SeenAt {
		if n := pn.At[i]; n != nil && n.Data != nil {
			return fmt.Sprintf("the %s's data SYN to %s", n.Data.Initiator, n.Data.Dst)
		}
	}
	return "the data SYN"
}

// place says where along the path a SYN was seen and where it stopped.
func (d *PathDiagnosis) place(ps *analyze.PathSession, o analyze.PathOpening, what string) string {
	seen := d.names(o.SeenAt)
	if len(o.SeenAt) == 1 {
		seen += " only"
	}
	after := d.name(o.DiedAfter)
	if o.DiedBefore < 0 {
		if who := acceptorAt(ps, o, o.DiedAfter); who != "" {
			return fmt.Sprintf("Along the path, %s was seen at %s, the last on the %s's own link: the %s received it and did not answer.", what, seen, who, who)
		}
		return fmt.Sprintf("Along the path, %s was seen at %s; %s is the last capture point on its way, so where it went past %s the captures cannot say.", what, seen, after, after)
	}
	before := d.name(o.DiedBefore)
	if o.BeforeEnded {
		fate := "lost"
		switch o.State {
		case analyze.Refused:
			fate = "refused (a reset came back)"
		case analyze.Unreachable:
			fate = "rejected (an ICMP error came back)"
		}
		return fmt.Sprintf("Along the path, %s was seen at %s and never at %s, whose capture holds nothing from that time on: if it was still running, the SYN was %s between %s and %s.", what, seen, before, fate, after, before)
	}
	if d.acceptorNeverGotIt(ps, o) {
		who := "server"
		if !o.Forward {
			who = "client"
		}
		return fmt.Sprintf("Along the path, %s was seen at %s and never at %s, which is on the %s's own link: the %s never received it; it was lost between %s and %s.", what, seen, before, who, who, after, before)
	}
	switch o.State {
	case analyze.Refused:
		return fmt.Sprintf("Along the path, %s was seen at %s and never at %s, and a reset came back through %s: it was refused between %s and %s.", what, seen, before, d.names(o.AnsweredAt), after, before)
	case analyze.Unreachable:
		if a := o.Answer; a != nil && a.ICMPFrom.IsValid() {
			return fmt.Sprintf("Along the path, %s was seen at %s and never at %s, and %s answered it with %s, seen at %s: it was stopped between %s and %s.",
				what, seen, before, a.ICMPFrom, icmpMeaning(!a.ICMPFrom.Is4(), a.ICMPType, a.ICMPCode), d.names(o.AnsweredAt), after, before)
		}
		return fmt.Sprintf("Along the path, %s was seen at %s and never at %s, and an ICMP error came back through %s: it was rejected between %s and %s.", what, seen, before, d.names(o.AnsweredAt), after, before)
	}
	return fmt.Sprintf("Along the path, %s was seen at %s and never at %s: it was lost between %s and %s.", what, seen, before, after, before)
}

// whereToLook is the first sentence of the advice for a SYN that died: the
// box to look at, or the capture to add.
func (d *PathDiagnosis) whereToLook(ps *analyze.PathSession, o analyze.PathOpening) string {
	if o.DiedAfter < 0 {
		return ""
	}
	after := d.name(o.DiedAfter)
	if o.DiedBefore < 0 {
		if who := acceptorAt(ps, o, o.DiedAfter); who != "" {
			return fmt.Sprintf("%s is on the %s's own link and saw the SYN: look at the %s itself (its firewall, or whether anything listens on the port). ", after, who, who)
		}
		return fmt.Sprintf("The SYN went on past %s, the last capture point on its way: capture further along (the far end's own link) to see where it died. ", after)
	}
	what := "the SYN was lost there"
	switch o.State {
	case analyze.Refused:
		what = "it refused the SYN with a reset"
	case analyze.Unreachable:
		what = "it rejected the SYN with an ICMP error"
	}
	if o.BeforeEnded {
		return fmt.Sprintf("Check first that %s was still capturing when the SYN passed %s; if it was, start with the box between them: %s. ", d.name(o.DiedBefore), after, what)
	}
	return d.startWith(o.DiedAfter, o.DiedBefore, what)
}

// transfersAt are the transfers of a negotiation at point i.
func transfersAt(pn *analyze.PathNegotiation, ps *analyze.PathSession, i int) []*analyze.Transfer {
	n, s := pn.At[i], ps.At[i]
	if n == nil || s == nil {
		return nil
	}
	var out []*analyze.Transfer
	for _, t := range s.Transfers {
		if t.Negotiation == n {
			out = append(out, t)
		}
	}
	return out
}

// crossingEvidence cites the line on both sides of a box.
func crossingEvidence(c *analyze.ALGComparison, inPoint, outPoint string) []Evidence {
	var ev []Evidence
	if c.Inside != nil {
		ev = append(ev, Evidence{At: c.Inside.At, What: c.Inside.Line(), Point: inPoint})
	}
	if c.Outside != nil {
		ev = append(ev, Evidence{At: c.Outside.At, What: c.Outside.Line(), Point: outPoint})
	}
	return ev
}

// Verdicts maps every transfer of the stories, as each point saw it, to the
// story finding that explains it (the most severe first): a point's
// transfer may be explained by a finding another point made.
func (d *PathDiagnosis) Verdicts() map[*analyze.Transfer]*Finding {
	out := map[*analyze.Transfer]*Finding{}
	for _, st := range d.Stories {
		pnOf := map[*analyze.Negotiation]*analyze.PathNegotiation{}
		for _, pn := range st.Negotiations {
			for _, n := range pn.At {
				if n != nil {
					pnOf[n] = pn
				}
			}
		}
		for _, f := range st.Findings {
			for _, t := range f.Transfers {
				pn := pnOf[t.Negotiation]
				if pn == nil {
					if out[t] == nil {
						out[t] = f
					}
					continue
				}
				for i := range st.At {
					for _, u := range transfersAt(pn, st.PathSession, i) {
						if out[u] == nil {
							out[u] = f
						}
					}
				}
			}
		}
	}
	return out
}

// Told says which sessions the stories tell (nil-safe: none without a
// path).
func (d *PathDiagnosis) Told() map[*analyze.Session]bool {
	out := map[*analyze.Session]bool{}
	if d == nil {
		return out
	}
	for _, st := range d.Stories {
		for _, s := range st.At {
			if s != nil {
				out[s] = true
			}
		}
	}
	return out
}

// stateLostPlace gathers the control-state-lost findings of a session: the
// points that saw the server's final reply answered by a reset in the
// client's name, and the points nearer the client where it never came: the
// box between the last of those and the first of these forgot the
// connection.
func (d *PathDiagnosis) stateLostPlace(rest []found) []found {
	isReset := func(fd found) bool {
		return fd.f.Code == ControlStateLost && strings.Contains(fd.f.Summary, "was answered by a reset")
	}
	first := -1 // the reset point nearest the client
	for _, fd := range rest {
		if isReset(fd) && (first < 0 || fd.point < first) {
			first = fd.point
		}
	}
	if first < 0 {
		return rest
	}
	var resets, silent []int
	for _, fd := range rest {
		switch {
		case isReset(fd):
			resets = append(resets, fd.point)
		case fd.f.Code == ControlStateLost && fd.point < first:
			silent = append(silent, fd.point)
		}
	}
	f, rest := d.gather(rest, func(fd found) bool { return fd.f.Code == ControlStateLost }, at(first))
	if len(silent) > 0 {
		slices.Sort(resets)
		slices.Sort(silent)
		last := silent[len(silent)-1]
		f.Summary = sentence(f.Summary, fmt.Sprintf("Along the path, the final reply crossed %s and was answered by the reset; it never reached %s: the box between %s and %s forgot the connection.",
			d.names(resets), d.names(silent), d.name(last), d.name(first)))
		f.Advice = d.startWith(last, first, "") + f.Advice
	}
	return rest
}

// dataStallPlace gathers the data-stalled findings of a session: the
// points that saw the sender resend its segment, and the points past them
// where its data never came: the segments were lost between the last of
// those and the first of these.
func (d *PathDiagnosis) dataStallPlace(rest []found) []found {
	resent := func(fd found) bool {
		return fd.f.Code == DataStalled && strings.Contains(fd.f.Summary, "resent its segment")
	}
	k := slices.IndexFunc(rest, resent)
	if k < 0 {
		return rest
	}
	fromServer := strings.Contains(rest[k].f.Summary, "the server resent")
	// walk from the sender: the last point that saw the resends before
	// the first one that did not
	var order []int
	for i := range d.Path.Points {
		order = append(order, i)
	}
	if fromServer {
		slices.Reverse(order)
	}
	kind := map[int]bool{} // point -> saw the resends
	for _, fd := range rest {
		if fd.f.Code == DataStalled {
			kind[fd.point] = resent(fd)
		}
	}
	after, before := -1, -1
	for _, i := range order {
		saw, ok := kind[i]
		switch {
		case !ok:
		case saw && before < 0:
			after = i
		case !saw && after >= 0 && before < 0:
			before = i
		}
	}
	if after < 0 || before < 0 {
		return rest
	}
	f, rest := d.gather(rest, func(fd found) bool { return fd.f.Code == DataStalled }, at(after))
	who := "client"
	if fromServer {
		who = "server"
	}
	f.Summary = sentence(f.Summary, fmt.Sprintf("Along the path, the %s's resent segment crossed %s and never %s: it was lost between %s and %s.",
		who, d.name(after), d.name(before), d.name(after), d.name(before)))
	f.Advice = d.startWith(after, before, "the segments were lost there") + f.Advice
	return rest
}

// startWith is the first step of a fix that the path located: the box
// between points a and b, and why (may be empty).
func (d *PathDiagnosis) startWith(a, b int, why string) string {
	if why == "" {
		return fmt.Sprintf("Start with the box between %s and %s. ", d.name(a), d.name(b))
	}
	return fmt.Sprintf("Start with the box between %s and %s: %s. ", d.name(a), d.name(b), why)
}

// cutByServer reports whether a transfer-failed finding is a server
// answering "500 unknown command" to a command every server knows: the
// server read the line cut.
func cutByServer(f *Finding) bool {
	if len(f.Transfers) == 0 {
		return false
	}
	t := f.Transfers[0]
	return t.Final.Code == 500 && everyServerKnows(t.Command)
}
