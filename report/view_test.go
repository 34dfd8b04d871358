package report

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

var viewT0 = time.Unix(1700000000, 0)

func viewRef(frame uint64) analyze.Ref {
	return analyze.Ref{Frame: frame, Time: analyze.StampOf(viewT0.Add(time.Duration(frame) * time.Millisecond))}
}

// viewRow is a transfer row with the outcome given: its final reply code
// (0: none), the severity of the finding that explains it ("" none), and
// whether its session is encrypted.
func viewRow(final int, severity string, tls bool) TransferRow {
	t := &analyze.Transfer{ID: "S1.T1", Command: "RETR", Arg: "f"}
	if final != 0 {
		t.Final = analyze.Reply{Code: final, Text: "x", At: viewRef(9)}
	}
	return TransferRow{Transfer: t, Severity: severity, Session: &analyze.Session{ID: "S1", TLS: tls}}
}

func TestAnswer(t *testing.T) {
	noAnswer := &diagnose.Finding{Code: diagnose.DataNoAnswer, Severity: diagnose.Error,
		Advice: "Let the client's connections reach the server's passive ports (vsftpd pasv_min_port; this reply used port 30005): pin the range. Then more."}
	gap := &diagnose.Finding{Code: diagnose.CaptureGap, Severity: diagnose.Warning, Advice: "Capture whole packets."}
	refusedPort := viewRow(0, "", false)
	refusedPort.Transfer.Command, refusedPort.Transfer.Arg = "", ""
	refusedPort.Transfer.Negotiation = &analyze.Negotiation{Mode: analyze.Active, Command: "PORT", Reply: analyze.Reply{Code: 425}}
	for _, c := range []struct {
		name     string
		rows     []TransferRow
		findings []*diagnose.Finding
		sessions int
		want     []string
	}{
		{name: "no control connection", sessions: 0, want: []string{"No FTP control connection found."}},
		{name: "sessions without a transfer", sessions: 2, want: []string{"No transfer was seen."}},
		{name: "one transfer failed: the error, then the gist of its fix without the details in parentheses",
			rows: []TransferRow{viewRow(425, "error", false)}, findings: []*diagnose.Finding{noAnswer}, sessions: 1,
			want: []string{"The transfer failed; 1 error: data-no-answer.",
				"Fix first (finding 1): Let the client's connections reach the server's passive ports: pin the range."}},
		{name: "the fix is the first error's, numbered as listed",
			rows: []TransferRow{viewRow(425, "error", false)}, findings: []*diagnose.Finding{gap, noAnswer}, sessions: 1,
			want: []string{"The transfer failed; 1 error: data-no-answer; 1 warning: capture-gap.",
				"Fix first (finding 2): Let the client's connections reach the server's passive ports: pin the range."}},
		{name: "a 2xx completes, even with a warning",
			rows: []TransferRow{viewRow(226, "warning", false)}, findings: []*diagnose.Finding{gap}, sessions: 1,
			want: []string{"The transfer completed; 1 warning: capture-gap."}},
		{name: "no final reply: the outcome is not in the capture, never 'no transfer failed'",
			rows: []TransferRow{viewRow(0, "", false)}, sessions: 1,
			want: []string{"The transfer's outcome is not in the capture (no final reply seen)."}},
		{name: "encrypted replies say so",
			rows: []TransferRow{viewRow(0, "", true), viewRow(0, "", true), viewRow(0, "", true)}, sessions: 1,
			want: []string{"The outcome of the 3 transfers is not in the capture (their replies are encrypted)."}},
		{name: "mixed outcomes are each counted",
			rows:     []TransferRow{viewRow(425, "error", false), viewRow(226, "", false), viewRow(0, "", false), viewRow(550, "warning", false)},
			findings: []*diagnose.Finding{noAnswer, noAnswer}, sessions: 1,
			want: []string{"Of 4 transfers, 2 failed, 1 completed and 1 without an outcome in the capture (no final reply seen); 2 errors: data-no-answer ×2.",
				"Fix first (finding 1): Let the client's connections reach the server's passive ports: pin the range."}},
		{name: "a PORT the server refused, with no command after it, failed",
			rows: []TransferRow{refusedPort, viewRow(226, "", false)}, sessions: 1,
			want: []string{"Of 2 transfers, 1 failed and 1 completed."}},
		{name: "two of two", rows: []TransferRow{viewRow(226, "", false), viewRow(250, "", false)}, sessions: 1,
			want: []string{"Both transfers completed."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := answer(c.rows, c.findings, c.sessions)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

func TestAdviceGist(t *testing.T) {
	for _, c := range []struct{ name, advice, want string }{
		{"first sentence only", "Use passive mode. No helper can do this for FTPS.", "Use passive mode"},
		{"details in parentheses go, with the spaces they leave",
			"Use passive mode (curl: leave out -P/--ftp-port; lftp: set ftp:passive-mode on), or attach the kernel FTP helper on the client's NAT router (nftables: ct helper; modprobe nf_nat_ftp). No helper can do this for FTPS.",
			"Use passive mode, or attach the kernel FTP helper on the client's NAT router"},
		{"a full stop inside parentheses does not end the sentence", "Raise the timeout (see vsftpd.conf. It is idle_session_timeout) on the server.", "Raise the timeout on the server"},
		{"nested parentheses", "Pin the range (vsftpd (pasv_min_port)) and accept it.", "Pin the range and accept it"},
		{"a dot inside a word is no sentence end", "Check 10.1.0.1, which refused it.", "Check 10.1.0.1, which refused it"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := adviceGist(c.advice); got != c.want {
				t.Errorf("adviceGist(%q)\n = %q\nwant %q", c.advice, got, c.want)
			}
		})
	}
}

func TestSessionRowWords(t *testing.T) {
	client, server := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("203.0.113.10:21")
	for _, c := range []struct {
		name       string
		s          analyze.Session
		gaps       string
		notes      []string
		notesEmpty bool
	}{
		{name: "one hole is singular", s: analyze.Session{Gaps: 1, MissingBytes: 6}, gaps: "1 hole (6 B)"},
		{name: "two holes", s: analyze.Session{Gaps: 2, MissingBytes: 14}, gaps: "2 holes (14 B)"},
		{name: "no hole", s: analyze.Session{}, gaps: "0", notesEmpty: true},
		{name: "the side in words", s: analyze.Session{Side: analyze.SideBetween}, gaps: "0",
			notes: []string{"captured between the client and the server"}},
		{name: "an unanswered control SYN is not a blank row", s: analyze.Session{Opening: analyze.Opening{SYN: viewRef(1)}}, gaps: "0",
			notes: []string{"no session: the SYN was never answered"}},
		{name: "a reset control SYN", s: analyze.Session{Opening: analyze.Opening{SYN: viewRef(1), RST: viewRef(2), RSTFromAcc: true}}, gaps: "0",
			notes: []string{"no session: the SYN was reset"}},
		{name: "a control SYN refused by ICMP", s: analyze.Session{Opening: analyze.Opening{SYN: viewRef(1), ICMP: viewRef(2)}}, gaps: "0",
			notes: []string{"no session: the SYN was refused by ICMP"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.s
			s.ID, s.Client, s.Server = "S1", client, server
			row := sessionRow(&analyze.Result{Inputs: []string{"a.pcap"}}, &s)
			if row.Gaps != c.gaps {
				t.Errorf("gaps %q, want %q", row.Gaps, c.gaps)
			}
			for _, n := range c.notes {
				if !strings.Contains(row.Notes, n) {
					t.Errorf("notes %q do not say %q", row.Notes, n)
				}
			}
			if c.notesEmpty && row.Notes != "" {
				t.Errorf("notes %q, want none", row.Notes)
			}
			if row.User != "-" || row.Client != "10.1.0.2:40000" {
				t.Errorf("user %q, client %q", row.User, row.Client)
			}
		})
	}
}

func TestTransferRowWords(t *testing.T) {
	pasv := func() *analyze.Negotiation {
		return &analyze.Negotiation{Mode: analyze.Passive, Command: "PASV", At: analyze.Ref{Input: 1, Frame: 16, Time: analyze.StampOf(viewT0)},
			Address: netip.MustParseAddrPort("203.0.113.10:30005"), Reply: analyze.Reply{Code: 227}}
	}
	for _, c := range []struct {
		name   string
		inputs []string
		t      analyze.Transfer
		check  func(t *testing.T, r TransferRow)
	}{
		{name: "a 150 is never the final reply", inputs: []string{"a.pcap"},
			t: analyze.Transfer{Command: "RETR", Arg: "f", Negotiation: pasv(), Prelim: analyze.Reply{Code: 150, Text: "Opening"}},
			check: func(t *testing.T, r TransferRow) {
				if r.Reply != "no final reply (after 150 Opening)" {
					t.Errorf("reply %q", r.Reply)
				}
				if got := outcome(r); got != "" {
					t.Errorf("outcome %q, want none", got)
				}
			}},
		{name: "a frame names its file when the point reads several", inputs: []string{"dir/a.pcap", "dir/b.pcap"},
			t: analyze.Transfer{Command: "LIST", Negotiation: pasv(), Final: analyze.Reply{Code: 226, Text: "ok"}},
			check: func(t *testing.T, r TransferRow) {
				if r.Negotiated != "PASV 203.0.113.10:30005 (b.pcap:16)" || r.NegFrame != 16 {
					t.Errorf("negotiated %q (frame %d)", r.Negotiated, r.NegFrame)
				}
				if got := exchange(r); got != "PASV → 227 203.0.113.10:30005 (b.pcap:16)" {
					t.Errorf("exchange %q", got)
				}
			}},
		{name: "one file: the frame alone", inputs: []string{"a.pcap", "b.pcap"}[:1],
			t: analyze.Transfer{Command: "LIST", Negotiation: &analyze.Negotiation{Mode: analyze.Active, Command: "PORT", At: viewRef(13),
				Address: netip.MustParseAddrPort("10.1.0.2:40001"), Reply: analyze.Reply{Code: 200}}},
			check: func(t *testing.T, r TransferRow) {
				if got := exchange(r); got != "PORT 10.1.0.2:40001 (13) → 200" {
					t.Errorf("exchange %q", got)
				}
				if r.Data != "no SYN seen here" || r.Bytes != "-" {
					t.Errorf("data %q, bytes %q", r.Data, r.Bytes)
				}
			}},
		{name: "no transfer command seen", inputs: []string{"a.pcap"},
			t: analyze.Transfer{Negotiation: pasv()},
			check: func(t *testing.T, r TransferRow) {
				if r.Command != "(no command)" || r.Verdict != "-" {
					t.Errorf("command %q, verdict %q", r.Command, r.Verdict)
				}
			}},
		{name: "a negotiation never answered", inputs: []string{"a.pcap"},
			t: analyze.Transfer{Negotiation: &analyze.Negotiation{Mode: analyze.Passive, Command: "EPSV", At: viewRef(5)}},
			check: func(t *testing.T, r TransferRow) {
				if got := exchange(r); got != "EPSV (5) → no reply" {
					t.Errorf("exchange %q", got)
				}
			}},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := c.t
			tr.ID = "S1.T1"
			c.check(t, transferRow(&analyze.Result{Inputs: c.inputs}, nil, &tr, nil))
		})
	}
}

func TestWrapText(t *testing.T) {
	for _, c := range []struct {
		name  string
		s     string
		width int
		want  []string
	}{
		{"fits", "a b c", 10, []string{"a b c"}},
		{"at spaces", "refused, client 10.1.0.2:40901", 16, []string{"refused, client", "10.1.0.2:40901"}},
		{"after an arrow, keeping it on the first line", "10.1.0.2:40901→198.51.100.10:30005", 20, []string{"10.1.0.2:40901→", "198.51.100.10:30005"}},
		{"after a slash", "RETR /pub/files/archive.tar", 12, []string{"RETR /pub/", "files/", "archive.tar"}},
		{"inside a word only when it is longer than a line", "abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"wide runes count two cells", "日本語テキスト", 6, []string{"日本語", "テキス", "ト"}},
		{"empty is one line", "", 5, []string{""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := wrapText(c.s, c.width)
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("wrapText(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
			}
			if n := countLines(c.s, c.width); n != len(got) {
				t.Errorf("countLines = %d, wrapText made %d", n, len(got))
			}
		})
	}
}

// TestGridFitsOrStepsAside: a grid is drawn only when every line fits the
// width and no address is broken; else widths says so and the caller
// writes blocks.
func TestGridFitsOrStepsAside(t *testing.T) {
	g := &grid{headers: []string{"ID", "Command", "Negotiation (frame)", "Data connection", "Bytes", "Final reply", "Verdict"}}
	g.rows = [][]string{
		{"S1.T1", "LIST", "PASV → 227 198.51.100.10:30005 (16)", "no-answer, client 10.1.0.2:40901→198.51.100.10:30005 (SYN 18), 2 SYN retries", "0", "425 Failed to establish connection.", "data-no-answer"},
		{"S1.T2", "RETR b", "PORT 10.1.0.2:40958 (25) → 200", "refused, server 198.51.100.10:20→10.1.0.2:40958 (SYN 31)", "0", "425 Failed to establish connection.", "data-refused"},
	}
	for _, c := range []struct {
		width int
		fits  bool
	}{{60, false}, {80, false}, {120, true}, {200, true}} {
		widths, ok := g.widths(c.width)
		if ok != c.fits {
			t.Errorf("width %d: fits %v, want %v", c.width, ok, c.fits)
			continue
		}
		if !ok {
			continue
		}
		var b strings.Builder
		if err := g.render(&b, widths, false); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if w := term.Width(l); w > c.width {
				t.Errorf("width %d: a line is %d cells wide:\n%s", c.width, w, out)
			}
		}
		for _, addr := range []string{"198.51.100.10:30005", "10.1.0.2:40958", "data-no-answer", "198.51.100.10:20→"} {
			if !strings.Contains(out, addr) {
				t.Errorf("width %d: %q is broken across lines:\n%s", c.width, addr, out)
			}
		}
	}
}
