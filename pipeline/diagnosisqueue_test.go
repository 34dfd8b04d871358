package pipeline

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// manySessions is a capture of n short FTP sessions, one after the other,
// each from its own client port: a login refused, then QUIT.
func manySessions(t *testing.T, n int) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(1700000000, 0)
	for i := range n {
		client := netip.AddrPortFrom(netip.MustParseAddr("10.1.0.2"), uint16(10000+i))
		c := w.NewConn(client, netip.MustParseAddrPort("198.51.100.10:21"), start.Add(time.Duration(i)*time.Second))
		for _, step := range []func() error{c.Handshake,
			func() error { return c.Server("220 ready\r\n") },
			func() error { return c.Client("USER anonymous\r\n") },
			func() error { return c.Server("331 password\r\n") },
			func() error { return c.Client("PASS x\r\n") },
			func() error { return c.Server("530 no\r\n") },
			func() error { return c.Client("QUIT\r\n") },
			func() error { return c.Server("221 bye\r\n") },
			c.Close} {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), fmt.Sprintf("sessions-%d.pcap", n))
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// findingsBySession is a sink that keeps every finding handed to it, as
// text, under its session's ID.
type findingsBySession struct {
	mu  sync.Mutex
	ids []string
	by  map[string][]string
}

func (f *findingsBySession) Transfer(string, *analyze.Session, *analyze.Transfer, []*diagnose.Finding) {
}

func (f *findingsBySession) Session(point string, s *analyze.Session, fs []*diagnose.Finding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.by == nil {
		f.by = map[string][]string{}
	}
	f.ids = append(f.ids, s.ID)
	for _, x := range fs {
		f.by[s.ID] = append(f.by[s.ID], x.Severity.String()+" "+string(x.Code)+": "+x.Summary)
	}
}

// TestDiagnosisBehindTheAnalysisDecidesTheSame: a file's sessions,
// diagnosed on a goroutine of their own behind the analysis, get the same
// findings, in the same order, with the same totals, as when each is
// diagnosed the moment the analysis lets it go (as live capture does):
// over every capture in testdata/ and lab/captures/, which include the
// FXP, NAT pool and login audit decided across sessions. Noting a
// negotiation when its reply is seen, not when it is diagnosed, matters
// here: a later reply would change what FXP remembers.
func TestDiagnosisBehindTheAnalysisDecidesTheSame(t *testing.T) {
	var files []string
	for _, glob := range []string{"../testdata/*.pcap*", "../lab/captures/*.pcap*"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 40 {
		t.Fatalf("only %d captures found", len(files))
	}
	files = append(files, manySessions(t, 300))
	sawFXP := false
	for _, name := range files {
		run := func(atOnce bool) (*findingsBySession, *Result) {
			pt, err := capture.OpenPoint("capture", []string{name})
			if err != nil {
				t.Fatal(err)
			}
			sink := &findingsBySession{}
			// Concurrent with one point: read on a goroutine, each
			// session diagnosed as the analysis lets it go.
			res := Run([]*capture.Point{pt}, Options{Sessions: sink, Concurrent: atOnce})
			return sink, res
		}
		behind, resBehind := run(false)
		atOnce, resAtOnce := run(true)
		if !slices.Equal(behind.ids, atOnce.ids) {
			t.Errorf("%s: sessions handed on %v, diagnosed at once %v", name, behind.ids, atOnce.ids)
			continue
		}
		for _, id := range atOnce.ids {
			if a, b := strings.Join(atOnce.by[id], "\n"), strings.Join(behind.by[id], "\n"); a != b {
				t.Errorf("%s session %s: behind the analysis:\n%s\nat once:\n%s", name, id, b, a)
			}
			sawFXP = sawFXP || strings.Contains(strings.Join(atOnce.by[id], "\n"), string(diagnose.FXP))
		}
		if resBehind.Totals != resAtOnce.Totals {
			t.Errorf("%s: totals %v behind the analysis, %v at once", name, resBehind.Totals, resAtOnce.Totals)
		}
		if a, b := resAtOnce.Points[0].LeftOut, resBehind.Points[0].LeftOut; a != b {
			t.Errorf("%s: left out %+v behind the analysis, %+v at once", name, b, a)
		}
	}
	if !sawFXP {
		t.Errorf("no capture had an FXP: the test no longer covers what spans sessions")
	}
}
