package analyze

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// oneSession runs a scripted session through a fresh Analyzer and returns
// it.
func oneSession(t *testing.T, build func(w *wiretest.Wire)) *Session {
	t.Helper()
	an := New(Options{Point: "test"})
	w := wiretest.New(an, "10.1.0.2:40000", "203.0.113.10:21")
	build(w)
	r := an.Finish()
	if len(r.Sessions) == 0 {
		t.Fatal("no session")
	}
	return r.Sessions[0]
}

// TestNegotiationStaysInEffect: RFC 959 keeps a PORT in effect until the
// next one; a RETR the server refuses (550) before any data connection does
// not use it up, and the next RETR gets it and its data connection.
func TestNegotiationStaysInEffect(t *testing.T) {
	s := oneSession(t, func(w *wiretest.Wire) {
		w.Handshake()
		w.S("220 hi\r\n")
		w.C("PORT 10,1,0,2,156,65\r\n")
		w.S("200 PORT command successful.\r\n")
		w.C("RETR missing\r\n")
		w.S("550 Failed to open file.\r\n")
		w.C("RETR there\r\n")
		w.S("150 Opening BINARY mode data connection.\r\n")
		w.Data("203.0.113.10:20", "10.1.0.2:40001", "synack", 100)
		w.S("226 Transfer complete.\r\n")
		w.Close()
	})
	if len(s.Transfers) != 2 {
		t.Fatalf("%d transfers, want 2", len(s.Transfers))
	}
	first, second := s.Transfers[0], s.Transfers[1]
	if first.Arg != "missing" || first.Final.Code != 550 || first.Data() != nil || !first.Superseded {
		t.Errorf("first: %s %s final %d data %v superseded %v; want the 550 without a data connection", first.Command, first.Arg, first.Final.Code, first.Data(), first.Superseded)
	}
	if second.Arg != "there" || second.Negotiation != first.Negotiation || second.Data() == nil || second.DataState() != Established {
		t.Errorf("second: %s %s negotiation %p (first's %p) data %v; want the same PORT and its data connection", second.Command, second.Arg, second.Negotiation, first.Negotiation, second.Data())
	}
}

// TestGapInMultiLineReply: a hole that takes the end of a multi-line reply
// does not swallow the replies after it.
func TestGapInMultiLineReply(t *testing.T) {
	s := oneSession(t, func(w *wiretest.Wire) {
		w.Handshake()
		w.S("220 hi\r\n")
		w.C("FEAT\r\n")
		w.S("211-Features:\r\n MDTM\r\n")
		w.SSeq += uint32(len(" SIZE\r\n211 End\r\n")) // lost before the capture
		w.C("PASV\r\n")
		w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
		w.Close()
	})
	var n *Negotiation
	for _, x := range s.Negotiations {
		if x.Command == "PASV" {
			n = x
		}
	}
	if n == nil || n.Reply.Code != 227 || n.Address.String() != "203.0.113.10:30000" {
		t.Fatalf("the 227 after the hole was lost: negotiation %+v", n)
	}
}

// TestUnsolicited421: a 421 sent before the server acknowledged the waiting
// command answers nothing; it is the session's Closing and the command
// stays unanswered. A 421 to an acknowledged command is its reply.
func TestUnsolicited421(t *testing.T) {
	for _, tt := range []struct {
		name      string
		acked     bool
		closing   bool
		unanswerd string
	}{
		{"the server never acknowledged PASV", false, true, "PASV"},
		{"the server acknowledged PASV, then 421", true, false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := oneSession(t, func(w *wiretest.Wire) {
				w.Handshake()
				w.S("220 hi\r\n")
				// The client's PASV is in flight while the server times out.
				w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.PSH|capture.ACK, "PASV\r\n")
				w.CSeq += 6
				ack := w.CSeq - 6
				if tt.acked {
					ack = w.CSeq
				}
				w.Send(w.Server, w.Client, w.SSeq, ack, capture.PSH|capture.ACK, "421 Timeout.\r\n")
				w.SSeq += uint32(len("421 Timeout.\r\n"))
			})
			if got := s.Closing.Code == 421; got != tt.closing {
				t.Errorf("Closing %v, want a closing 421: %v", s.Closing, tt.closing)
			}
			var un []string
			for _, c := range s.Unanswered {
				un = append(un, c.Verb)
			}
			if strings.Join(un, " ") != tt.unanswerd {
				t.Errorf("unanswered %q, want %q", un, tt.unanswerd)
			}
		})
	}
}

// TestStall: client bytes resent and never acknowledged over a
// retransmission timer are a Stall with their text; resends in the same
// instant (a mangled capture) are not.
func TestStall(t *testing.T) {
	for _, tt := range []struct {
		name  string
		gap   time.Duration
		stall bool
	}{
		{"resent at 200 ms, 600 ms", 200 * time.Millisecond, true},
		{"resent in the same instant", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := oneSession(t, func(w *wiretest.Wire) {
				w.Handshake()
				w.S("220 hi\r\n")
				seq := w.CSeq
				for i := 0; i < 3; i++ {
					w.Send(w.Client, w.Server, seq, w.SSeq, capture.PSH|capture.ACK, "RETR f\r\n")
					w.Wait(tt.gap * time.Duration(i+1))
				}
				w.CSeq += 8
			})
			if got := len(s.Stalls) == 1; got != tt.stall {
				t.Fatalf("stalls %+v, want one: %v", s.Stalls, tt.stall)
			}
			if tt.stall {
				st := s.Stalls[0]
				if !st.FromClient || st.Bytes != 8 || st.Retransmissions != 2 || st.Text != "RETR f" || st.First.Frame != 5 {
					t.Errorf("stall %+v, want the client's 8 bytes \"RETR f\" first sent at frame 5, resent twice", st)
				}
			}
		})
	}
}

// TestDataBytesCountedOnce: a data segment retransmitted is not counted
// again.
func TestDataBytesCountedOnce(t *testing.T) {
	s := oneSession(t, func(w *wiretest.Wire) {
		w.Handshake()
		w.S("220 hi\r\n")
		w.C("PASV\r\n")
		w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
		src, dst := w.Client, w.Server
		src = netipPort(src.Addr().String() + ":40001")
		dst = netipPort("203.0.113.10:30000")
		w.Send(src, dst, 1, 0, capture.SYN, "")
		w.Send(dst, src, 9, 2, capture.SYN|capture.ACK, "")
		w.Send(dst, src, 10, 2, capture.PSH|capture.ACK, strings.Repeat("x", 100))
		w.Send(dst, src, 10, 2, capture.PSH|capture.ACK, strings.Repeat("x", 100)) // resent
		w.Send(dst, src, 60, 2, capture.PSH|capture.ACK, strings.Repeat("x", 100)) // half new
		w.C("RETR f\r\n")
		w.S("226 done\r\n")
	})
	dc := s.Transfers[0].Data()
	if dc == nil || dc.BytesFromAcceptor != 150 {
		t.Fatalf("data %+v, want 150 bytes from the server (100, a resend, 50 new)", dc)
	}
}

// TestTwins: the same client SYN on two address pairs, one translated
// side, within 2 s, is one connection seen twice; differing on both sides
// it is not.
func TestTwins(t *testing.T) {
	for _, tt := range []struct {
		name         string
		inside, outA string
		twin         bool
	}{
		{"masquerade: the client's address translated", "10.1.0.2:40000", "198.51.100.1:40000", true},
		{"both addresses differ", "10.1.0.2:40000", "198.51.100.1:40000 other-server", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			an := New(Options{Point: "test"})
			server := "203.0.113.10:21"
			outClient, outServer := tt.outA, server
			if c, _, ok := strings.Cut(tt.outA, " "); ok {
				outClient, outServer = c, "192.0.2.7:21"
			}
			in := wiretest.New(an, tt.inside, server)
			out := wiretest.New(an, outClient, outServer)
			out.Frame = 100
			in.Handshake()
			out.Handshake()
			r := an.Finish()
			if len(r.Sessions) != 2 {
				t.Fatalf("%d sessions, want 2", len(r.Sessions))
			}
			if got := r.Sessions[0].Twin == r.Sessions[1] && r.Sessions[1].Twin == r.Sessions[0]; got != tt.twin {
				t.Errorf("twins: %v, want %v", got, tt.twin)
			}
		})
	}
}

func netipPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

// TestTwinOfAReleasedSession: a session let go before its twin's SYN is
// seen is not changed after (it may be read on another goroutine): its
// Twin stays nil, while the later session still names it.
func TestTwinOfAReleasedSession(t *testing.T) {
	var released []*Session
	an := New(Options{Point: "test", OnSessionDone: func(s *Session) { released = append(released, s) }})
	in := wiretest.New(an, "10.1.0.2:40000", "203.0.113.10:21")
	in.Handshake()
	in.S("220 hi\r\n")
	in.Close()
	if len(released) != 1 {
		t.Fatalf("%d sessions let go after the first closed, want 1", len(released))
	}
	out := wiretest.New(an, "198.51.100.1:40000", "203.0.113.10:21")
	out.Frame, out.Now = 100, in.Now.Add(100*time.Millisecond)
	out.Handshake()
	first := released[0]
	r := an.Finish()
	second := released[len(released)-1]
	if len(released) != 2 || len(r.Sessions) != 0 {
		t.Fatalf("%d sessions let go, %d kept; want 2 and 0", len(released), len(r.Sessions))
	}
	if second.Twin != first || first.Twin != nil {
		t.Errorf("second's twin %v, first's twin %v; want the first named by the second only", second.Twin, first.Twin)
	}
}
