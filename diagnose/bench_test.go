package diagnose

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
)

// recorded is one capture point's analysis as a Diagnoser behind it is
// told of it (as the pipeline does when it reads files): the negotiations
// noted and the sessions finished, in the order the analysis made them,
// then what Finish reads.
type recorded struct {
	point  string
	events []recordedEvent
	result *analyze.Result
	// findings is how many findings the first diagnosis made: every
	// replay must make as many.
	findings int
}

// recordedEvent is a finished session, or (s nil) a negotiation noted.
type recordedEvent struct {
	s    *analyze.Session
	note Noted
}

// record analyses the capture files of one point, keeping what a Diagnoser
// would be told.
func record(tb testing.TB, point string, paths ...string) *recorded {
	tb.Helper()
	pt, err := capture.OpenPoint(point, paths)
	if err != nil {
		tb.Fatal(err)
	}
	defer pt.Close()
	rec := &recorded{point: point}
	an := analyze.New(analyze.Options{
		Point: point, Inputs: paths, Limits: analyze.DefaultLimits(),
		OnNegotiation: func(s *analyze.Session, n *analyze.Negotiation) {
			if x := Note(s, n); !x.IsZero() {
				rec.events = append(rec.events, recordedEvent{note: x})
			}
		},
		OnSessionDone: func(s *analyze.Session) { rec.events = append(rec.events, recordedEvent{s: s}) },
	})
	var p capture.Packet
	for pt.Next(&p) == nil {
		an.Packet(&p)
	}
	// A read error (a truncated capture) ends the input as in ftpsniff:
	// what was read is diagnosed.
	rec.result = an.Finish()
	rec.result.Capture = pt.Stats
	return rec
}

// diagnose replays the recording through a new Diagnoser, as the pipeline
// would, and returns how many findings it made.
func (rec *recorded) diagnose() int {
	d := New(rec.point)
	n := 0
	for _, e := range rec.events {
		if e.s == nil {
			d.Remember(e.note)
			continue
		}
		n += len(d.Session(e.s))
	}
	return n + len(d.Finish(rec.result).Findings)
}

// BenchmarkDiagnose diagnoses whole captures as the pipeline does when it
// reads files (Remember, Session, Finish), the analysis done beforehand:
// every capture in testdata and lab/captures, one point each, or the file
// named by FTPSNIFF_BENCH_FILE (the all-FTP capture of bench/gen, say).
// One op is every capture once.
func BenchmarkDiagnose(b *testing.B) {
	var recs []*recorded
	if name := os.Getenv("FTPSNIFF_BENCH_FILE"); name != "" {
		recs = append(recs, record(b, "bench", name))
	} else {
		var paths []string
		for _, pattern := range []string{"../testdata/*.pcap*", labCapture("*.pcap")} {
			m, err := filepath.Glob(pattern)
			if err != nil {
				b.Fatal(err)
			}
			paths = append(paths, m...)
		}
		for _, p := range paths {
			recs = append(recs, record(b, "capture", p))
		}
	}
	sessions, findings := 0, 0
	for _, rec := range recs {
		for _, e := range rec.events {
			if e.s != nil {
				sessions++
			}
		}
		sessions += len(rec.result.Sessions)
		rec.findings = rec.diagnose()
		findings += rec.findings
	}
	if sessions == 0 {
		b.Fatal("no FTP session to diagnose")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, rec := range recs {
			if n := rec.diagnose(); n != rec.findings {
				b.Fatalf("%s: %d findings, then %d", rec.result.Inputs, rec.findings, n)
			}
		}
	}
	b.ReportMetric(float64(sessions), "sessions/op")
	b.ReportMetric(float64(findings), "findings/op")
}
