package main

import (
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
		checkGolden(t, filepath.Join("testdata", "golden", filepath.Base(file)+".markdown"), runOutput(out, stderr, code))
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
