package report

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// hostileResult is a session whose every wire string is hostile.
func hostileResult() *diagnose.Point {
	at := analyze.Ref{Frame: 5, Time: time.Unix(1700000000, 0)}
	n := &analyze.Negotiation{Mode: analyze.Passive, Command: "PASV", At: at,
		Address: netip.MustParseAddrPort("198.51.100.10:30000"),
		Reply:   analyze.Reply{Code: 227, Text: "Entering \x1b]0;pwned\x07 Passive Mode", At: at}}
	tr := &analyze.Transfer{ID: "S1.T1", Command: "RETR", Arg: "\x1b[2Jinvoice\u202efdp.exe\xff", Negotiation: n,
		Final: analyze.Reply{Code: 226, Text: "done\r\n\x1b[31m"}}
	s := &analyze.Session{ID: "S1", User: "root\x1b[8m", Client: netip.MustParseAddrPort("10.0.0.1:1000"),
		Server: netip.MustParseAddrPort("198.51.100.10:21"), Transfers: []*analyze.Transfer{tr}, Negotiations: []*analyze.Negotiation{n}}
	return &diagnose.Point{Result: &analyze.Result{Point: "p", Inputs: []string{"x.pcap"}, Sessions: []*analyze.Session{s}}}
}

func TestHostileStringsNeverReachTheTerminal(t *testing.T) {
	in := &Run{Points: []*diagnose.Point{hostileResult()}, Errors: []string{"x.pcap: \x1b[31m"}}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table":    func(b *bytes.Buffer) error { return WriteTable(b, in, TableOptions{}) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, in) },
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := write(&b); err != nil {
				t.Fatal(err)
			}
			for _, r := range b.String() {
				if r == '\n' {
					continue
				}
				if term.UnsafeRune(r) || r == utf8.RuneError {
					t.Fatalf("%U reaches the output:\n%s", r, b.String())
				}
			}
			want := `\x1b[2Jinvoice\u202efdp.exe\xff`
			if name == "markdown" {
				want = mdText(want) // and Markdown escapes its own metacharacters
			}
			if !strings.Contains(b.String(), want) {
				t.Errorf("the file name is not shown escaped:\n%s", b.String())
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		var b bytes.Buffer
		if err := WriteJSON(&b, in); err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			if !json.Valid([]byte(line)) {
				t.Fatalf("invalid JSON: %q", line)
			}
			if strings.ContainsRune(line, 0x1b) {
				t.Fatalf("raw ESC in JSON output: %q", line)
			}
		}
	})
}

// TestTableSeverityColour: the table report colours the severity of each
// finding only when asked (a terminal), and writes no escape byte otherwise.
func TestTableSeverityColour(t *testing.T) {
	in := &Run{Points: []*diagnose.Point{labResult(t, "capture", "s6-fw-drop-passive.client-lan.pcap")}}
	var plain, coloured strings.Builder
	if err := WriteTable(&plain, in, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&coloured, in, TableOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("the table report without colour holds an escape byte")
	}
	if !strings.Contains(coloured.String(), "\x1b[1;31mERROR\x1b[0m data-no-answer") {
		t.Errorf("the coloured table report does not show ERROR in red:\n%s", coloured.String())
	}
	var md strings.Builder
	if err := WriteMarkdown(&md, in); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "\x1b") {
		t.Error("the Markdown report holds an escape byte")
	}
}
