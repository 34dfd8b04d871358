package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

const s6 = "lab/captures/s6-fw-drop-passive.client-lan.pcap"

// noColorEnv clears what decides the ladders' width and colours, so that
// the tests do not depend on the environment they run in.
func noColorEnv(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	t.Setenv("COLUMNS", "")
	t.Setenv("TERM", "xterm")
}

// TestLadderFlag: --ladder draws every session instead of the table, on a
// pipe without colour and 100 columns wide; --ladder=ID one of them.
func TestLadderFlag(t *testing.T) {
	noColorEnv(t)
	out, stderr, code := ftpsniff(t, "--ladder", s6)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"S1: 10.1.0.2:60168 → 203.0.113.10:21", "S2: 10.1.0.2:46826 → 203.0.113.10:21", "firewall", "✕", "data-no-answer ERROR",
		"227 Entering Passive Mode (203,0,113,10,117,48). → 203.0.113.10:30000"} {
		if !strings.Contains(out, want) {
			t.Errorf("the ladders lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Summary:") || strings.Contains(out, "Transfers") {
		t.Errorf("the table report is written with --ladder:\n%s", out)
	}
	if strings.IndexByte(out, 0x1b) >= 0 {
		t.Errorf("colours on a pipe")
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > defaultScreenWidth {
			t.Errorf("a line of %d cells, wider than %d:\n%s", n, defaultScreenWidth, line)
		}
	}

	for _, id := range []string{"S2", "capture:S2", "s2"} {
		one, _, code := ftpsniff(t, "--ladder="+id, s6)
		if code != exitOK || !strings.Contains(one, "S2: 10.1.0.2:46826") || strings.Contains(one, "S1: ") {
			t.Errorf("--ladder=%s: exit %d\n%s", id, code, one)
		}
	}
}

func TestLadderFlagErrors(t *testing.T) {
	noColorEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ladder=S9", s6}, `no session "S9" to draw (the sessions are capture:S1, capture:S2)`},
		{[]string{"--ladder", "S2", s6}, "write --ladder=S2"},
		{[]string{"--ladder", "-F", "json", s6}, "give -o FILE for the json report"},
		{[]string{"--ladder", "-i", "lo"}, "--ladder draws sessions read from files"},
	} {
		out, stderr, code := ftpsniff(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, stderr, c.want)
		}
	}
}

// TestLadderWithReportFile: with -o the report still goes to the file (in
// its format, here JSON), the ladders to standard output, and --fail-on
// still decides the exit status.
func TestLadderWithReportFile(t *testing.T) {
	noColorEnv(t)
	path := filepath.Join(t.TempDir(), "r.json")
	out, _, code := ftpsniff(t, "--ladder=S1", "-F", "json", "-o", path, "--fail-on", "error", s6)
	if code != exitFindings {
		t.Errorf("exit %d, want %d (an error finding)", code, exitFindings)
	}
	if !strings.Contains(out, "S1: 10.1.0.2:60168") {
		t.Errorf("no ladder on standard output:\n%s", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sessions, transfers, summary := records(t, string(b))
	if len(sessions) != 2 || len(transfers) != 2 || summary == nil {
		t.Errorf("the JSON report holds %d sessions, %d transfers, summary %v", len(sessions), len(transfers), summary)
	}
	// Without -o, --fail-on still counts the findings of the report not written.
	if _, _, code := ftpsniff(t, "--ladder", "--fail-on", "error", s6); code != exitFindings {
		t.Errorf("--ladder --fail-on error: exit %d, want %d", code, exitFindings)
	}
}

// TestLadderWidthAndColours: the width comes from COLUMNS on a pipe;
// colours only on a terminal, never with --no-color or NO_COLOR.
func TestLadderWidthAndColours(t *testing.T) {
	noColorEnv(t)
	t.Setenv("COLUMNS", "64")
	out, _, _ := ftpsniff(t, "--ladder=S1", s6)
	widest := 0
	for _, line := range strings.Split(out, "\n") {
		widest = max(widest, utf8.RuneCountInString(line))
	}
	if widest > 64 || widest < 60 {
		t.Errorf("COLUMNS=64: the widest line has %d cells\n%s", widest, out)
	}

	defer func(f func(io.Writer) bool) { screenTerminal = f }(screenTerminal)
	screenTerminal = func(io.Writer) bool { return true }
	colored, _, _ := ftpsniff(t, "--ladder=S1", s6)
	if !strings.Contains(colored, "\x1b[") {
		t.Errorf("no colours on a terminal:\n%q", colored)
	}
	if plain, _, _ := ftpsniff(t, "--ladder=S1", "--no-color", s6); strings.IndexByte(plain, 0x1b) >= 0 || plain != out {
		t.Errorf("--no-color on a terminal: colours, or not the plain ladder:\n%q", plain)
	}
	t.Setenv("NO_COLOR", "1")
	if plain, _, _ := ftpsniff(t, "--ladder=S1", s6); strings.IndexByte(plain, 0x1b) >= 0 {
		t.Errorf("NO_COLOR=1 on a terminal: colours")
	}
	t.Setenv("NO_COLOR", "")
	t.Setenv("TERM", "dumb")
	if plain, _, _ := ftpsniff(t, "--ladder=S1", s6); strings.IndexByte(plain, 0x1b) >= 0 {
		t.Errorf("TERM=dumb: colours")
	}
}

// TestLadderTwoPointsFlag: with two capture points the sessions matched
// across the NAT are drawn once, the points as columns, the rewrite
// between them.
func TestLadderTwoPointsFlag(t *testing.T) {
	noColorEnv(t)
	out, stderr, code := ftpsniff(t, "--ladder=inside:S3",
		"--point", "inside=lab/captures/s2-nat-alg-active.client-lan.pcap", "--point", "outside=lab/captures/s2-nat-alg-active.nat-outside.pcap")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Count(out, "S3: 10.1.0.2:") != 1 || !strings.Contains(out, "seen at inside → outside") || !strings.Contains(out, "◇ rewritten") ||
		!strings.Contains(out, "PORT 10,1,0,2,156,67 → PORT 198,51,100,1,156,67") || !strings.Contains(out, "inside#82") {
		t.Errorf("the two-point ladder of S3:\n%s", out)
	}
}
