package diagnose

import (
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// seqAfterPORT writes what follows a PORT whose line a box between the
// client and the server made `grew` bytes longer without shifting the
// client's later numbers: the server's 200 acknowledges bytes as it got
// them; the client, which sent fewer, answers with its old acknowledgement
// at its own (lower) number, and the server resends the 200. seen is how
// many of the grown bytes this point saw (the point is past the box: all
// of them; before it: none). next, when set, is a line the client then
// sends at its own number.
func seqAfterPORT(grew uint32, pastBox bool, next string) func(w *wiretest.Wire) {
	return func(w *wiretest.Wire) {
		w.Step = 250 * time.Millisecond
		clientEnd := w.CSeq // where the client's own count is
		if pastBox {
			clientEnd -= grew
		}
		serverAck := clientEnd + grew
		reply := "200 PORT command successful.\r\n"
		for range 3 {
			w.Send(w.Server, w.Client, w.SSeq, serverAck, capture.PSH|capture.ACK, reply)
			w.Send(w.Client, w.Server, clientEnd, w.SSeq, capture.ACK, "")
		}
		if next != "" {
			w.Send(w.Client, w.Server, clientEnd, w.SSeq, capture.PSH|capture.ACK, next+"\r\n")
		}
	}
}

func TestRuleControlSeqMismatch(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "inside the box: the server acknowledges 4 bytes the client never sent here",
			point: "client-lan", client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:USER a", "s:230 ok", "c:PORT 10,1,0,2,156,65"},
			build: seqAfterPORT(4, false, ""),
			codes: "error:control-seq-mismatch",
			want: []rtWant{{code: ControlSeqMismatch, sev: Error,
				says: []string{"after the client's PORT (frame", "the server acknowledged 4 bytes more than the client sent as seen here",
					"the client's own segments stay 4 bytes below that", "3 segments in all",
					"A box between this point and the server changed the length of the client's stream without shifting",
					"the client never acknowledged the server's 30 bytes"},
				never: []string{"lost between"}}},
			nowhere: []string{"control-stalled"}},
		{name: "past the box: the client's later segments start 4 bytes below what the server acknowledged",
			point: "nat-outside", client: rtPubClient, server: rtPubServer, clientTTL: 63, serverTTL: 60,
			steps: []string{"s:220 hi", "c:USER a", "s:230 ok", "c:PORT 198,51,100,7,156,65"},
			build: seqAfterPORT(4, true, ""),
			codes: "error:control-seq-mismatch",
			want: []rtWant{{code: ControlSeqMismatch, sev: Error,
				says: []string{"the client's segments from frame", "start 4 bytes below what the server had already acknowledged of its bytes",
					"all of which this point saw it send", "A box between the client and this point changed the length"},
				never: []string{"more than the client sent"}}}},
		{name: "past the box, the client's next command starts inside bytes already acknowledged",
			point: "nat-outside", client: rtPubClient, server: rtPubServer, clientTTL: 63, serverTTL: 60,
			steps: []string{"s:220 hi", "c:USER a", "s:230 ok", "c:PORT 198,51,100,7,156,65"},
			build: seqAfterPORT(4, true, "RETR f"),
			codes: "-",
			want: []rtWant{{code: ControlSeqMismatch, sev: Error,
				says: []string{"the client's next bytes (frame", "start inside bytes the server already acknowledged, so the server reads the rest of the client's line cut"}}}},
		// lab s18c, step 2: a client sending RETR right behind PORT through a
		// helper that lengthens the PORT by 4 bytes without shifting
		{name: "lab s18c outside: the pipelined RETR lands 4 bytes inside the lengthened PORT, before the server's acknowledgement; the server answers 500",
			capture: "path/s18c-alg-seq-broken.nat-outside.pcap", codes: "error:control-seq-mismatch error:control-seq-mismatch",
			want: []rtWant{{code: ControlSeqMismatch, sev: Error, transfers: []string{"S2.T1"},
				says: []string{"after the client's PORT (frame 48), its next segment (frame 49) starts 4 bytes before the end of that line as it crossed this point",
					`("RETR" over the line's last 4 bytes, "66" and its line end)`, `it crossed here as "PORT 198,51,100,1,156,66"`,
					`reads the rest of the client's line cut; it answered "500 Unknown command." (frame 51)`},
				cites: []string{"500 Unknown command."}}}},
		{name: "lab s18c inside: the server answers 500 to a RETR this point saw whole; no 'permissions' advice",
			capture: "path/s18c-alg-seq-broken.client-lan.pcap", codes: "error:control-seq-mismatch error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S2.T1"},
				says: []string{`the server answered "500 Unknown command." to RETR, a command every FTP server knows, which this point saw whole (frame 49)`,
					"The line before it, PORT (frame 48), is one an FTP helper on a NAT rewrites", "a capture on the far side of the client's NAT shows them"},
				never:   []string{"permissions"},
				advises: []string{"Compare captures on both sides of the client's NAT"}}}},
		// reordering (seen in the lab: NFQUEUE let a client's pure ACK out
		// after the USER behind it and the server's acknowledgement of it)
		{name: "a pure ACK delivered late below the server's acknowledgement, then the client goes on where the server expects: reordering, no mismatch",
			client: rtPubClient, server: rtPubServer,
			steps: []string{"s:220 hi", "c:USER a", "s:331 pw"},
			build: func(w *wiretest.Wire) {
				w.Send(w.Client, w.Server, w.CSeq-uint32(len("USER a\r\n")), w.SSeq, capture.ACK, "")
				rtPlay(t, w, []string{"c:SYST", "s:215 UNIX Type: L8"})
			},
			codes: ""},
		{name: "one late pure ACK as the capture ends is not evidence enough",
			client: rtPubClient, server: rtPubServer,
			steps: []string{"s:220 hi", "c:USER a", "s:331 pw"},
			build: func(w *wiretest.Wire) {
				w.Send(w.Client, w.Server, w.CSeq-uint32(len("USER a\r\n")), w.SSeq, capture.ACK, "")
			},
			codes: ""},
		{name: "a keepalive one byte below the acknowledgement is no mismatch",
			client: rtPubClient, server: rtPubServer,
			steps: []string{"s:220 hi", "c:USER a", "s:230 ok"},
			build: func(w *wiretest.Wire) {
				w.Send(w.Client, w.Server, w.CSeq-1, w.SSeq, capture.ACK, "")
			},
			codes: ""},
	})
}
