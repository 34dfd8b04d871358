package bench_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/bench/internal/synth"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// BenchmarkPipeline runs what `ftpsniff FILE` runs per packet (read, decode,
// analyze; no report) over a generated capture of 16 MiB, or over the file
// named by FTPSNIFF_BENCH_FILE (for a profile of the 1 GiB capture:
// FTPSNIFF_BENCH_FILE=bench/out/1g.pcap go test ./bench -run '^$' -bench
// Pipeline -benchtime 3x -cpuprofile cpu.out). It reports MB/s of capture.
func BenchmarkPipeline(b *testing.B) {
	name := os.Getenv("FTPSNIFF_BENCH_FILE")
	if name == "" {
		name = filepath.Join(b.TempDir(), "bench.pcap")
		f, err := os.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := synth.Generate(f, synth.Options{Size: 16 << 20, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(name)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		pt, err := capture.OpenPoint("bench", []string{name})
		if err != nil {
			b.Fatal(err)
		}
		dg := diagnose.New("bench")
		an := analyze.New(analyze.Options{Point: "bench", Inputs: []string{name}, Limits: analyze.DefaultLimits,
			OnSessionDone: func(s *analyze.Session) { dg.Session(s) }})
		var p capture.Packet
		for pt.Next(&p) == nil {
			an.Packet(&p)
		}
		res := an.Finish()
		dg.Finish(res)
		pt.Close()
		if len(pt.Errors) > 0 {
			b.Fatal(pt.Errors[0])
		}
		if res.Released.Sessions == 0 && len(res.Sessions) == 0 {
			b.Fatal("no FTP session found in the benchmark capture")
		}
	}
}
