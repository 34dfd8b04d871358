package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/golden"
	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// screenCases are the reports drawn on real terminals: a capture whose
// three transfers fail, and one comparing two capture points across a NAT.
var screenCases = []struct {
	name  string
	args  []string
	width int
}{
	{"data-failures", []string{"testdata/data-failures.pcap"}, 80},
	{"data-failures", []string{"testdata/data-failures.pcap"}, 120},
	{"data-failures", []string{"testdata/data-failures.pcap"}, 200},
	{"nat-no-alg", []string{"lab/captures/s3-nat-noalg-active.nat-outside.pcap"}, 80},
	{"alg-two-points", []string{"--point", "inside=testdata/router-any-sll2.pcap@2", "--point", "outside=testdata/router-any-sll2.pcap@3"}, 120},
}

// TestTerminalScreens runs ftpsniff in tmux panes 80, 120 and 200 columns
// wide and compares what the screen shows with testdata/golden/screen/
// (refresh with -update, then read the diff). The width comes from the
// terminal itself: COLUMNS is set to a wrong value to prove it. No line of
// the report may be wider than the pane (tmux would wrap it), and the
// severities are coloured on a terminal.
//
// scripts/deps.sh terminal installs tmux. Skipped with -short; without
// tmux it fails as root with apt-get (it could have installed it) and
// skips elsewhere.
func TestTerminalScreens(t *testing.T) {
	if testing.Short() {
		suite.Skip(t, "-short", suite.Terminal)
	}
	suite.Require(t, []string{suite.Terminal}, "terminal")
	detail := "did not finish"
	suite.Track(t, suite.Terminal, &detail)

	dir := t.TempDir()
	bin := filepath.Join(dir, "ftpsniff")
	build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, "./cmd/ftpsniff")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "tmux.sock") // a server of its own, whatever else runs tmux
	tmux := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "tmux", append([]string{"-S", socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
		return string(out), err
	}
	defer tmux("kill-server")
	// tmux's server exits with its last session. Each case kills its own
	// session, so without this one the next case's new-session could
	// reach a server on its way out ("server exited unexpectedly", seen in
	// CI): this session keeps the server up until kill-server.
	if out, err := tmux("new-session", "-d", "-s", "keep-server", "sleep 600"); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}

	for _, c := range screenCases {
		name := fmt.Sprintf("%s.%d", c.name, c.width)
		t.Run(name, func(t *testing.T) {
			const height = 400 // the whole report stays on the screen
			done := "done-" + strings.ReplaceAll(name, ".", "-")
			var quoted []string
			for _, a := range append([]string{bin}, c.args...) {
				quoted = append(quoted, shellQuote(a))
			}
			script := fmt.Sprintf("cd %s && COLUMNS=33 NO_COLOR= TERM=xterm-256color %s; tmux -S %s wait-for -S %s; sleep 60",
				shellQuote(wd), strings.Join(quoted, " "), shellQuote(socket), done)
			if out, err := tmux("new-session", "-d", "-s", done, "-x", fmt.Sprint(c.width), "-y", fmt.Sprint(height), "sh", "-c", script); err != nil {
				t.Fatalf("tmux new-session: %v: %s", err, out)
			}
			defer tmux("kill-session", "-t", done)
			if out, err := tmux("wait-for", done); err != nil {
				t.Fatalf("tmux wait-for: %v: %s", err, out)
			}
			if w, err := tmux("display-message", "-p", "-t", done, "#{pane_width}"); err != nil || strings.TrimSpace(w) != fmt.Sprint(c.width) {
				t.Fatalf("the pane is %q columns wide, want %d (%v)", strings.TrimSpace(w), c.width, err)
			}
			screen, err := tmux("capture-pane", "-p", "-t", done, "-S", "0", "-E", fmt.Sprint(height-1))
			if err != nil {
				t.Fatalf("tmux capture-pane: %v: %s", err, screen)
			}
			joined, _ := tmux("capture-pane", "-p", "-J", "-t", done, "-S", "0", "-E", fmt.Sprint(height-1))
			coloured, _ := tmux("capture-pane", "-p", "-e", "-t", done, "-S", "0", "-E", fmt.Sprint(height-1))
			screen, joined = trimScreen(screen), trimScreen(joined)
			if strings.Count(screen, "\n") >= height-1 {
				t.Fatalf("the report fills the %d-line pane: make it taller", height)
			}
			if screen != joined {
				t.Errorf("a line is wider than %d columns (tmux wrapped it):\n%s", c.width, golden.Diff(screen, joined))
			}
			if strings.Contains(screen, "ERROR") && !strings.Contains(coloured, "\x1b[") {
				t.Errorf("the severities are not coloured on a terminal")
			}
			checkGolden(t, filepath.Join("testdata", "golden", "screen", name+".txt"), screen)
		})
	}
	detail = fmt.Sprintf("%d reports on tmux terminals of 80, 120 and 200 columns", len(screenCases))
}

// trimScreen drops the spaces that end a screen's lines and the blank
// lines below the report.
func trimScreen(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n") + "\n"
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
