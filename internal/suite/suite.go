// Package suite is how ftpsniff's heavy test suites (the namespace lab, live
// capture, the headless-browser check, the checks against tshark) set
// themselves up and say what became of them.
//
// A heavy suite needs system packages (scripts/deps.sh installs them) and
// often root. Where it could have run (as root, with apt-get) but cannot set
// itself up, it fails with the reason instead of skipping: a skip is
// invisible in `go test` output, and a green run that skipped the lab proves
// nothing. Elsewhere it skips with one line. Either way it appends one line
// to the file named by FTPSNIFF_SUITE_LOG, from which scripts/test.sh prints
// its closing account of the heavy suites.
package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The heavy suites, by the names the account prints.
const (
	Lab     = "lab"
	Live    = "live capture"
	Browser = "browser"
	Tshark  = "tshark"
	// Terminal is the table report drawn on real terminals (tmux).
	Terminal = "terminal"
	// Prometheus is a real Prometheus server scraping live capture's
	// metrics (lab/prometheus_test.go).
	Prometheus = "prometheus"
)

// LogEnv names the file each suite appends its line to.
const LogEnv = "FTPSNIFF_SUITE_LOG"

// CouldRun reports whether this machine could set up any heavy suite by
// itself: root, with apt-get to install what is missing.
func CouldRun() bool {
	if os.Geteuid() != 0 {
		return false
	}
	_, err := exec.LookPath("apt-get")
	return err == nil
}

// Unavailable ends a suite's test because the suite cannot set itself up:
// a failure where it could have run (CouldRun), a skip elsewhere. The
// reason is recorded for every suite named (a test may carry several).
func Unavailable(t testing.TB, reason string, names ...string) {
	t.Helper()
	if CouldRun() {
		for _, n := range names {
			record(n, "FAILED", reason)
		}
		t.Fatalf("%s: cannot set itself up as root with apt-get available: %s", strings.Join(names, ", "), reason)
	}
	Skip(t, reason, names...)
}

// Skip ends a suite's test because the person running it asked for that
// (-short, an environment variable) or the machine cannot run it at all
// (not root): a skip everywhere, recorded for every suite named.
func Skip(t testing.TB, reason string, names ...string) {
	t.Helper()
	for _, n := range names {
		record(n, "skipped", reason)
	}
	t.Skipf("%s: skipped: %s", strings.Join(names, ", "), reason)
}

// Track records, when t ends, that the suite ran (or ran and failed), with
// what *detail says it covered by then. A suite that ended in Unavailable
// or Skip has its line already.
func Track(t testing.TB, name string, detail *string) {
	t.Cleanup(func() {
		switch {
		case t.Skipped():
		case t.Failed():
			record(name, "FAILED", *detail+" (see the test's output)")
		default:
			record(name, "ran", *detail)
		}
	})
}

// Require makes sure the packages of the given deps.sh suites are
// installed for the suites named, running scripts/deps.sh (a no-op when nothing is missing; it
// waits for the apt lock). When they cannot be, the suite is Unavailable.
func Require(t testing.TB, names []string, depsSuites ...string) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		Unavailable(t, err.Error(), names...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "deps.sh"), depsSuites...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	msg := strings.TrimSpace(out.String())
	var exit *exec.ExitError
	switch {
	case err == nil:
		t.Log(lastLine(msg))
	case errors.As(err, &exit) && exit.ExitCode() == 77:
		Unavailable(t, lastLine(msg), names...)
	default:
		Unavailable(t, fmt.Sprintf("scripts/deps.sh %s: %v: %s", strings.Join(depsSuites, " "), err, msg), names...)
	}
}

// RepoRoot is the directory holding go.mod, found upwards from the test's
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = up
	}
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// recorded holds the suites this test process has written a line for:
// one line per suite.
var (
	recordedMu sync.Mutex
	recorded   = map[string]bool{}
)

// record appends "NAME\tSTATUS\tDETAIL" to the suite log, if there is one
// and the suite has no line from this process yet.
func record(name, status, detail string) {
	path := os.Getenv(LogEnv)
	if path == "" {
		return
	}
	recordedMu.Lock()
	defer recordedMu.Unlock()
	if recorded[name] {
		return
	}
	recorded[name] = true
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	detail = strings.Join(strings.Fields(detail), " ")
	fmt.Fprintf(f, "%s\t%s\t%s\n", name, status, detail)
}
