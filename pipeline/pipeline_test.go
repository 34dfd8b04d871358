package pipeline

import (
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

func open(t *testing.T, name string, files ...string) *capture.Point {
	t.Helper()
	for i, f := range files {
		files[i] = filepath.Join("..", f)
	}
	pt, err := capture.OpenPoint(name, files)
	if err != nil {
		t.Fatal(err)
	}
	return pt
}

// recorder is a sink that remembers what it was given.
type recorder struct {
	mu        sync.Mutex
	sessions  []string
	transfers []string
	findings  [3]int
}

func (r *recorder) Transfer(point string, s *analyze.Session, t *analyze.Transfer, fs []*diagnose.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transfers = append(r.transfers, point+":"+t.ID)
}

func (r *recorder) Session(point string, s *analyze.Session, fs []*diagnose.Finding) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions = append(r.sessions, point+":"+s.ID)
	for _, f := range fs {
		r.findings[f.Severity]++
	}
}

// TestTotalsCountStreamedFindings: the totals (what --fail-on reads) count
// every finding, also those of sessions handed to a sink as they finished
// and no longer in the result.
func TestTotalsCountStreamedFindings(t *testing.T) {
	sink := &recorder{}
	res := Run([]*capture.Point{open(t, "capture", "testdata/data-failures.pcap")}, Options{Sessions: sink})
	if len(sink.sessions) != 1 || len(res.Points[0].Sessions) != 0 {
		t.Fatalf("sink got %v, the result keeps %d sessions; want the one session streamed", sink.sessions, len(res.Points[0].Sessions))
	}
	if res.Totals[diagnose.Error] != 3 || sink.findings[diagnose.Error] != 3 {
		t.Errorf("totals %v, sink findings %v; want 3 errors each", res.Totals, sink.findings)
	}
	if worst, ok := res.Worst(); !ok || worst != diagnose.Error {
		t.Errorf("worst %v %v, want error", worst, ok)
	}
}

// TestKeepKeepsTheWorst: a lone point without a sink keeps at most Keep
// sessions, those with the worst findings, and counts the rest.
func TestKeepKeepsTheWorst(t *testing.T) {
	res := Run([]*capture.Point{open(t, "capture", "lab/captures/s9-mixed-session.client-lan.pcap")}, Options{Keep: 1})
	if n := len(res.Points[0].Sessions); n != 1 {
		t.Errorf("kept %d sessions, want 1", n)
	}
	res = Run([]*capture.Point{open(t, "capture", "lab/captures/s11-control-refused.client-lan.pcap")}, Options{Keep: 1})
	p := res.Points[0]
	if len(p.Sessions) != 1 || p.LeftOut.Sessions != 2 || res.Totals[diagnose.Error] != 3 {
		t.Errorf("kept %d, left out %+v, totals %v; want 1 kept, 2 left out, 3 errors counted", len(p.Sessions), p.LeftOut, res.Totals)
	}
}

// TestTwoPointsAreFollowed: two points keep their sessions and are
// followed along the path whatever order they are given in: the hop limits
// put the client's LAN first, and the NAT between them is judged.
func TestTwoPointsAreFollowed(t *testing.T) {
	for _, order := range [][2]string{{"inside", "outside"}, {"outside", "inside"}} {
		files := map[string]string{"inside": "lab/captures/s2-nat-alg-active.client-lan.pcap", "outside": "lab/captures/s2-nat-alg-active.nat-outside.pcap"}
		sink := &recorder{}
		res := Run([]*capture.Point{open(t, order[0], files[order[0]]), open(t, order[1], files[order[1]])}, Options{Sessions: sink, Keep: 1})
		if len(sink.sessions) != 0 {
			t.Errorf("%v: two points streamed %v; they must keep their sessions to compare them", order, sink.sessions)
		}
		if res.Path == nil || res.Path.Path.Points[0].Point != "inside" || res.Path.Order != analyze.OrderHopLimits {
			t.Fatalf("%v: no path, or the client's LAN (inside) is not first from the hop limits", order)
		}
		var verdicts []string
		for _, st := range res.Path.Stories {
			for _, pn := range st.Negotiations {
				verdicts = append(verdicts, string(pn.Crossings[0].Verdict))
			}
		}
		if got := strings.Join(verdicts, " "); got != "rewritten rewritten rewritten" {
			t.Errorf("%v: verdicts %q", order, got)
		}
		if res.Totals[diagnose.Info] != 3 {
			t.Errorf("%v: totals %v, want the 3 alg-rewrite infos counted", order, res.Totals)
		}
	}
}

// TestPathOrderGiven: Options.Path orders the points as given, and an
// unknown name is an input error.
func TestPathOrderGiven(t *testing.T) {
	res := Run([]*capture.Point{open(t, "a", "lab/captures/s2-nat-alg-active.client-lan.pcap"), open(t, "b", "lab/captures/s2-nat-alg-active.nat-outside.pcap")}, Options{Path: []string{"b", "a"}})
	if res.Path == nil || res.Path.Path.Points[0].Point != "b" || res.Path.Order != analyze.OrderGiven {
		t.Fatalf("path %+v: want b first, as given", res.Path)
	}
	res = Run([]*capture.Point{open(t, "a", "lab/captures/s2-nat-alg-active.client-lan.pcap"), open(t, "b", "lab/captures/s2-nat-alg-active.nat-outside.pcap")}, Options{Path: []string{"b", "c"}})
	if res.Path != nil || len(res.Errors) == 0 || !strings.Contains(res.Errors[len(res.Errors)-1].Error(), `"c"`) {
		t.Errorf("an unknown point in the path: errors %v", res.Errors)
	}
}

// TestConcurrentIsSequential: reading the points at once (live capture)
// gives what reading them one after the other gives.
func TestConcurrentIsSequential(t *testing.T) {
	run := func(concurrent bool) []string {
		res := Run([]*capture.Point{open(t, "inside", "lab/captures/s10-split-port.client-lan.pcap"), open(t, "outside", "lab/captures/s10-split-port.nat-outside.pcap")},
			Options{Concurrent: concurrent})
		var out []string
		for _, p := range res.Points {
			for _, f := range p.Findings {
				out = append(out, p.Point+" "+f.Severity.String()+":"+string(f.Code))
			}
		}
		for _, f := range res.Path.Findings() {
			out = append(out, "path "+f.Point+" "+string(f.Code))
		}
		sort.Strings(out)
		return out
	}
	if seq, con := run(false), run(true); strings.Join(seq, "\n") != strings.Join(con, "\n") {
		t.Errorf("concurrent:\n%s\nsequential:\n%s", strings.Join(con, "\n"), strings.Join(seq, "\n"))
	}
}

// TestStop: Stop, asked after each session handed on, ends the reading
// soon: a file's sessions are diagnosed behind the analysis, which reads
// on by at most a few batches of events before it learns of the stop.
// What was read is still diagnosed, and every session let go is handed on.
func TestStop(t *testing.T) {
	const sessions = 2000
	sink := &recorder{}
	many, err := capture.OpenPoint("capture", []string{manySessions(t, sessions)})
	if err != nil {
		t.Fatal(err)
	}
	res := Run([]*capture.Point{many},
		Options{Sessions: sink, Stop: func() bool { return len(sink.sessions) >= 1 }})
	const most = (diagnosisBatchesAhead + 2) * diagnosisBatch
	if len(sink.sessions) == 0 || len(sink.sessions) > most {
		t.Errorf("sink got %d sessions, want the reading stopped within %d of the first", len(sink.sessions), most)
	}
	p := res.Points[0]
	if p == nil {
		t.Fatal("no diagnosis of what was read")
	}
	if p.LeftOut.Sessions != len(sink.sessions) {
		t.Errorf("%d sessions counted as handed on, the sink got %d", p.LeftOut.Sessions, len(sink.sessions))
	}

	// Diagnosed at once (live capture), the stop comes after the first.
	pt := open(t, "capture", "lab/captures/s11-control-refused.client-lan.pcap")
	sink = &recorder{}
	Run([]*capture.Point{pt}, Options{Sessions: sink, Concurrent: true, Stop: func() bool { return len(sink.sessions) >= 1 }})
	if len(sink.sessions) != 1 {
		t.Errorf("diagnosed at once, the sink got %v, want the reading stopped after the first session", sink.sessions)
	}
}

// TestTransfersAndQueue: decided transfers go to Transfers as they come;
// a queued sink hands every session on before its wait returns.
func TestTransfersAndQueue(t *testing.T) {
	tr, ss := &recorder{}, &recorder{}
	q, wait := Queue(ss, 1)
	res := Run([]*capture.Point{open(t, "capture", "lab/captures/s9-mixed-session.client-lan.pcap")}, Options{Sessions: q, Transfers: tr})
	wait()
	if len(tr.transfers) != 6 {
		t.Errorf("transfers %v, want the 6 of the session", tr.transfers)
	}
	if len(ss.sessions) != 1 || res.Points[0].LeftOut.Sessions != 1 {
		t.Errorf("queued sink got %v, left out %+v; want the one session", ss.sessions, res.Points[0].LeftOut)
	}
}

// TestWorkersMerge: points of one name are the workers of one capture
// point (live capture spread by host pair): one diagnosis with every
// worker's sessions under unique IDs, frame numbers of one numbering, the
// sums of their counts, and the totals of both.
func TestWorkersMerge(t *testing.T) {
	files := []string{"testdata/passive-and-active.pcap", "testdata/data-failures.pcap"}
	var alone [2]*Result
	for i, f := range files {
		alone[i] = Run([]*capture.Point{open(t, "live", f)}, Options{})
	}
	for _, tc := range []struct {
		name string
		opts Options
	}{{"kept", Options{}}, {"kept, the worst", Options{Keep: 100}}, {"streamed", Options{Sessions: &recorder{}}}} {
		t.Run(tc.name, func(t *testing.T) {
			var frames capture.Frames
			a, b := open(t, "live", files[0]), open(t, "live", files[1])
			a.Number, b.Number = frames.Number, frames.Number
			res := Run([]*capture.Point{a, b}, tc.opts)
			if len(res.Points) != 1 || res.Path != nil {
				t.Fatalf("%d points, path %v: want one point", len(res.Points), res.Path != nil)
			}
			p := res.Points[0]
			wantPackets := alone[0].Points[0].Capture.Packets + alone[1].Points[0].Capture.Packets
			if p.Capture.Packets != wantPackets {
				t.Errorf("%d packets, want %d", p.Capture.Packets, wantPackets)
			}
			if res.Totals != [3]int{alone[0].Totals[0] + alone[1].Totals[0], alone[0].Totals[1] + alone[1].Totals[1], alone[0].Totals[2] + alone[1].Totals[2]} {
				t.Errorf("totals %v, want the sums of %v and %v", res.Totals, alone[0].Totals, alone[1].Totals)
			}
			ids := map[string]bool{}
			var frameNumbers []uint64
			sessions := p.Sessions
			if r, ok := tc.opts.Sessions.(*recorder); ok {
				for _, id := range r.sessions {
					ids[id] = true
				}
				if len(r.sessions) != len(alone[0].Points[0].Sessions)+len(alone[1].Points[0].Sessions) {
					t.Errorf("streamed %v", r.sessions)
				}
			}
			for _, s := range sessions {
				if ids[s.ID] {
					t.Errorf("session ID %s twice", s.ID)
				}
				ids[s.ID] = true
				frameNumbers = append(frameNumbers, s.First.Frame)
			}
			if len(ids) != len(alone[0].Points[0].Sessions)+len(alone[1].Points[0].Sessions) {
				t.Errorf("%d sessions, want %d and %d", len(ids), len(alone[0].Points[0].Sessions), len(alone[1].Points[0].Sessions))
			}
			for _, f := range frameNumbers {
				if f == 0 || f > wantPackets {
					t.Errorf("a session begins at frame %d of %d", f, wantPackets)
				}
			}
		})
	}
}
