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
	"sync"

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
func Run(points []*capture.Point, opts Options) *Result {
	res := &Result{Points: make([]*diagnose.Point, len(points))}
	runs := make([]*pointRun, len(points))
	for i, pt := range points {
		runs[i] = newPointRun(pt, opts, len(points) == 1)
	}
	if opts.Concurrent {
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
	held := make([]*diagnose.Point, len(runs))
	for i, r := range runs {
		res.Points[i] = r.point
		held[i] = r.held
		res.Errors = append(res.Errors, r.pt.Errors...)
		for sev, n := range r.dg.Totals() {
			res.Totals[sev] += n
		}
	}
	if opts.Watch != nil {
		defer func() { opts.Watch.Finished(held, res.Path) }()
	}
	if len(runs) >= 2 {
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

// pointRun is one capture point being read.
type pointRun struct {
	pt      *capture.Point
	an      *analyze.Analyzer
	dg      *diagnose.Diagnoser
	keep    *diagnose.Keeper
	point   *diagnose.Point
	held    *diagnose.Point // point before the keeper put its sessions in (Watcher.Finished)
	stopped bool            // Options.Stop said so
}

func newPointRun(pt *capture.Point, opts Options, alone bool) *pointRun {
	r := &pointRun{pt: pt, dg: diagnose.New(pt.Name)}
	ao := opts.Analysis
	ao.Point, ao.Inputs = pt.Name, pt.Inputs
	ao.OnNegotiation = r.dg.Negotiated
	w := opts.Watch
	if w != nil {
		ao.OnSessionStart = func(s *analyze.Session) { w.SessionStarted(pt.Name, s) }
	}
	if t := opts.Transfers; t != nil {
		ao.OnTransfer = func(s *analyze.Session, tr *analyze.Transfer) {
			fs := r.dg.Transfer(s, tr)
			t.Transfer(pt.Name, s, tr, fs)
			if w != nil {
				w.Transfer(pt.Name, s, tr, fs)
			}
		}
	}
	// A lone point lets its finished sessions go, so memory follows the
	// sessions open at once: to the sink, or to the keeper of the report's
	// worst sessions. Two points keep theirs, to compare them.
	switch {
	case alone && opts.Sessions != nil:
		ao.OnSessionDone = func(s *analyze.Session) {
			fs := r.dg.Session(s)
			opts.Sessions.Session(pt.Name, s, fs)
			if w != nil {
				w.Session(pt.Name, s, fs)
			}
			r.stopped = r.stopped || opts.Stop != nil && opts.Stop()
		}
	case alone && opts.Keep > 0:
		r.keep = &diagnose.Keeper{Max: opts.Keep}
		ao.OnSessionDone = func(s *analyze.Session) {
			fs := r.dg.Session(s)
			r.keep.Session(s, fs)
			if opts.Transfers != nil {
				opts.Transfers.Session(pt.Name, s, fs) // it may forget the session's transfers
			}
			if w != nil {
				w.Session(pt.Name, s, fs)
			}
		}
	}
	r.an = analyze.New(ao)
	return r
}

// read runs the point's packets through the analysis, then diagnoses what
// is left.
func (r *pointRun) read(opts Options) {
	var done func()
	if opts.Reading != nil {
		done = opts.Reading(r.pt)
	}
	var p capture.Packet
	for !r.stopped && r.pt.Next(&p) == nil {
		r.an.Packet(&p)
	}
	if done != nil {
		done()
	}
	res := r.an.Finish()
	res.Capture = r.pt.Stats
	r.pt.Close()
	r.point = r.dg.Finish(res)
	r.held = r.point
	if r.keep != nil {
		held := *r.point // Apply replaces its sessions and findings
		r.held = &held
		r.keep.Apply(r.point)
	}
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
