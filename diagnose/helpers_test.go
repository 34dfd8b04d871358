package diagnose

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// diagnoseFiles analyses and diagnoses capture files as one capture point.
func diagnoseFiles(t testing.TB, point string, paths ...string) *Point {
	t.Helper()
	pt, err := capture.OpenPoint(point, paths)
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	an := analyze.New(analyze.Options{Point: point, Inputs: paths})
	var p capture.Packet
	for pt.Next(&p) == nil {
		an.Packet(&p)
	}
	for _, e := range pt.Errors {
		t.Errorf("reading %v: %v", paths, e)
	}
	r := an.Finish()
	r.Capture = pt.Stats
	return New(point).Finish(r)
}

// labCapture is the path of a capture the lab recorded.
func labCapture(name string) string { return filepath.Join("..", "lab", "captures", name) }

// codes lists findings as "severity:code", in their order.
func codes(fs []*Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Severity.String()+":"+string(f.Code))
	}
	return strings.Join(out, " ")
}

// codeSet lists the distinct "severity:code" of findings, sorted.
func codeSet(fs []*Finding) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		k := f.Severity.String() + ":" + string(f.Code)
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// scripted runs a scripted session through a fresh Analyzer at point and
// diagnoses it; build writes the packets.
func scripted(t testing.TB, point, client, server string, build func(w *wiretest.Wire)) *Point {
	t.Helper()
	an := analyze.New(analyze.Options{Point: point})
	w := wiretest.New(an, client, server)
	build(w)
	return New(point).Finish(an.Finish())
}

// logFindings writes each finding's summary and advice to the test log.
func logFindings(t testing.TB, fs []*Finding) {
	t.Helper()
	for _, f := range fs {
		t.Logf("%s %s: %s\n    advice: %s", f.Severity, f.Code, f.Summary, f.Advice)
	}
}
