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
	"github.com/ftpsniff/ftpsniff/pipeline"
	"github.com/ftpsniff/ftpsniff/report"
)

// livePoint is one live capture point: its interfaces, and the stream of
// its verdicts.
type livePoint struct {
	name   string
	ifs    []string
	fan    *capture.FanIn
	pt     *capture.Point
	stream *report.Stream
}

// maxQueuedSessions bounds the finished sessions of a live capture waiting
// to be written: past it, the analysis waits for the writer.
const maxQueuedSessions = 1024

// streams sends each point's transfers to that point's stream.
type streams map[string]*report.Stream

func (s streams) Transfer(point string, ss *analyze.Session, t *analyze.Transfer, fs []*diagnose.Finding) {
	s[point].Transfer(point, ss, t, fs)
}

func (s streams) Session(point string, ss *analyze.Session, fs []*diagnose.Finding) {
	s[point].Session(point, ss, fs)
}

// liveCapture captures on the configured interfaces until SIGINT or
// SIGTERM (or SIGHUP without -o: with it, SIGHUP reopens FILE), writing
// each transfer's verdict as soon as it is decided, then the final report.
// Several points (both sides of a NAT) are captured at once and compared
// at the end. The loop is the pipeline's, as for files.
func liveCapture(cfg config, stdout, stderr io.Writer) int {
	signal.Ignore(syscall.SIGPIPE)
	setGCPercent(liveGCPercent)
	// -o FILE is reopened on SIGHUP (logrotate); without it, SIGHUP (the
	// terminal hung up) ends the capture as SIGINT does.
	var out io.Writer = stdout
	var file *outputFile
	if cfg.output != "" {
		var err error
		file, err = openOutputFile(cfg.output, cfg.appendOutput, func(err error) { fmt.Fprintf(stderr, "ftpsniff: %v\n", err) })
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer file.Close()
		out = file
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		defer signal.Stop(hup)
		go func() {
			for range hup {
				file.Reopen()
			}
		}()
	}
	cfg.output = "" // the final report goes to the same, open file
	if cfg.write != "" && (len(cfg.live) > 1) {
		fmt.Fprintf(stderr, "ftpsniff: -w takes one capture point\n")
		return exitUsage
	}
	var mu sync.Mutex // the points' streams and the session writer share the output
	var points []*livePoint
	closeAll := func() {
		for _, lp := range points {
			lp.fan.Close()
		}
	}
	byName := streams{}
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
		lp := &livePoint{name: spec.name, ifs: spec.sources, fan: capture.NewFanIn(ifs)}
		lp.pt = capture.NewPoint(spec.name, spec.sources, []capture.Input{lp.fan})
		lp.pt.Filter = cfg.filter
		streamTo := out
		if cfg.format == "html" {
			streamTo = stderr // the verdict lines as they come; the page is written at the end
		}
		lp.stream = report.NewStream(streamTo, cfg.format, spec.name, spec.sources)
		byName[spec.name] = lp.stream
		points = append(points, lp)
	}
	defer closeAll()
	opts := pipeline.Options{Analysis: analyze.Options{Ports: cfg.ports, ShowPasswords: cfg.showPasswords, Limits: cfg.limits},
		Transfers: pipeline.Serialize(&mu, byName), Concurrent: true, Path: cfg.path}
	in := &report.Run{Streamed: map[*analyze.Transfer]bool{}, StreamedFindings: map[string]bool{}, Live: true}
	// A capture may run for days: with one point, finished sessions are let
	// go. JSON writes each (what the stream has not written yet) on a
	// goroutine of its own, so that the analysis, which must keep up with
	// the interface, only hands the session over; the other reports keep
	// at most --max-sessions, the worst first. Two points keep theirs, to
	// compare them at the end.
	flush := func() {}
	if len(cfg.live) == 1 {
		if cfg.format == "json" {
			sw := report.NewSessionWriter(out, points[0].name, points[0].ifs)
			sw.Streamed = points[0].stream
			opts.Sessions, flush = pipeline.Queue(pipeline.Serialize(&mu, sw), maxQueuedSessions)
		} else {
			opts.Keep = cfg.maxSessions
			in.MaxSessions = cfg.maxSessions
		}
	}
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
	if file == nil {
		signal.Notify(sig, syscall.SIGHUP)
	}
	go func() {
		<-sig
		for _, lp := range points {
			lp.fan.Stop() // reads end; what was captured is still analysed
		}
	}()
	pts := make([]*capture.Point, len(points))
	for i, lp := range points {
		fmt.Fprintf(stderr, "ftpsniff: capturing on %v as %q; Ctrl-C ends with the report\n", lp.ifs, lp.name)
		pts[i] = lp.pt
	}
	res := pipeline.Run(pts, opts)
	flush()
	signal.Stop(sig)

	status := exitOK
	if pw != nil {
		if err := pw.Flush(); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %s: %v\n", cfg.write, err)
			status = exitRuntime
		}
	}
	for _, lp := range points {
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
	if file != nil {
		// The final report goes whole to one file: a SIGHUP meanwhile
		// reopens after it.
		file.Hold()
		defer file.Release()
	}
	return writeReport(cfg, in, res, status, out, stderr)
}
