package diagnose

import (
	"fmt"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// A control connection captured twice in one capture (before and after a
// NAT: a capture on the router's "any" device, or of both its links in one
// file) is one session seen at two places, not two sessions. The two views
// are diagnosed as the two points of an ALG comparison are: the comparison
// says what the NAT did, a finding says the connection was seen twice, and
// of each view's own findings only what the comparison does not cover is
// kept, once.

// maxWaitingTwins bounds the sessions held until their twin is released.
const maxWaitingTwins = 1024

// natCodes are the codes a comparison across the NAT decides better than
// either view alone.
var natCodes = map[Code]bool{ActiveNATNoALG: true, PassivePrivateAddress: true, ALGRewrite: true, ALGMissedSplit: true, ALGRewriteWrong: true, ALGSeqBroken: true,
	PortAddressMismatch: true}

// insideOutside orders two views of one connection: inside is the one
// whose client (or, for port forwarding, server) has the private address.
func insideOutside(a, b *analyze.Session) (in, out *analyze.Session) {
	priv := func(s *analyze.Session) bool {
		return !analyze.ClassOf(s.Client.Addr()).Routable() || !analyze.ClassOf(s.Server.Addr()).Routable()
	}
	if priv(b) && !priv(a) {
		return b, a
	}
	return a, b
}

// twin diagnoses the two views of one connection.
func (d *run) twin(point string, a, b *analyze.Session) {
	in, out := insideOutside(a, b)
	views := []*findings{{point: point}, {point: point}}
	for i, s := range []*analyze.Session{in, out} {
		sub := &run{findings: *views[i], recent: d.recent, once: d.once, said: d.said}
		sub.session(newSessionFacts(point, s))
		views[i].out, d.said = sub.out, sub.said
	}
	cmp := analyze.CompareALG(&analyze.Result{Point: point, Sessions: []*analyze.Session{in}}, &analyze.Result{Point: point, Sessions: []*analyze.Session{out}})
	var algFound []*Finding
	for _, c := range cmp.Comparisons {
		for _, r := range algRules {
			if f := r.run(cmp, c); f != nil {
				f.Session, f.Evidence = in, algEvidence(cmp, c)
				for i := range f.Evidence {
					f.Evidence[i].Point = "" // both copies are in this capture
				}
				algFound = append(algFound, f)
			}
		}
	}
	d.add(&Finding{Code: SeenTwice, Severity: Info, Session: in,
		Evidence: []Evidence{{At: in.First, What: fmt.Sprintf("SYN %s → %s", in.Client, in.Server)}, {At: out.First, What: fmt.Sprintf("the same SYN as %s → %s", out.Client, out.Server)}},
		Summary: fmt.Sprintf("one control connection appears twice in this capture, as %s → %s (%s) and %s → %s (%s): the same TCP sequence numbers with two address pairs, "+
			"before and after a NAT; it is read as one session seen at two places, and the two copies are compared as two capture points would be",
			in.Client, in.Server, in.ID, out.Client, out.Server, out.ID),
		Advice: "Nothing to fix: a capture on a router's \"any\" device holds both sides. To read them as two named points, pick each interface (FILE@N) with --point."})
	for _, f := range algFound {
		d.add(f)
	}
	type codeSev struct {
		c Code
		s Severity
	}
	seen := map[codeSev]bool{}
	for _, v := range views {
		for _, f := range v.out {
			k := codeSev{f.Code, f.Severity}
			if natCodes[f.Code] && len(algFound) > 0 || seen[k] {
				continue
			}
			seen[k] = true
			d.add(f)
		}
	}
}
