package bench_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/bench/internal/synth"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/pipeline"
)

// BenchmarkPipeline runs what `ftpsniff -F json FILE` runs (read, decode,
// analyze, diagnose; no report written) over a generated capture of 16 MiB, or over the file
// named by FTPSNIFF_BENCH_FILE (for a profile of the 1 GiB capture:
// FTPSNIFF_BENCH_FILE=bench/out/1g.pcap go test ./bench -run '^$' -bench
// Pipeline -benchtime 3x -cpuprofile cpu.out). It reports MB/s of capture.
func BenchmarkPipeline(b *testing.B) {
	name := benchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		pt := openPoint(b, name)
		// As `ftpsniff -F json FILE` runs it: sessions handed on as they
		// finish (to a sink that keeps nothing), diagnosed on the way.
		res := pipeline.Run([]*capture.Point{pt}, pipeline.Options{Analysis: analyze.Options{Limits: analyze.DefaultLimits()}, Sessions: discard{}})
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors[0])
		}
		if p := res.Points[0]; p.Released.Sessions == 0 && len(p.Sessions) == 0 {
			b.Fatal("no FTP session found in the benchmark capture")
		}
	}
}

// BenchmarkReadDecode is the part of BenchmarkPipeline that reads and
// decodes (capture.Point.Next over the same file, one packet reused), on
// one goroutine: what the reader hands the analysis. Set beside
// BenchmarkPipeline it says what the rest (analysis, diagnosis) costs:
//
//	FTPSNIFF_BENCH_FILE=$PWD/bench/out/ftp256m.pcap go test ./bench -run '^$' -bench . -benchtime 5x -benchmem
func BenchmarkReadDecode(b *testing.B) {
	name := benchFile(b)
	b.ReportAllocs()
	for b.Loop() {
		pt := openPoint(b, name)
		var p capture.Packet
		n := 0
		for pt.Next(&p) == nil {
			n++
		}
		if len(pt.Errors) > 0 {
			b.Fatal(pt.Errors[0])
		}
		if err := pt.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "packets/op")
	}
}

// benchFile is the capture the benchmarks read: FTPSNIFF_BENCH_FILE, or a
// generated one of 16 MiB. It sets the benchmark's bytes per operation to
// the file's size.
func benchFile(b *testing.B) string {
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
	return name
}

// openPoint opens the benchmark's capture as a capture point.
func openPoint(b *testing.B, name string) *capture.Point {
	pt, err := capture.OpenPoint("bench", []string{name})
	if err != nil {
		b.Fatal(err)
	}
	return pt
}

// discard is a pipeline sink that keeps nothing.
type discard struct{}

func (discard) Transfer(string, *analyze.Session, *analyze.Transfer, []*diagnose.Finding) {}
func (discard) Session(string, *analyze.Session, []*diagnose.Finding)                     {}
