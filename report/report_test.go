package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/internal/reporttest"
	"github.com/ftpsniff/ftpsniff/report/term"
)

func TestHostileStringsNeverReachTheTerminal(t *testing.T) {
	in := &Run{Points: []*diagnose.Point{reporttest.HostilePoint()}, Errors: []string{"x.pcap: \x1b[31m"}}
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
