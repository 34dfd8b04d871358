package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ftpsniff/ftpsniff/diagnose"
)

// FuzzCapture gives ftpsniff any bytes as a capture file, seeded with the
// captures in testdata/, and renders every report from it: a damaged
// file, odd packets and FTP dialogues that make no sense end in a report,
// a clear error, or both, never a panic. It checks what a user relies on
// in each: every JSON line is valid JSON, every finding's code and
// severity are in the registry, and the table and Markdown reports carry
// no control character from the wire. Run it with
//
//	go test ./cmd/ftpsniff -run '^$' -fuzz FuzzCapture -fuzztime 5m
func FuzzCapture(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.pcap*")
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed captures in testdata/ (%v)", err)
	}
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.pcap")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var out, errs bytes.Buffer
		status := run([]string{"-q", "-F", "json", path}, &out, &errs)
		switch status {
		case exitOK:
		case exitRuntime:
			if errs.Len() == 0 {
				t.Fatal("exit status 1 with nothing said on standard error")
			}
		default:
			t.Fatalf("exit status %d (standard error: %q)", status, errs.String())
		}
		for i, line := range bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n")) {
			if out.Len() > 0 {
				checkJSONLine(t, i+1, line)
			}
		}

		for _, args := range [][]string{{"-F", "table"}, {"-F", "markdown"}, {"-F", "html"}, {"--ladder", "--no-color"}} {
			out.Reset()
			errs.Reset()
			if got := run(append([]string{"-q", path}, args...), &out, &errs); got != status {
				t.Fatalf("%v: exit status %d, %d with -F json (standard error: %q)", args, got, status, errs.String())
			}
			if args[0] == "-F" && args[1] == "html" {
				continue // HTML escapes what it prints in its own way; TestHTMLReportHostileNames
			}
			if i := bytes.IndexFunc(out.Bytes(), isControl); i >= 0 {
				t.Fatalf("%v: control character %q at byte %d of the report: %q", args, out.Bytes()[i], i,
					out.Bytes()[max(0, i-80):min(out.Len(), i+80)])
			}
		}
	})
}

// checkJSONLine checks one line of a JSON Lines report.
func checkJSONLine(t *testing.T, n int, line []byte) {
	t.Helper()
	var rec struct {
		Type     string `json:"type"`
		Code     string `json:"code"`
		Severity string `json:"severity"`
		Summary  string `json:"summary"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		t.Fatalf("line %d is not JSON (%v): %q", n, err, line)
	}
	if rec.Type != "finding" {
		return
	}
	info, ok := diagnose.Lookup(diagnose.Code(rec.Code))
	if !ok {
		t.Fatalf("line %d: finding code %q is not in the registry", n, rec.Code)
	}
	if !slices.ContainsFunc(info.Severities, func(s diagnose.Severity) bool { return s.String() == rec.Severity }) {
		t.Fatalf("line %d: %s at severity %q, the registry allows %v", n, rec.Code, rec.Severity, info.Severities)
	}
	if rec.Summary == "" {
		t.Fatalf("line %d: %s finding without a summary", n, rec.Code)
	}
}

// isControl reports a character a terminal could act on: C0 controls but
// the line end, DEL and C1 controls.
func isControl(r rune) bool {
	return r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0
}
