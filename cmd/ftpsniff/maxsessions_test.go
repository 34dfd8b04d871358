package main

import (
	"strings"
	"testing"
)

// TestMaxSessions: a table report keeps at most --max-sessions sessions,
// says what it left out, and still counts everything in its summary; JSON
// reports every session whatever the limit.
func TestMaxSessions(t *testing.T) {
	const file = "lab/captures/s3-nat-noalg-active.nat-outside.pcap" // three failing sessions
	all, _, _ := ftpsniff(t, file)
	one, _, code := ftpsniff(t, "--max-sessions", "1", file)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(all, "Summary: 3 sessions") || !strings.Contains(one, "Summary: 3 sessions") {
		t.Fatalf("the summary does not count the three sessions:\n%s\n---\n%s", all, one)
	}
	if strings.Contains(all, "Not shown") {
		t.Errorf("the default limit left sessions out of a capture of three:\n%s", all)
	}
	if words := strings.Join(strings.Fields(one), " "); !strings.Contains(words, `Not shown at "capture": 2 sessions with`) || !strings.Contains(words, "beyond the 1 kept (--max-sessions") {
		t.Errorf("the report does not say what --max-sessions 1 left out:\n%s", one)
	}
	if strings.Contains(one, "│ S2 ") || strings.Contains(one, "│ S3 ") {
		t.Errorf("sessions beyond the limit are in the table:\n%s", one)
	}
	js, _, _ := ftpsniff(t, "-F", "json", "--max-sessions", "1", file)
	if n := strings.Count(js, `"type":"session"`); n != 3 {
		t.Errorf("JSON has %d session records with --max-sessions 1, want all 3", n)
	}
	if _, stderr, code := ftpsniff(t, "--max-sessions", "0", file); code != exitUsage || !strings.Contains(stderr, "positive") {
		t.Errorf("--max-sessions 0: exit %d, %q; want a usage error", code, stderr)
	}
}
