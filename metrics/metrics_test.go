package metrics_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/metrics"
	"github.com/ftpsniff/ftpsniff/pipeline"
	"github.com/ftpsniff/ftpsniff/report"
)

// point is one capture point read from files.
type point struct {
	name  string
	files []string
}

// runJSON reads the points as ftpsniff does with -F json, watched by a
// Metrics, and returns the JSON report. streamed runs it as live capture
// does (each transfer's verdict written as it is decided, the sessions
// written by a queue, the rest at the end), otherwise as a file read.
func runJSON(t *testing.T, m *metrics.Metrics, points []point, streamed bool) []byte {
	t.Helper()
	var pts []*capture.Point
	for _, p := range points {
		pt, err := capture.OpenPoint(p.name, p.files)
		if err != nil {
			t.Fatal(err)
		}
		m.CountPackets(pt)
		pts = append(pts, pt)
	}
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	opts := pipeline.Options{Analysis: analyze.Options{Limits: analyze.DefaultLimits()}, Watch: m}
	in := &report.Run{}
	var mu sync.Mutex
	flush := func() {}
	streams := map[string]*report.Stream{}
	if streamed {
		byName := streamSink{}
		for _, p := range points {
			streams[p.name] = report.NewStream(bw, "json", p.name, p.files)
			byName[p.name] = streams[p.name]
		}
		opts.Transfers, opts.Concurrent = pipeline.Serialize(&mu, byName), true
		in.Streamed, in.StreamedFindings, in.Live = map[*analyze.Transfer]bool{}, map[string]bool{}, true
	}
	if len(points) == 1 {
		sw := report.NewSessionWriter(bw, points[0].name, points[0].files)
		if streamed {
			sw.Streamed = streams[points[0].name]
			opts.Sessions, flush = pipeline.Queue(pipeline.Serialize(&mu, sw), 4)
		} else {
			opts.Sessions = sw
		}
	}
	res := pipeline.Run(pts, opts)
	flush()
	for name, st := range streams {
		for tr := range st.Written {
			in.Streamed[tr] = true
		}
		for k := range st.Found {
			in.StreamedFindings[name+" "+k] = true
		}
	}
	in.Points, in.Path = res.Points, res.Path
	if err := report.WriteJSON(bw, in); err != nil {
		t.Fatal(err)
	}
	bw.Flush()
	return out.Bytes()
}

type streamSink map[string]*report.Stream

func (s streamSink) Transfer(point string, ss *analyze.Session, tr *analyze.Transfer, fs []*diagnose.Finding) {
	s[point].Transfer(point, ss, tr, fs)
}

func (s streamSink) Session(point string, ss *analyze.Session, fs []*diagnose.Finding) {
	s[point].Session(point, ss, fs)
}

// fromJSON counts what a JSON report holds, keyed as fromMetrics keys the
// counters: session records per point, transfer records by point, data
// state and reply class, finding records by code and severity, and the
// summary's packets per point.
func fromJSON(t *testing.T, out []byte) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	for line := range bytes.Lines(out) {
		var rec struct {
			Type     string
			Point    string
			Code     string
			Severity string
			Data     struct{ State string }
			Reply    *struct{ Code int }
			Points   json.RawMessage
		}
		if err := json.Unmarshal(line, &rec); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		switch rec.Type {
		case "session":
			got["sessions_closed_total{point="+rec.Point+"}"]++
		case "transfer":
			code := 0
			if rec.Reply != nil {
				code = rec.Reply.Code
			}
			got[fmt.Sprintf("transfers_total{point=%s,reply=%s,state=%s}", rec.Point, metrics.ReplyClass(code), rec.Data.State)]++
		case "finding":
			got["findings_total{code="+rec.Code+",severity="+rec.Severity+"}"]++
		case "summary":
			var points []struct {
				Name    string
				Packets uint64
			}
			if err := json.Unmarshal(rec.Points, &points); err != nil {
				t.Fatal(err)
			}
			for _, p := range points {
				got["packets_total{point="+p.Name+"}"] = float64(p.Packets)
			}
		}
	}
	return got
}

// fromMetrics reads the counters of the JSON report's kinds, leaving out
// those at 0 (the registry's codes are there from the start).
func fromMetrics(t *testing.T, m *metrics.Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Gatherer().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		name, ok := strings.CutPrefix(mf.GetName(), metrics.Prefix)
		if !ok {
			t.Errorf("metric %s lacks the prefix %s", mf.GetName(), metrics.Prefix)
		}
		switch name {
		case "sessions_closed_total", "transfers_total", "findings_total", "packets_total":
		default:
			continue
		}
		for _, mt := range mf.GetMetric() {
			v := mt.GetCounter().GetValue()
			if v == 0 {
				continue
			}
			got[name+labels(mt)] = v
		}
	}
	return got
}

func labels(mt *dto.Metric) string {
	var ls []string
	for _, l := range mt.GetLabel() {
		ls = append(ls, l.GetName()+"="+l.GetValue())
	}
	slices.Sort(ls)
	return "{" + strings.Join(ls, ",") + "}"
}

// TestCountsEqualJSONReport: on captures with failing transfers, findings
// of many codes, sessions open at the end and two points compared, read
// as a file and as live capture streams, every counter equals the count
// of the JSON report's records of the same run, and no session is left
// open once the run is over.
func TestCountsEqualJSONReport(t *testing.T) {
	two := func(sc string, names ...string) []point {
		var ps []point
		for _, n := range names {
			ps = append(ps, point{n, []string{"../lab/captures/path/" + sc + "." + n + ".pcap"}})
		}
		return ps
	}
	cases := map[string][]point{
		"data-failures":       {{"capture", []string{"../testdata/data-failures.pcap"}}},
		"passive-and-active":  {{"capture", []string{"../testdata/passive-and-active.pcap"}}},
		"mid-session":         {{"capture", []string{"../testdata/mid-session.pcap"}}},
		"duplicated-records":  {{"capture", []string{"../testdata/duplicated-records.pcap"}}},
		"truncated":           {{"capture", []string{"../testdata/truncated.pcap"}}},
		"s6-fw-drop-passive":  two("s6-fw-drop-passive", "client-lan", "nat-outside", "server-outside", "server-lan"),
		"s3-nat-noalg-active": two("s3-nat-noalg-active", "client-lan", "nat-outside", "server-outside", "server-lan"),
		"s11-control-refused": two("s11-control-refused", "client-lan", "server-lan"),
	}
	for _, f := range must(filepath.Glob("../lab/captures/s1*.pcap")) {
		cases[filepath.Base(f)] = []point{{"capture", []string{f}}}
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		for _, streamed := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/streamed=%v", name, streamed), func(t *testing.T) {
				m := metrics.New()
				out := runJSON(t, m, cases[name], streamed)
				want, got := fromJSON(t, out), fromMetrics(t, m)
				for _, k := range slices.Sorted(maps.Keys(want)) {
					if got[k] != want[k] {
						t.Errorf("%s: metrics %v, JSON report %v", k, got[k], want[k])
					}
				}
				for _, k := range slices.Sorted(maps.Keys(got)) {
					if _, ok := want[k]; !ok {
						t.Errorf("%s: metrics %v, JSON report none", k, got[k])
					}
				}
				for _, mf := range must(m.Gatherer().Gather()) {
					if mf.GetName() != metrics.Prefix+"sessions_open" {
						continue
					}
					for _, mt := range mf.GetMetric() {
						if n := mt.GetGauge().GetValue(); n != 0 {
							t.Errorf("sessions_open%s = %v once the run is over", labels(mt), n)
						}
					}
				}
				if t.Failed() {
					t.Logf("JSON report:\n%s", out)
				}
			})
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestLint: the metrics follow Prometheus's naming and help conventions
// (promlint), after a run that set every kind.
func TestLint(t *testing.T) {
	m := metrics.New()
	m.KernelDrops("live", func() (uint64, uint64) { return 10, 1 })
	runJSON(t, m, []point{{"capture", []string{"../testdata/data-failures.pcap"}}}, true)
	problems, err := testutil.GatherAndLint(m.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

// TestExposition: what a scrape shows after reading data-failures.pcap as
// live capture does: three transfers that failed three ways, each with its
// finding, one session closed, none open, the packets read, and the
// kernel's counters of the point.
func TestExposition(t *testing.T) {
	m := metrics.New()
	m.KernelDrops("capture", func() (uint64, uint64) { return 47, 0 })
	runJSON(t, m, []point{{"capture", []string{"../testdata/data-failures.pcap"}}}, true)
	want := `
# HELP ftpsniff_packets_total Packets read at the capture point (the JSON summary's packets: every record, duplicates included).
# TYPE ftpsniff_packets_total counter
ftpsniff_packets_total{point="capture"} 47
# HELP ftpsniff_kernel_drops_total Packets the kernel dropped because ftpsniff did not read them fast enough (live capture; the JSON summary's kernel_drops).
# TYPE ftpsniff_kernel_drops_total counter
ftpsniff_kernel_drops_total{point="capture"} 0
# HELP ftpsniff_kernel_received_total Packets the kernel received for the capture point's sockets (live capture; the JSON summary's kernel_received).
# TYPE ftpsniff_kernel_received_total counter
ftpsniff_kernel_received_total{point="capture"} 47
# HELP ftpsniff_sessions_open FTP control sessions begun and not yet finished.
# TYPE ftpsniff_sessions_open gauge
ftpsniff_sessions_open{point="capture"} 0
# HELP ftpsniff_sessions_closed_total FTP control sessions finished (closed, idle past the timeout, or open when the run ended): the JSON session records.
# TYPE ftpsniff_sessions_closed_total counter
ftpsniff_sessions_closed_total{point="capture"} 1
# HELP ftpsniff_transfers_total Transfers reported, by the JSON record's data.state and the class of its final reply (2xx..5xx, none).
# TYPE ftpsniff_transfers_total counter
ftpsniff_transfers_total{point="capture",reply="4xx",state="no-answer"} 1
ftpsniff_transfers_total{point="capture",reply="4xx",state="refused"} 1
ftpsniff_transfers_total{point="capture",reply="4xx",state="unreachable"} 1
`
	names := []string{"ftpsniff_packets_total", "ftpsniff_kernel_drops_total", "ftpsniff_kernel_received_total",
		"ftpsniff_sessions_open", "ftpsniff_sessions_closed_total", "ftpsniff_transfers_total"}
	if err := testutil.GatherAndCompare(m.Gatherer(), strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	for code, n := range map[string]float64{"data-no-answer": 1, "data-refused": 1, "data-unreachable": 1, "data-not-attempted": 0, "cleartext-credentials": 0} {
		if got := findings(t, m, code, "error"); got != n {
			t.Errorf("ftpsniff_findings_total{code=%q,severity=\"error\"} = %v, want %v", code, got, n)
		}
	}
	// Every code of the registry is there at 0 before any finding: an
	// alert on rate() sees the first one.
	count, err := testutil.GatherAndCount(metrics.New().Gatherer(), "ftpsniff_findings_total")
	if err != nil {
		t.Fatal(err)
	}
	want2 := 0
	for _, c := range diagnose.Registry() {
		want2 += len(c.Severities)
	}
	if count != want2 || count == 0 {
		t.Errorf("a new Metrics has %d findings series, want %d (every code at each of its severities)", count, want2)
	}
}

// findings reads ftpsniff_findings_total{code, severity}.
func findings(t *testing.T, m *metrics.Metrics, code, severity string) float64 {
	t.Helper()
	for _, mf := range must(m.Gatherer().Gather()) {
		if mf.GetName() != metrics.Prefix+"findings_total" {
			continue
		}
		for _, mt := range mf.GetMetric() {
			if labels(mt) == "{code="+code+",severity="+severity+"}" {
				return mt.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestEveryNamePrefixed: a scrape of the handler shows only names
// starting with ftpsniff_, the Go runtime's and the process's included.
func TestEveryNamePrefixed(t *testing.T) {
	m := metrics.New()
	m.KernelDrops("live", func() (uint64, uint64) { return 0, 0 })
	runJSON(t, m, []point{{"capture", []string{"../testdata/data-failures.pcap"}}}, true)
	for range 2 { // the handler's own metrics would show on the second
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		b, _ := io.ReadAll(rec.Body)
		var names int
		for line := range strings.Lines(string(b)) {
			if strings.HasPrefix(line, "#") {
				continue
			}
			names++
			if !strings.HasPrefix(line, metrics.Prefix) {
				t.Errorf("not prefixed %s: %s", metrics.Prefix, line)
			}
		}
		for _, want := range []string{"ftpsniff_process_resident_memory_bytes ", "ftpsniff_go_goroutines ", `ftpsniff_kernel_drops_total{point="live"} 0`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("the scrape has no %s", want)
			}
		}
		if names < 50 {
			t.Errorf("the scrape has %d samples:\n%s", names, b)
		}
	}
}
