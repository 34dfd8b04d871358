// Command gen writes a large synthetic capture for ftpsniff's benchmarks
// (see bench/internal/synth): FTP sessions of every mode and failure inside
// unrelated bulk TCP traffic, and the ground truth of every transfer
// ftpsniff should report, as JSON Lines.
//
//	go run ./bench/gen -size 1073741824 -o bench/out/1g.pcap -truth bench/out/1g.truth.jsonl
//
// Each ground-truth line has the fields of ftpsniff's transfer records
// (session_client and session_server are those of the session record the
// transfer names; reply_code is the final reply's, 0 when there is none, as
// for a negotiation no command used):
//
//	{"session_client":"10.0.0.1:40000","session_server":"172.16.0.1:21","command":"RETR","mode":"passive",
//	 "address":"172.16.0.1:30001","data_state":"established","reply_code":226}
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
	annotate := flag.Bool("annotate", false, "add each transfer's scenario and VLAN tagging to the ground truth (fields ftpsniff does not have)")
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
			var v any = t
			if *annotate {
				v = struct {
					synth.Transfer
					Scenario string `json:"scenario"`
					VLAN     bool   `json:"vlan"`
				}{t, t.Scenario, t.VLAN}
			}
			if err := enc.Encode(v); err != nil {
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
