package diagnose

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/internal/corpus"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// This file holds the registry's own tests and the helpers the rule tests
// of rule_control_test.go, rule_session_test.go, rule_logins_test.go,
// twin_test.go and alg_test.go share: a scripted capture of several
// connections (pinRun), expectations written with the frames the script
// recorded ({name}), and checkFindingsRegistered, which every one of those tests
// calls on what it got.

// checkFindingsRegistered checks what every finding must hold, whatever its rule: a
// code of the registry at a severity listed for it, a point, a summary and
// advice, evidence in time order citing real frames, and no sentence about
// "the first session" (a finding says which session it means).
func checkFindingsRegistered(t testing.TB, fs []*Finding) {
	t.Helper()
	for _, f := range fs {
		name := f.Severity.String() + ":" + string(f.Code)
		info, ok := Lookup(f.Code)
		switch {
		case !ok:
			t.Errorf("%s: the code is not in the registry", name)
		case !slices.Contains(info.Severities, f.Severity):
			t.Errorf("%s: severity %s is not one the registry lists for it (%v)", name, f.Severity, info.Severities)
		}
		if strings.TrimSpace(f.Summary) == "" {
			t.Errorf("%s: empty summary", name)
		}
		if strings.TrimSpace(f.Advice) == "" {
			t.Errorf("%s: empty advice (%s)", name, f.Summary)
		}
		if len(f.Evidence) == 0 {
			t.Errorf("%s: no evidence (%s)", name, f.Summary)
		}
		if f.Point == "" {
			t.Errorf("%s: no point", name)
		}
		if f.Session == nil && f.Code != DuplicateRecords { // the one finding about the capture, not a session
			t.Errorf("%s: no session", name)
		}
		for i, e := range f.Evidence {
			if !e.At.Valid() {
				t.Errorf("%s: evidence %q cites no frame", name, e.What)
			}
			if strings.TrimSpace(e.What) == "" {
				t.Errorf("%s: evidence at frame %d says nothing", name, e.At.Frame)
			}
			if i > 0 && e.At.Time.Before(f.Evidence[i-1].At.Time) {
				t.Errorf("%s: evidence out of time order: frame %d (%s) after frame %d (%s)", name,
					e.At.Frame, e.At.Time.Time().Format(time.StampMicro), f.Evidence[i-1].At.Frame, f.Evidence[i-1].At.Time.Time().Format(time.StampMicro))
			}
		}
		for _, s := range []string{f.Summary, f.Advice} {
			if strings.Contains(strings.ToLower(s), "first session") {
				t.Errorf("%s: says %q: %s", name, "first session", s)
			}
		}
		for _, tr := range f.Transfers {
			if tr == nil {
				t.Errorf("%s: a nil transfer", name)
			}
		}
	}
}

// pinFrames are the frame numbers a script recorded, by name, for the
// expectations to cite as {name}.
type pinFrames map[string]uint64

// expand replaces every {name} in s with the frame recorded as name.
func (fr pinFrames) expand(t testing.TB, s string) string {
	t.Helper()
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return s
		}
		name := s[i+1 : i+j]
		n, ok := fr[name]
		if !ok {
			// A number stands for itself (a frame of a real capture).
			if _, err := fmt.Sscanf(name, "%d", &n); err != nil {
				t.Fatalf("the script recorded no frame %q (for %q)", name, s)
			}
		}
		s = s[:i] + fmt.Sprint(n) + s[i+j+1:]
	}
}

// pinScript writes packets into one analyzer, recording frames by name.
type pinScript func(an *analyze.Analyzer, fr pinFrames)

// pinCase is one scripted (or real) capture and what its diagnosis must
// say.
type pinCase struct {
	name  string
	point string // "capture" when empty
	build pinScript
	// file is a real capture to diagnose instead of a script.
	file string
	// want is every finding, as codes() lists them (most severe first).
	want string
	// expect are findings checked in detail; never is text no finding's
	// summary may say.
	expect []pinExpect
	never  []string
	// check is anything else to check.
	check func(t *testing.T, p *Point, fr pinFrames)
}

// runPinCases runs each case as a subtest.
func runPinCases(t *testing.T, cases []pinCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, fr := c.run(t)
			if got := codes(p.Findings); got != c.want {
				t.Errorf("findings\n  got: %q\n want: %q", got, c.want)
				logFindings(t, p.Findings)
			}
			for _, e := range c.expect {
				pinCheck(t, p.Findings, fr, e)
			}
			for _, s := range c.never {
				pinNoneSays(t, p.Findings, fr, s)
			}
			if c.check != nil {
				c.check(t, p, fr)
			}
		})
	}
}

// run diagnoses the case's capture.
func (c pinCase) run(t testing.TB) (*Point, pinFrames) {
	t.Helper()
	point := c.point
	if point == "" {
		point = "capture"
	}
	if c.file != "" {
		p := diagnoseFiles(t, point, c.file)
		checkFindingsRegistered(t, p.Findings)
		return p, pinFrames{}
	}
	return pinRun(t, point, c.build)
}

// pinRun runs a script through an analyzer at point and diagnoses what it
// found, checking every finding with checkFindingsRegistered.
func pinRun(t testing.TB, point string, build pinScript) (*Point, pinFrames) {
	t.Helper()
	an := analyze.New(analyze.Options{Point: point})
	fr := pinFrames{}
	build(an, fr)
	p := New(point).Finish(an.Finish())
	checkFindingsRegistered(t, p.Findings)
	return p, fr
}

// pinWire is a control connection between client and server on an, whose
// frames and clock go on from the wires given (so several connections
// share one capture's frame numbers and time).
func pinWire(an wiretest.Sink, client, server string, after ...*wiretest.Wire) *wiretest.Wire {
	w := wiretest.New(an, client, server)
	pinSync(append([]*wiretest.Wire{w}, after...)...)
	return w
}

// pinSync sets every wire's frame counter and clock to the latest among
// them: call it before writing on a wire after writing on another.
func pinSync(ws ...*wiretest.Wire) {
	var frame uint64
	var now time.Time
	for _, w := range ws {
		frame = max(frame, w.Frame)
		if w.Now.After(now) {
			now = w.Now
		}
	}
	for _, w := range ws {
		w.Frame, w.Now = frame, now
	}
}

// pinLogin writes the greeting and a login of user, answered 230.
func pinLogin(w *wiretest.Wire, user string) {
	w.S("220 ready\r\n")
	w.C("USER " + user + "\r\n")
	w.S("331 password please\r\n")
	w.C("PASS secret\r\n")
	w.S("230 logged in\r\n")
}

// pinPick returns the findings of code.
func pinPick(fs []*Finding, code Code) []*Finding {
	var out []*Finding
	for _, f := range fs {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// pinTransfers lists the IDs of the transfers a finding explains.
func pinTransfers(f *Finding) string {
	var ids []string
	for _, t := range f.Transfers {
		ids = append(ids, t.ID)
	}
	return strings.Join(ids, " ")
}

// pinEvidence lists the frames a finding cites.
func pinEvidence(f *Finding) []uint64 {
	var out []uint64
	for _, e := range f.Evidence {
		out = append(out, e.At.Frame)
	}
	return out
}

// pinExpect is what a test asks of one finding: its key facts, said in its
// sentences and shown by its evidence.
type pinExpect struct {
	code     Code
	severity Severity
	// summary and advice hold text the sentences must contain ({name}
	// expands to a frame the script recorded); notSummary and notAdvice
	// text they must not.
	summary, advice       []string
	notSummary, notAdvice []string
	// evidence are frames ({name}) the evidence must cite.
	evidence []string
	// transfers are the IDs of the transfers it explains, in order ("-":
	// none).
	transfers string
}

// pinCheck finds the one finding of e.code at e.severity among fs and
// checks it against e; it returns the finding (nil when there is none).
func pinCheck(t testing.TB, fs []*Finding, fr pinFrames, e pinExpect) *Finding {
	t.Helper()
	var f *Finding
	for _, g := range pinPick(fs, e.code) {
		if g.Severity != e.severity {
			continue
		}
		if f != nil {
			t.Errorf("two %s:%s findings, want one:\n  %s\n  %s", e.severity, e.code, f.Summary, g.Summary)
		}
		f = g
	}
	if f == nil {
		t.Errorf("no %s:%s finding; got %s", e.severity, e.code, codes(fs))
		logFindings(t, fs)
		return nil
	}
	for _, s := range e.summary {
		if s = fr.expand(t, s); !strings.Contains(f.Summary, s) {
			t.Errorf("%s: the summary does not say %q:\n  %s", e.code, s, f.Summary)
		}
	}
	for _, s := range e.notSummary {
		if s = fr.expand(t, s); strings.Contains(f.Summary, s) {
			t.Errorf("%s: the summary says %q, which is false here:\n  %s", e.code, s, f.Summary)
		}
	}
	for _, s := range e.advice {
		if s = fr.expand(t, s); !strings.Contains(f.Advice, s) {
			t.Errorf("%s: the advice does not say %q:\n  %s", e.code, s, f.Advice)
		}
	}
	for _, s := range e.notAdvice {
		if s = fr.expand(t, s); strings.Contains(f.Advice, s) {
			t.Errorf("%s: the advice says %q, which is wrong here:\n  %s", e.code, s, f.Advice)
		}
	}
	got := pinEvidence(f)
	for _, s := range e.evidence {
		var want uint64
		fmt.Sscan(fr.expand(t, "{"+s+"}"), &want)
		if !slices.Contains(got, want) {
			t.Errorf("%s: the evidence does not cite frame %d (%s); it cites %v", e.code, want, s, got)
		}
	}
	if e.transfers != "" {
		want := e.transfers
		if want == "-" {
			want = ""
		}
		if got := pinTransfers(f); got != want {
			t.Errorf("%s explains transfers [%s], want [%s]", e.code, got, want)
		}
	}
	return f
}

// pinNoneSays checks that no finding's summary contains s.
func pinNoneSays(t testing.TB, fs []*Finding, fr pinFrames, s string) {
	t.Helper()
	s = fr.expand(t, s)
	for _, f := range fs {
		if strings.Contains(f.Summary, s) {
			t.Errorf("%s:%s says %q, which is false here:\n  %s", f.Severity, f.Code, s, f.Summary)
		}
	}
}

// TestRegistryEntries: every code is in the registry exactly once, with
// a severity and a description; the registry holds no code that is not a
// constant.
func TestRegistryEntries(t *testing.T) {
	consts := []Code{ActiveNATNoALG, PassivePrivateAddress, DataNoAnswer, DataRefused, DataUnreachable, DataNotAttempted,
		PortRejected, ALGRewrite, ALGRewriteWrong, ALGSeqBroken, ALGMissedSplit, TLSBlindALG, ExtendedRefused, Bounce,
		CleartextCredentials, TransferFailed, CaptureGap, DataNotSeen, ControlNoAnswer, ControlRefused, ControlUnreachable,
		ControlStalled, ServerClosed, LoginFailures, BounceScan, DuplicateRecords, SeenTwice,
		NATPoolUnpaired, FXP, ControlSeqMismatch, PortAddressMismatch, ControlStateLost, DataStalled}
	reg := Registry()
	count := map[Code]int{}
	for _, e := range reg {
		count[e.Code]++
		if len(e.Severities) == 0 {
			t.Errorf("%s: no severity", e.Code)
		}
		seen := map[Severity]bool{}
		for _, s := range e.Severities {
			if seen[s] {
				t.Errorf("%s: severity %s listed twice", e.Code, s)
			}
			seen[s] = true
		}
		if strings.TrimSpace(e.When) == "" {
			t.Errorf("%s: empty When", e.Code)
		}
		if !slices.Contains(consts, e.Code) {
			t.Errorf("%s is in the registry but is no Code constant this test knows", e.Code)
		}
	}
	for _, c := range consts {
		if count[c] != 1 {
			t.Errorf("%s is in the registry %d times, want once", c, count[c])
		}
		if e, ok := Lookup(c); !ok || e.Code != c {
			t.Errorf("Lookup(%s) = %+v, %v", c, e, ok)
		}
	}
	if _, ok := Lookup("no-such-code"); ok {
		t.Error("Lookup found a code that does not exist")
	}
	// Registry returns a copy: changing it changes nothing.
	reg[0].Code = "changed"
	if Registry()[0].Code == "changed" {
		t.Error("Registry returns the registry itself, not a copy")
	}
}

// pinRealCaptures are every lab capture and every corpus capture.
func pinRealCaptures(t *testing.T) []string {
	lab, err := filepath.Glob(labCapture("*.pcap"))
	if err != nil || len(lab) == 0 {
		t.Fatalf("no lab captures (%v)", err)
	}
	lab = append(lab, filepath.Join("..", "testdata", "router-any-sll2.pcap"), filepath.Join("..", "testdata", "duplicated-records.pcap"))
	return append(lab, corpus.Files(t, ".pcap", ".pcap.gz")...)
}

// TestRealCapturesFindingsRegistered diagnoses every lab and corpus
// capture and checks every finding against the registry and the rules
// every finding keeps.
func TestRealCapturesFindingsRegistered(t *testing.T) {
	for _, path := range pinRealCaptures(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p := diagnoseFiles(t, "capture", path)
			checkFindingsRegistered(t, p.Findings)
		})
	}
}

// pinProduced runs every case the tests of this package's rule files
// script, and the real captures, and returns the codes (as
// "severity:code") each produced.
func pinProduced(t *testing.T) map[string]bool {
	got := map[string]bool{}
	note := func(fs []*Finding) {
		for _, f := range fs {
			got[f.Severity.String()+":"+string(f.Code)] = true
		}
	}
	for _, c := range allPinCases() {
		p, _ := c.run(t)
		note(p.Findings)
	}
	for _, path := range pinRealCaptures(t) {
		note(diagnoseFiles(t, "capture", path).Findings)
	}
	for _, pr := range labALGPairs {
		note(labALG(t, pr.scenario, pr.inside, pr.outside).Findings)
	}
	for _, c := range algCases {
		a, _ := natPairALG(t, c.pair)
		note(DiagnoseALG(a, nil, nil).Findings)
	}
	return got
}

// pinNotProduced are the codes (at a severity) no test case produces, and
// why: each must stay unproduced, or leave this list.
var pinNotProduced = map[string]string{}

// TestEveryCodeIsProduced: every code of the registry, at each severity it
// lists, comes out of at least one test case (scripted or real).
func TestEveryCodeIsProduced(t *testing.T) {
	got := pinProduced(t)
	var missing []string
	for _, e := range Registry() {
		for _, s := range e.Severities {
			k := s.String() + ":" + string(e.Code)
			why, known := pinNotProduced[k]
			switch {
			case got[k] && known:
				t.Errorf("%s is produced now: take it off pinNotProduced (%s)", k, why)
			case !got[k] && known:
				t.Logf("%s: not produced by any test case: %s", k, why)
			case !got[k]:
				missing = append(missing, k)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no test case produces %s", strings.Join(missing, " "))
	}
}

// coverageCases produce the codes of rules tested elsewhere (rule_data,
// rule_negotiation), so that TestEveryCodeIsProduced stands on its own.
var coverageCases = []pinCase{
	{
		name: "EPSV refused, the client falls back to PASV", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("EPSV\r\n")
			w.S("500 EPSV not understood\r\n")
			w.C("PASV\r\n")
			w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
			w.Data("198.51.100.7:50000", "203.0.113.10:30000", "synack", 10)
			w.C("RETR f\r\n")
			w.S("150 here\r\n")
			w.S("226 done\r\n")
		},
		want: "info:extended-refused",
	},
	{
		name: "a public client's PORT refused, and its RETR fails",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PORT 198,51,100,7,156,65\r\n")
			w.S("500 Illegal PORT command.\r\n")
			w.C("RETR f\r\n")
			w.S("425 Use PORT or PASV first.\r\n")
		},
		want: "error:port-rejected",
	},
	{
		name: "a public client's PORT refused, no transfer needed it",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PORT 198,51,100,7,156,65\r\n")
			w.S("500 Illegal PORT command.\r\n")
			w.C("QUIT\r\n")
			w.S("221 bye\r\n")
			w.Close()
		},
		want: "warning:port-rejected",
	},
	{
		name: "no SYN left the client's own link for its passive RETR", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.SetTTL("203.0.113.10", 60)
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PASV\r\n")
			w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
			w.C("RETR f\r\n")
			w.S("425 Failed to establish connection.\r\n")
		},
		want: "error:data-not-attempted",
	},
	{
		name: "PORT names a public address not the client's, refused", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PORT 198,51,100,77,156,65\r\n")
			w.S("500 Illegal PORT command.\r\n")
		},
		want: "error:port-address-mismatch",
	},
	{
		name: "the server acknowledges 4 bytes the client never sent after its PORT", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.SetTTL("203.0.113.10", 60)
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PORT 10,1,0,2,156,65\r\n")
			seqAfterPORT(4, false, "")(w)
		},
		want: "error:control-seq-mismatch",
	},
}

func TestCoverageCases(t *testing.T) { runPinCases(t, coverageCases) }

// allPinCases are the cases of every table of the rule tests.
func allPinCases() []pinCase {
	var all []pinCase
	for _, cs := range [][]pinCase{coverageCases, controlNeverStartedCases, controlStalledCases, lostBytesCases, rewrittenCopiesCases, serverClosedCases,
		captureGapCases, cleartextCases, tlsBlindALGCases, loginFailuresCases, twinCases, controlStateLostCases, dataStalledCases} {
		all = append(all, cs...)
	}
	return all
}
