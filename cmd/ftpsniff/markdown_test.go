package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// TestMarkdownGolden pins the Markdown report of the capture with every
// kind of failed data connection. Refresh with:
// go test ./cmd/ftpsniff -run MarkdownGolden -update (and review the diff).
func TestMarkdownGolden(t *testing.T) {
	for _, file := range []string{"testdata/data-failures.pcap", "testdata/truncated.pcap"} {
		out, stderr, code := ftpsniff(t, "-F", "markdown", file)
		got := out + "--- stderr ---\n" + stderr + "--- exit ---\n" + string(rune('0'+code)) + "\n"
		golden := filepath.Join("testdata", "golden", filepath.Base(file)+".markdown")
		if *update {
			if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("Markdown report differs from %s (run with -update after checking):\n%s", golden, diffLines(string(want), got))
		}
	}
}

// TestMarkdownHostileFileName: a file name from the wire with Markdown's
// metacharacters stays in its table cell, escaped, through a whole run.
func TestMarkdownHostileFileName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	writeCapture(t, path, "a|b `x` <img src=x> *bold* [l](http://e.example)", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	out, _, code := ftpsniff(t, "-F", "markdown", path)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(out, "| RETR a\\|b \\`x\\` \\<img src=x\\> \\*bold\\* \\[l\\](http://e.example) |") {
		t.Errorf("the file name is not one escaped cell:\n%s", out)
	}
	header := -1
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = -1
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if header < 0 {
			header = n
		} else if n != header {
			t.Errorf("%d cell separators in a row under a header with %d:\n%s", n, header, line)
		}
	}
}
