package diagnose

import (
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of rule_natstate.go: a control connection forgotten on the way
// while it was silent during a long transfer.

// slowRetr logs in, PASV, RETR, the 150 and the client's ACK of it, then
// a data connection carrying 2000 bytes from the server; then the control
// connection stays silent for quiet. The client's packets cross the point
// with TTL 63 (one router away).
func slowRetr(an *analyze.Analyzer, fr pinFrames, quiet time.Duration) *wiretest.Wire {
	w := pinWire(an, "198.51.100.1:40000", "203.0.113.10:21")
	w.SetTTL("198.51.100.1", 63)
	w.Handshake()
	pinLogin(w, "anonymous")
	w.C("PASV\r\n")
	w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
	fr["retr"] = w.C("RETR big.bin\r\n")
	w.S("150 Opening BINARY mode data connection for big.bin (2000 bytes).\r\n")
	fr["quiet"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.ACK, "")
	w.Data("198.51.100.1:40001", "203.0.113.10:30000", "synack", 2000)
	fr["datafin"] = w.Frame - 1
	w.Wait(quiet)
	return w
}

var controlStateLostCases = []pinCase{
	{
		name:  "the 226 after 3 s of silence is answered by a reset in the client's name from one hop nearer: the client's NAT forgot the connection",
		point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 3*time.Second)
			fr["226"] = w.S("226 Transfer complete.\r\n")
			w.SetTTL("198.51.100.1", 64)
			fr["rst"] = w.Send(w.Client, w.Server, w.CSeq, 0, capture.RST, "")
		},
		want: "error:control-state-lost",
		expect: []pinExpect{{code: ControlStateLost, severity: Error, transfers: "S1.T1",
			summary: []string{"RETR big.bin: the control connection carried nothing either way for 3.06s (after frame {quiet}) while the data connection ran (it carried 2000 bytes)",
				"the server's \"226 Transfer complete.\" (frame {226}), its first packet after the silence, was answered by a reset with the client's address 198.51.100.1:40000 (frame {rst})",
				"from this link (no router between, TTL 64)", "the client's own packets come from 1 router hop away (TTL 63)",
				"the client's NAT or firewall", "when the reply came, 3.06s into the silence"},
			notSummary: []string{"this point cannot see where"},
			advice:     []string{"--keepalive-time", "net.netfilter.nf_conntrack_tcp_timeout_established", "within 3.06s of silence (its idle timeout is at most that)"},
			evidence:   []string{"quiet", "226", "rst"}}},
	},
	{
		name:  "seen on the client's side: the data ended, no 226 came, the client's FIN and its resends got no answer at all",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 7*time.Second)
			fr["fin"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
			w.Wait(200 * time.Millisecond)
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
			w.Wait(400 * time.Millisecond)
			fr["last"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
		},
		want: "error:control-state-lost",
		expect: []pinExpect{{code: ControlStateLost, severity: Error, transfers: "S1.T1",
			summary: []string{"the data connection ended (FIN, frame {datafin})", "the server's final reply never came here",
				"the client closed the control connection (frame {fin}), and its FIN, resent up to frame {last}, got no answer at all",
				"as a NAT or firewall that forgot the idle connection does; this point cannot see where"},
			notSummary: []string{"reset"},
			advice:     []string{"--keepalive-time", "a capture outside the client's NAT shows whether the server sent its final reply"},
			evidence:   []string{"quiet", "datafin", "fin"}}},
	},
	{
		name:  "a reset from as far as the client is the client's own: no finding",
		point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 3*time.Second)
			w.S("226 Transfer complete.\r\n")
			w.Send(w.Client, w.Server, w.CSeq, 0, capture.RST, "")
		},
		want: "",
	},
	{
		name:  "a short silence: the reset is not read as forgotten state",
		point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 300*time.Millisecond)
			w.S("226 Transfer complete.\r\n")
			w.SetTTL("198.51.100.1", 64)
			w.Send(w.Client, w.Server, w.CSeq, 0, capture.RST, "")
		},
		want: "",
	},
	{
		name:  "the capture ends right after the client's FIN: no resend, so no finding",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 7*time.Second)
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
		},
		want: "",
	},
	{
		name:  "the server's TCP acknowledges the client's FIN: the path works, no finding",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 7*time.Second)
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
			w.Send(w.Server, w.Client, w.SSeq, w.CSeq+1, capture.ACK, "")
			w.Wait(time.Second)
			w.Send(w.Client, w.Server, w.CSeq+1, w.SSeq, capture.ACK, "")
		},
		want: "",
	},
	{
		name:  "the client closes at once after the data: no wait for the reply, no finding",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := slowRetr(an, fr, 1500*time.Millisecond)
			w.Wait(-1400 * time.Millisecond) // 100 ms after the data ended
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
		},
		want: "",
	},
}

func TestControlStateLost(t *testing.T) { runPinCases(t, controlStateLostCases) }
