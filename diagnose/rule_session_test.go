package diagnose

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of rule_session.go: capture gaps, clear-text credentials and
// encrypted control channels a NAT's helper cannot read.

// gapSession logs in (as anonymous: no clear-text finding) and sends TYPE
// I, answered.
func gapSession(an *analyze.Analyzer) *wiretest.Wire {
	w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
	w.Handshake()
	pinLogin(w, "anonymous")
	w.C("TYPE I\r\n")
	w.S("200 ok\r\n")
	return w
}

var captureGapCases = []pinCase{
	{
		name: "bytes the server acknowledged are missing: the capture missed them, cited at the hole",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.C("PWD\r\n")
			w.S("257 \"/\"\r\n")
			w.CSeq += 16 // "CWD /pub/files\r\n" was sent, not captured
			w.S("250 ok\r\n")
			fr["after"] = w.C("NOOP\r\n")
			w.S("200 ok\r\n")
			w.Close()
		},
		want: "warning:capture-gap",
		expect: []pinExpect{{code: CaptureGap, severity: Warning,
			summary: []string{"16 bytes of the control connection 10.1.0.2:40000 → 203.0.113.10:21 are missing from the capture (1 hole) although the receiver acknowledged them",
				"the capture missed them, not the network"},
			notSummary: []string{"cannot tell"},
			advice:     []string{"tcpdump -B"},
			evidence:   []string{"after"}}},
		check: func(t *testing.T, p *Point, fr pinFrames) {
			for _, f := range pinPick(p.Findings, CaptureGap) {
				for _, e := range f.Evidence {
					if e.At.Frame == p.Sessions[0].First.Frame {
						t.Errorf("capture-gap cites the session's first frame %d, not the hole", e.At.Frame)
					}
				}
			}
		},
	},
	{
		name: "two acknowledged holes, one each way",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.CSeq += 6 // "NOOP\r\n", not captured
			w.SSeq += 8 // "200 ok\r\n", not captured
			fr["after"] = w.C("PWD\r\n")
			w.S("257 \"/\"\r\n")
			w.Close()
		},
		want: "warning:capture-gap",
		expect: []pinExpect{{code: CaptureGap, severity: Warning,
			summary: []string{"14 bytes of the control connection", "(2 holes)"}}},
	},
	{
		name: "a hole and the capture ends before the server said anything: this point cannot tell",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.CSeq += 16
			fr["after"] = w.C("NOOP\r\n")
		},
		want: "warning:capture-gap",
		expect: []pinExpect{{code: CaptureGap, severity: Warning,
			summary: []string{"16 bytes from the client are missing before frame {after}, and the capture ends before the server acknowledged anything after them",
				"this point cannot tell whether the capture or the network lost them"},
			notSummary: []string{"although the receiver acknowledged them", "the capture missed them"},
			advice:     []string{"Capture for longer"},
			evidence:   []string{"after"}}},
		never: []string{"stalled"},
	},
	{
		name: "a hole the server never acknowledged while it went on: not the capture's doing",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			before := w.CSeq
			w.CSeq += 16
			fr["after"] = w.C("NOOP\r\n")
			pinDupAck(w, before)
			pinDupAck(w, before)
		},
		want:  "error:control-stalled",
		never: []string{"capture missed", "although the receiver acknowledged", "cannot tell"},
	},
	{
		name: "an acknowledged hole in one direction, an undecided one in the other: one finding, both said",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.CSeq += 6 // acknowledged below
			fr["acked"] = w.C("PWD\r\n")
			w.SSeq += 12 // the server's reply, never acknowledged: the capture ends
			fr["after"] = w.S("257 \"/\"\r\n")
		},
		want: "warning:capture-gap",
		expect: []pinExpect{{code: CaptureGap, severity: Warning,
			summary: []string{"6 bytes of the control connection 10.1.0.2:40000 → 203.0.113.10:21 are missing from the capture (1 hole) although the receiver acknowledged them",
				"12 bytes from the server are missing before frame {after}, and the capture ends before the client acknowledged anything after them"},
			evidence: []string{"acked", "after"}}},
	},
	{
		name: "the snap length cut the server's replies: one hole each, acknowledged, and the fix is whole packets",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.C("PWD\r\n")
			fr["cut"] = w.SCut("257 \"/a/long/working/directory\" is the current directory\r\n", 20)
			w.C("NOOP\r\n")
			w.Send(w.Server, w.Client, w.SSeq, w.CSeq, capture.ACK, "") // an empty ACK past the cut bytes: no hole of its own
			fr["after"] = w.S("200 ok\r\n")
			w.Close()
		},
		want: "warning:capture-gap",
		expect: []pinExpect{{code: CaptureGap, severity: Warning,
			summary:  []string{"38 bytes of the control connection", "(1 hole) although the receiver acknowledged them", "the snap length cut 1 segment of this connection, the first at frame {cut}"},
			advice:   []string{"Capture whole packets (tcpdump -s 0"},
			evidence: []string{"cut", "after"}}},
		check: func(t *testing.T, p *Point, _ pinFrames) {
			if s := p.Sessions[0]; s.Gaps != 1 || s.MissingBytes != 38 || s.SnapCut != 1 {
				t.Errorf("gaps %d (%d bytes), snap-cut segments %d; want 1 hole of 38 bytes, 1 cut segment", s.Gaps, s.MissingBytes, s.SnapCut)
			}
		},
	},
	{
		name: "no hole: nothing",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := gapSession(an)
			w.Close()
		},
		want: "",
	},
}

func TestCaptureGap(t *testing.T) { runPinCases(t, captureGapCases) }

// loginAs is one session of user (answered 230 or 530) from client.
func loginAs(an *analyze.Analyzer, client, server, user string, reply string, after ...*wiretest.Wire) *wiretest.Wire {
	w := pinWire(an, client, server, after...)
	w.CSeq = uint32(w.Client.Port()) * 1000 // a SYN of its own
	w.Handshake()
	w.S("220 ready\r\n")
	w.C("USER " + user + "\r\n")
	w.S("331 password please\r\n")
	w.C("PASS secret\r\n")
	w.S(reply + "\r\n")
	w.C("QUIT\r\n")
	w.S("221 bye\r\n")
	w.Close()
	return w
}

var cleartextCases = []pinCase{
	{
		name: "a named user logs in without TLS",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			w.Handshake()
			w.S("220 ready\r\n")
			w.C("USER bob\r\n")
			w.S("331 password please\r\n")
			fr["pass"] = w.C("PASS hunter2\r\n")
			w.S("230 ok\r\n")
			w.Close()
		},
		want: "info:cleartext-credentials",
		expect: []pinExpect{{code: CleartextCredentials, severity: Info,
			summary:    []string{`user "bob" sent its password in clear text to 203.0.113.10:21`},
			notSummary: []string{"hunter2"},
			advice:     []string{"FTPS"},
			evidence:   []string{"pass"}}},
	},
	{
		name: "anonymous, ftp and guest are not credentials",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			var prev []*wiretest.Wire
			for i, u := range []string{"anonymous", "ANONYMOUS", "ftp", "guest"} {
				prev = append(prev, loginAs(an, "198.51.100.7:"+string(rune('1'+i))+"0000", "203.0.113.10:21", u, "230 ok", prev...))
			}
		},
		want: "",
	},
	{
		name: "a failed login still sent its password",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			loginAs(an, "198.51.100.7:40000", "203.0.113.10:21", "carol", "530 Login incorrect.")
		},
		want:   "info:cleartext-credentials",
		expect: []pinExpect{{code: CleartextCredentials, severity: Info, summary: []string{`user "carol"`}}},
	},
	{
		name: "the same user to one server in two sessions: said once",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			a := loginAs(an, "198.51.100.7:40000", "203.0.113.10:21", "bob", "230 ok")
			loginAs(an, "198.51.100.7:40001", "203.0.113.10:21", "bob", "230 ok", a)
		},
		want: "info:cleartext-credentials",
	},
	{
		name: "two users, and one user to two servers: one finding each",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			a := loginAs(an, "198.51.100.7:40000", "203.0.113.10:21", "bob", "230 ok")
			b := loginAs(an, "198.51.100.7:40001", "203.0.113.10:21", "alice", "230 ok", a)
			loginAs(an, "198.51.100.7:40002", "203.0.113.11:21", "bob", "230 ok", b)
		},
		want: "info:cleartext-credentials info:cleartext-credentials info:cleartext-credentials",
	},
	{
		name: "after AUTH TLS no password is seen",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "198.51.100.7:40000", "203.0.113.10:21")
			tlsLogin(w, fr)
		},
		want: "",
	},
}

func TestCleartextCredentials(t *testing.T) { runPinCases(t, cleartextCases) }

// TestCleartextCredentialsOncePerPointAcrossReleases: sessions handed to
// the Diagnoser one by one (Diagnoser.Session) as they finish, and the rest
// at Finish: a user's password at one server is said once at the point.
func TestCleartextCredentialsOncePerPointAcrossReleases(t *testing.T) {
	d := New("capture")
	var all []*Finding
	an := analyze.New(analyze.Options{Point: "capture", OnSessionDone: func(s *analyze.Session) { all = append(all, d.Session(s)...) }})
	var prev []*wiretest.Wire
	for i := range 3 {
		prev = append(prev, loginAs(an, "198.51.100.7:4000"+string(rune('0'+i)), "203.0.113.10:21", "bob", "230 ok", prev...))
		// A packet after the last ACK releases the session.
		pinSync(prev...)
		prev[i].Wait(time.Second)
		prev[i].Send(prev[i].Client, netip.MustParseAddrPort("203.0.113.99:80"), 1, 0, capture.SYN, "")
	}
	// One more session, left open: diagnosed at Finish.
	w := pinWire(an, "198.51.100.7:40009", "203.0.113.10:21", prev...)
	w.Handshake()
	w.S("220 ready\r\n")
	w.C("USER bob\r\n")
	w.S("331 password please\r\n")
	w.C("PASS secret\r\n")
	w.S("230 ok\r\n")
	released := len(all)
	p := d.Finish(an.Finish())
	all = append(all, p.Findings...)
	checkFindingsRegistered(t, all)
	if released == 0 {
		t.Fatal("no session was released before Finish: the test does not test Session")
	}
	if got := codes(all); got != "info:cleartext-credentials" {
		t.Errorf("findings %q, want one info:cleartext-credentials for bob at 203.0.113.10:21", got)
		logFindings(t, all)
	}
	if tot := d.Totals(); tot != [3]int{Info: 1} {
		t.Errorf("totals %v, want one info", tot)
	}
}

// tlsLogin starts TLS on the control connection (AUTH TLS, 234, then TLS
// records both ways), recording "tls" at the 234.
func tlsLogin(w *wiretest.Wire, fr pinFrames) {
	w.Handshake()
	w.S("220 ready\r\n")
	w.C("AUTH TLS\r\n")
	fr["tls"] = w.S("234 Proceed with negotiation.\r\n")
	w.C("\x16\x03\x01\x00\x04abcd")
	w.S("\x16\x03\x03\x00\x02hi")
	w.C("\x17\x03\x03\x00\x03xyz") // USER, PASS, PASV or PORT: encrypted
	w.S("\x17\x03\x03\x00\x03xyz")
}

// tlsSession is an encrypted session between client and server ("ip") with
// data connections as wiretest.Data writes them ("src>dst|answer").
func tlsSession(client, server string, data ...string) pinScript {
	return func(an *analyze.Analyzer, fr pinFrames) {
		w := pinWire(an, client+":40000", server+":21")
		if strings.Contains(client, ":") {
			w = pinWire(an, "["+client+"]:40000", "["+server+"]:21")
		}
		tlsLogin(w, fr)
		for _, d := range data {
			ends, answer, _ := strings.Cut(d, "|")
			src, dst, _ := strings.Cut(ends, ">")
			w.Data(src, dst, answer, 100)
			w.C("\x17\x03\x03\x00\x03xyz")
			w.S("\x17\x03\x03\x00\x03xyz")
		}
	}
}

// noTLSBlind checks that there is no tls-blind-alg finding.
func noTLSBlind(t *testing.T, p *Point, fr pinFrames) {
	for _, f := range pinPick(p.Findings, TLSBlindALG) {
		t.Errorf("tls-blind-alg without a NAT in sight: %s", f.Summary)
	}
}

// notPassiveAdvice checks that no tls-blind-alg finding tells the client
// to use passive mode: every session of the case is passive already.
func notPassiveAdvice(t *testing.T, p *Point, fr pinFrames) {
	for _, f := range pinPick(p.Findings, TLSBlindALG) {
		if strings.Contains(strings.ToLower(f.Advice), "use passive mode") {
			t.Errorf("%s tls-blind-alg (%s) tells sessions that are passive already to use passive mode:\n  %s", f.Severity, f.Session.ID, f.Advice)
		}
	}
}

var tlsBlindALGCases = []pinCase{
	{
		name: "private client, public server, the passive data connection failed: an error", point: "client-lan",
		build: tlsSession("10.1.0.2", "203.0.113.10", "10.1.0.2:50000>203.0.113.10:30000|retry"),
		want:  "error:tls-blind-alg",
		expect: []pinExpect{{code: TLSBlindALG, severity: Error,
			summary: []string{"10.1.0.2", "203.0.113.10", "private", "public", "encrypted from frame {tls} on",
				"1 data connection between the two hosts failed"},
			advice:    []string{"Passive mode is in use"},
			notAdvice: []string{"Use passive mode"},
			evidence:  []string{"tls"},
			transfers: "S1.T1"}},
		check: notPassiveAdvice,
	},
	{
		name: "every passive data connection worked: info", point: "client-lan",
		build: tlsSession("10.1.0.2", "203.0.113.10", "10.1.0.2:50000>203.0.113.10:30000|synack", "10.1.0.2:50001>203.0.113.10:30000|synack"),
		want:  "info:tls-blind-alg",
		expect: []pinExpect{{code: TLSBlindALG, severity: Info,
			summary:    []string{"2 data connections seen here worked"},
			notSummary: []string{"failed"},
			transfers:  "-",
			notAdvice:  []string{"Use passive mode"}}},
		check: notPassiveAdvice,
	},
	{
		name: "no data connection seen: a warning", point: "client-lan",
		build: tlsSession("10.1.0.2", "203.0.113.10"),
		want:  "warning:tls-blind-alg",
		expect: []pinExpect{{code: TLSBlindALG, severity: Warning,
			summary: []string{"no data connection between the two hosts was seen here"}}},
	},
	{
		name: "an active data connection reset: an error advising passive mode", point: "client-lan",
		build: tlsSession("10.1.0.2", "203.0.113.10", "203.0.113.10:20>10.1.0.2:40001|rst"),
		want:  "error:tls-blind-alg",
		expect: []pinExpect{{code: TLSBlindALG, severity: Error,
			summary: []string{"1 data connection between the two hosts failed"},
			advice:  []string{"Use passive mode: an active-mode data connection cannot cross a NAT"}}},
	},
	{
		name: "a public client behind the server's port forwarding", point: "server-lan",
		build: tlsSession("198.51.100.1", "10.2.0.10", "198.51.100.1:50000>10.2.0.10:30000|synack"),
		want:  "info:tls-blind-alg",
		expect: []pinExpect{{code: TLSBlindALG, severity: Info,
			summary: []string{"198.51.100.1 (public)", "10.2.0.10 (private)", "one data connection seen here worked"}}},
	},
	{
		name:  "loopback: no NAT in sight",
		build: tlsSession("127.0.0.1", "127.0.0.2", "127.0.0.1:50000>127.0.0.2:30000|retry"),
		want:  "error:data-no-answer", // the unanswered SYN is seen; the encryption explains nothing without a NAT,
		check: noTLSBlind,
	},
	{
		name:  "public to public: no NAT in sight",
		build: tlsSession("198.51.100.7", "203.0.113.10", "198.51.100.7:50000>203.0.113.10:30000|retry"),
		want:  "error:data-no-answer", // the unanswered SYN is seen; the encryption explains nothing without a NAT,
		check: noTLSBlind,
	},
	{
		name:  "private to private: a LAN, no NAT in sight",
		build: tlsSession("10.1.0.2", "10.1.0.9", "10.1.0.2:50000>10.1.0.9:30000|retry"),
		want:  "error:data-no-answer", // the unanswered SYN is seen; the encryption explains nothing without a NAT,
		check: noTLSBlind,
	},
	{
		name: "TLS ended by CCC: a helper can read the rest",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			tlsLogin(w, fr)
			w.C("PASV\r\n")
			w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
			w.Data("10.1.0.2:50000", "203.0.113.10:30000", "synack", 10)
		},
		want:  "",
		check: noTLSBlind,
	},
	{
		name: "lab s16, client LAN: FTPS to a port-forwarded server, every session passive: one finding per session", point: "client-lan",
		file:  labCapture("s16-ftps-dnat.client-lan.pcap"),
		want:  "warning:tls-blind-alg warning:tls-blind-alg info:tls-blind-alg info:tls-blind-alg",
		check: notPassiveAdvice,
	},
	{
		name: "lab s16, server LAN", point: "server-lan",
		file:  labCapture("s16-ftps-dnat.server-lan.pcap"),
		want:  "warning:tls-blind-alg warning:tls-blind-alg info:tls-blind-alg info:tls-blind-alg",
		check: notPassiveAdvice,
	},
	{
		name: "lab s16b, client LAN: FTPS, every transfer worked: one finding per session", point: "client-lan",
		file: labCapture("s16b-ftps-direct.client-lan.pcap"),
		want: "info:tls-blind-alg info:tls-blind-alg info:tls-blind-alg",
	},
}

func TestTLSBlindALG(t *testing.T) { runPinCases(t, tlsBlindALGCases) }
