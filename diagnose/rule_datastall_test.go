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

// Tests of rule_datastall.go: a data connection that starts, then stops
// making progress.

// stallRetr logs in, PASV, RETR and the 150, and sets up the data
// connection 198.51.100.1:40001 -> 203.0.113.10:30000; it returns the
// control wire and the data connection's ends.
func stallRetr(an *analyze.Analyzer, fr pinFrames) (w *wiretest.Wire, cli, srv netip.AddrPort) {
	w = pinWire(an, "198.51.100.1:40000", "203.0.113.10:21")
	w.Handshake()
	pinLogin(w, "anonymous")
	w.C("PASV\r\n")
	w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
	fr["retr"] = w.C("RETR big.bin\r\n")
	w.S("150 Opening BINARY mode data connection for big.bin (262144 bytes).\r\n")
	cli, srv = netip.MustParseAddrPort("198.51.100.1:40001"), netip.MustParseAddrPort("203.0.113.10:30000")
	w.Send(cli, srv, 100, 0, capture.SYN, "")
	w.Send(srv, cli, 900, 101, capture.SYN|capture.ACK, "")
	fr["handshake"] = w.Send(cli, srv, 101, 901, capture.ACK, "")
	return w, cli, srv
}

// resend sends the segment at seq (n bytes) again, k times, 200 ms, 400
// ms... apart, recording the first and last resend.
func resend(w *wiretest.Wire, fr pinFrames, src, dst netip.AddrPort, seq uint32, n, k int) {
	gap := 200 * time.Millisecond
	for i := 0; i < k; i++ {
		w.Wait(gap)
		gap *= 2
		f := w.Send(src, dst, seq, 101, capture.ACK, strings.Repeat("x", n))
		if i == 0 {
			fr["resend1"] = f
		}
		fr["resendN"] = f
	}
}

var dataStalledCases = []pinCase{
	{
		name:  "seen on the sender's side: full-sized segments resent, never acknowledged, no ICMP",
		point: "server-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			fr["orig"] = w.Send(srv, cli, 901, 101, capture.ACK, strings.Repeat("x", 1448))
			w.Send(srv, cli, 901+1448, 101, capture.ACK, strings.Repeat("x", 1448))
			w.Send(srv, cli, 901+2*1448, 101, capture.ACK, strings.Repeat("x", 1448))
			resend(w, fr, srv, cli, 901, 1448, 4)
			w.Wait(time.Second)
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
		},
		want: "error:data-stalled",
		expect: []pinExpect{{code: DataStalled, severity: Error, transfers: "S1.T1",
			summary: []string{"RETR big.bin: the data connection stalled: the client acknowledged 0 of the 4344 bytes the server sent (last progress at the handshake",
				"the server resent its segment at byte 0 (1448 bytes, first sent in frame {orig}) 4 times (frames {resend1}–{resendN}) and the client never acknowledged it",
				"no server segment got through on this connection (it sent segments of up to 1448 bytes)",
				"No ICMP \"fragmentation needed\" for this connection crossed this point",
				"lost between this point and the client", "full-sized segment (1448 bytes of payload)", "path MTU black hole"},
			advice:   []string{"ping -M do -s 1472", "tcp option maxseg size set rt mtu", "net.ipv4.tcp_mtu_probing=1"},
			evidence: []string{"orig", "resend1", "resendN"}}},
	},
	{
		name:  "progress first: the client acknowledged a small segment, then a full-sized one is resent; a router's fragmentation-needed is named",
		point: "server-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			w.Send(srv, cli, 901, 101, capture.ACK, strings.Repeat("x", 500))
			fr["acked"] = w.Send(cli, srv, 101, 1401, capture.ACK, "")
			fr["orig"] = w.Send(srv, cli, 1401, 101, capture.ACK, strings.Repeat("x", 1448))
			fr["icmp"] = w.ICMP("198.51.100.2", 3, 4, srv, cli)
			resend(w, fr, srv, cli, 1401, 1448, 3)
		},
		want: "error:data-stalled",
		expect: []pinExpect{{code: DataStalled, severity: Error,
			summary: []string{"the client acknowledged 500 of the 1948 bytes the server sent (last progress at frame {acked}",
				"resent its segment at byte 500 (1448 bytes, first sent in frame {orig}) 3 times",
				"the largest server segment the client acknowledged on this connection was 500 bytes, the largest sent 1448",
				"A router sent ICMP \"fragmentation needed\" for this connection (frame {icmp}, TTL 64): it could not forward a segment that large, and the sender went on resending 1448-byte segments after it"},
			notSummary: []string{"No ICMP"}}},
	},
	{
		name:  "a small segment resent: not a question of size, a box dropping the connection",
		point: "server-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			fr["orig"] = w.Send(srv, cli, 901, 101, capture.ACK, strings.Repeat("x", 300))
			resend(w, fr, srv, cli, 901, 300, 3)
		},
		want: "error:data-stalled",
		expect: []pinExpect{{code: DataStalled, severity: Error,
			summary:    []string{"a 300-byte segment lost again and again is not a question of size", "mid-stream"},
			notSummary: []string{"path MTU black hole"},
			advice:     []string{"stops forwarding a connection mid-stream"},
			notAdvice:  []string{"ping -M do"}}},
	},
	{
		name:  "seen on the receiver's side: the server's empty segment shows 4344 bytes that never came",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			w.Wait(5 * time.Second)
			w.Send(cli, srv, 101, 901, capture.FIN|capture.ACK, "")
			fr["jump"] = w.Send(srv, cli, 901+4344, 102, capture.ACK, "")
		},
		want: "error:data-stalled",
		expect: []pinExpect{{code: DataStalled, severity: Error,
			summary: []string{"none of its data crossed this point (0 bytes)",
				"the server's segment in frame {jump}, which did arrive (a small one, without data), carries a sequence number 4344 bytes further: the server sent 4344 bytes that never came here",
				"lost between the server and this point", "this point cannot see their size"},
			notSummary: []string{"resent its segment"},
			advice:     []string{"A capture on the server's side shows the segments it resent"},
			evidence:   []string{"jump"}}},
	},
	{
		name:  "the receiver acknowledged the bytes the capture missed: no stall",
		point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			w.Send(cli, srv, 101, 901+1448, capture.ACK, "")
			w.Send(srv, cli, 901+1448, 101, capture.FIN|capture.ACK, "")
			w.Send(cli, srv, 101, 901+1449, capture.FIN|capture.ACK, "")
			w.S("426 Failure writing network stream.\r\n")
		},
		want: "",
	},
	{
		name:  "a resend that got through and a 226: no finding",
		point: "server-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w, cli, srv := stallRetr(an, fr)
			w.Send(srv, cli, 901, 101, capture.ACK, strings.Repeat("x", 1448))
			resend(w, fr, srv, cli, 901, 1448, 2)
			w.Send(cli, srv, 101, 901+1448, capture.ACK, "")
			w.Send(srv, cli, 901+1448, 101, capture.FIN|capture.ACK, "")
			w.Send(cli, srv, 101, 901+1449, capture.FIN|capture.ACK, "")
			w.S("226 Transfer complete.\r\n")
			w.Close()
		},
		want: "",
	},
}

func TestDataStalled(t *testing.T) { runPinCases(t, dataStalledCases) }
