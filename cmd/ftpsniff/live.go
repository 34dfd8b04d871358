package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report"
)

// livePoint is one live capture point: its interfaces, reader, analyzer.
type livePoint struct {
	name   string
	ifs    []string
	fan    *capture.FanIn
	pt     *capture.Point
	an     *analyze.Analyzer
	dg     *diagnose.Diagnoser
	stream *report.Stream
	res    *diagnose.Point
	keep   *diagnose.Keeper // one point, not JSON: the sessions the report shows
	flush  func()           // one point, JSON: waits for the released sessions to be written
}

// maxQueuedSessions bounds the finished sessions of a live capture waiting
// to be written: past it, the analysis waits for the writer.
const maxQueuedSessions = 1024

// liveCapture captures on the configured interfaces until SIGINT or
// SIGTERM, writing each transfer's verdict as soon as it is decided, then
// the final report. Several points (both sides of a NAT) are captured at
// once and compared at the end.
func liveCapture(cfg config, stdout, stderr io.Writer) int {
	signal.Ignore(syscall.SIGPIPE)
	setGCPercent(liveGCPercent)
	out, done, err := openOutput(cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitRuntime
	}
	defer done()
	cfg.output = "" // the final report goes to the same, open file
	if cfg.write != "" && (len(cfg.live) > 1) {
		fmt.Fprintf(stderr, "ftpsniff: -w takes one capture point\n")
		return exitUsage
	}
	var mu sync.Mutex // the points' streams share the output
	var points []*livePoint
	closeAll := func() {
		for _, lp := range points {
			lp.fan.Close()
		}
	}
	for _, spec := range cfg.live {
		var ifs []capture.Interface
		for _, name := range spec.sources {
			in, err := capture.OpenInterface(name, capture.LiveOptions{Snaplen: cfg.snaplen, Promiscuous: cfg.promisc})
			if err != nil {
				for _, o := range ifs {
					o.Close()
				}
				closeAll()
				fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
				return exitRuntime
			}
			ifs = append(ifs, in)
		}
		lp := &livePoint{name: spec.name, ifs: spec.sources, fan: capture.NewFanIn(ifs), dg: diagnose.New(spec.name)}
		lp.pt = capture.NewPoint(spec.name, spec.sources, []capture.Input{lp.fan})
		lp.pt.Filter = cfg.filter
		streamTo := out
		if cfg.format == "html" {
			streamTo = stderr // the verdict lines as they come; the page is written at the end
		}
		lp.stream = report.NewStream(streamTo, cfg.format, spec.name, spec.sources)
		opts := analyze.Options{Point: spec.name, Inputs: spec.sources, Ports: cfg.ports, ShowPasswords: cfg.showPasswords, Limits: cfg.limits,
			OnTransfer: func(s *analyze.Session, t *analyze.Transfer) {
				mu.Lock()
				defer mu.Unlock()
				lp.stream.Transfer(s, t, lp.dg.Transfer(s, t))
			}}
		// A capture may run for days: with one point, finished sessions
		// are let go. JSON writes each (what the stream has not written
		// yet); the other reports keep at most --max-sessions, the worst
		// first. Two points keep theirs, to compare them at the end.
		if len(cfg.live) == 1 {
			if cfg.format == "json" {
				// Encoding and writing happen on their own goroutine, so
				// that the analysis, which must keep up with the
				// interface, only hands the session over.
				sw := report.NewSessionWriter(out, spec.name, spec.sources)
				sw.Streamed = lp.stream
				type released struct {
					s  *analyze.Session
					fs []*diagnose.Finding
				}
				queue, written := make(chan released, maxQueuedSessions), make(chan struct{})
				go func() {
					defer close(written)
					for r := range queue {
						mu.Lock()
						sw.Session(r.s, r.fs)
						mu.Unlock()
					}
				}()
				opts.OnSessionDone = func(s *analyze.Session) { queue <- released{s, lp.dg.Session(s)} }
				lp.flush = func() {
					close(queue)
					<-written
				}
			} else {
				lp.keep = &diagnose.Keeper{Max: cfg.maxSessions}
				opts.OnSessionDone = func(s *analyze.Session) {
					fs := lp.dg.Session(s)
					mu.Lock()
					defer mu.Unlock()
					lp.keep.Session(s, fs)
					lp.stream.Forget(s)
				}
			}
		}
		lp.an = analyze.New(opts)
		points = append(points, lp)
	}
	defer closeAll()
	var pw *capture.PcapWriter
	if cfg.write != "" {
		f, err := os.Create(cfg.write)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer f.Close()
		if pw, err = capture.NewPcapWriter(f, capture.LinkType(1), cfg.snaplen); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %s: %v\n", cfg.write, err)
			return exitRuntime
		}
		points[0].pt.OnRecord = func(_ int, rec *capture.Record) { pw.WriteRecord(rec) }
	}

	if cfg.dropUser != "" {
		// The sockets are open: root is no longer needed (tcpdump -Z).
		if err := capture.DropPrivileges(cfg.dropUser); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: -Z %s: %v\n", cfg.dropUser, err)
			return exitRuntime
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		for _, lp := range points {
			lp.fan.Stop() // reads end; what was captured is still analysed
		}
	}()
	for _, lp := range points {
		fmt.Fprintf(stderr, "ftpsniff: capturing on %v as %q; Ctrl-C ends with the report\n", lp.ifs, lp.name)
	}
	var wg sync.WaitGroup
	for _, lp := range points {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p capture.Packet
			for lp.pt.Next(&p) == nil {
				lp.an.Packet(&p)
			}
			// Not under mu: Finish hands the sessions still open to
			// OnSessionDone, which takes it.
			res := lp.an.Finish()
			if lp.flush != nil {
				lp.flush()
			}
			res.Capture = lp.pt.Stats
			dp := lp.dg.Finish(res)
			mu.Lock()
			if lp.keep != nil {
				lp.keep.Apply(dp)
			}
			lp.res = dp
			mu.Unlock()
		}()
	}
	wg.Wait()
	signal.Stop(sig)

	status := exitOK
	if pw != nil {
		if err := pw.Flush(); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %s: %v\n", cfg.write, err)
			status = exitRuntime
		}
	}
	in := &report.Input{Streamed: map[*analyze.Transfer]bool{}, StreamedFindings: map[string]bool{}, Live: true}
	if len(points) == 1 && points[0].keep != nil {
		in.MaxSessions = cfg.maxSessions
	}
	var totals [3]int
	for _, lp := range points {
		in.Results = append(in.Results, lp.res)
		for sev, n := range lp.dg.Totals() {
			totals[sev] += n
		}
		for t := range lp.stream.Written {
			in.Streamed[t] = true
		}
		for k := range lp.stream.Found {
			in.StreamedFindings[lp.name+" "+k] = true
		}
		for _, err := range lp.fan.Errors() {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			in.Errors = append(in.Errors, err.Error())
			status = exitRuntime
		}
		rcv, drop := lp.fan.Drops()
		in.KernelReceived += rcv
		in.KernelDrops += drop
	}
	if in.KernelDrops > 0 {
		fmt.Fprintf(stderr, "ftpsniff: warning: the kernel dropped %d of %d packets (ftpsniff could not keep up): conclusions may miss them\n",
			in.KernelDrops, in.KernelReceived)
	}
	return writeReport(cfg, in, totals, status, out, stderr)
}
