package diagnose

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of rule_logins.go: failed logins in bulk, across sessions, one
// finding per server.

// pinAttempt is one login session: client ("ip:port"), user and the server's
// answer to PASS.
type pinAttempt struct{ client, server, user, reply string }

// pinAttempts writes one session per pinAttempt, in order, recording each
// PASS as "passN" (N from 1) and each session's first frame as "synN".
func pinAttempts(list ...pinAttempt) pinScript {
	return func(an *analyze.Analyzer, fr pinFrames) {
		var prev []*wiretest.Wire
		for i, a := range list {
			server := a.server
			if server == "" {
				server = "203.0.113.12:21"
			}
			w := pinWire(an, a.client, server, prev...)
			w.CSeq = uint32(i+1) * 100000 // each its own SYN
			fr[fmt.Sprint("syn", i+1)] = w.Frame + 1
			w.Handshake()
			w.S("220 ready\r\n")
			w.C("USER " + a.user + "\r\n")
			w.S("331 password please\r\n")
			fr[fmt.Sprint("pass", i+1)] = w.C("PASS guess\r\n")
			w.S(a.reply + "\r\n")
			w.C("QUIT\r\n")
			w.S("221 bye\r\n")
			w.Close()
			prev = append(prev, w)
		}
	}
}

// pinRepeat is n copies of an attempt, each from its own client port.
func pinRepeat(n int, a pinAttempt) []pinAttempt {
	var out []pinAttempt
	for i := range n {
		b := a
		host, _, _ := strings.Cut(a.client, ":")
		b.client = fmt.Sprintf("%s:%d", host, 40000+i)
		out = append(out, b)
	}
	return out
}

// pinCat joins lists of attempts.
func pinCat(lists ...[]pinAttempt) []pinAttempt {
	var out []pinAttempt
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

var (
	pinFail530 = pinAttempt{client: "198.51.100.7:40000", user: "alice", reply: "530 Login incorrect."}
	pinOK230   = pinAttempt{client: "198.51.100.7:49000", user: "alice", reply: "230 Login successful."}
)

var loginFailuresCases = []pinCase{
	{
		name:  "4 failed logins: below the threshold, no finding",
		build: pinAttempts(pinRepeat(4, pinFail530)...),
		want:  "info:cleartext-credentials",
		never: []string{"failed logins"},
	},
	{
		name:  "5 failed logins from one client for one user, none succeeded",
		build: pinAttempts(pinRepeat(5, pinFail530)...),
		want:  "warning:login-failures info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			// From the first PASS to the fifth: 4 sessions of 13 packets,
			// 10 ms apart.
			summary:    []string{"5 failed logins to 203.0.113.12:21 in 520ms", "from 1 client (198.51.100.7)", "for 1 user (alice)", "none succeeded"},
			notSummary: []string{"login succeeded", "logins succeeded"},
			advice:     []string{"max_login_fails"},
			notAdvice:  []string{"Change the password"},
			evidence:   []string{"pass1", "pass5"}}},
	},
	{
		name:  "failed logins, then one that succeeded",
		build: pinAttempts(append(pinRepeat(6, pinFail530), pinOK230)...),
		want:  "warning:login-failures info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary:    []string{"6 failed logins to 203.0.113.12:21", `1 login succeeded, the first as "alice" (frame {pass7})`},
			notSummary: []string{"none succeeded"},
			advice:     []string{"Change the password of the account that was let in"},
			evidence:   []string{"pass1", "pass6", "pass7"}}},
	},
	{
		name: "several clients and users",
		build: pinAttempts(
			pinAttempt{"198.51.100.7:40000", "", "alice", "530 no"},
			pinAttempt{"198.51.100.8:40000", "", "bob", "530 no"},
			pinAttempt{"198.51.100.9:40000", "", "alice", "530 no"},
			pinAttempt{"198.51.100.7:40001", "", "root", "530 no"},
			pinAttempt{"198.51.100.8:40001", "", "bob", "421 Too many failed pinAttempts"},
		),
		want: "warning:login-failures info:cleartext-credentials info:cleartext-credentials info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary: []string{"5 failed logins to 203.0.113.12:21", "from 3 clients (198.51.100.7, 198.51.100.8, 198.51.100.9)", "for 3 users (alice, bob, root)", "none succeeded"}}},
	},
	{
		name: "two servers: one finding for the one with 5 failures, none for the one with 4",
		build: pinAttempts(pinCat(
			pinRepeat(5, pinAttempt{client: "198.51.100.7:40000", server: "203.0.113.12:21", user: "alice", reply: "530 no"}),
			pinRepeat(4, pinAttempt{client: "198.51.100.8:40000", server: "203.0.113.13:21", user: "alice", reply: "530 no"}),
		)...),
		want: "warning:login-failures info:cleartext-credentials info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary: []string{"5 failed logins to 203.0.113.12:21"}, notSummary: []string{"203.0.113.13"}}},
	},
	{
		name: "two servers with 5 failures each: one finding per server",
		build: pinAttempts(pinCat(
			pinRepeat(5, pinAttempt{client: "198.51.100.7:40000", server: "203.0.113.12:21", user: "alice", reply: "530 no"}),
			pinRepeat(5, pinAttempt{client: "198.51.100.8:40000", server: "203.0.113.13:21", user: "alice", reply: "530 no"}),
		)...),
		want: "warning:login-failures warning:login-failures info:cleartext-credentials info:cleartext-credentials",
	},
	{
		name:  "failed guest logins count too",
		build: pinAttempts(pinRepeat(5, pinAttempt{client: "198.51.100.7:40000", user: "anonymous", reply: "530 no anonymous"})...),
		want:  "warning:login-failures",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary: []string{"5 failed logins", "for 1 user (anonymous)"}}},
	},
	{
		name:  "successful logins alone are no finding",
		build: pinAttempts(pinRepeat(8, pinOK230)...),
		want:  "info:cleartext-credentials",
	},
	{
		name: "five failures within one session",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.12:21")
			w.Handshake()
			w.S("220 ready\r\n")
			for i := range 5 {
				w.C("USER alice\r\n")
				w.S("331 password please\r\n")
				fr[fmt.Sprint("pass", i+1)] = w.C("PASS guess\r\n")
				w.S("530 Login incorrect.\r\n")
			}
		},
		want: "warning:login-failures info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary: []string{"5 failed logins to 203.0.113.12:21", "from 1 client", "for 1 user (alice)"}, evidence: []string{"pass1", "pass5"}}},
	},
	{
		name: "lab s14: 25 guesses, then the right password", point: "client-lan",
		file: labCapture("s14-login-failures.client-lan.pcap"),
		want: "warning:login-failures info:cleartext-credentials",
		expect: []pinExpect{{code: LoginFailures, severity: Warning,
			summary: []string{"25 failed logins to 203.0.113.12:21 in 2.899s", "from 1 client (10.1.0.2)", "for 1 user (alice)",
				`1 login succeeded, the first as "alice" (frame 436)`},
			evidence: []string{"11", "436"}}},
	},
}

func TestLoginFailures(t *testing.T) { runPinCases(t, loginFailuresCases) }

// TestLoginFailuresAcrossReleasedSessions: sessions handed to the
// Diagnoser one by one as they finish still count: the finding comes at
// Finish, once.
func TestLoginFailuresAcrossReleasedSessions(t *testing.T) {
	d := New("capture")
	var released []*Finding
	n := 0
	an := analyze.New(analyze.Options{Point: "capture", OnSessionDone: func(s *analyze.Session) {
		n++
		released = append(released, d.Session(s)...)
	}})
	pinAttempts(pinRepeat(7, pinFail530)...)(an, pinFrames{})
	p := d.Finish(an.Finish())
	checkFindingsRegistered(t, append(released, p.Findings...))
	if n != 7 {
		t.Fatalf("%d sessions released, want 7", n)
	}
	if got := codes(pinPick(released, LoginFailures)); got != "" {
		t.Errorf("login failures said before Finish: %s", got)
	}
	lf := pinPick(p.Findings, LoginFailures)
	if len(lf) != 1 {
		t.Fatalf("%d login-failures findings at Finish, want 1", len(lf))
	}
	if !strings.Contains(lf[0].Summary, "7 failed logins to 203.0.113.12:21") {
		t.Errorf("summary: %s", lf[0].Summary)
	}
	if tot := d.Totals(); tot[Warning] != 1 {
		t.Errorf("totals %v, want one warning", tot)
	}
}
