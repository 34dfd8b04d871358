package analyze

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// wire builds a packet sequence for the Analyzer directly (no capture file):
// one TCP connection with both sides' sequence numbers tracked.
type wire struct {
	t      *testing.T
	an     *Analyzer
	frame  uint64
	now    time.Time
	client netip.AddrPort
	server netip.AddrPort
	cseq   uint32
	sseq   uint32
	// TTLs of the control connection's packets (64 when zero).
	ttlClient, ttlServer uint8
}

func newWire(t *testing.T, an *Analyzer, client, server string) *wire {
	return &wire{t: t, an: an, now: time.Unix(1700000000, 0), client: netip.MustParseAddrPort(client),
		server: netip.MustParseAddrPort(server), cseq: 1000, sseq: 5000}
}

func (w *wire) send(src, dst netip.AddrPort, seq, ack uint32, flags capture.Flags, payload string) uint64 {
	w.frame++
	w.now = w.now.Add(10 * time.Millisecond)
	ttl := uint8(64)
	if src == w.client && w.ttlClient != 0 {
		ttl = w.ttlClient
	} else if src == w.server && w.ttlServer != 0 {
		ttl = w.ttlServer
	}
	p := capture.Packet{Frame: w.frame, Time: w.now, Kind: capture.TCP, Src: src.Addr(), Dst: dst.Addr(), TTL: ttl,
		SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: flags, Payload: []byte(payload), PayloadLen: len(payload)}
	w.an.Packet(&p)
	return w.frame
}

func (w *wire) handshake() {
	w.send(w.client, w.server, w.cseq, 0, capture.SYN, "")
	w.send(w.server, w.client, w.sseq, w.cseq+1, capture.SYN|capture.ACK, "")
	w.cseq++
	w.sseq++
	w.send(w.client, w.server, w.cseq, w.sseq, capture.ACK, "")
}

func (w *wire) c(s string) uint64 {
	f := w.send(w.client, w.server, w.cseq, w.sseq, capture.PSH|capture.ACK, s)
	w.cseq += uint32(len(s))
	return f
}

func (w *wire) s(s string) uint64 {
	f := w.send(w.server, w.client, w.sseq, w.cseq, capture.PSH|capture.ACK, s)
	w.sseq += uint32(len(s))
	return f
}

// dataSYN sends a SYN from src to dst, and optionally the answer.
func (w *wire) data(src, dst string, answer string, payload int) {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	w.send(s, d, 1, 0, capture.SYN, "")
	switch answer {
	case "synack":
		w.send(d, s, 9, 2, capture.SYN|capture.ACK, "")
		if payload > 0 {
			w.send(d, s, 10, 2, capture.ACK|capture.PSH, strings.Repeat("x", payload))
		}
		w.send(d, s, 10+uint32(payload), 2, capture.FIN|capture.ACK, "")
	case "rst":
		w.send(d, s, 0, 2, capture.RST|capture.ACK, "")
	case "retry":
		w.now = w.now.Add(time.Second)
		w.send(s, d, 1, 0, capture.SYN, "")
		w.now = w.now.Add(2 * time.Second)
		w.send(s, d, 1, 0, capture.SYN, "")
	}
}

func onlySession(t *testing.T, r *Result) *Session {
	t.Helper()
	if len(r.Sessions) != 1 {
		t.Fatalf("want 1 session, got %d", len(r.Sessions))
	}
	return r.Sessions[0]
}

func TestPassiveTransfer(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 Welcome\r\n")
	w.c("USER anonymous\r\n")
	w.s("331 Please specify the password.\r\n")
	w.c("PASS secret\r\n")
	w.s("230 Login successful.\r\n")
	w.c("PASV\r\n")
	f227 := w.s("227 Entering Passive Mode (203,0,113,10,195,80).\r\n")
	w.data("10.1.0.2:40001", "203.0.113.10:50000", "synack", 1000)
	fretr := w.c("RETR file.bin\r\n")
	w.s("150 Opening BINARY mode data connection.\r\n")
	w.s("226 Transfer complete.\r\n")
	s := onlySession(t, an.Finish())
	if s.User != "anonymous" || !s.LoggedIn || s.Password != redacted {
		t.Errorf("user %q logged in %v password %q", s.User, s.LoggedIn, s.Password)
	}
	if len(s.Transfers) != 1 {
		t.Fatalf("want 1 transfer, got %d", len(s.Transfers))
	}
	tr := s.Transfers[0]
	n := tr.Negotiation
	if tr.Command != "RETR" || tr.Arg != "file.bin" || tr.CommandAt.Frame != fretr {
		t.Errorf("command %q %q at %d", tr.Command, tr.Arg, tr.CommandAt.Frame)
	}
	if n.Mode != Passive || n.Address.String() != "203.0.113.10:50000" || n.At.Frame != f227 || n.Reply.Code != 227 {
		t.Errorf("negotiation %+v", n)
	}
	d := tr.Data()
	if d.State() != Established || d.Initiator != "client" || d.BytesFromAcceptor != 1000 || d.MatchedBy != "advertised" {
		t.Errorf("data %+v state %s", d, d.State())
	}
	if tr.Prelim.Code != 150 || tr.Final.Code != 226 || tr.Final.Text != "Transfer complete." {
		t.Errorf("replies %+v %+v", tr.Prelim, tr.Final)
	}
}

func TestActiveRejectedPORT(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "198.51.100.7:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 (vsFTPd 3.0.3)\r\n")
	fport := w.c("PORT 10,1,0,2,195,80\r\n")
	w.s("500 Illegal PORT command.\r\n")
	w.c("RETR file.bin\r\n")
	w.s("425 Use PORT or PASV first.\r\n")
	s := onlySession(t, an.Finish())
	if len(s.Transfers) != 1 {
		t.Fatalf("want 1 transfer (the RETR on the refused PORT), got %d", len(s.Transfers))
	}
	// The refused PORT is still the latest negotiation: the RETR is tied to
	// it, so the report says why the RETR failed.
	tr := s.Transfers[0]
	if tr.Command != "RETR" || tr.Negotiation.Reply.Code != 500 || tr.Negotiation.At.Frame != fport || tr.Final.Code != 425 {
		t.Errorf("transfer %+v negotiation %+v", tr, tr.Negotiation)
	}
	if tr.Data() != nil {
		t.Errorf("no data connection was attempted, got %+v", tr.Data())
	}
}

func TestPassiveControlAddressAndFallback(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 hi\r\n")
	w.c("EPSV\r\n")
	w.s("500 EPSV not understood\r\n")
	w.c("PASV\r\n")
	w.s("227 Entering Passive Mode (192,168,5,5,39,16)\r\n") // private address: client ignores it
	w.data("10.1.0.2:40001", "203.0.113.10:10000", "synack", 10)
	w.c("LIST\r\n")
	w.s("150 Here comes the directory listing.\r\n226 Directory send OK.\r\n")
	s := onlySession(t, an.Finish())
	if len(s.Transfers) != 2 {
		t.Fatalf("want the refused EPSV and the PASV as 2 transfers, got %d", len(s.Transfers))
	}
	if s.Transfers[0].Command != "" || s.Transfers[0].Negotiation.Reply.Code != 500 {
		t.Errorf("first transfer %+v", s.Transfers[0])
	}
	tr := s.Transfers[1]
	d := tr.Data()
	if tr.Command != "LIST" || d == nil || d.MatchedBy != "control-address" || d.State() != Established {
		t.Fatalf("LIST transfer %+v data %+v", tr, d)
	}
	if tr.Final.Code != 226 || tr.Prelim.Code != 150 {
		t.Errorf("two replies in one segment: prelim %d final %d", tr.Prelim.Code, tr.Final.Code)
	}
}

func TestDataConnectionStates(t *testing.T) {
	for _, tt := range []struct {
		name   string
		answer string
		want   DataState
	}{
		{"answered", "synack", Established},
		{"reset", "rst", Refused},
		{"dropped", "retry", NoAnswer},
	} {
		t.Run(tt.name, func(t *testing.T) {
			an := New(Options{})
			w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
			w.handshake()
			w.s("220 hi\r\n")
			w.c("PORT 10,1,0,2,195,80\r\n")
			w.s("200 PORT command successful.\r\n")
			w.c("RETR x\r\n")
			w.data("203.0.113.10:20", "10.1.0.2:50000", tt.answer, 0)
			w.s("425 Can't open data connection.\r\n")
			s := onlySession(t, an.Finish())
			d := s.Transfers[0].Data()
			if d.State() != tt.want || d.Initiator != "server" {
				t.Errorf("state %s initiator %s, want %s server", d.State(), d.Initiator, tt.want)
			}
			if tt.answer == "retry" && len(d.SYNRetries) != 2 {
				t.Errorf("want 2 SYN retries, got %v", d.SYNRetries)
			}
		})
	}
}

func TestICMPUnreachable(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.c("PASV\r\n")
	w.s("227 Entering Passive Mode (203,0,113,10,4,1)\r\n")
	w.data("10.1.0.2:40001", "203.0.113.10:1025", "", 0)
	w.frame++
	p := capture.Packet{Frame: w.frame, Time: w.now.Add(time.Millisecond), Kind: capture.ICMPUnreachable,
		Src: netip.MustParseAddr("198.51.100.1"), Dst: netip.MustParseAddr("10.1.0.2"), ICMPType: 3, ICMPCode: 13,
		QuotedSrc: netip.MustParseAddrPort("10.1.0.2:40001"), QuotedDst: netip.MustParseAddrPort("203.0.113.10:1025")}
	an.Packet(&p)
	d := onlySession(t, an.Finish()).Transfers[0].Data()
	if d.State() != Unreachable || d.ICMP.Frame != w.frame || d.ICMPCode != 13 {
		t.Errorf("data %+v", d)
	}
}

func TestPipelinedAndSplitCommands(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220-Welcome\r\n220-to the server\r\n")
	w.s("220 ready\r\n")
	w.c("USER a\r\nPASS b\r\nPO")
	fport := w.frame
	w.c("RT 10,1,0,2,4,1\r\n")
	w.s("331 pw\r\n230 ok\r\n200 PORT ok\r\n")
	s := onlySession(t, an.Finish())
	if s.Greeting.Code != 220 || s.Greeting.Lines != 3 {
		t.Errorf("greeting %+v", s.Greeting)
	}
	if !s.LoggedIn || s.Commands != 3 {
		t.Errorf("logged in %v commands %d", s.LoggedIn, s.Commands)
	}
	n := s.Negotiations[0]
	if n.Address.String() != "10.1.0.2:1025" || n.Reply.Code != 200 || n.At.Frame != fport {
		t.Errorf("split PORT: %+v (want frame %d where the line starts)", n, fport)
	}
}

func TestAuthTLS(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 hi\r\n")
	w.c("AUTH tls\r\n") // any case
	f234 := w.s("234 Proceed with negotiation.\r\n")
	w.c("\x16\x03\x01\x00\x05hello")
	w.s("\x16\x03\x03\x00\x02hi")
	w.c("\x17\x03\x03\x00\x03abc")
	// Encrypted PASV/227: a data connection between the hosts is still tied
	// to the session.
	w.data("10.1.0.2:40002", "203.0.113.10:30000", "synack", 5)
	s := onlySession(t, an.Finish())
	if !s.TLS || s.TLSAt.Frame != f234 || s.ProtocolErrors != 0 {
		t.Errorf("tls %v at %d, protocol errors %d (%s)", s.TLS, s.TLSAt.Frame, s.ProtocolErrors, s.FirstError)
	}
	if len(s.Transfers) != 1 || s.Transfers[0].Negotiation.Inferred != "tls-host-pair" || s.Transfers[0].Data().State() != Established {
		t.Fatalf("transfers %+v", s.Transfers)
	}
	if s.Transfers[0].Mode() != Passive {
		t.Errorf("a client-initiated data connection is passive, got %s", s.Transfers[0].Mode())
	}
}

func TestGreetingOnOtherPort(t *testing.T) {
	an := New(Options{})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:2121")
	w.handshake()
	w.s("220 FTP on 2121\r\n")
	w.c("USER bob\r\n")
	w.s("331 pw\r\n")
	s := onlySession(t, an.Finish())
	if s.DetectedBy != "greeting" || s.User != "bob" || s.Greeting.Code != 220 || s.Client.Port() != 40000 {
		t.Errorf("session %+v", s)
	}
}

// TestIdleSessionsAreFinished: a control connection idle past the timeout
// is finished (its state freed, its session kept), and the same addresses
// later start a new session.
func TestIdleSessionsAreFinished(t *testing.T) {
	lim := DefaultLimits()
	lim.IdleTimeout = time.Minute
	an := New(Options{Limits: lim})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 hi\r\n")
	w.c("USER a\r\n")
	w.now = w.now.Add(2 * time.Minute)
	// Unrelated traffic moves the capture clock on.
	w.send(netip.MustParseAddrPort("192.0.2.1:5000"), netip.MustParseAddrPort("192.0.2.2:80"), 1, 1, capture.ACK, "")
	if an.flows.len() != 0 || len(an.controls) != 0 {
		t.Fatalf("idle control connection still tracked: %d flows, %d controls", an.flows.len(), len(an.controls))
	}
	w.s("331 pw\r\n")
	r := an.Finish()
	if len(r.Sessions) != 2 || r.Sessions[0].User != "a" || !r.Sessions[1].MidStream {
		t.Errorf("want the first session kept and a second one started mid-stream, got %d sessions", len(r.Sessions))
	}
}

// TestSessionsAreReleased: with OnSessionDone, finished sessions leave the
// Analyzer, so memory follows the sessions open at once, not the capture.
func TestSessionsAreReleased(t *testing.T) {
	var got []*Session
	an := New(Options{OnSessionDone: func(s *Session) { got = append(got, s) }})
	const n = 3000
	most := 0
	var clock time.Time
	for i := 0; i < n; i++ {
		w := newWire(t, an, fmt.Sprintf("10.1.%d.%d:40000", i/250, i%250+1), "203.0.113.10:21")
		if !clock.IsZero() {
			w.now = clock
		}
		w.handshake()
		w.s("220 hi\r\n")
		w.c("PASV\r\n")
		w.s("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
		w.c("QUIT\r\n")
		w.s("221 bye\r\n")
		w.send(w.client, w.server, w.cseq, w.sseq, capture.FIN|capture.ACK, "")
		w.send(w.server, w.client, w.sseq, w.cseq+1, capture.FIN|capture.ACK, "")
		clock = w.now.Add(time.Second) // one session a second
		most = max(most, len(an.sessions))
	}
	r := an.Finish()
	if len(got) != n || r.Released.Sessions != n || r.Released.Transfers != n || len(r.Sessions) != 0 {
		t.Fatalf("released %d sessions (result says %d, %d transfers), %d kept; want %d", len(got), r.Released.Sessions, r.Released.Transfers, len(r.Sessions), n)
	}
	// Closed sessions wait a minute for trailing data connections, and the
	// clean-up runs every 10 s of capture time: about 70 are held at once.
	if most > 100 {
		t.Errorf("up to %d sessions held at once, want them released as they finish", most)
	}
	ids := map[string]bool{}
	for _, s := range got {
		if ids[s.ID] {
			t.Fatalf("session id %s given twice", s.ID)
		}
		ids[s.ID] = true
	}
}

// TestSessionReleasedWithItsLastDataConnection: with OnSessionDone, a
// session whose control connection closed while its data connection still
// ran is released as that data connection closes, without waiting for
// later packets (a quiet link may bring none).
func TestSessionReleasedWithItsLastDataConnection(t *testing.T) {
	var got []*Session
	an := New(Options{OnSessionDone: func(s *Session) { got = append(got, s) }})
	w := newWire(t, an, "10.1.0.2:40000", "203.0.113.10:21")
	w.handshake()
	w.s("220 hi\r\n")
	w.c("PASV\r\n")
	w.s("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
	cli, srv := netip.MustParseAddrPort("10.1.0.2:50000"), netip.MustParseAddrPort("203.0.113.10:30000")
	w.send(cli, srv, 1000, 0, capture.SYN, "")
	w.send(srv, cli, 5000, 1001, capture.SYN|capture.ACK, "")
	w.send(cli, srv, 1001, 5001, capture.ACK, "")
	w.c("RETR f\r\n")
	w.s("150 ok\r\n")
	w.send(srv, cli, 5001, 1001, capture.ACK, "data")
	w.s("226 done\r\n")
	// the control connection closes first
	w.send(w.client, w.server, w.cseq, w.sseq, capture.FIN|capture.ACK, "")
	w.send(w.server, w.client, w.sseq, w.cseq+1, capture.FIN|capture.ACK, "")
	w.send(w.client, w.server, w.cseq+1, w.sseq+1, capture.ACK, "")
	if len(got) != 0 {
		t.Fatalf("released with its data connection still open")
	}
	w.send(srv, cli, 5005, 1001, capture.FIN|capture.ACK, "")
	w.send(cli, srv, 1001, 5006, capture.FIN|capture.ACK, "")
	if len(got) != 1 || len(got[0].Transfers) != 1 || got[0].Transfers[0].Final.Code != 226 {
		t.Fatalf("released %d sessions as the last data connection closed, want the one, with its 226", len(got))
	}
	// Once let go (and perhaps being written on another goroutine), the
	// session is not touched by the data connection's last ACK.
	last := got[0].Transfers[0].Data().Last
	w.send(srv, cli, 5006, 1002, capture.ACK, "")
	if got[0].Transfers[0].Data().Last != last {
		t.Errorf("the last ACK changed the released session's data connection")
	}
	if r := an.Finish(); len(r.Sessions) != 0 || r.Released.Sessions != 1 {
		t.Errorf("after Finish: %d sessions kept, %d released", len(r.Sessions), r.Released.Sessions)
	}
}

// TestReusedControlStartsClean: a control let go is reused for a later
// session (newControlState); the later session's facts must be its own.
// Two sessions, the first one closing with a command left unanswered, a
// line without its end on each side and a negotiation in effect, then the
// second, plain: the second reads as it would in an analyzer of its own.
func TestReusedControlStartsClean(t *testing.T) {
	second := func(an *Analyzer, at time.Time) {
		w := wiretest.New(an, "10.1.0.3:40001", "203.0.113.10:21")
		w.Now = at
		w.Handshake()
		w.S("220 hi\r\n")
		w.C("USER anonymous\r\n")
		w.S("230 ok\r\n")
		w.C("PASV\r\n")
		w.S("227 Entering Passive Mode (203,0,113,10,117,48)\r\n")
		w.C("QUIT\r\n")
		w.S("221 bye\r\n")
		w.Close()
	}
	var alone []*Session
	an := New(Options{Point: "test", OnSessionDone: func(s *Session) { alone = append(alone, s) },
		NextSession: func() int { return 2 }}) // numbered as it is below
	second(an, wiretest.Start().Add(time.Minute))
	an.Finish()

	var got []*Session
	an = New(Options{Point: "test", OnSessionDone: func(s *Session) { got = append(got, s) }})
	w := wiretest.New(an, "10.1.0.2:40000", "203.0.113.10:21")
	w.Handshake()
	w.S("220 hi\r\n")
	w.C("PORT 10,1,0,2,156,65\r\n")
	w.S("200 ok\r\n")
	w.C("RETR x\r\n")
	w.S("150 partial li") // a line without its end
	w.C("NOOP\r")         // half a line end
	w.Close()
	if len(got) != 1 || len(an.spare) != 1 {
		t.Fatalf("%d sessions let go, %d controls kept for reuse; want 1 and 1", len(got), len(an.spare))
	}
	second(an, wiretest.Start().Add(time.Minute))
	an.Finish()
	if len(got) != 2 || len(alone) != 1 {
		t.Fatalf("%d and %d sessions let go, want 2 and 1", len(got), len(alone))
	}
	if !reflect.DeepEqual(alone[0], got[1]) {
		t.Errorf("the second session on a reused control differs from the same session alone:\n%+v\n%+v", got[1], alone[0])
	}
	if len(got[0].Unanswered) != 2 || got[0].Unanswered[0].Verb != "RETR" || len(got[1].Unanswered) != 0 {
		t.Errorf("unanswered: %+v, then %+v; want RETR and NOOP, then none", got[0].Unanswered, got[1].Unanswered)
	}
}

// Fuzz crasher (diagnose FuzzDialogue 78e5264952c6493a): a hole in the
// server's bytes, passed over unacknowledged after a long silence (the
// client's SYN on the same ports), then acknowledged. The session counted
// an acknowledged hole with no segment to show for it, and the
// capture-gap finding cited no frame.
func TestHoleAcknowledgedLateHasItsSegment(t *testing.T) {
	an := New(Options{})
	w := wiretest.New(an, "192.0.2.1:40001", "203.0.113.10:21")
	w.Send(w.Server, w.Client, 4973, 1000, capture.ACK, "PASS secret\r\n")
	after := w.Send(w.Server, w.Client, 5000, 1000, capture.PSH|capture.ACK, "220 ready\r\n")
	w.Wait(48 * time.Second)
	w.Send(w.Client, w.Server, 1000, 0, capture.SYN, "")
	w.Send(w.Server, w.Client, 5011, 1001, capture.SYN|capture.ACK, "")
	w.Send(w.Client, w.Server, 1001, 5012, capture.ACK, "")
	res := an.Finish()
	if len(res.Sessions) != 1 {
		t.Fatalf("%d sessions, want 1", len(res.Sessions))
	}
	s := res.Sessions[0]
	if acked := s.Gaps - s.UnackedGaps; acked != 1 || s.MissingBytes-s.UnackedBytes != 14 {
		t.Fatalf("%d acknowledged holes, %d bytes; want 1 of 14", acked, s.MissingBytes-s.UnackedBytes)
	}
	if s.GapAt.Frame != after {
		t.Errorf("GapAt is frame %d, want %d (the segment after the hole)", s.GapAt.Frame, after)
	}
}
