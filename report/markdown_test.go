package report

import (
	"bytes"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// hostileName is a file name a server or client could send, made of
// everything that is markup in GitHub's and GitLab's Markdown.
const hostileName = "a|b `rm -rf` <img src=x onerror=alert(1)> *bold* _it_ [x](http://e.example) ![i](x) &lt; $x^2$ ~~s~~ \\| end"

// markdownOf writes the Markdown report of one session whose transfer,
// user, reply and finding carry hostile text.
func markdownOf(t *testing.T) string {
	t.Helper()
	at := analyze.Ref{Frame: 5, Time: analyze.StampOf(time.Unix(1700000000, 0))}
	n := &analyze.Negotiation{Mode: analyze.Passive, Command: "PASV", At: at,
		Address: netip.MustParseAddrPort("198.51.100.10:30000"),
		Reply:   analyze.Reply{Code: 227, Text: "Entering Passive Mode", At: at}}
	tr := &analyze.Transfer{ID: "S1.T1", Command: "RETR", Arg: hostileName, Negotiation: n,
		Final: analyze.Reply{Code: 550, Text: hostileName + ": no such file"}}
	s := &analyze.Session{ID: "S1", User: "u|<b>x</b>", Client: netip.MustParseAddrPort("10.0.0.1:1000"),
		Server: netip.MustParseAddrPort("198.51.100.10:21"), Transfers: []*analyze.Transfer{tr}, Negotiations: []*analyze.Negotiation{n}}
	f := &diagnose.Finding{Code: "transfer-failed", Severity: diagnose.Error, Session: s, Transfers: []*analyze.Transfer{tr},
		Summary:  "the server refused RETR " + hostileName,
		Evidence: []diagnose.Evidence{{At: at, What: "RETR " + hostileName}},
		Advice:   "check " + hostileName}
	r := &diagnose.Point{Result: &analyze.Result{Point: "p", Inputs: []string{"x.pcap"}, Sessions: []*analyze.Session{s}}, Findings: []*diagnose.Finding{f}}
	var b bytes.Buffer
	if err := WriteMarkdown(&b, &Run{Points: []*diagnose.Point{r}}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// separators counts the | that delimit cells: those not escaped by a
// backslash (GFM splits table rows there, even inside code spans).
func separators(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

// literal says whether every Markdown metacharacter in s is escaped, so
// that s renders as the text it says.
func literal(s string) bool {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case strings.IndexByte(mdSpecial, s[i]) >= 0:
			return false
		}
	}
	return true
}

// unescape is what a Markdown renderer shows for backslash-escaped text.
func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(mdSpecial, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestMarkdownHostileNameStaysInItsCell(t *testing.T) {
	out := markdownOf(t)
	var header, rows int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = 0
			continue
		}
		n := separators(line)
		if header == 0 {
			header = n
			continue
		}
		if n != header {
			t.Errorf("row has %d cell separators, its header %d:\n%s", n, header, line)
		}
		if strings.Trim(line, "|:- ") == "" {
			continue // the delimiter row
		}
		rows++
		for _, c := range strings.Split(line, " | ") {
			if c = strings.Trim(c, "| "); !literal(c) {
				t.Errorf("cell %q has unescaped markup", c)
			}
		}
	}
	if rows != 2 {
		t.Fatalf("want a session row and a transfer row, found %d table rows:\n%s", rows, out)
	}
	// The cell reads, once rendered, as the name itself.
	want := mdText(cell("RETR " + hostileName))
	if !strings.Contains(out, "| "+want+" ") {
		t.Errorf("the transfer's command cell is not %q:\n%s", want, out)
	}
	if got := unescape(want); got != cell("RETR "+hostileName) {
		t.Errorf("rendered cell %q, want %q", got, cell("RETR "+hostileName))
	}
	for _, raw := range []string{"<img", "*bold", "`rm", "[x](", "<b>"} {
		for i := 0; ; {
			j := strings.Index(out[i:], raw)
			if j < 0 {
				break
			}
			if i += j; i == 0 || out[i-1] != '\\' {
				t.Errorf("%q reaches the Markdown unescaped:\n%s", raw, out)
			}
			i++
		}
	}
}

func TestMarkdownFindingsAreLiteral(t *testing.T) {
	out := markdownOf(t)
	var n int
	for _, line := range strings.Split(out, "\n") {
		var text string
		switch {
		case strings.HasPrefix(line, "1. **ERROR `transfer-failed`** S1 (S1.T1): "):
			text = strings.TrimPrefix(line, "1. **ERROR `transfer-failed`** S1 (S1.T1): ")
		case strings.HasPrefix(line, "   - x.pcap frame 5 ("):
			_, text, _ = strings.Cut(line, "): ")
		case strings.HasPrefix(line, "   - fix: "):
			text = strings.TrimPrefix(line, "   - fix: ")
		default:
			continue
		}
		n++
		if !literal(text) {
			t.Errorf("unescaped markup in %q", line)
		}
		if !strings.Contains(unescape(text), term.Clean(hostileName)) {
			t.Errorf("%q does not render as the name %q", line, term.Clean(hostileName))
		}
	}
	if n != 3 {
		t.Fatalf("want the finding, its evidence and its fix, found %d of them:\n%s", n, out)
	}
}

func TestMarkdownSummaryFirst(t *testing.T) {
	out := markdownOf(t)
	sum := strings.Index(out, "**Summary:** 1 session, 1 transfer (0 ok); **1 error**, 0 warnings, 0 info;")
	if sum < 0 {
		t.Fatalf("no summary line:\n%s", out)
	}
	if tables := strings.Index(out, "### Sessions"); tables < sum {
		t.Errorf("the summary is not above the tables:\n%s", out)
	}
	if !strings.Contains(out, "- **error** `transfer-failed`: S1.T1\n") {
		t.Errorf("the summary does not list the finding:\n%s", out)
	}
	if strings.Contains(out, "\nSummary:") {
		t.Errorf("the terminal's summary line is repeated at the end:\n%s", out)
	}
}

// With ten findings or more, "10. " is four wide: the evidence under it
// must be indented as far, or Markdown ends the list there.
func TestMarkdownTenFindingsKeepTheirEvidence(t *testing.T) {
	at := analyze.Ref{Frame: 1, Time: analyze.StampOf(time.Unix(1700000000, 0))}
	var fs []*diagnose.Finding
	for i := range 10 {
		fs = append(fs, &diagnose.Finding{Code: "capture-gap", Severity: diagnose.Warning,
			Summary: fmt.Sprint("gap ", i), Evidence: []diagnose.Evidence{{At: at, What: "gap"}}, Advice: "none"})
	}
	var b bytes.Buffer
	writeMarkdownFindings(&b, findingViews(fs, &analyze.Result{Inputs: []string{"x.pcap"}}))
	out := b.String()
	if !strings.Contains(out, "\n9. **WARNING `capture-gap`**: gap 8\n   - x.pcap frame 1") ||
		!strings.Contains(out, "\n10. **WARNING `capture-gap`**: gap 9\n    - x.pcap frame 1") ||
		!strings.Contains(out, "\n    - fix: none\n\n") {
		t.Errorf("sub-items not indented to their item's text:\n%s", out)
	}
}

func TestMdText(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"file.bin", "file.bin"},
		{"10.1.0.2:21 → 198.51.100.1 (SYN 3), résumé", "10.1.0.2:21 → 198.51.100.1 (SYN 3), résumé"},
		{"a|b", `a\|b`},
		{"`code`", "\\`code\\`"},
		{"<img src=x>", `\<img src=x\>`},
		{"*b* _i_ ~s~", `\*b\* \_i\_ \~s\~`},
		{"[l](u) ![i](u)", `\[l\](u) !\[i\](u)`},
		{"&amp; $x$", `\&amp; \$x\$`},
		{`\x1b`, `\\x1b`}, // Clean's escape reads the same rendered
		{"a\nb\rc", `a\\x0ab\\x0dc`},
	} {
		got := mdText(tt.in)
		if got != tt.want {
			t.Errorf("mdText(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !literal(got) || strings.ContainsAny(got, "\r\n") {
			t.Errorf("mdText(%q) = %q is not literal", tt.in, got)
		}
		if !strings.ContainsAny(tt.in, "\r\n") && unescape(got) != tt.in {
			t.Errorf("mdText(%q) renders as %q", tt.in, unescape(got))
		}
	}
}
