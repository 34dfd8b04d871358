package ftp

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// corpusDir is the shared corpus of public FTP captures, relative to this
// package's directory (go test runs in it): /work/shared/corpus beside the
// repository at /work/main.
const corpusDir = "../../../shared/corpus"

// corpusFiles returns every *.tshark-ftp-lines.tsv of the corpus, or skips
// the test when the corpus is not there.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skip("../shared/corpus not found: corpus tests need the shared/ folder beside the repo")
	}
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".tshark-ftp-lines.tsv") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.tshark-ftp-lines.tsv under %s", corpusDir)
	}
	sort.Strings(files)
	return files
}

// readTSV reads a tab-separated file with a header row into one map per row.
func readTSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var header []string
	var rows []map[string]string
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if header == nil {
			header = cols
			continue
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(cols) {
				row[h] = cols[i]
			}
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

// unescapeLine undoes the corpus escaping of the line column: "\\" is a
// backslash, "\t" a tab, "\xNN" any other byte outside printable ASCII.
func unescapeLine(s string) ([]byte, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b = append(b, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			b = append(b, '\\')
			i++
		case i+1 < len(s) && s[i+1] == 't':
			b = append(b, '\t')
			i++
		case i+3 < len(s) && s[i+1] == 'x':
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("bad escape in %q: %v", s, err)
			}
			b = append(b, byte(v))
			i += 3
		default:
			return nil, fmt.Errorf("bad escape in %q", s)
		}
	}
	return b, nil
}

func TestUnescapeLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{`PORT 1,2,3,4,5,6`, "PORT 1,2,3,4,5,6"},
		{`a\\b`, `a\b`},
		{`\t\t   ECI`, "\t\t   ECI"},
		{`\x00\x00\x00D\x08`, "\x00\x00\x00D\x08"},
		{`\x9eSER`, "\x9eSER"},
	}
	for _, tt := range tests {
		got, err := unescapeLine(tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("in %q:\n- want: %q\n-  got: %q, %v", tt.in, tt.want, got, err)
		}
	}
}

// corpusDisagreements lists the lines where this package and tshark
// legitimately reach different results, keyed by "file:frame" with the
// file relative to the corpus. The reason is the documentation.
var corpusDisagreements = map[string]string{}

// TestCorpusAddresses checks the address parsers against tshark on every
// PORT, EPRT, 227 and 229 line of the corpus. tshark decodes only the first
// FTP line of each frame (line_no 1) and records the result in the
// *.tshark-ftp.tsv row of that frame: ftp.active.cip/port for PORT,
// ftp.eprt.* for EPRT, ftp.passive.ip/port for 227, ftp.epsv.port for 229.
// When tshark decoded nothing, the parser must fail too.
func TestCorpusAddresses(t *testing.T) {
	counts := map[string]int{}
	for _, linesPath := range corpusFiles(t) {
		rel, _ := filepath.Rel(corpusDir, linesPath)
		frames := map[string]map[string]string{}
		for _, row := range readTSV(t, strings.TrimSuffix(linesPath, "-lines.tsv")+".tsv") {
			frames[row["frame.number"]] = row
		}
		for _, row := range readTSV(t, linesPath) {
			if row["line_no"] != "1" {
				continue // tshark parses the first line of a frame only
			}
			line, err := unescapeLine(row["line"])
			if err != nil {
				t.Fatalf("%s frame %s: %v", rel, row["frame"], err)
			}
			fr := frames[row["frame"]]
			if fr == nil {
				t.Fatalf("%s frame %s: no row in the tshark-ftp.tsv", rel, row["frame"])
			}
			key := rel + ":" + row["frame"]
			var kind, want, got string
			switch {
			case strings.EqualFold(fr["ftp.request.command"], "PORT"):
				kind = "PORT"
				want = addrPortText(fr["ftp.active.cip"], fr["ftp.active.port"])
				got = commandAddr(line, ParsePORT)
			case strings.EqualFold(fr["ftp.request.command"], "EPRT"):
				kind = "EPRT"
				want = addrPortText(fr["ftp.eprt.ip"]+fr["ftp.eprt.ipv6"], fr["ftp.eprt.port"])
				got = commandAddr(line, ParseEPRT)
			case fr["ftp.response.code"] == "227":
				kind = "227"
				want = addrPortText(fr["ftp.passive.ip"], fr["ftp.passive.port"])
				got = replyResult(line, func(text string) (string, error) {
					ap, err := Parse227(text)
					return ap.String(), err
				})
			case fr["ftp.response.code"] == "229":
				kind = "229"
				want = fr["ftp.epsv.port"]
				got = replyResult(line, func(text string) (string, error) {
					p, err := Parse229(text)
					return strconv.Itoa(int(p)), err
				})
			default:
				continue
			}
			counts[kind]++
			if want == "" {
				want = "error"
			}
			if got == want {
				if why, ok := corpusDisagreements[key]; ok {
					t.Errorf("%s: listed as a disagreement (%s) but parser and tshark agree on %s", key, why, got)
				}
				continue
			}
			if why, ok := corpusDisagreements[key]; ok {
				t.Logf("%s %s %q: tshark %s, parser %s: %s", key, kind, line, want, got, why)
				continue
			}
			t.Errorf("%s %s %q:\n- want (tshark): %s\n-  got: %s", key, kind, line, want, got)
		}
	}
	t.Logf("lines compared with tshark: %v", counts)
	// Guard against a silently empty comparison (renamed columns, moved
	// corpus): the corpus holds hundreds of PORT and 227 lines.
	for _, kind := range []string{"PORT", "EPRT", "227", "229"} {
		if counts[kind] == 0 {
			t.Errorf("no %s line compared", kind)
		}
	}
}

// addrPortText joins tshark's address and port columns, "" when tshark
// decoded nothing.
func addrPortText(ip, port string) string {
	if ip == "" && port == "" {
		return ""
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "tshark address " + ip
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "tshark port " + port
	}
	return netip.AddrPortFrom(a, uint16(p)).String()
}

// commandAddr parses a command line and its address, as the caller does.
func commandAddr(line []byte, parse func(string) (netip.AddrPort, error)) string {
	cmd, err := ParseCommand(CleanLine(nil, line))
	if err != nil {
		return "error"
	}
	ap, err := parse(cmd.Arg)
	if err != nil {
		return "error"
	}
	return ap.String()
}

// replyResult parses a reply line and runs parse on its text.
func replyResult(line []byte, parse func(string) (string, error)) string {
	rl, err := ParseReplyLine(CleanLine(nil, line))
	if err != nil {
		return "error"
	}
	s, err := parse(rl.Text)
	if err != nil {
		return "error"
	}
	return s
}
