package analyze

import (
	"fmt"
	"math"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// ALGVerdict classifies what happened to one negotiation across a NAT.
type ALGVerdict string

// Verdicts of the two-point comparison.
const (
	ALGUntouched      ALGVerdict = "untouched"       // same line on both sides, and it needed no change
	ALGRewritten      ALGVerdict = "rewritten"       // rewritten to the NAT's outside address and the port the data connection used
	ALGRewrittenWrong ALGVerdict = "rewritten-wrong" // rewritten, but to an address or port that matches nothing
	ALGNotRewritten   ALGVerdict = "not-rewritten"   // a private address left the NAT as it was
	ALGMissedSplit    ALGVerdict = "missed-split"    // the command came in several segments and did not come out rewritten
	ALGEncrypted      ALGVerdict = "encrypted"       // the control channel is encrypted: nothing to compare
	ALGNotSeen        ALGVerdict = "not-seen"        // seen on one side only
)

// ALGComparison is one negotiation as seen inside and outside a NAT.
type ALGComparison struct {
	Inside, Outside               *Negotiation // either may be nil
	InsideSession, OutsideSession *Session
	Verdict                       ALGVerdict
	Why                           string
	// SeqShift is how far the NAT moved the client's sequence numbers after
	// this line (outside minus inside, relative to the shift before it),
	// and LengthChange how much the rewrite changed the line's length;
	// SeqConsistent says whether the two agree (the NAT kept TCP intact).
	SeqShift      int64
	LengthChange  int
	SeqConsistent bool
	SeqChecked    bool
	// TextChanged: the rewrite changed text other than the numbers.
	TextChanged bool
	// NATAddr is the NAT's outside address for the session: the client's
	// address as seen outside.
	NATAddr netip.Addr
}

// ALGResult is the comparison of two capture points of one NAT.
type ALGResult struct {
	Inside, Outside *Result
	// ClockOffset is the estimated outside-minus-inside clock difference.
	ClockOffset time.Duration
	Comparisons []*ALGComparison
}

// CompareALG matches the sessions seen at two capture points on either side
// of a NAT (the same control connection, translated) and compares every
// negotiation across it. Sessions are matched by the server's port, the
// sequence of commands and their timing with an estimated clock offset,
// not by equal timestamps: two machines' clocks disagree.
func CompareALG(inside, outside *Result) *ALGResult {
	r := &ALGResult{Inside: inside, Outside: outside}
	pairs := matchSessions(inside.Sessions, outside.Sessions, &r.ClockOffset)
	for _, p := range pairs {
		r.compareSession(p[0], p[1])
	}
	return r
}

// verbs are what identifies a session on both sides of a NAT: the verbs of
// its commands (a NAT rewrites arguments, not verbs).
func verbs(s *Session) []string {
	var out []string
	for _, l := range s.Lines {
		if l.FromClient {
			verb, _, _ := strings.Cut(l.Text, " ")
			out = append(out, verb)
			if len(out) == 32 {
				break
			}
		}
	}
	return out
}

func signature(s *Session) string { return strings.Join(verbs(s), " ") }

// commonPrefix is the share of the shorter verb list that both begin with
// (a helper that drops a command makes the lists part ways there).
func commonPrefix(a, b []string) float64 {
	n := min(len(a), len(b))
	if n == 0 {
		return 0
	}
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	return float64(i) / float64(n)
}

func matchSessions(in, out []*Session, offset *time.Duration) [][2]*Session {
	// First estimate the clock offset from sessions whose signature is
	// unique on both sides.
	bySig := map[string][]*Session{}
	for _, s := range out {
		bySig[signature(s)] = append(bySig[signature(s)], s)
	}
	var diffs []time.Duration
	count := map[string]int{}
	for _, s := range in {
		count[signature(s)]++
	}
	for _, s := range in {
		sig := signature(s)
		if cands := bySig[sig]; len(cands) == 1 && count[sig] == 1 && cands[0].Server.Port() == s.Server.Port() {
			diffs = append(diffs, cands[0].Start.Sub(s.Start))
		}
	}
	if len(diffs) > 0 {
		sort.Slice(diffs, func(i, j int) bool { return diffs[i] < diffs[j] })
		*offset = diffs[len(diffs)/2]
	}
	// Score every plausible pair, then take the best pairs first.
	type cand struct {
		in, out *Session
		score   float64
	}
	var cands []cand
	// The outside sessions by server port, in start order: each inside
	// session is scored against those starting within a minute of it
	// (after the offset), not against every one.
	type outSession struct {
		s     *Session
		verbs []string
	}
	byPort := map[uint16][]outSession{}
	for _, o := range out {
		byPort[o.Server.Port()] = append(byPort[o.Server.Port()], outSession{o, verbs(o)})
	}
	for _, list := range byPort {
		sort.SliceStable(list, func(i, j int) bool { return list[i].s.Start.Before(list[j].s.Start) })
	}
	for _, s := range in {
		sv := verbs(s)
		list := byPort[s.Server.Port()]
		from := s.Start.Add(*offset - time.Minute)
		k := sort.Search(len(list), func(i int) bool { return !list[i].s.Start.Before(from) })
		for ; k < len(list); k++ {
			o := list[k].s
			d := o.Start.Sub(s.Start) - *offset
			if d > time.Minute {
				break
			}
			if d < 0 {
				d = -d
			}
			score := 4*commonPrefix(list[k].verbs, sv) + 3*math.Exp(-d.Seconds()/2)
			if o.ClientISN != 0 && o.ClientISN == s.ClientISN {
				score += 3 // the same TCP connection: NATs keep the numbers unless told to randomise them
			}
			if o.Server == s.Server {
				score += 2 // a client-side NAT leaves the server as it is
			}
			if o.Client.Port() == s.Client.Port() {
				score += 3 // NATs keep the source port when they can
			}
			if o.User == s.User {
				score++
			}
			if score >= 5 {
				cands = append(cands, cand{s, o, score})
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	used := map[*Session]bool{}
	var pairs [][2]*Session
	for _, c := range cands {
		if !used[c.in] && !used[c.out] {
			used[c.in], used[c.out] = true, true
			pairs = append(pairs, [2]*Session{c.in, c.out})
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return pairs[i][0].Start.Before(pairs[j][0].Start) })
	return pairs
}

// clientLines returns the session's client lines from the first one at or
// after seq (or all).
func nextClientLine(s *Session, after uint32) (Line, bool) {
	for _, l := range s.Lines {
		if l.FromClient && int32(l.Seq-after) > 0 {
			return l, true
		}
	}
	return Line{}, false
}

func (r *ALGResult) compareSession(in, out *Session) {
	// Pair negotiations by their order among the session's negotiations of
	// the same direction; a negotiation missing on one side is found by
	// its time.
	outUsed := map[*Negotiation]bool{}
	for _, ni := range in.Negotiations {
		if ni.Inferred != "" {
			continue
		}
		var no *Negotiation
		best := time.Duration(1<<62 - 1)
		for _, cand := range out.Negotiations {
			if outUsed[cand] || cand.Command != ni.Command || cand.Inferred != "" {
				continue
			}
			d := cand.CommandAt.Time.Sub(ni.CommandAt.Time) - r.ClockOffset
			if d < 0 {
				d = -d
			}
			if d < best && d < 5*time.Second {
				no, best = cand, d
			}
		}
		if no != nil {
			outUsed[no] = true
		}
		r.compare(in, out, ni, no)
	}
	if in.TLS && !in.TLSEnded {
		c := &ALGComparison{InsideSession: in, OutsideSession: out, Verdict: ALGEncrypted,
			Why: "the control channel is encrypted: no ALG could read a PORT or 227 in it"}
		r.Comparisons = append(r.Comparisons, c)
	}
}

func (r *ALGResult) compare(in, out *Session, ni, no *Negotiation) {
	c := &ALGComparison{Inside: ni, Outside: no, InsideSession: in, OutsideSession: out}
	r.Comparisons = append(r.Comparisons, c)
	if ni == nil {
		c.Verdict, c.Why = ALGNotSeen, "seen on the far side only"
		return
	}
	active := !ni.Mode.IsPassive()
	if no == nil {
		if active && ni.SplitAt.Valid() {
			c.Verdict, c.Why = ALGMissedSplit, fmt.Sprintf("%s came in two segments inside (frames %d-%d) and never came out of the NAT", ni.Command, ni.CommandAt.Frame, ni.SplitAt.Frame)
			return
		}
		c.Verdict, c.Why = ALGNotSeen, "seen inside only"
		return
	}
	if !ni.Address.IsValid() || !no.Address.IsValid() {
		c.Verdict, c.Why = ALGNotSeen, "no address on one side"
		return
	}
	if active {
		c.LengthChange = len(no.Arg) - len(ni.Arg)
		r.seqShift(c, in, out, ni, no)
	} else {
		c.LengthChange = len(no.Reply.Text) - len(ni.Reply.Text)
		r.replySeqShift(c, in, out, ni, no)
	}
	same := ni.Address == no.Address
	natAddr := out.Client.Addr() // the NAT's outside address for this session
	c.NATAddr = natAddr
	// The box translates the host whose address the line carries: the
	// client's for PORT/EPRT, the server's for a passive reply. A box that
	// does not is neither to blame nor to praise for the line.
	translates := active && in.Client.Addr() != out.Client.Addr() || !active && in.Server.Addr() != out.Server.Addr()
	if !translates {
		c.NATAddr = netip.Addr{}
		if same {
			c.Verdict, c.Why = ALGUntouched, "passed unchanged by a box that does not translate the "+map[bool]string{true: "client's", false: "server's"}[active]+" address"
		} else {
			c.Verdict = ALGRewrittenWrong
			c.Why = fmt.Sprintf("changed from %s to %s by a box that does not translate the %s address", ni.Address, no.Address, map[bool]string{true: "client's", false: "server's"}[active])
		}
		return
	}
	switch {
	case active && same && ni.Address.Addr() != natAddr && !ClassOf(ni.Address.Addr()).Routable():
		c.Verdict, c.Why = ALGNotRewritten, fmt.Sprintf("%s %s left the NAT unchanged, while the client appears outside as %s", ni.Command, ni.Address, natAddr)
	case !active && same && ni.Address.Addr() != out.Server.Addr() && !ClassOf(ni.Address.Addr()).Routable():
		c.NATAddr = out.Server.Addr()
		c.Verdict, c.Why = ALGNotRewritten, fmt.Sprintf("the %d reply's private address %s crossed the NAT unchanged, while outside the server is %s", no.Reply.Code, ni.Address.Addr(), out.Server.Addr())
	case same:
		c.Verdict, c.Why = ALGUntouched, "the same on both sides, and it needed no change"
	case active && no.Address.Addr() == natAddr &&
		// The port is right when the server's connection to it came through
		// to the port the client named (or, with no connection to judge by, when the NAT
		// kept the client's port, as it does when it can).
		(no.Data != nil && ni.Data != nil && ni.Data.Dst.Port() == ni.Address.Port() || no.Data == nil && no.Address.Port() == ni.Address.Port()):
		c.Verdict, c.Why = ALGRewritten, fmt.Sprintf("%s rewritten from %s to %s, the NAT's outside address", ni.Command, ni.Address, no.Address)
	case !active && withoutNumbers(ni.Reply.Text) != withoutNumbers(no.Reply.Text):
		c.Verdict, c.TextChanged = ALGRewrittenWrong, true
		c.Why = fmt.Sprintf("text other than the address changed: \"%s\" inside, \"%s\" outside", ni.Reply.Text, no.Reply.Text)
	case !active && ni.Address.Addr() == in.Server.Addr() && no.Address.Addr() == out.Server.Addr():
		c.NATAddr = out.Server.Addr()
		c.Verdict, c.Why = ALGRewritten, fmt.Sprintf("%d reply is %s inside and %s outside: on each side, the server's address as seen there", ni.Reply.Code, ni.Address, no.Address)
	case !active:
		// the address a passive reply must carry outside is the server's
		// as the client reaches it
		c.NATAddr = out.Server.Addr()
		c.Verdict = ALGRewrittenWrong
		c.Why = fmt.Sprintf("rewritten from %s to %s: not the server's address outside, %s", ni.Address, no.Address, c.NATAddr)
	default:
		c.Verdict = ALGRewrittenWrong
		switch {
		case no.Address.Addr() != natAddr && no.Address.Port() == ni.Address.Port():
			c.Why = fmt.Sprintf("rewritten from %s to %s: the port kept, the address not the NAT's outside address %s", ni.Address, no.Address, natAddr)
		case no.Address.Addr() == natAddr:
			c.Why = fmt.Sprintf("rewritten from %s to %s: the NAT's outside address, but port %d where the client listens on %d", ni.Address, no.Address, no.Address.Port(), ni.Address.Port())
		default:
			c.Why = fmt.Sprintf("rewritten from %s to %s: neither the NAT's outside address %s nor the client's port %d", ni.Address, no.Address, natAddr, ni.Address.Port())
		}
	}
}

// seqShift measures the NAT's sequence shift for the client's direction:
// the outside-minus-inside difference of the line after the negotiation,
// relative to the difference of the negotiation line itself.
func (r *ALGResult) seqShift(c *ALGComparison, in, out *Session, ni, no *Negotiation) {
	before := int64(int32(no.CommandSeq - ni.CommandSeq))
	var after int64
	switch {
	case ni.NextSeq != 0 && no.NextSeq != 0:
		// Raw segments: what the NAT sent, before any reassembly.
		after = int64(int32(no.NextSeq - ni.NextSeq))
	default:
		li, ok1 := nextClientLine(in, ni.CommandSeq)
		lo, ok2 := nextClientLine(out, no.CommandSeq)
		if !ok1 || !ok2 {
			return
		}
		after = int64(int32(lo.Seq - li.Seq))
	}
	c.SeqShift = after - before
	c.SeqChecked = true
	c.SeqConsistent = c.SeqShift == int64(c.LengthChange)
}

// replySeqShift measures the shift of the server's sequence numbers after
// a passive reply: a rewritten 227 changes the server's stream, and the box
// must shift the server's later numbers (and the client's acknowledgements)
// by as much.
func (r *ALGResult) replySeqShift(c *ALGComparison, in, out *Session, ni, no *Negotiation) {
	if ni.ReplySeq == 0 || no.ReplySeq == 0 {
		return
	}
	next := func(s *Session, after uint32) (Line, bool) {
		for _, l := range s.Lines {
			if !l.FromClient && int32(l.Seq-after) > 0 {
				return l, true
			}
		}
		return Line{}, false
	}
	li, ok1 := next(in, ni.ReplySeq)
	lo, ok2 := next(out, no.ReplySeq)
	if !ok1 || !ok2 {
		return
	}
	before := int64(int32(no.ReplySeq - ni.ReplySeq))
	c.SeqShift = int64(int32(lo.Seq-li.Seq)) - before
	c.SeqChecked = true
	c.SeqConsistent = c.SeqShift == int64(c.LengthChange)
}

// withoutNumbers drops the digits and commas of a reply's text: what an ALG
// must leave alone.
func withoutNumbers(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r == ',' || r == '|' {
			return -1
		}
		return r
	}, s)
}
