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
	"github.com/ftpsniff/ftpsniff/metrics"
	"github.com/ftpsniff/ftpsniff/pipeline"
	"github.com/ftpsniff/ftpsniff/report"
)

// livePoint is one live capture point: its interfaces, the sockets that
// read them, its workers (one capture.Point each, all of the point's name),
// and the stream of its verdicts.
type livePoint struct {
	name    string
	ifs     []string
	sockets []capture.Interface // every socket of every worker
	fans    []*capture.FanIn    // each worker's, with several interfaces
	pts     []*capture.Point
	stream  *report.Stream
}

// stop ends the reads; what was captured is still analysed.
func (lp *livePoint) stop() {
	for _, s := range lp.sockets {
		s.Close()
	}
}

func (lp *livePoint) close() {
	lp.stop()
	for _, f := range lp.fans {
		f.Close()
	}
}

// openLive opens the point's sockets: on each interface, workers sockets
// in one fanout group; worker k reads the k-th of each interface (through
// a FanIn when there are several).
func openLive(spec pointSpec, workers int, o capture.LiveOptions) (*livePoint, error) {
	lp := &livePoint{name: spec.name, ifs: spec.sources}
	perWorker := make([][]capture.Interface, workers)
	for _, name := range spec.sources {
		ins, err := capture.OpenWorkers(name, workers, o)
		if err != nil {
			lp.close()
			return nil, err
		}
		lp.sockets = append(lp.sockets, ins...)
		for k, in := range ins {
			perWorker[k] = append(perWorker[k], in)
		}
	}
	for _, ins := range perWorker {
		var in capture.Input = ins[0]
		if len(ins) > 1 {
			fan := capture.NewFanIn(ins)
			lp.fans = append(lp.fans, fan)
			in = fan
		}
		lp.pts = append(lp.pts, capture.NewPoint(spec.name, spec.sources, []capture.Input{in}))
	}
	return lp, nil
}

// drops sums the kernel's counters over the point's sockets.
func (lp *livePoint) drops() (received, dropped uint64) { return capture.SumDrops(lp.sockets) }

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
			lp.close()
		}
	}
	byName := streams{}
	for _, spec := range cfg.live {
		workers := max(cfg.workers, 1)
		lp, err := openLive(spec, workers, capture.LiveOptions{Snaplen: cfg.snaplen, Promiscuous: cfg.promisc, BufferKiB: cfg.bufferKiB})
		if err != nil {
			closeAll()
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		for _, pt := range lp.pts {
			pt.Filter = cfg.filter
		}
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
		if pts := points[0].pts; len(pts) == 1 {
			pts[0].OnRecord = func(_ int, rec *capture.Record) { pw.WriteRecord(rec) }
		} else {
			// The workers number their records as one capture, and the
			// file gets each as it is numbered: its frame numbers are the
			// report's.
			frames := &capture.Frames{Write: func(rec *capture.Record) { pw.WriteRecord(rec) }}
			for _, pt := range pts {
				pt.Number = frames.Number
			}
		}
	}
	if cfg.metrics != "" {
		m := metrics.New()
		for _, lp := range points {
			for _, pt := range lp.pts { // a counter per point, shared by its workers
				m.CountPackets(pt)
			}
			m.KernelDrops(lp.name, lp.drops)
		}
		stop, err := serveMetrics(cfg.metrics, m, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer stop()
		opts.Watch = m
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
			lp.stop() // reads end; what was captured is still analysed
		}
	}()
	var pts []*capture.Point
	for _, lp := range points {
		if cfg.write == "" && len(lp.pts) > 1 {
			// Without a file, the workers still number frames as one capture.
			frames := &capture.Frames{}
			for _, pt := range lp.pts {
				pt.Number = frames.Number
			}
		}
		workers := ""
		if len(lp.pts) > 1 {
			workers = fmt.Sprintf(" with %d workers", len(lp.pts))
		}
		fmt.Fprintf(stderr, "ftpsniff: capturing on %v as %q%s; Ctrl-C ends with the report\n", lp.ifs, lp.name, workers)
		pts = append(pts, lp.pts...)
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
		for _, f := range lp.fans {
			for _, err := range f.Errors() {
				fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
				in.Errors = append(in.Errors, err.Error())
				status = exitRuntime
			}
		}
		rcv, drop := lp.drops()
		in.KernelReceived += rcv
		in.KernelDrops += drop
	}
	for _, err := range res.Errors { // a socket read directly
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		in.Errors = append(in.Errors, err.Error())
		status = exitRuntime
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
