package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// htmlReport runs ftpsniff -F html -o FILE and returns the page.
func htmlReport(t *testing.T, wantCode int, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	stdout, stderr, code := ftpsniff(t, append([]string{"-F", "html", "-o", out}, args...)...)
	if code != wantCode {
		t.Fatalf("exit %d, want %d: %s", code, wantCode, stderr)
	}
	if stdout != "" {
		t.Errorf("with -o, standard output is %q", stdout)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var external = regexp.MustCompile(`(?i)(src|href|action)\s*=\s*["']?\s*(https?:|//|ftp:)|@import|url\(\s*["']?(https?:|//)|@font-face`)

func TestHTMLReport(t *testing.T) {
	page := htmlReport(t, 0, "lab/captures/s6-fw-drop-passive.client-lan.pcap")
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.HasSuffix(strings.TrimSpace(page), "</html>") {
		t.Errorf("not a whole HTML page")
	}
	if m := external.FindString(page); m != "" {
		t.Errorf("the page refers to something outside itself: %q", m)
	}
	for _, want := range []string{
		`content="default-src &#39;none&#39;`,
		`<dd data-count="error">2</dd>`,
		`id="sessions-table" data-sortable`, `id="transfers-table" data-sortable`, `data-filter-for="transfers-table"`,
		`<code>data-no-answer</code>`, `<strong>Fix:</strong>`, `frame.number == 15`,
		`<svg xmlns="http://www.w3.org/2000/svg" class="ladder" data-session="S1"`,
		`<svg xmlns="http://www.w3.org/2000/svg" class="ladder" data-session="S2"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, `class="stop-mark"`); n != 2 {
		t.Errorf("%d ✕ marks, want one per dropped SYN (2)", n)
	}

	// Standard output works too, and it is the same page.
	stdout, _, code := ftpsniff(t, "--format", "html", "lab/captures/s6-fw-drop-passive.client-lan.pcap")
	if code != 0 || stdout != page {
		t.Errorf("-F html to standard output: exit %d, same page %v", code, stdout == page)
	}
}

func TestHTMLReportFailOn(t *testing.T) {
	page := htmlReport(t, 3, "--fail-on", "error", "lab/captures/s6-fw-drop-passive.client-lan.pcap")
	if !strings.Contains(page, "</html>") {
		t.Errorf("--fail-on: the page is not written whole")
	}
}

func TestHTMLReportTwoPoints(t *testing.T) {
	page := htmlReport(t, 0, "--point", "inside=lab/captures/s2-nat-alg-active.client-lan.pcap",
		"--point", "outside=lab/captures/s2-nat-alg-active.nat-outside.pcap")
	for _, want := range []string{`<section id="path">`, `data-session="S1"`, `data-session="S3"`, `<code>alg-rewrite</code>`, "inside → outside"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, `<g class="row box rewrite`); n != 3 {
		t.Errorf("%d rewrites drawn, want 3", n)
	}
}

func TestHTMLReportNATWithoutALG(t *testing.T) {
	page := htmlReport(t, 0, "lab/captures/s3-nat-noalg-active.nat-outside.pcap")
	if !strings.Contains(page, `<code>active-nat-no-alg</code>`) || strings.Count(page, `<svg `) != 3 {
		t.Errorf("want the active-nat-no-alg findings and three ladders")
	}
}

func TestHTMLReportPasswords(t *testing.T) {
	page := htmlReport(t, 0, "testdata/passive-and-active.pcap")
	if strings.Contains(page, "guest@example.org") {
		t.Errorf("the password appears in the HTML report")
	}
	if !strings.Contains(page, "PASS &lt;redacted&gt;") {
		t.Errorf("the ladder does not show the PASS command redacted")
	}
	page = htmlReport(t, 0, "--show-passwords", "testdata/passive-and-active.pcap")
	if !strings.Contains(page, "PASS guest@example.org") {
		t.Errorf("--show-passwords: the ladder does not show the password")
	}
}

// TestHTMLReportHostileNames: a file name and a user name from the wire
// with markup, ANSI escapes, a bidi override and invalid UTF-8 reach the
// page only escaped.
func TestHTMLReportHostileNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	writeCapture(t, path, "<script>alert(1)</script>\"'\x1b]0;owned\x07invoice\u202efdp.exe\xc3\x28", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	page := htmlReport(t, 0, path)
	for _, r := range page {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x202e || r == 0xfffd {
			t.Fatalf("%U reaches the page", r)
		}
	}
	if strings.Contains(page, "<script>alert") || strings.Count(page, "<script") != 2 {
		t.Errorf("markup from the wire reaches the page unescaped")
	}
	for _, want := range []string{
		`RETR &lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;\x1b]0;owned\x07invoice\u202efdp.exe\xc3(`, // the transfers table
		`\x1b[31mroot\x1b[0m`, // the user
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %s", want)
		}
	}
}
