package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// TestHTMLReportInABrowser loads the HTML report of a lab capture in
// headless Chromium (scripts/browser-check.sh) and checks what a person
// would see: the page's scripts run with no error, the tables sort and
// filter, each session has its ladder drawn as SVG with its data arrow, and
// the dropped SYN ends in a ✕. It keeps the screenshot and says where; with
// -update it also refreshes docs/report-screenshot.png.
//
// scripts/deps.sh browser installs Chromium. Skipped with -short and with
// FTPSNIFF_NO_BROWSER=1; without Chromium it fails as root with apt-get
// (it could have installed it) and skips elsewhere.
func TestHTMLReportInABrowser(t *testing.T) {
	if testing.Short() {
		suite.Skip(t, "-short", suite.Browser)
	}
	if os.Getenv("FTPSNIFF_NO_BROWSER") != "" {
		suite.Skip(t, "FTPSNIFF_NO_BROWSER is set", suite.Browser)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		suite.Unavailable(t, "no bash to run scripts/browser-check.sh", suite.Browser)
	}
	suite.Require(t, []string{suite.Browser}, "browser")
	detail := "did not finish"
	suite.Track(t, suite.Browser, &detail)
	limit := 2 * time.Minute // two Chromium runs, 40 s each at most

	// The lab scenario: a firewall drops the passive data connections.
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("ftpsniff-browser-check-%d", os.Getuid()))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.html")
	if _, stderr, code := ftpsniff(t, "-F", "html", "-o", report, "lab/captures/s6-fw-drop-passive.client-lan.pcap"); code != 0 {
		t.Fatalf("ftpsniff: exit %d: %s", code, stderr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "scripts/browser-check.sh", report, dir)
	cmd.Env = append(os.Environ(), "WINDOW_SIZE=1280,1940")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 77:
		suite.Unavailable(t, lastLines(out.String(), 3), suite.Browser)
	case ctx.Err() != nil:
		t.Fatalf("scripts/browser-check.sh did not finish in %s:\n%s", limit, lastLines(out.String(), 30))
	case err != nil:
		t.Fatalf("scripts/browser-check.sh: %v\n%s", err, lastLines(out.String(), 40))
	}
	t.Logf("browser check took %s", took.Round(time.Millisecond))
	detail = fmt.Sprintf("the HTML report of s6 in headless Chromium (%s)", took.Round(100*time.Millisecond))

	dom, err := os.ReadFile(filepath.Join(dir, "dom.html"))
	if err != nil {
		t.Fatal(err)
	}
	// No script error: none recorded by the page, and its script finished.
	if bytes.Contains(dom, []byte(`<ol id="script-errors"><li`)) {
		t.Errorf("the page recorded script errors: %s", regexp.MustCompile(`<ol id="script-errors">.*?</ol>`).Find(dom))
	}
	if !regexp.MustCompile(`<html[^>]* data-js="ready"`).Match(dom) {
		t.Errorf("the report's script did not run to its end")
	}
	// What the self-test saw in the live page.
	m := regexp.MustCompile(`(?s)<pre id="browser-selftest">(.*?)</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("no self-test output in the DOM:\n%s", lastLines(out.String(), 20))
	}
	saw := string(m[1])
	for _, want := range []string{
		"transfer_rows=2", "sorted_desc=true", // the Bytes column sorts, descending on the second click
		"filter_visible=1", "filter_none=0", "filter_cleared=2", // the filter box hides and shows rows
		"problems_visible=2",                                                       // both transfers failed
		"svgs=2",                                                                   // one ladder per session
		"ladder=S1 data_arrows=1 dies=15:✕ ", "ladder=S2 data_arrows=1 dies=36:✕ ", // the dropped SYNs (frames 15 and 36)
	} {
		if !strings.Contains(saw, want) {
			t.Errorf("the browser saw no %q:\n%s", want, saw)
		}
	}
	if strings.Count(saw, "drawn=true") != 2 {
		t.Errorf("a ladder was not laid out by the browser:\n%s", saw)
	}

	shot := filepath.Join(dir, "screenshot.png")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 20000 {
		t.Fatalf("%s is not a screenshot of the page (%d bytes)", shot, len(png))
	}
	t.Logf("screenshot kept at %s (the report: %s)", shot, report)
	if *update {
		if err := os.WriteFile(filepath.Join("docs", "report-screenshot.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("docs/report-screenshot.png updated")
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
