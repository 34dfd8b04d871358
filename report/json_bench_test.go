package report

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// countingDiscard counts what is written to it.
type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkSessionWriter writes the JSON Lines of every session of a
// capture (FTPSNIFF_BENCH_FILE, or the lab's captures), findings included,
// as `ftpsniff -F json` does when a session ends: the records only, the
// analysis and diagnosis done once beforehand.
func BenchmarkSessionWriter(b *testing.B) {
	files := []string{os.Getenv("FTPSNIFF_BENCH_FILE")}
	if files[0] == "" {
		files, _ = filepath.Glob(filepath.Join("..", "lab", "captures", "*.pcap"))
	}
	if len(files) == 0 {
		b.Fatal("no capture: set FTPSNIFF_BENCH_FILE")
	}
	type session struct {
		s        *analyze.Session
		findings []*diagnose.Finding
	}
	var sessions []session
	for _, f := range files {
		point := diagnose.New("bench").Finish(analyzeFiles(b, "bench", []string{f}))
		for _, s := range point.Sessions {
			var fs []*diagnose.Finding
			for _, f := range point.Findings {
				if f.Session == s {
					fs = append(fs, f)
				}
			}
			sessions = append(sessions, session{s, fs})
		}
	}
	var out countingDiscard
	sw := NewSessionWriter(&out, "bench", files)
	for _, s := range sessions {
		sw.Session("bench", s.s, s.findings)
	}
	b.SetBytes(out.n)
	b.ReportAllocs()
	for b.Loop() {
		sw := NewSessionWriter(io.Discard, "bench", files)
		for _, s := range sessions {
			sw.Session("bench", s.s, s.findings)
		}
	}
	b.ReportMetric(float64(len(sessions)), "sessions")
}
