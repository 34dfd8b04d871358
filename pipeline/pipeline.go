// Package pipeline runs ftpsniff's one loop, the same for capture files and
// for live capture: it reads each capture point's packets, analyses them,
// diagnoses every session as it finishes and hands it to a sink (or keeps
// it for the report), compares two points across a NAT, and keeps the
// totals of every finding made, whatever the sinks did with them.
//
// The command only parses flags, opens the capture points, picks the
// sinks, and writes the report from the Result.
package pipeline

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// Sink receives what the pipeline decides as it goes. A sink may be called
// from the goroutines of several points at once (live capture): it must
// guard itself if it holds state shared between points.
type Sink interface {
	// Transfer takes one transfer as soon as its final reply is seen, with
	// the findings it alone supports (live capture).
	Transfer(point string, s *analyze.Session, t *analyze.Transfer, findings []*diagnose.Finding)
	// Session takes one finished session, which the analysis lets go, with
	// its findings.
	Session(point string, s *analyze.Session, findings []*diagnose.Finding)
}

// Watcher is told of what a run decides as it decides it, whatever the
// report does with it (the counters of a metrics endpoint). Its methods may
// be called from the goroutines of several points at once.
type Watcher interface {
	// SessionStarted is called as a session begins at a point.
	SessionStarted(point string, s *analyze.Session)
	// Transfer is called with each transfer handed to Options.Transfers,
	// with the same findings (so, only when Transfers is set); Session
	// with each session the analysis lets go, with its findings (one
	// capture point only: several keep theirs to compare them).
	Sink
	// Finished is called once, when every point has been read: held are
	// the points' diagnoses of what was never handed to Session (the
	// sessions still held at the end and their findings, before a bound
	// on a report's sessions leaves any out), path the comparison of two
	// or more points (nil with one; its findings replace the points' own
	// for the sessions it follows, already taken out of held).
	Finished(held []*diagnose.Point, path *diagnose.PathDiagnosis)
}

// Options configure a run.
type Options struct {
	// Analysis is the analyzer's configuration; each point gets a copy
	// with its own name and inputs.
	Analysis analyze.Options
	// Sessions, when set, receives each session of a lone capture point as
	// soon as it is finished (a JSON report written as it goes), and the
	// Result then holds only the sessions still open at the end. With two
	// points the sessions are kept for the comparison, and Sessions is not
	// used.
	Sessions Sink
	// Keep bounds the sessions a lone point keeps for a report for people
	// when Sessions is nil: the worst first (diagnose.Keeper); 0 keeps
	// every one.
	Keep int
	// Transfers, when set, receives each transfer as soon as it is decided
	// (live capture's verdict lines).
	Transfers Sink
	// Concurrent reads the points at once, each on its own goroutine (live
	// capture); otherwise one after the other (files).
	Concurrent bool
	// Reading, when set, is called as a point starts to be read, and the
	// function it returns when the point is done (a progress line).
	Reading func(pt *capture.Point) (done func())
	// Path, when set, names every point in path order, the clients' side
	// first (--path); otherwise the order is inferred from hop limits.
	Path []string
	// Stop, when set, is asked after each session handed to Sessions
	// whether to stop reading (the report's reader went away: a closed
	// pipe); what was read is still diagnosed.
	Stop func() bool
	// Watch, when set, is told of every session, transfer and finding as
	// the run decides them (metrics).
	Watch Watcher
}

// Result is what a run found.
type Result struct {
	// Points are the capture points' diagnoses, in the order given.
	Points []*diagnose.Point
	// Path is the story of the sessions seen at two or more points (nil
	// with one point): the points in path order, what each box between
	// them did, where each connection died, and the findings that replace
	// the points' own for those sessions.
	Path *diagnose.PathDiagnosis
	// Totals counts every finding made, by severity, including those of
	// sessions handed to a sink: what --fail-on reads.
	Totals [3]int
	// Errors are the input errors of the points (each point's reader stops
	// at its damage; what came before is analysed).
	Errors []error
}

// Worst is the most severe finding's severity, and whether there was any.
func (r *Result) Worst() (diagnose.Severity, bool) {
	for sev := diagnose.Error; sev >= diagnose.Info; sev-- {
		if r.Totals[sev] > 0 {
			return sev, true
		}
	}
	return 0, false
}

// Run reads every point to its end and returns what was found. The points
// are closed when read.
//
// Points given with the same name are the workers of one capture point (a
// live interface spread over several sockets by host pair): each is read
// on its own goroutine with its own analysis, one diagnoser serves them
// all (what spans sessions, such as the login audit, sees every worker's),
// and their results merge into that point's one diagnosis. They should
// number their frames as one capture (capture.Frames).
func Run(points []*capture.Point, opts Options) *Result {
	var groups []*group
	byName := map[string]*group{}
	for _, pt := range points {
		g := byName[pt.Name]
		if g == nil {
			g = &group{dg: diagnose.New(pt.Name)}
			byName[pt.Name] = g
			groups = append(groups, g)
		}
		g.points = append(g.points, pt)
	}
	var runs []*pointRun
	for _, g := range groups {
		if len(g.points) > 1 {
			var n atomic.Int64
			g.next = func() int { return int(n.Add(1)) }
		}
		for _, pt := range g.points {
			r := newPointRun(pt, g, opts, len(groups) == 1)
			r.workers = len(g.points) > 1
			g.runs = append(g.runs, r)
			runs = append(runs, r)
		}
	}
	if opts.Concurrent || len(runs) > len(groups) {
		var wg sync.WaitGroup
		for _, r := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.read(opts)
			}()
		}
		wg.Wait()
	} else {
		for _, r := range runs {
			r.read(opts)
		}
	}
	res := &Result{Points: make([]*diagnose.Point, len(groups))}
	held := make([]*diagnose.Point, len(groups))
	for i, g := range groups {
		res.Points[i], held[i] = g.finish()
		for _, r := range g.runs {
			res.Errors = append(res.Errors, r.pt.Errors...)
		}
		for sev, n := range g.dg.Totals() {
			res.Totals[sev] += n
		}
	}
	if opts.Watch != nil {
		defer func() { opts.Watch.Finished(held, res.Path) }()
	}
	if len(groups) >= 2 {
		results := make([]*analyze.Result, len(res.Points))
		for i, p := range res.Points {
			results[i] = p.Result
		}
		path, err := analyze.FollowPath(results, analyze.PathOptions{Order: opts.Path})
		if err != nil {
			res.Errors = append(res.Errors, err)
			return res
		}
		// Several points keep every session (nothing went to a sink), so
		// the totals are the path's findings and the points' remaining own.
		res.Path = diagnose.DiagnosePath(path, res.Points)
		res.Totals = res.Path.Totals()
	}
	return res
}

// group is one capture point: one Point, or the workers of a live one.
type group struct {
	points []*capture.Point
	runs   []*pointRun
	mu     sync.Mutex // the workers share dg and keep
	dg     *diagnose.Diagnoser
	keep   *diagnose.Keeper
	next   func() int // session numbers shared by the workers, or nil
}

// finish merges what the workers found and diagnoses what is left; held
// is that diagnosis before the keeper put its sessions in
// (Watcher.Finished).
func (g *group) finish() (p, held *diagnose.Point) {
	res := g.runs[0].res
	if len(g.runs) > 1 {
		all := make([]*analyze.Result, len(g.runs))
		for i, r := range g.runs {
			all[i] = r.res
		}
		res = mergeResults(all)
	}
	p = g.dg.Finish(res)
	held = p
	if g.keep != nil {
		h := *p // Apply replaces its sessions and findings
		held = &h
		g.keep.Apply(p)
	}
	return p, held
}

// mergeResults merges the results of the workers of one point: their
// sessions in the order they began (their numbers), and the sums of their
// counts.
func mergeResults(all []*analyze.Result) *analyze.Result {
	m := &analyze.Result{Point: all[0].Point, Inputs: all[0].Inputs}
	for _, r := range all {
		m.Sessions = append(m.Sessions, r.Sessions...)
		d := &m.Dropped
		d.Flows += r.Dropped.Flows
		d.Expectations += r.Dropped.Expectations
		d.Transfers += r.Dropped.Transfers
		d.LongLines += r.Dropped.LongLines
		d.ReassemblyForced += r.Dropped.ReassemblyForced
		m.Released.Sessions += r.Released.Sessions
		m.Released.Transfers += r.Released.Transfers
		c := &m.Capture
		c.Packets += r.Capture.Packets
		c.Bytes += r.Capture.Bytes
		c.Truncated += r.Capture.Truncated
		c.Unsupported += r.Capture.Unsupported
		c.Fragments += r.Capture.Fragments
		c.Duplicates += r.Capture.Duplicates
		if c.FirstDuplicate == (capture.DuplicateEvidence{}) {
			c.FirstDuplicate = r.Capture.FirstDuplicate
		}
		if !r.Start.IsZero() && (m.Start.IsZero() || r.Start.Before(m.Start)) {
			m.Start = r.Start
		}
		if r.End.After(m.End) {
			m.End = r.End
		}
	}
	slices.SortStableFunc(m.Sessions, func(a, b *analyze.Session) int { return sessionNumber(a) - sessionNumber(b) })
	return m
}

// sessionNumber is n of the session ID "Sn".
func sessionNumber(s *analyze.Session) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(s.ID, "S"))
	return n
}

// pointRun is one capture point being read (or one worker of one).
type pointRun struct {
	pt      *capture.Point
	an      *analyze.Analyzer
	res     *analyze.Result
	stopped bool // Options.Stop said so
	// diagnosis, when set, diagnoses the finished sessions behind the
	// analysis (files).
	diagnosis *diagnosisQueue
	workers   bool // one of several workers of a live point
}

func newPointRun(pt *capture.Point, g *group, opts Options, alone bool) *pointRun {
	r := &pointRun{pt: pt}
	ao := opts.Analysis
	ao.Point, ao.Inputs = pt.Name, pt.Inputs
	ao.NextSession = g.next
	ao.OnNegotiation = func(s *analyze.Session, n *analyze.Negotiation) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.dg.Negotiated(s, n)
	}
	w := opts.Watch
	if w != nil {
		ao.OnSessionStart = func(s *analyze.Session) { w.SessionStarted(pt.Name, s) }
	}
	if t := opts.Transfers; t != nil {
		ao.OnTransfer = func(s *analyze.Session, tr *analyze.Transfer) {
			g.mu.Lock()
			fs := g.dg.Transfer(s, tr)
			g.mu.Unlock()
			t.Transfer(pt.Name, s, tr, fs)
			if w != nil {
				w.Transfer(pt.Name, s, tr, fs)
			}
		}
	}
	// A lone point lets its finished sessions go, so memory follows the
	// sessions open at once: to the sink, or to the keeper of the report's
	// worst sessions. Two points keep theirs, to compare them.
	var session func(s *analyze.Session) (stop bool)
	switch {
	case alone && opts.Sessions != nil:
		session = func(s *analyze.Session) bool {
			g.mu.Lock()
			fs := g.dg.Session(s)
			g.mu.Unlock()
			opts.Sessions.Session(pt.Name, s, fs)
			if w != nil {
				w.Session(pt.Name, s, fs)
			}
			return opts.Stop != nil && opts.Stop()
		}
	case alone && opts.Keep > 0:
		if g.keep == nil {
			g.keep = &diagnose.Keeper{Max: opts.Keep}
		}
		session = func(s *analyze.Session) bool {
			g.mu.Lock()
			fs := g.dg.Session(s)
			g.keep.Session(s, fs)
			g.mu.Unlock()
			if opts.Transfers != nil {
				opts.Transfers.Session(pt.Name, s, fs) // it may forget the session's transfers
			}
			if w != nil {
				w.Session(pt.Name, s, fs)
			}
			return false
		}
	}
	switch {
	case session == nil:
	case !opts.Concurrent && len(g.points) == 1 && opts.Transfers == nil:
		// Files: diagnosed behind the analysis (diagnosisqueue.go).
		q := newDiagnosisQueue(func(x diagnose.Noted) {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.dg.Remember(x)
		}, session)
		r.diagnosis = q
		ao.OnNegotiation = q.negotiated
		ao.OnSessionDone = q.sessionDone
	default:
		ao.OnSessionDone = func(s *analyze.Session) {
			if session(s) {
				r.stopped = true
			}
		}
	}
	r.an = analyze.New(ao)
	return r
}

// read runs the point's packets through the analysis; what is left is
// diagnosed by the group.
func (r *pointRun) read(opts Options) {
	var done func()
	if opts.Reading != nil {
		done = opts.Reading(r.pt)
	}
	stop := func() bool { return r.stopped }
	if q := r.diagnosis; q != nil {
		stop = q.stopped.Load
	}
	if opts.Concurrent || r.workers {
		readOneByOne(r.pt, r.an.Packet, stop) // live: a batch would wait for a quiet link
	} else {
		readAhead(r.pt, r.an.Packet, stop)
	}
	if done != nil {
		done()
	}
	r.res = r.an.Finish()
	if r.diagnosis != nil {
		r.diagnosis.finish()
	}
	r.res.Capture = r.pt.Stats
	r.pt.Close()
}

// Serialize makes a sink safe for the goroutines of several points, and
// for sinks sharing one writer: one call at a time, under mu.
func Serialize(mu *sync.Mutex, s Sink) Sink { return &serialized{mu: mu, s: s} }

type serialized struct {
	mu *sync.Mutex
	s  Sink
}

func (x *serialized) Transfer(point string, s *analyze.Session, t *analyze.Transfer, fs []*diagnose.Finding) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.s.Transfer(point, s, t, fs)
}

func (x *serialized) Session(point string, s *analyze.Session, fs []*diagnose.Finding) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.s.Session(point, s, fs)
}

// Queue hands sessions to s on a goroutine of their own, at most n waiting
// (then the analysis waits), so that a live capture's analysis, which must
// keep up with the interface, does not wait for a writer. Transfers are
// passed on at once. The returned function waits until every queued
// session was handed on; the sink must not be used after it.
func Queue(s Sink, n int) (Sink, func()) {
	q := &queue{s: s, c: make(chan queued, n), done: make(chan struct{})}
	go func() {
		defer close(q.done)
		for x := range q.c {
			s.Session(x.point, x.s, x.fs)
		}
	}()
	return q, func() {
		close(q.c)
		<-q.done
	}
}

type queued struct {
	point string
	s     *analyze.Session
	fs    []*diagnose.Finding
}

type queue struct {
	s    Sink
	c    chan queued
	done chan struct{}
}

func (q *queue) Transfer(point string, s *analyze.Session, t *analyze.Transfer, fs []*diagnose.Finding) {
	q.s.Transfer(point, s, t, fs)
}

func (q *queue) Session(point string, s *analyze.Session, fs []*diagnose.Finding) {
	q.c <- queued{point, s, fs}
}
