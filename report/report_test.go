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
)

func TestClean(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"plain", "file.bin", "file.bin"},
		{"utf-8 kept", "résumé.pdf", "résumé.pdf"},
		{"ANSI colour escape", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"clear screen and bell", "\x1b[2J\x07", `\x1b[2J\x07`},
		{"carriage return hides text", "ok\rEVIL", `ok\x0dEVIL`},
		{"bidi override", "invoice\u202efdp.exe", `invoice\u202efdp.exe`},
		{"bidi isolate", "a\u2066b", `a\u2066b`},
		{"zero width joiner", "a\u200db", `a\u200db`},
		{"C1 control (CSI)", "a\u009bb", `a\x9bb`},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`},
		{"backslash escaped so escapes cannot be forged", `a\x1b`, `a\\x1b`},
		{"DEL", "a\x7fb", `a\x7fb`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Clean(tt.in)
			if got != tt.want {
				t.Errorf("- want: %s\n-  got: %s", tt.want, got)
			}
			for _, r := range got {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unsafeRune(r) {
					t.Errorf("unsafe rune %U left in %q", r, got)
				}
			}
			if !utf8.ValidString(got) {
				t.Errorf("result is not valid UTF-8: %q", got)
			}
		})
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"file.bin", "\x1b[31m", "a\u202eb", "\xff\xfe", `\x1b`, "RETR r\u00e9sum\u00e9\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Clean(s)
		if !utf8.ValidString(got) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		for _, r := range got {
			if unsafeRune(r) {
				t.Fatalf("unsafe rune %U out of %q", r, s)
			}
		}
		if isClean(s) && got != s {
			t.Fatalf("a clean string was changed: %q -> %q", s, got)
		}
	})
}

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
	in := &Input{Results: []*diagnose.Point{hostileResult()}, Errors: []string{"x.pcap: \x1b[31m"}}
	for name, write := range map[string]func(*bytes.Buffer) error{
		"table":    func(b *bytes.Buffer) error { return WriteTable(b, in) },
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
				if unsafeRune(r) || r == utf8.RuneError {
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
	in := ladderInput(t, "s6-fw-drop-passive.client-lan.pcap")
	var plain, coloured strings.Builder
	if err := WriteTable(&plain, in); err != nil {
		t.Fatal(err)
	}
	in.Color = true
	if err := WriteTable(&coloured, in); err != nil {
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
		t.Error("the Markdown report holds an escape byte even though colour was asked for")
	}
}
