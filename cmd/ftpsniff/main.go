// Command ftpsniff reads FTP traffic from capture files, rebuilds every
// control session, ties each PORT/EPRT/PASV/EPSV negotiation to the data
// connection seen on the wire, and reports what happened to each transfer.
//
// This file only parses flags and wires the packages together: capture
// (reading), analyze (FTP), report (output). See README.md for the flags.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/metrics"
	"github.com/ftpsniff/ftpsniff/pipeline"
	"github.com/ftpsniff/ftpsniff/report"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// Exit statuses, as the contract defines them.
const (
	exitOK       = 0
	exitRuntime  = 1
	exitUsage    = 2
	exitFindings = 3
)

// defaultMaxSessions is how many sessions a table, Markdown or HTML report
// keeps: more than anyone reads in a table, and at some 10 KB each, a
// bounded few MB.
const defaultMaxSessions = 1000

type config struct {
	points        []pointSpec
	path          []string    // --path: the points' names in path order
	live          []pointSpec // live capture points: sources are interfaces
	filter        *capture.Filter
	write         string
	snaplen       int
	promisc       bool
	bufferKiB     int // -B: each socket's ring
	workers       int // --workers
	format        string
	output        string
	appendOutput  bool // --append: -o FILE is appended to, not emptied
	ports         []uint16
	showPasswords bool
	failOn        string
	limits        analyze.Limits
	dropUser      string
	quiet         bool   // no progress line on stderr
	metrics       string // --metrics: the address serving /metrics

	ladder string // --ladder: the session to draw ("all": every one); see ladder.go
	// maxSessions bounds the sessions kept for a report for people.
	maxSessions int
	noColor     bool // --no-color
}

type pointSpec struct {
	name    string
	sources []string
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "ftpsniff: "+format+"\n", args...)
	fmt.Fprintln(stderr, "Run 'ftpsniff --help' for usage.")
	return exitUsage
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("ftpsniff", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	var (
		files     = fs.StringArrayP("read", "r", nil, "read packets from `FILE` (pcap or pcapng, optionally gzip; - for standard input); repeatable")
		ifaces    = fs.StringArrayP("interface", "i", nil, "live capture on interface `IF`; repeatable")
		points    = fs.StringArray("point", nil, "a named capture point `NAME=SRC[,SRC...]`; SRC is a file or iface:IF")
		pathOrder = fs.String("path", "", "the capture points' order along the path, clients' side first, comma-separated `NAMES` (default: inferred from hop limits, else the order of --point)")
		filter    = fs.StringP("filter", "f", "", "capture filter `EXPR` for live capture")
		writeFile = fs.StringP("write", "w", "", "with live capture, also write packets to `FILE` (pcap)")
		ports     = fs.String("ports", "", "extra control ports, comma-separated `LIST` (21 always is one)")
		format    = fs.StringP("format", "F", "table", "report `FORMAT`: table, json, markdown, html")
		output    = fs.StringP("output", "o", "", "write the report to `FILE` instead of standard output (live capture: SIGHUP reopens FILE, for logrotate)")
		appendOut = fs.Bool("append", false, "with -o, append to FILE instead of emptying it first (a service that restarts keeps what it wrote)")
		failOn    = fs.String("fail-on", "", "exit 3 if any finding is at or above `LEVEL` (info, warning, error)")
		showPass  = fs.Bool("show-passwords", false, "print PASS and ACCT arguments instead of redacting them")
		ladder    = fs.String("ladder", "", "draw the ladder diagram of every session, or with --ladder=`ID` of one (S3, POINT:S3), on standard output instead of the report (-o FILE still gets the report)")
		noColor   = fs.Bool("no-color", false, "no colours in the ladder diagram (also when NO_COLOR is set, or standard output is not a terminal)")
		quiet     = fs.BoolP("quiet", "q", false, "no progress line on standard error while files are read (errors are still written)")
		snaplen   = fs.IntP("snapshot-length", "s", 262144, "with live capture, keep at most `N` bytes of each packet")
		noPromisc = fs.BoolP("no-promiscuous-mode", "p", false, "with live capture, do not put the interface in promiscuous mode")
		dropUser  = fs.StringP("relinquish-privileges", "Z", "", "with live capture, switch to `USER` once the sockets are open")
		metricsAt = fs.String("metrics", "", "serve Prometheus metrics at http://`ADDR`/metrics while running (:9187, 127.0.0.1:9187)")
		bufferKiB = fs.IntP("buffer-size", "B", capture.DefaultBufferKiB, "with live capture, the kernel ring of each socket, in `KiB`")
		workers   = fs.Int("workers", 1, "with live capture, read each interface with `N` sockets and analyses, spread by host pair (this machine has "+strconv.Itoa(runtime.NumCPU())+" cores; see the README for what several workers cannot see)")
		limits    = analyze.DefaultLimits()
	)
	fs.IntVar(&limits.MaxFlows, "max-flows", limits.MaxFlows, "most TCP connections tracked at once")
	fs.IntVar(&limits.MaxBufferedPerStream, "max-stream-buffer", limits.MaxBufferedPerStream, "most out-of-order control bytes held per direction")
	fs.IntVar(&limits.MaxBufferedTotal, "max-buffer", limits.MaxBufferedTotal, "most out-of-order control bytes held in all")
	fs.IntVar(&limits.MaxExpectedPerSession, "max-pending-negotiations", limits.MaxExpectedPerSession, "most negotiations per session waiting for their data connection")
	fs.IntVar(&limits.MaxTransfersPerSession, "max-transfers", limits.MaxTransfersPerSession, "most transfers kept per session")
	maxSessions := fs.Int("max-sessions", defaultMaxSessions, "most sessions a table, Markdown or HTML report of one capture point keeps (the worst first; JSON has every one)")
	fs.Lookup("ladder").NoOptDefVal = "all" // --ladder alone; a session is given as --ladder=S3
	var (
		showVer    = fs.Bool("version", false, "print the version and exit")
		printUsage = func() {
			fmt.Fprintf(stderr, "Usage: ftpsniff [flags] [FILE ...]\n\n"+
				"Reads FTP traffic from capture files and reports every session, every\n"+
				"PORT/EPRT/PASV/EPSV negotiation, the data connection that followed, and the\n"+
				"outcome of each transfer.\n\nFlags:\n")
			fs.PrintDefaults()
			fmt.Fprintf(stderr, "\nExit status: 0 done; 1 unreadable input; 2 usage error; 3 findings at or above --fail-on.\n")
		}
	)
	fs.Usage = printUsage
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		return usageError(stderr, "%v", err)
	}
	if *showVer {
		fmt.Fprintf(stdout, "ftpsniff %s\n", version)
		return exitOK
	}
	cfg := config{format: *format, output: *output, showPasswords: *showPass, failOn: *failOn, limits: limits, dropUser: *dropUser, quiet: *quiet, metrics: *metricsAt}
	cfg.ladder, cfg.noColor = *ladder, *noColor
	if cfg.appendOutput = *appendOut; cfg.appendOutput && cfg.output == "" {
		return usageError(stderr, "--append appends to the -o FILE: it needs -o")
	}
	if msg := ladderUsage(cfg, fs.Args()); msg != "" {
		return usageError(stderr, "%s", msg)
	}
	cfg.maxSessions = *maxSessions
	if cfg.maxSessions < 1 || limits.MaxFlows < 1 || limits.MaxBufferedPerStream < 1 || limits.MaxBufferedTotal < 1 || limits.MaxExpectedPerSession < 1 || limits.MaxTransfersPerSession < 1 {
		return usageError(stderr, "the --max-* limits must be positive")
	}
	switch cfg.format {
	case "table", "json", "markdown", "md", "html":
	default:
		return usageError(stderr, "unknown --format %q (want table, json, markdown or html)", cfg.format)
	}
	switch cfg.failOn {
	case "", "info", "warning", "error":
	default:
		return usageError(stderr, "unknown --fail-on level %q (want info, warning or error)", cfg.failOn)
	}
	if *ports != "" {
		for _, p := range strings.Split(*ports, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(p), 10, 16)
			if err != nil || n == 0 {
				return usageError(stderr, "bad port %q in --ports", p)
			}
			cfg.ports = append(cfg.ports, uint16(n))
		}
	}
	if *filter != "" {
		f, err := capture.ParseFilter(*filter)
		if err != nil {
			return usageError(stderr, "%v", err)
		}
		cfg.filter = f
	}
	if len(*ifaces) > 0 {
		cfg.live = []pointSpec{{name: "live", sources: *ifaces}}
	}
	cfg.write, cfg.snaplen, cfg.promisc = *writeFile, *snaplen, !*noPromisc
	cfg.bufferKiB, cfg.workers = *bufferKiB, *workers
	if *bufferKiB < 64 {
		return usageError(stderr, "-B wants at least 64 KiB, got %d", *bufferKiB)
	}
	if *workers < 1 {
		return usageError(stderr, "--workers wants 1 or more, got %d", *workers)
	}
	plain := append(append([]string{}, *files...), fs.Args()...)
	pointNames := map[string]bool{}
	for _, p := range *points {
		name, srcs, ok := strings.Cut(p, "=")
		if !ok || name == "" || srcs == "" {
			return usageError(stderr, "--point wants NAME=SRC[,SRC...], got %q", p)
		}
		if pointNames[name] {
			return usageError(stderr, "--point %q is given twice: one --point lists all of a point's sources", name)
		}
		pointNames[name] = true
		spec := pointSpec{name: name}
		var ifs []string
		for _, s := range strings.Split(srcs, ",") {
			if iface, ok := strings.CutPrefix(s, "iface:"); ok {
				ifs = append(ifs, iface)
				continue
			}
			spec.sources = append(spec.sources, s)
		}
		switch {
		case len(ifs) > 0 && len(spec.sources) > 0:
			return usageError(stderr, "point %q mixes interfaces and files: a point is live or read from files", name)
		case len(ifs) > 0:
			cfg.live = append(cfg.live, pointSpec{name: name, sources: ifs})
			continue
		}
		cfg.points = append(cfg.points, spec)
	}
	if *pathOrder != "" {
		named := map[string]bool{}
		for _, p := range append(append([]pointSpec{}, cfg.points...), cfg.live...) {
			named[p.name] = true
		}
		seen := map[string]bool{}
		for _, n := range strings.Split(*pathOrder, ",") {
			n = strings.TrimSpace(n)
			switch {
			case !named[n]:
				return usageError(stderr, "--path names %q, which no --point defines", n)
			case seen[n]:
				return usageError(stderr, "--path names %q twice", n)
			}
			seen[n] = true
			cfg.path = append(cfg.path, n)
		}
		if len(cfg.path) != len(named) {
			return usageError(stderr, "--path must name every --point once (%d named, %d points)", len(cfg.path), len(named))
		}
	}
	if len(plain) > 0 {
		if len(cfg.points) > 0 {
			return usageError(stderr, "give files either with --point or without, not both")
		}
		cfg.points = []pointSpec{{name: "capture", sources: plain}}
	}
	if len(cfg.live) > 0 {
		if len(cfg.points) > 0 {
			return usageError(stderr, "give either interfaces (-i) or files, not both")
		}
		if cfg.ladder != "" {
			return usageError(stderr, "--ladder draws sessions read from files: capture with -w FILE, then run ftpsniff --ladder FILE")
		}
		return liveCapture(cfg, stdout, stderr)
	}
	if cfg.write != "" {
		return usageError(stderr, "-w writes the packets of a live capture: it needs -i")
	}
	if len(cfg.points) == 0 {
		printUsage()
		return exitUsage
	}
	return analyzeAndReport(cfg, stdout, stderr)
}

func analyzeAndReport(cfg config, stdout, stderr io.Writer) int {
	// A closed pipe (ftpsniff x.pcap | head) makes writes fail with EPIPE
	// instead of killing the process; that ends the run quietly.
	signal.Ignore(syscall.SIGPIPE)
	in := &report.Run{}
	status := exitOK
	// No progress line with -q, nor when JSON streamed to the terminal
	// while reading would be mixed with it.
	noProgress := cfg.quiet || cfg.format == "json" && len(cfg.points) == 1 && cfg.output == "" && isTerminal(stdout)
	opts := pipeline.Options{Analysis: analyze.Options{Ports: cfg.ports, ShowPasswords: cfg.showPasswords, Limits: cfg.limits}, Path: cfg.path}
	// JSON of one capture point is written session by session as the
	// analysis finishes each one, so memory does not grow with the number
	// of sessions (two points are compared at the end: they keep theirs).
	// The other reports of one point keep at most --max-sessions sessions,
	// the worst first; --ladder=ID must find the session it names.
	var sw *report.SessionWriter
	var bw *bufio.Writer
	switch {
	case cfg.format == "json" && len(cfg.points) == 1 && cfg.ladder == "":
		w, done, err := openOutput(cfg, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer done()
		cfg.output = ""
		bw = bufio.NewWriterSize(w, 1<<16)
		stdout = bw
		sw = report.NewSessionWriter(bw, cfg.points[0].name, cfg.points[0].sources)
		// The pipeline diagnoses a file's finished sessions and hands
		// them here on a goroutine of its own (a second core), while the
		// analysis reads on; Stop is asked on that goroutine.
		opts.Sessions = sw
		opts.Stop = func() bool { return sw.Err() != nil }
	case len(cfg.points) == 1 && (cfg.ladder == "" || cfg.ladder == "all"):
		opts.Keep = cfg.maxSessions
		in.MaxSessions = cfg.maxSessions
	}
	var points []*capture.Point
	for _, ps := range cfg.points {
		pt, err := capture.OpenPoint(ps.name, ps.sources)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			in.Errors = append(in.Errors, err.Error())
			status = exitRuntime
			continue
		}
		pt.Filter = cfg.filter
		points = append(points, pt)
	}
	if cfg.metrics != "" {
		m := metrics.New()
		for _, pt := range points {
			m.CountPackets(pt)
		}
		stop, err := serveMetrics(cfg.metrics, m, stderr)
		if err != nil {
			for _, pt := range points {
				pt.Close()
			}
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer stop()
		opts.Watch = m
	}
	if !noProgress {
		// A progress line on a terminal's stderr, cleared before anything
		// else is written there.
		opts.Reading = func(pt *capture.Point) func() {
			return startProgress(stderr, progressLabelOf(pt.Name, pt.Inputs, len(cfg.points)), pt.Inputs, pt).stop
		}
	}
	res := pipeline.Run(points, opts)
	for _, err := range res.Errors {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		in.Errors = append(in.Errors, err.Error())
		status = exitRuntime
	}
	if sw != nil && sw.Err() != nil {
		if errors.Is(sw.Err(), syscall.EPIPE) {
			return status
		}
		fmt.Fprintf(stderr, "ftpsniff: writing the report: %v\n", sw.Err())
		return exitRuntime
	}
	status = writeReport(cfg, in, res, status, stdout, stderr)
	if bw != nil {
		if err := bw.Flush(); err != nil && !errors.Is(err, syscall.EPIPE) {
			fmt.Fprintf(stderr, "ftpsniff: writing the report: %v\n", err)
			return exitRuntime
		}
	}
	return status
}

// writeReport writes the final report of a run and returns the exit status:
// status, or exitFindings when a finding made (written as it came or kept)
// is at or above --fail-on.
func writeReport(cfg config, in *report.Run, res *pipeline.Result, status int, stdout, stderr io.Writer) int {
	in.Points = res.Points
	in.Path = res.Path
	if cfg.ladder != "" {
		// The ladders go to standard output instead of the report, which
		// still goes to -o FILE when given (and decides --fail-on).
		if code := writeLadders(cfg, in, stdout, stderr); code != exitOK {
			return code
		}
		if cfg.output == "" {
			stdout = io.Discard
		}
	}

	w, done, err := openOutput(cfg, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		return exitRuntime
	}
	defer done()
	switch cfg.format {
	case "json":
		err = report.WriteJSON(w, in)
	case "markdown", "md":
		err = report.WriteMarkdown(w, in)
	case "html":
		err = report.WriteHTML(w, in)
	default:
		opts := report.TableOptions{Width: screenWidth(stdout)}
		if cfg.output == "" {
			opts.Color = screenColor(stdout, cfg.noColor)
		}
		err = report.WriteTable(w, in, opts)
	}
	if err != nil {
		if errors.Is(err, syscall.EPIPE) {
			return status
		}
		fmt.Fprintf(stderr, "ftpsniff: writing the report: %v\n", err)
		return exitRuntime
	}
	if level, ok := diagnose.ParseSeverity(cfg.failOn); ok && status == exitOK {
		if worst, any := res.Worst(); any && worst >= level {
			return exitFindings
		}
	}
	return status
}

// openOutput returns where the report goes: -o FILE, else standard output.
func openOutput(cfg config, stdout io.Writer) (io.Writer, func(), error) {
	if cfg.output == "" {
		return stdout, func() {}, nil
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if cfg.appendOutput {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := os.OpenFile(cfg.output, flags, 0o666)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}
