// Package lab_test is ftpsniff's main integration test: real FTP traffic
// between real servers (vsftpd, pyftpdlib) and clients (curl, lftp, a split
// PORT client) across real Linux NAT (nftables, with and without the kernel
// FTP helper), captured with tcpdump on both sides of each router by
// lab.sh, then analysed by the ftpsniff binary, whose JSON records must
// match what each scenario's configuration makes known (expect_test.go).
//
// Needs root and `ip netns`; skips with one line otherwise, and in -short
// mode. Keep the captures with `go test ./lab -keep DIR` or
// FTPSNIFF_LAB_KEEP=DIR (ftpsniff's JSON output is kept beside them).
package lab_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/suite"
)

var keepDir = flag.String("keep", "", "keep the lab's captures (and ftpsniff's JSON) in `DIR`; also FTPSNIFF_LAB_KEEP")

// scenarioTimeout bounds one lab.sh run (FTPSNIFF_LAB_SCENARIO_TIMEOUT, a Go
// duration, overrides it). The longest scenario takes about 15 s.
func scenarioTimeout() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("FTPSNIFF_LAB_SCENARIO_TIMEOUT")); err == nil && d > 0 {
		return d
	}
	return 2 * time.Minute
}

func TestLab(t *testing.T) {
	both := []string{suite.Lab, suite.Live} // live capture runs inside the lab's scenarios
	if testing.Short() {
		suite.Skip(t, "-short (the lab builds network namespaces and runs real FTP traffic)", both...)
	}
	if os.Geteuid() != 0 {
		suite.Skip(t, "not root: network namespaces, nftables, tcpdump and raw sockets need root; run `sudo go test ./lab`", both...)
	}
	if err := exec.Command("ip", "netns", "list").Run(); err != nil {
		suite.Unavailable(t, fmt.Sprintf("`ip netns` is not available (%v): needs iproute2 and network namespace support", err), both...)
	}
	// What the lab needs is installed once, up front, by the one script
	// that installs packages (a no-op after scripts/test.sh ran it).
	suite.Require(t, both, "lab")

	out := *keepDir
	if out == "" {
		out = os.Getenv("FTPSNIFF_LAB_KEEP")
	}
	if out == "" {
		out = t.TempDir()
	} else {
		abs, err := filepath.Abs(out)
		if err != nil {
			t.Fatal(err)
		}
		out = abs
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Logf("lab: keeping captures in %s", out)
	}

	labSh, err := filepath.Abs("lab.sh")
	if err != nil {
		t.Fatal(err)
	}
	var ran, live int
	labDetail, liveDetail := "no scenario finished", "no scenario finished"
	suite.Track(t, suite.Lab, &labDetail)
	suite.Track(t, suite.Live, &liveDetail)
	defer func() {
		most := 0
		for _, sc := range scenarios {
			most = max(most, len(sc.Points))
		}
		labDetail = fmt.Sprintf("%d of %d scenarios, real FTP through NATs and middleboxes captured at up to %d points each", ran, len(scenarios), most)
		liveDetail = fmt.Sprintf("ftpsniff -i beside tcpdump in %d scenarios", live)
	}()

	analyzer, buildErr := buildAnalyzer(t)
	if buildErr != nil {
		// Expected until cmd/ftpsniff exists: the lab still runs and checks
		// its own side (captures, client outcomes); the analyzer's
		// assertions cannot run.
		t.Errorf("lab: the analyzer is missing: `go build ./cmd/ftpsniff` failed, so no capture point can be checked:\n%v", buildErr)
	}

	if buildErr == nil {
		// lab.sh runs ftpsniff's live capture beside tcpdump on the client
		// LAN; checkLive compares the two.
		os.Setenv("FTPSNIFF_LAB_LIVE", analyzer)
		defer os.Unsetenv("FTPSNIFF_LAB_LIVE")
	}
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			facts := runScenario(t, labSh, sc.Name, out)
			checkSteps(t, sc, facts)
			if buildErr != nil {
				return
			}
			dir := filepath.Join(out, sc.Name)
			for _, name := range sortedKeys(sc.Points) {
				checkPoint(t, analyzer, dir, name, sc, sc.Points[name], facts)
			}
			if sc.ALG != nil {
				checkALG(t, analyzer, dir, sc)
			}
			checkPath(t, analyzer, dir, sc, facts)
			checkLive(t, analyzer, dir, sc)
			if sc.ALG != nil && sc.ALGPoints[0] == "" {
				checkLiveALG(t, dir, sc)
			}
			live++
		})
		ran++
	}
}

// ---- lab side -------------------------------------------------------------------

type facts struct {
	Scenario  string            `json:"scenario"`
	Prefix    string            `json:"prefix"`
	Addresses map[string]string `json:"addresses"`
	Ports     struct {
		Pasv       int `json:"pasv"`
		ActiveBase int `json:"active_base"`
	} `json:"ports"`
	Points map[string]string `json:"points"`
	// tcpdump's own count at exit, per point
	CaptureStats map[string]struct {
		Captured        int `json:"captured"`
		DroppedByKernel int `json:"dropped_by_kernel"`
	} `json:"capture_stats"`
	Steps []struct {
		N      int     `json:"n"`
		Name   string  `json:"name"`
		Expect string  `json:"expect"`
		Exit   int     `json:"exit"`
		Secs   float64 `json:"seconds"`
		Cmd    string  `json:"cmd"`
	} `json:"steps"`
}

// runBounded runs a command in its own process group; past the bound the
// whole group gets SIGTERM (lab.sh's trap then tears its lab down), and
// SIGKILL 20 s later.
func runBounded(bound time.Duration, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	ownProcessGroup(cmd)
	cmd.WaitDelay = 20 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %v: %w", bound, err)
	}
	return buf.Bytes(), err
}

func runScenario(t *testing.T, labSh, name, out string) *facts {
	t.Helper()
	start := time.Now()
	b, err := runBounded(scenarioTimeout(), labSh, "run", name, out)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.ExitCode() == 4:
		// client outcomes differ from the scenario: checkSteps says which
	case errors.As(err, &ee) && ee.ExitCode() == 77:
		suite.Unavailable(t, strings.TrimSpace(string(b)), suite.Lab, suite.Live)
	default:
		// leftovers of a run that could not clean up (killed) go now
		runBounded(time.Minute, labSh, "gc")
		t.Fatalf("lab.sh run %s: %v\n%s", name, err, b)
	}
	t.Logf("lab.sh run %s: %.1fs", name, time.Since(start).Seconds())
	fb, err := os.ReadFile(filepath.Join(out, name, "facts.json"))
	if err != nil {
		t.Fatalf("lab.sh run %s wrote no facts.json: %v\n%s", name, err, b)
	}
	var f facts
	if err := json.Unmarshal(fb, &f); err != nil {
		t.Fatalf("%s/facts.json: %v", name, err)
	}
	for p, file := range f.Points {
		st, err := os.Stat(filepath.Join(out, name, file))
		if err != nil || st.Size() <= 24 { // 24: a pcap header and no packet
			t.Errorf("capture point %s: %s missing or empty (%v)", p, file, err)
		}
		cs, ok := f.CaptureStats[p]
		if !ok || cs.Captured <= 0 || cs.DroppedByKernel != 0 {
			t.Errorf("capture point %s: tcpdump captured %d, dropped by kernel %d (want >0 and 0)", p, cs.Captured, cs.DroppedByKernel)
		}
	}
	return &f
}

func checkSteps(t *testing.T, sc scenario, f *facts) {
	t.Helper()
	if len(f.Steps) != len(sc.Steps) {
		t.Fatalf("lab ran %d client steps, the test expects %d", len(f.Steps), len(sc.Steps))
	}
	for i, s := range f.Steps {
		got := "ok"
		if s.Exit != 0 {
			got = "fail"
		}
		if got != sc.Steps[i] || s.Expect != sc.Steps[i] {
			t.Errorf("step %d %s: client %s (exit %d), lab.sh expects %s, test expects %s (see clients.log)",
				s.N, s.Name, got, s.Exit, s.Expect, sc.Steps[i])
		}
	}
}

// ---- analyzer side ----------------------------------------------------------------

func repoRoot() (string, error) { return filepath.Abs("..") }

// buildAnalyzer builds ./cmd/ftpsniff, or takes FTPSNIFF_LAB_ANALYZER (a
// prebuilt binary) when set.
func buildAnalyzer(t *testing.T) (string, error) {
	t.Helper()
	if bin := os.Getenv("FTPSNIFF_LAB_ANALYZER"); bin != "" {
		return filepath.Abs(bin)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(t.TempDir(), "ftpsniff")
	goTool := "go"
	if _, err := exec.LookPath(goTool); err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, "./cmd/ftpsniff")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%v\n%s", err, b)
	}
	return bin, nil
}

// record is one ftpsniff JSON Lines object (CONTRACT.md), the fields used here.
type record struct {
	Type     string `json:"type"`
	ID       string `json:"id"`
	Session  string `json:"session"`
	Point    string `json:"point"`
	Client   string `json:"client"`
	Server   string `json:"server"`
	Start    string `json:"start"`
	TLS      bool   `json:"tls"`
	Command  string `json:"command"`
	Arg      string `json:"arg"`
	Mode     string `json:"mode"`
	Severity string `json:"severity"`
	Summary  string `json:"summary"`
	Advice   string `json:"advice"`
	Transfer string `json:"transfer"`
	Packets  int    `json:"packets"` // summary
	Verdict  string `json:"verdict"` // alg
	// "code" is a string in findings and absent elsewhere at this level
	Code        json.RawMessage `json:"code"`
	Negotiation *struct {
		Command   string `json:"command"`
		Arg       string `json:"arg"`
		ReplyCode int    `json:"reply_code"`
		Address   string `json:"address"`
		Frame     int    `json:"frame"`
		Time      string `json:"time"`
	} `json:"negotiation"`
	Data *struct {
		State     string `json:"state"`
		Initiator string `json:"initiator"`
		Src       string `json:"src"`
		Dst       string `json:"dst"`
		SynFrame  int    `json:"syn_frame"`
	} `json:"data"`
	Reply *struct {
		Code int    `json:"code"`
		Text string `json:"text"`
	} `json:"reply"`
}

func (r record) findingCode() string {
	var s string
	json.Unmarshal(r.Code, &s)
	return s
}

// checkLive checks ftpsniff's live capture on the client LAN (run by
// lab.sh beside tcpdump, ended with SIGINT): it ended cleanly with its
// summary, its verdicts are those of the offline analysis of tcpdump's
// capture of the same traffic, and its -w file reads back to the same
// result, frame numbers included.
func checkLive(t *testing.T, analyzer, dir string, sc scenario) {
	t.Helper()
	// lab.sh runs it with --fail-on error: the exit status says whether
	// the client LAN's findings hold an error, streamed or not.
	want := "0"
	for _, f := range sc.Points[clientLAN].Findings {
		if strings.HasPrefix(f, "error:") {
			want = "3"
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "live.exit"))
	if err != nil || strings.TrimSpace(string(b)) != want {
		errb, _ := os.ReadFile(filepath.Join(dir, "live.err"))
		t.Errorf("live: ftpsniff -i lan0 --fail-on error ended with status %q on SIGINT, want %s (%v): %s", b, want, err, errb)
		return
	}
	live := readRecords(t, filepath.Join(dir, "live.json"))
	if len(live) == 0 || live[len(live)-1].Type != "summary" {
		t.Errorf("live: the output does not end with the summary")
	}
	offline := runAnalyzer(t, analyzer, filepath.Join(dir, clientLAN+".pcap"))
	reread := runAnalyzerArgs(t, analyzer, filepath.Join(dir, "live-reread"), filepath.Join(dir, "live.pcap"))
	key := func(recs []record, frames bool) []string {
		var out []string
		seen := map[string]bool{}
		for _, r := range recs {
			switch r.Type {
			case "transfer":
				k := r.Command + " " + r.Mode
				if r.Negotiation != nil {
					k += " " + r.Negotiation.Address
					if frames {
						k += fmt.Sprintf("@%d", r.Negotiation.Frame)
					}
				}
				if r.Data != nil {
					k += " " + r.Data.State
				}
				if r.Reply != nil {
					k += fmt.Sprintf(" %d", r.Reply.Code)
				}
				out = append(out, k)
			case "finding":
				// Findings are grouped differently live (per transfer, as
				// decided) and offline (per session): compare their codes.
				if k := "finding " + r.findingCode(); !seen[k] {
					seen[k] = true
					out = append(out, k)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	if got, want := key(live, false), key(offline, false); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("live: verdicts differ from tcpdump's capture:\n live: %q\n tcpdump: %q", got, want)
	}
	if got, want := key(reread, true), key(live, true); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("live: the -w file reads back differently:\n re-read: %q\n live: %q", got, want)
	}
}

// checkLiveALG checks the live comparison of r1's two sides (lab.sh runs
// ftpsniff --point inside=iface:lan0 --point outside=iface:wan0): the same
// verdicts as comparing the two captures.
func checkLiveALG(t *testing.T, dir string, sc scenario) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(dir, "live-alg.exit")); err != nil || strings.TrimSpace(string(b)) != "0" {
		errb, _ := os.ReadFile(filepath.Join(dir, "live-alg.err"))
		t.Errorf("live ALG: ftpsniff did not end with status 0 on SIGINT (%q): %s", b, errb)
		return
	}
	var got []string
	for _, r := range readRecords(t, filepath.Join(dir, "live-alg.json")) {
		if r.Type == "alg" {
			got = append(got, r.Verdict)
		}
	}
	if strings.Join(got, " ") != strings.Join(sc.ALG, " ") {
		t.Errorf("live ALG comparison of lan0 and wan0: verdicts %q, want %q", got, sc.ALG)
	}
}

func readRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("%s: not JSON: %q", path, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// checkALG runs the two-point comparison of a router's two sides (by
// default r1: client LAN inside, NAT outside) and checks each
// negotiation's verdict, in order.
func checkALG(t *testing.T, analyzer, dir string, sc scenario) {
	t.Helper()
	in, out := clientLAN, natOutside
	if sc.ALGPoints[0] != "" {
		in, out = sc.ALGPoints[0], sc.ALGPoints[1]
	}
	recs := runAnalyzerArgs(t, analyzer, filepath.Join(dir, "alg"), "--point", "inside="+filepath.Join(dir, in+".pcap"),
		"--point", "outside="+filepath.Join(dir, out+".pcap"))
	var got []string
	for _, r := range recs {
		if r.Type == "alg" {
			got = append(got, r.Verdict)
		}
	}
	if strings.Join(got, " ") != strings.Join(sc.ALG, " ") {
		t.Errorf("alg comparison of %s and %s: verdicts %q, want %q", in, out, got, sc.ALG)
	}
}

// pathRecord is ftpsniff's {"type":"path"} record, as far as the lab checks it.
type pathRecord struct {
	Type         string            `json:"type"`
	Points       []string          `json:"points"`
	Sessions     map[string]string `json:"sessions"`
	Negotiations []struct {
		Command string `json:"command"`
		Data    struct {
			State      string   `json:"state"`
			SeenAt     []string `json:"seen_at"`
			DiedAfter  *string  `json:"died_after"`
			DiedBefore *string  `json:"died_before"`
		} `json:"data"`
	} `json:"negotiations"`
}

// checkPath reads the scenario's four capture points at once (given out of
// order: ftpsniff orders them from hop limits) and checks, in every
// scenario, that each session's story has one finding per cause (no code
// twice for one session, whatever the points said) and, where sc.Path
// says, where each session's data connection died.
func checkPath(t *testing.T, analyzer, dir string, sc scenario, fa *facts) {
	t.Helper()
	var args []string
	for _, p := range []string{serverLAN, clientLAN, natOutside, serverOutside} {
		args = append(args, "--point", p+"="+filepath.Join(dir, p+".pcap"))
	}
	order := sc.PathPoints
	if order == nil {
		order = []string{clientLAN, natOutside, serverOutside, serverLAN}
	} else {
		// given out of order, the server's LAN first: ftpsniff must find
		// the order itself (nat-outside and server-outside, on one link,
		// keep the order given)
		args = []string{"--point", order[len(order)-1] + "=" + filepath.Join(dir, order[len(order)-1]+".pcap")}
		for _, p := range order[:len(order)-1] {
			args = append(args, "--point", p+"="+filepath.Join(dir, p+".pcap"))
		}
	}
	out, err := exec.Command(analyzer, append([]string{"-F", "json"}, args...)...).Output()
	if err != nil {
		t.Fatalf("ftpsniff %s: %v", strings.Join(args, " "), err)
	}
	os.WriteFile(filepath.Join(dir, "path.ftpsniff.json"), out, 0o644)
	var paths []pathRecord
	var findings []record
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var head struct{ Type string }
		json.Unmarshal(line, &head)
		switch head.Type {
		case "path":
			var p pathRecord
			if err := json.Unmarshal(line, &p); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
		case "finding":
			var r record
			json.Unmarshal(line, &r)
			findings = append(findings, r)
		}
	}
	if sc.Path != nil && len(paths) != len(sc.Path) {
		t.Fatalf("path: %d sessions seen at several points, want %d", len(paths), len(sc.Path))
	}
	for i, p := range paths {
		if got := strings.Join(p.Points, ","); got != strings.Join(order, ",") {
			t.Errorf("path order %s, want %s", got, strings.Join(order, ","))
		}
		got := ""
		if len(p.Negotiations) > 0 {
			d := p.Negotiations[0].Data
			got = d.State
			if d.DiedAfter != nil {
				before := "-"
				if d.DiedBefore != nil {
					before = *d.DiedBefore
				}
				got += " " + *d.DiedAfter + "|" + before
			}
		}
		if sc.Path != nil && got != sc.Path[i] {
			t.Errorf("path session %d (%v): data %q, want %q", i+1, p.Sessions, got, sc.Path[i])
		}
		// one finding per cause
		seen := map[string]string{}
		for _, f := range findings {
			if p.Sessions[f.Point] != f.Session {
				continue
			}
			code := f.findingCode()
			if prev, ok := seen[code]; ok {
				t.Errorf("path session %d: %s said twice (%s, then %s at %s)", i+1, code, prev, f.Severity, f.Point)
			}
			seen[code] = f.Severity + " at " + f.Point
		}
	}
	checkSays(t, "path", sc.PathSays, findings, fa)
}

// checkSays checks a point's (or the path's) key facts: each "code: text"
// is in the summary or advice of some finding of that code; "!code: text"
// in none of them; "!*: text" in no finding at all.
func checkSays(t *testing.T, where string, says []string, findings []record, f *facts) {
	t.Helper()
	for _, s := range says {
		code, text, ok := strings.Cut(s, ": ")
		if !ok {
			t.Fatalf("%s: bad Says entry %q (want \"code: text\")", where, s)
		}
		text = expand(text, f)
		neg := strings.HasPrefix(code, "!")
		code = strings.TrimPrefix(code, "!")
		found := false
		for _, fr := range findings {
			if (code == "*" || fr.findingCode() == code) && (strings.Contains(fr.Summary, text) || strings.Contains(fr.Advice, text)) {
				found = true
				if neg {
					t.Errorf("%s: %s %s says %q, which must not be said:\n%s\n%s", where, fr.Severity, fr.findingCode(), text, fr.Summary, fr.Advice)
				}
			}
		}
		if !neg && !found {
			t.Errorf("%s: no %s finding says %q; the findings:", where, code, text)
			for _, fr := range findings {
				t.Logf("%s: %s %s: %s\n  advice: %s", where, fr.Severity, fr.findingCode(), fr.Summary, fr.Advice)
			}
		}
	}
}

func runAnalyzer(t *testing.T, analyzer, pcap string) []record {
	return runAnalyzerArgs(t, analyzer, pcap, pcap)
}

// runAnalyzerArgs runs ftpsniff --format json ARGS and keeps its output
// beside keep (keep.ftpsniff.json).
func runAnalyzerArgs(t *testing.T, analyzer, keep string, args ...string) []record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pcap := keep
	cmd := exec.CommandContext(ctx, analyzer, append([]string{"--format", "json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ftpsniff --format json %s: %v\n%s", filepath.Base(pcap), err, stderr.Bytes())
	}
	// kept beside the capture, for a person comparing with Wireshark
	os.WriteFile(strings.TrimSuffix(pcap, ".pcap")+".ftpsniff.json", stdout.Bytes(), 0o644)
	var recs []record
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("ftpsniff output line %d is not JSON: %v\n%s", n, err, line)
		}
		if r.Type == "" {
			t.Errorf("ftpsniff output line %d has no \"type\": %s", n, line)
		}
		recs = append(recs, r)
	}
	return recs
}

func checkPoint(t *testing.T, analyzer, dir, name string, sc scenario, want point, f *facts) {
	t.Helper()
	file, ok := f.Points[name]
	if !ok {
		t.Errorf("%s: lab.sh has no capture point %q", sc.Name, name)
		return
	}
	recs := runAnalyzer(t, analyzer, filepath.Join(dir, file))

	// sessions in the order they started: one per client step
	var sessions []record
	transfers := map[string][]record{}
	var findings []record
	summaries := 0
	for _, r := range recs {
		switch r.Type {
		case "summary":
			summaries++
			// every record tcpdump wrote is read
			if cs, ok := f.CaptureStats[name]; ok && r.Packets != cs.Captured {
				t.Errorf("%s: summary packets %d, tcpdump captured %d", name, r.Packets, cs.Captured)
			}
		case "session":
			sessions = append(sessions, r)
		case "transfer":
			transfers[r.Session] = append(transfers[r.Session], r)
		case "finding":
			findings = append(findings, r)
		}
	}
	if summaries != 1 {
		t.Errorf("%s: %d summary records, want 1", name, summaries)
	}
	sort.SliceStable(sessions, func(i, j int) bool { return sessions[i].Start < sessions[j].Start })
	var exps [][]xfer // the sessions this point must see, in order
	for _, e := range want.Steps {
		if e != nil {
			exps = append(exps, e)
		}
	}
	if len(sessions) != len(exps) {
		t.Errorf("%s: %d sessions, want %d", name, len(sessions), len(exps))
	}
	for i := 0; i < len(sessions) && i < len(exps); i++ {
		s := sessions[i]
		if s.TLS != sc.TLS {
			t.Errorf("%s: session %d %s (%s -> %s): tls %v, want %v", name, i+1, s.ID, s.Client, s.Server, s.TLS, sc.TLS)
		}
		got := transfers[s.ID]
		sort.SliceStable(got, func(a, b int) bool { return negFrame(got[a]) < negFrame(got[b]) })
		exp := exps[i]
		if len(got) != len(exp) {
			t.Errorf("%s: session %d %s: %d transfers, want %d:\n%s", name, i+1, s.ID, len(got), len(exp), describe(got))
		}
		for j := 0; j < len(got) && j < len(exp); j++ {
			for _, d := range diffTransfer(got[j], exp[j], f) {
				t.Errorf("%s: session %d transfer %s: %s", name, i+1, got[j].ID, d)
			}
		}
	}
	// findings: exactly this set of severity:code
	seen := map[string]bool{}
	var gotF []string
	for _, fr := range findings {
		k := fr.Severity + ":" + fr.findingCode()
		if !seen[k] {
			seen[k] = true
			gotF = append(gotF, k)
		}
	}
	wantF := append([]string(nil), want.Findings...)
	sort.Strings(gotF)
	sort.Strings(wantF)
	if strings.Join(gotF, " ") != strings.Join(wantF, " ") {
		t.Errorf("%s: findings %q, want %q", name, gotF, wantF)
		for _, fr := range findings {
			t.Logf("%s: %s %s: %s", name, fr.Severity, fr.findingCode(), fr.Summary)
		}
	}
	checkSays(t, name, want.Says, findings, f)
	// A scenario whose every step works must raise no error finding.
	allOK := true
	for _, st := range sc.Steps {
		allOK = allOK && st == "ok"
	}
	for _, fr := range findings {
		if allOK && fr.Severity == "error" {
			t.Errorf("%s: every transfer worked, yet an error finding: %s", name, fr.findingCode())
		}
	}
}

func negFrame(r record) int {
	if r.Negotiation == nil {
		return 1 << 30
	}
	return r.Negotiation.Frame
}

func describe(rs []record) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "    %s %q %s", r.ID, r.Command, r.Mode)
		if r.Negotiation != nil {
			fmt.Fprintf(&b, " %s %s -> %d", r.Negotiation.Command, r.Negotiation.Address, r.Negotiation.ReplyCode)
		}
		if r.Data != nil {
			fmt.Fprintf(&b, " data %s by %s", r.Data.State, r.Data.Initiator)
		}
		if r.Reply != nil {
			fmt.Fprintf(&b, " reply %d", r.Reply.Code)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func diffTransfer(got record, want xfer, f *facts) []string {
	var d []string
	check := func(what string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s %v, want %v", what, g, w))
		}
	}
	check("command", got.Command, want.Command)
	check("mode", got.Mode, want.Mode)
	var negAddr string
	var negReply int
	if got.Negotiation != nil {
		negAddr, negReply = got.Negotiation.Address, got.Negotiation.ReplyCode
	}
	if want.Addr != "" {
		check("negotiation.address", negAddr, expand(want.Addr, f))
	}
	check("negotiation.reply_code", negReply, want.NegReply)
	var state, initiator string
	if got.Data != nil {
		state, initiator = got.Data.State, got.Data.Initiator
	}
	check("data.state", state, want.State)
	if want.State != "not-attempted" && want.State != "not-captured" {
		check("data.initiator", initiator, want.Initiator)
	}
	reply := 0
	if got.Reply != nil {
		reply = got.Reply.Code
	}
	check("reply.code", reply, want.Reply)
	return d
}

var placeholder = regexp.MustCompile(`\$\{([a-z0-9_]+)(?::([0-9]+))?\}`)

// expand replaces ${key} with facts.json's addresses and ports:
// ${pasv}, ${act:N} (step N's active port) and ${<address name>}.
func expand(s string, f *facts) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		sm := placeholder.FindStringSubmatch(m)
		switch sm[1] {
		case "pasv":
			return strconv.Itoa(f.Ports.Pasv)
		case "act":
			n, _ := strconv.Atoi(sm[2])
			return strconv.Itoa(f.Ports.ActiveBase + n)
		}
		if v, ok := f.Addresses[sm[1]]; ok {
			return v
		}
		return m // unknown: left as is, so the mismatch shows it
	})
}

func sortedKeys(m map[string]point) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
