// Command gen writes a large synthetic capture for ftpsniff's benchmarks
// (see bench/internal/synth): FTP sessions of every mode and failure inside
// unrelated bulk TCP traffic, and the ground truth of every transfer
// ftpsniff should report, as JSON Lines.
//
//	go run ./bench/gen -size 1073741824 -o bench/out/1g.pcap -truth bench/out/1g.truth.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ftpsniff/ftpsniff/bench/internal/synth"
)

func main() {
	var o synth.Options
	size := flag.Int64("size", 256<<20, "target file size in `BYTES`")
	out := flag.String("o", "", "write the capture (pcap) to `FILE`")
	truth := flag.String("truth", "", "write the ground truth (JSON Lines, one transfer per line) to `FILE`")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Float64Var(&o.FTPShare, "ftp-share", 0.07, "target share of the bytes that are FTP (control and data)")
	flag.IntVar(&o.MaxFile, "max-file", 512<<10, "largest file a transfer carries, in `BYTES`")
	flag.IntVar(&o.MinSessions, "min-sessions", 0, "write at least `N` FTP sessions (0: one per scenario)")
	flag.IntVar(&o.Concurrency, "concurrency", 32, "FTP sessions open at once, at most")
	quiet := flag.Bool("q", false, "no summary on standard error")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -o FILE [-size BYTES] [-truth FILE] [-seed N]")
		os.Exit(2)
	}
	o.Size, o.Seed = *size, *seed
	start := time.Now()
	f, err := os.Create(*out)
	if err != nil {
		fatal(err)
	}
	res, err := synth.Generate(f, o)
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fatal(err)
	}
	if *truth != "" {
		tf, err := os.Create(*truth)
		if err != nil {
			fatal(err)
		}
		bw := bufio.NewWriter(tf)
		enc := json.NewEncoder(bw)
		for _, t := range res.Transfers {
			if err := enc.Encode(t); err != nil {
				fatal(err)
			}
		}
		if err := bw.Flush(); err != nil {
			fatal(err)
		}
		if err := tf.Close(); err != nil {
			fatal(err)
		}
	}
	if !*quiet {
		st := res.Stats
		el := time.Since(start)
		fmt.Fprintf(os.Stderr, "gen: %s: %d bytes, %d packets, %.1fs of capture time, written in %.2fs (%.0f MB/s)\n",
			*out, st.Bytes, st.Packets, st.Duration.Seconds(), el.Seconds(), float64(st.Bytes)/el.Seconds()/1e6)
		fmt.Fprintf(os.Stderr, "gen: FTP %.1f%% of bytes, %.1f%% of packets; %d sessions, %d transfers; %d bulk flows\n",
			100*float64(st.FTPBytes)/float64(st.Bytes), 100*float64(st.FTPPackets)/float64(st.Packets),
			st.Sessions, st.Transfers, st.BulkFlows)
		fmt.Fprintf(os.Stderr, "gen: sessions by featured scenario: %v\n", st.Scenarios)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
