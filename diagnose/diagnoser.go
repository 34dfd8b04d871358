package diagnose

import (
	"net/netip"

	"github.com/ftpsniff/ftpsniff/analyze"
)

// Diagnoser diagnoses the sessions of one capture point. Sessions can be
// handed to it one by one as they finish (Session), so that memory does
// not grow with the capture, and the rest at the end (Finish). It keeps
// what spans sessions (the passive addresses servers advertised, for
// telling FXP from a bounce) within a bound, and the totals of every
// finding it made, whatever happened to the sessions since.
type Diagnoser struct {
	point string
	// recent holds the latest negotiated addresses seen at this point
	// (passive replies and PORT/EPRT), at most maxRecentPassive of each.
	recent   negotiated
	released LeftOut
	totals   [3]int
	// logins tallies the login attempts per server (the login audit).
	logins map[netip.AddrPort]*loginTally
	// once holds the keys of findings said once per point (clear-text
	// credentials of a user at a server), at most maxOnce.
	once map[string]bool
	// waiting holds sessions handed over before their Twin, diagnosed with
	// it when it comes (at most maxWaitingTwins).
	waiting map[*analyze.Session]bool
	// run is diagnose's, reused from one call to the next (one call per
	// session handed over): nothing keeps a run past its diagnosis.
	run run
	// facts is the room diagnose computes a session's facts in, reused
	// from one session to the next as run is.
	facts factsRoom
}

// maxOnce bounds the keys of findings said once per point.
const maxOnce = 4096

// LeftOut counts sessions, transfers and findings (by severity) that a
// Point does not hold: written as they finished, or left out of a report.
type LeftOut struct {
	Sessions, Transfers int
	Findings            [3]int
}

// Point is one capture point's analysis with its diagnosis.
type Point struct {
	*analyze.Result
	// Findings are the diagnosed causes of the sessions in Result, most
	// severe first.
	Findings []*Finding
	// LeftOut counts what Result and Findings do not hold.
	LeftOut LeftOut
}

// maxRecentPassive bounds the passive addresses remembered for FXP.
const maxRecentPassive = 4096

// New returns a Diagnoser for the capture point named point.
func New(point string) *Diagnoser {
	return &Diagnoser{point: point, logins: map[netip.AddrPort]*loginTally{}, once: map[string]bool{}, waiting: map[*analyze.Session]bool{}}
}

// Totals counts every finding made so far, by severity: what --fail-on
// reads, whether the findings were written as they came or kept.
func (d *Diagnoser) Totals() [3]int { return d.totals }

// Session diagnoses a finished session that leaves the analysis now (its
// findings are written or kept by the caller); it counts as left out of
// the Point that Finish returns.
func (d *Diagnoser) Session(s *analyze.Session) []*Finding {
	d.remember(s)
	d.released.Sessions++
	d.released.Transfers += len(s.Transfers)
	batch := []*analyze.Session{s}
	if tw := s.Twin; tw != nil {
		switch {
		case d.waiting[tw]:
			delete(d.waiting, tw)
			batch = append(batch, tw)
		case len(d.waiting) < maxWaitingTwins:
			d.waiting[s] = true // diagnosed with its twin
			return nil
		}
	}
	fs := d.diagnose(batch)
	for _, f := range fs {
		d.released.Findings[f.Severity]++
	}
	return fs
}

// Transfer diagnoses one transfer as soon as its final reply is seen
// (live capture): the findings its transfer alone supports. Session-wide
// findings come when the session is diagnosed; these are not counted in
// the totals, since the session's diagnosis makes them again.
func (d *Diagnoser) Transfer(s *analyze.Session, t *analyze.Transfer) []*Finding {
	sf := newSessionFacts(d.point, s)
	r := d.newRun()
	for _, tf := range sf.Transfers {
		if tf.T == t {
			r.transfer(sf, tf)
		}
	}
	return r.out
}

// Finish diagnoses the sessions still in r (those not handed to Session)
// and returns the point's diagnosis.
func (d *Diagnoser) Finish(r *analyze.Result) *Point {
	for _, s := range r.Sessions {
		d.remember(s)
	}
	p := &Point{Result: r, LeftOut: d.released}
	sessions := r.Sessions
	for s := range d.waiting {
		sessions = append(sessions, s) // their twin never came: alone
	}
	clear(d.waiting)
	p.Findings = d.diagnose(sessions)
	extra := d.loginFailureFindings()
	if f := captureDuplicates(d.point, r); f != nil {
		extra = append(extra, f)
	}
	for _, f := range extra {
		d.totals[f.Severity]++
	}
	p.Findings = append(p.Findings, extra...)
	SortFindings(p.Findings)
	return p
}

func (d *Diagnoser) newRun() *run {
	return &run{findings: findings{point: d.point}, recent: &d.recent, once: d.once}
}

// diagnose runs the rules over sessions and counts the findings.
func (d *Diagnoser) diagnose(sessions []*analyze.Session) []*Finding {
	r := &d.run
	*r = run{findings: findings{point: d.point}, recent: &d.recent, once: d.once, said: r.said[:0]}
	in := make(map[*analyze.Session]bool, len(sessions))
	for _, s := range sessions {
		in[s] = true
	}
	done := map[*analyze.Session]bool{}
	for _, s := range sessions {
		switch {
		case done[s]:
		case s.Twin != nil && in[s.Twin]:
			done[s], done[s.Twin] = true, true
			d.tallyLogins(s) // one connection: its logins count once
			r.twin(d.point, s, s.Twin)
		default:
			d.tallyLogins(s)
			r.session(d.facts.facts(d.point, s))
		}
	}
	for _, k := range r.said {
		if len(d.once) < maxOnce {
			d.once[k] = true
		}
	}
	SortFindings(r.out)
	for _, f := range r.out {
		d.totals[f.Severity]++
	}
	return r.out
}

// Negotiated remembers the address a negotiation named as soon as its
// reply is seen (analyze.Options.OnNegotiation): the other session of an
// FXP may be diagnosed before this one ends.
func (d *Diagnoser) Negotiated(s *analyze.Session, n *analyze.Negotiation) {
	d.recent.add(s, n)
}

// Remember is Negotiated for a negotiation noted earlier (Note), by a
// diagnoser that runs behind the analysis: told in the order the analysis
// saw them, it decides as Negotiated would have.
func (d *Diagnoser) Remember(x Noted) { d.recent.remember(x) }

// remember keeps the addresses s's negotiations named.
func (d *Diagnoser) remember(s *analyze.Session) {
	for _, n := range s.Negotiations {
		d.recent.add(s, n)
	}
}
