package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/report"
)

// liveCapture captures on the configured interfaces until SIGINT or
// SIGTERM, writing each transfer's verdict as soon as it is decided, then
// the final report.
func liveCapture(cfg config, stdout, stderr io.Writer) int {
	signal.Ignore(syscall.SIGPIPE)
	var ifs []capture.Interface
	for _, name := range cfg.live {
		in, err := capture.OpenInterface(name, capture.LiveOptions{Snaplen: cfg.snaplen, Promiscuous: cfg.promisc})
		if err != nil {
			for _, o := range ifs {
				o.Close()
			}
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		ifs = append(ifs, in)
	}
	fan := capture.NewFanIn(ifs)
	defer fan.Close()
	pt := capture.NewPoint(cfg.liveName, cfg.live, []capture.Input{fan})
	pt.Filter = cfg.filter
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
		pt.OnRecord = func(_ int, rec *capture.Record) { pw.WriteRecord(rec) }
	}
	out := stdout
	if cfg.output != "" {
		f, err := os.Create(cfg.output)
		if err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
			return exitRuntime
		}
		defer f.Close()
		out = f
		cfg.output = "" // the final report goes to the same, open file
	}
	stream := report.NewStream(out, cfg.format, cfg.liveName, cfg.live)
	an := analyze.New(analyze.Options{Point: cfg.liveName, Inputs: cfg.live, Ports: cfg.ports, ShowPasswords: cfg.showPasswords,
		OnTransfer: func(s *analyze.Session, t *analyze.Transfer) {
			stream.Transfer(s, t, analyze.DiagnoseTransfer(cfg.liveName, s, t))
		}})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		fan.Stop() // reads end; what was captured is still analysed
	}()
	fmt.Fprintf(stderr, "ftpsniff: capturing on %v; Ctrl-C ends with the report\n", cfg.live)
	var p capture.Packet
	for pt.Next(&p) == nil {
		an.Packet(&p)
	}
	signal.Stop(sig)
	res := an.Finish()
	res.Capture = pt.Stats
	status := exitOK
	if pw != nil {
		if err := pw.Flush(); err != nil {
			fmt.Fprintf(stderr, "ftpsniff: %s: %v\n", cfg.write, err)
			status = exitRuntime
		}
	}
	in := &report.Input{Results: []*analyze.Result{res}, Streamed: stream.Written, StreamedFindings: stream.Found, Live: true}
	for _, err := range fan.Errors() {
		fmt.Fprintf(stderr, "ftpsniff: %v\n", err)
		in.Errors = append(in.Errors, err.Error())
		status = exitRuntime
	}
	in.KernelReceived, in.KernelDrops = fan.Drops()
	if in.KernelDrops > 0 {
		fmt.Fprintf(stderr, "ftpsniff: warning: the kernel dropped %d of %d packets (ftpsniff could not keep up): conclusions may miss them\n",
			in.KernelDrops, in.KernelReceived)
	}
	return writeReport(cfg, in, status, out, stderr)
}
