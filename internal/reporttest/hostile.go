package reporttest

import (
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
)

// HostilePoint is a capture point with one session whose every wire string
// is hostile: terminal escapes, a bidi override, invalid UTF-8.
func HostilePoint() *diagnose.Point {
	at := analyze.Ref{Frame: 5, Time: analyze.StampOf(time.Unix(1700000000, 0))}
	n := &analyze.Negotiation{Mode: analyze.Passive, Command: "PASV", At: at,
		Address: netip.MustParseAddrPort("198.51.100.10:30000"),
		Reply:   analyze.Reply{Code: 227, Text: "Entering \x1b]0;pwned\x07 Passive Mode", At: at}}
	tr := &analyze.Transfer{ID: "S1.T1", Command: "RETR", Arg: "\x1b[2Jinvoice\u202efdp.exe\xff", Negotiation: n,
		Final: analyze.Reply{Code: 226, Text: "done\r\n\x1b[31m"}}
	s := &analyze.Session{ID: "S1", User: "root\x1b[8m", Client: netip.MustParseAddrPort("10.0.0.1:1000"),
		Server: netip.MustParseAddrPort("198.51.100.10:21"), Transfers: []*analyze.Transfer{tr}, Negotiations: []*analyze.Negotiation{n}}
	return &diagnose.Point{Result: &analyze.Result{Point: "p", Inputs: []string{"x.pcap"}, Sessions: []*analyze.Session{s}}}
}
