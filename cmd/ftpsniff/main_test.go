package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/golden"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/golden")

// The tests run from the repository root, so reports name files as a user
// typing `ftpsniff testdata/x.pcap` there would see them.
func TestMain(m *testing.M) {
	flag.Parse()
	// The reports are drawn at the default width, whatever the terminal
	// running the tests says.
	os.Unsetenv("COLUMNS")
	// A fuzzing worker starts where its coordinator is by then: at the
	// root already.
	if _, err := os.Stat("go.mod"); err != nil {
		if err := os.Chdir(filepath.Join("..", "..")); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

func ftpsniff(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func quirkCaptures(t *testing.T) []string {
	var files []string
	for _, pat := range []string{"testdata/*.pcap", "testdata/*.pcapng", "testdata/*.pcap.gz"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no captures in testdata/ (go run ./testdata/gen writes them)")
	}
	return files
}

// TestGolden pins the JSON and table reports of every capture in testdata/.
// Refresh with: go test ./cmd/ftpsniff -run Golden -update (and review the diff).
func TestGolden(t *testing.T) {
	for _, file := range quirkCaptures(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			for _, format := range []string{"json", "table"} {
				out, stderr, code := ftpsniff(t, "-F", format, file)
				checkGolden(t, filepath.Join("testdata", "golden", name+"."+format), runOutput(out, stderr, code))
			}
		})
	}
}

// TestGoldenPaths pins the reports of lab scenarios captured at all four
// hops, read as four points (given out of order: the hop limits order
// them). Refresh with: go test ./cmd/ftpsniff -run GoldenPaths -update.
func TestGoldenPaths(t *testing.T) {
	four := []string{"server-lan", "client-lan", "nat-outside", "server-outside"}
	for _, tc := range []struct {
		sc     string
		points []string // given out of path order
	}{
		{"s6-fw-drop-passive", four},
		{"s3-nat-noalg-active", four},
		{"s10-split-port", four},
		// double NAT: a home router's helper rewrote, the carrier's NAT did not
		{"s24-double-nat", []string{"server-lan", "home-lan", "client-lan", "nat-outside", "server-outside"}},
	} {
		sc := tc.sc
		t.Run(sc, func(t *testing.T) {
			var args []string
			for _, p := range tc.points {
				args = append(args, "--point", p+"=lab/captures/path/"+sc+"."+p+".pcap")
			}
			for _, format := range []string{"json", "table", "markdown"} {
				out, stderr, code := ftpsniff(t, append([]string{"-F", format}, args...)...)
				checkGolden(t, filepath.Join("testdata", "golden", "path", sc+"."+format), runOutput(out, stderr, code))
			}
		})
	}
}

// TestPathJSON: four points given out of order and as --path. The path
// record names the points in path order and where each data SYN died; the
// story's one finding names its points; --path with an unknown name is a
// usage error.
func TestPathJSON(t *testing.T) {
	var args []string
	for _, p := range []string{"server-lan", "client-lan", "nat-outside", "server-outside"} {
		args = append(args, "--point", p+"=lab/captures/path/s6-fw-drop-passive."+p+".pcap")
	}
	for _, extra := range [][]string{nil, {"--path", "client-lan,nat-outside,server-outside,server-lan"}} {
		out, stderr, code := ftpsniff(t, append(append([]string{"-F", "json"}, args...), extra...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var paths, findings []record
		var summary record
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var r record
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatal(err)
			}
			switch r["type"] {
			case "path":
				paths = append(paths, r)
			case "finding":
				findings = append(findings, r)
			case "summary":
				summary = r
			}
		}
		order := "hop-limits"
		if extra != nil {
			order = "given"
		}
		if len(paths) != 2 || summary.str("path_sessions") != "2" {
			t.Fatalf("%d path records, summary path_sessions %q; want 2", len(paths), summary.str("path_sessions"))
		}
		for _, p := range paths {
			if got := fmt.Sprint(p.get("points")); got != "[client-lan nat-outside server-outside server-lan]" || p.str("order") != order {
				t.Errorf("points %s, order %s (want %s)", got, p.str("order"), order)
			}
			x := record(p.get("transfers").([]any)[0].(map[string]any))
			if x.str("data.state") != "no-answer" || x.str("data.died_after") != "server-outside" || x.str("data.died_before") != "server-lan" ||
				fmt.Sprint(x.get("data.seen_at")) != "[client-lan nat-outside server-outside]" {
				t.Errorf("transfer data %v", x.get("data"))
			}
		}
		if len(findings) != 2 {
			t.Fatalf("%d findings, want one per session", len(findings))
		}
		for _, f := range findings {
			if f.str("code") != "data-no-answer" || f.str("point") != "server-outside" || fmt.Sprint(f.get("points")) != "[client-lan nat-outside server-outside server-lan]" ||
				!strings.Contains(f.str("summary"), "lost between server-outside and server-lan") {
				t.Errorf("finding %s at %s %v: %s", f.str("code"), f.str("point"), f.get("points"), f.str("summary"))
			}
		}
	}
	if _, stderr, code := ftpsniff(t, append(args, "--path", "client-lan,nowhere,server-outside,server-lan")...); code != exitUsage || !strings.Contains(stderr, `"nowhere"`) {
		t.Errorf("--path with an unknown point: exit %d, %s", code, stderr)
	}
	if _, stderr, code := ftpsniff(t, append(args, "--path", "client-lan,server-lan")...); code != exitUsage || !strings.Contains(stderr, "every --point") {
		t.Errorf("--path naming two of four points: exit %d, %s", code, stderr)
	}
}

type record map[string]any

func (r record) get(path string) any {
	var v any = map[string]any(r)
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (r record) str(path string) string {
	switch v := r.get(path).(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

func records(t *testing.T, out string) (sessions, transfers []record, summary record) {
	t.Helper()
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("invalid JSON line %q: %v", line, err)
		}
		switch r["type"] {
		case "session":
			sessions = append(sessions, r)
		case "transfer":
			transfers = append(transfers, r)
		case "summary":
			summary = r
		}
	}
	return
}

// TestQuirkCaptures asserts, for each quirk capture, what a user checks:
// the transfers' mode, advertised endpoint, data connection and reply.
func TestQuirkCaptures(t *testing.T) {
	type xfer struct{ command, mode, address, state, initiator, reply string }
	passive := []xfer{{"RETR", "passive", "198.51.100.10:30002", "established", "client", "226"}}
	tests := []struct {
		file      string
		code      int
		stderr    string
		session   map[string]string
		transfers []xfer
		summary   map[string]string
	}{
		{file: "passive-and-active.pcap", session: map[string]string{"user": "anonymous", "password": "<redacted>", "closed": "fin"},
			transfers: []xfer{
				{"RETR", "passive", "203.0.113.10:50000", "established", "client", "226"},
				{"LIST", "active", "192.168.10.20:40001", "established", "server", "226"}}},
		{file: "out-of-order-and-split.pcap", session: map[string]string{"retransmissions": "1", "gaps": "0", "protocol_errors": "0"},
			transfers: []xfer{
				{"RETR", "passive", "198.51.100.10:30000", "established", "client", "226"},
				{"NLST", "active", "10.1.0.2:40336", "established", "server", "226"}}},
		{file: "mid-session.pcap", session: map[string]string{"mid_stream": "true", "user": ""},
			transfers: []xfer{{"RETR", "extended-passive", "198.51.100.10:31000", "established", "client", "226"}}},
		{file: "vlan.pcap", transfers: passive},
		{file: "qinq.pcap", transfers: passive},
		{file: "sll.pcap", transfers: passive},
		{file: "sll2-nanosecond-bigendian.pcap", transfers: passive},
		{file: "raw-ip.pcap", transfers: passive},
		{file: "bsd-loopback.pcap", transfers: passive},
		{file: "passive.pcap.gz", transfers: passive},
		{file: "ipv6-extension-headers.pcap", transfers: []xfer{
			{"RETR", "extended-active", "[2001:db8:1::2]:41000", "established", "server", "226"},
			{"RETR", "extended-passive", "[2001:db8:2::10]:32000", "established", "client", "226"}}},
		{file: "two-interfaces.pcapng", transfers: []xfer{{"RETR", "passive", "198.51.100.10:30003", "established", "client", "226"}}},
		{file: "port-2121.pcap", session: map[string]string{"detected_by": "greeting", "server": "198.51.100.10:2121"},
			transfers: []xfer{{"RETR", "passive", "198.51.100.10:30004", "established", "client", "226"}}},
		{file: "data-failures.pcap", transfers: []xfer{
			{"LIST", "passive", "198.51.100.10:30005", "no-answer", "client", "425"},
			{"RETR", "active", "10.1.0.2:40958", "refused", "server", "425"},
			{"RETR", "passive", "198.51.100.10:30006", "unreachable", "client", "425"}}},
		{file: "auth-tls.pcap", session: map[string]string{"tls": "true", "protocol_errors": "0"},
			transfers: []xfer{{"", "passive", "198.51.100.10:30010", "established", "client", ""}}},
		{file: "sequence-wrap.pcap", transfers: []xfer{{"STOR", "active", "10.1.0.2:40960", "established", "server", "226"}}},
		{file: "snaplen-96.pcap", summary: map[string]string{"truncated_packets": "3"},
			// The 227 was cut by the snap length: reported as unparsable,
			// not guessed from the numbers that survived.
			// The data connection is not tied to it, while 150 and 226 say it ran.
			transfers: []xfer{{"RETR", "passive", "", "not-captured", "", "226"}}},
		{file: "truncated.pcap", code: 1, stderr: "testdata/truncated.pcap: record 30 at offset 5227: file ends in the middle of a record",
			summary:   map[string]string{"packets": "29"},
			transfers: []xfer{{"", "passive", "203.0.113.10:50000", "established", "client", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			out, stderr, code := ftpsniff(t, "-F", "json", "testdata/"+tt.file)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) || (tt.stderr == "" && stderr != "") {
				t.Fatalf("exit %d stderr %q; want exit %d stderr containing %q", code, stderr, tt.code, tt.stderr)
			}
			sessions, transfers, summary := records(t, out)
			if len(sessions) != 1 {
				t.Fatalf("want 1 session, got %d", len(sessions))
			}
			for k, v := range tt.session {
				if got := sessions[0].str(k); got != v {
					t.Errorf("session %s = %q, want %q", k, got, v)
				}
			}
			for k, v := range tt.summary {
				if got := summary.str(k); got != v {
					t.Errorf("summary %s = %q, want %q", k, got, v)
				}
			}
			if len(transfers) != len(tt.transfers) {
				t.Fatalf("want %d transfers, got %d:\n%s", len(tt.transfers), len(transfers), out)
			}
			for i, want := range tt.transfers {
				tr := transfers[i]
				got := xfer{tr.str("command"), tr.str("mode"), tr.str("negotiation.address"), tr.str("data.state"), tr.str("data.initiator"), tr.str("reply.code")}
				if got != want {
					t.Errorf("transfer %d:\n- want: %+v\n-  got: %+v", i+1, want, got)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"not a capture", []string{write("notes.txt", []byte("hello, this is not a capture\n"))}, 1, "notes.txt: not a pcap or pcapng file"},
		{"empty file", []string{write("empty.pcap", nil)}, 1, "empty.pcap: empty file"},
		{"directory", []string{dir}, 1, "is a directory"},
		{"missing file", []string{filepath.Join(dir, "nope.pcap")}, 1, "no such file"},
		{"unknown flag", []string{"--bogus"}, 2, "unknown flag"},
		{"unknown format", []string{"-F", "xml", "x.pcap"}, 2, "unknown --format"},
		{"bad point", []string{"--point", "nofiles"}, 2, "NAME=SRC"},
		{"no input", nil, 2, "Usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := ftpsniff(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, tt.code, tt.msg)
			}
		})
	}
}

// TestSeveralFilesOnePoint: rotated captures of one tap are one capture
// point, read in timestamp order: a session whose halves are in two files
// is one session.
func TestSeveralFilesOnePoint(t *testing.T) {
	out, stderr, code := ftpsniff(t, "-F", "json", "testdata/passive-and-active.pcap", "testdata/vlan.pcap")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	sessions, transfers, summary := records(t, out)
	if len(sessions) != 2 || len(transfers) != 3 || summary.str("packets") != "94" {
		t.Errorf("sessions %d transfers %d packets %s", len(sessions), len(transfers), summary.str("packets"))
	}
	files := map[string]int{}
	for _, tr := range transfers {
		files[tr.str("negotiation.file")]++
	}
	if files["testdata/vlan.pcap"] != 1 || files["testdata/passive-and-active.pcap"] != 2 {
		t.Errorf("transfers per file %v, want 1 in vlan.pcap and 2 in passive-and-active.pcap", files)
	}
}

func TestStdin(t *testing.T) {
	f, err := os.Open("testdata/passive.pcap.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	out, _, code := ftpsniff(t, "-F", "json", "-")
	_, transfers, _ := records(t, out)
	if code != 0 || len(transfers) != 1 || transfers[0].str("negotiation.file") != "-" {
		t.Errorf("exit %d, %d transfers", code, len(transfers))
	}
}

func TestPasswordsRedacted(t *testing.T) {
	out, _, _ := ftpsniff(t, "-F", "json", "testdata/passive-and-active.pcap")
	if strings.Contains(out, "guest@example.org") {
		t.Errorf("the password appears in the report")
	}
	out, _, _ = ftpsniff(t, "-F", "json", "--show-passwords", "testdata/passive-and-active.pcap")
	if !strings.Contains(out, `"password":"guest@example.org"`) {
		t.Errorf("--show-passwords does not show the password")
	}
}

// TestFailOn: the exit status counts every finding made, in every format,
// including JSON of one point, whose sessions are written (and their
// findings with them) as they finish.
func TestFailOn(t *testing.T) {
	for _, tt := range []struct {
		file, level string
		code        int
	}{
		{"testdata/data-failures.pcap", "error", 3},
		{"testdata/data-failures.pcap", "", 0},
		{"testdata/passive-and-active.pcap", "info", 0},
		{"testdata/auth-tls.pcap", "info", 3},
		{"testdata/auth-tls.pcap", "warning", 0},
		{"testdata/snaplen-96.pcap", "warning", 3},
		{"testdata/snaplen-96.pcap", "error", 0},
	} {
		for _, format := range []string{"table", "json", "markdown", "html"} {
			args := []string{"-F", format, "--fail-on", tt.level, tt.file}
			if tt.level == "" {
				args = []string{"-F", format, tt.file}
			}
			if _, _, code := ftpsniff(t, args...); code != tt.code {
				t.Errorf("%s -F %s --fail-on %q: exit %d, want %d", tt.file, format, tt.level, code, tt.code)
			}
		}
	}
}

// TestALGFromOneRouterCapture: one capture on a NAT router's "any" device
// (SLL2) holds both sides; FILE@N picks each interface as a capture point.
func TestALGFromOneRouterCapture(t *testing.T) {
	out, stderr, code := ftpsniff(t, "-F", "json", "--point", "inside=testdata/router-any-sll2.pcap@2",
		"--point", "outside=testdata/router-any-sll2.pcap@3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var algs, clients []record
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		switch r["type"] {
		case "alg":
			algs = append(algs, r)
		case "session":
			clients = append(clients, r)
		}
	}
	if len(clients) != 2 || clients[0].str("client") != "10.1.0.2:40000" || clients[1].str("client") != "198.51.100.1:40000" {
		t.Fatalf("want the inside and the outside view of one session, got %v", clients)
	}
	if len(algs) != 1 || algs[0].str("verdict") != "rewritten" || algs[0].str("seq_shift") != "4" ||
		algs[0].str("inside.line") != "PORT 10,1,0,2,156,65" || algs[0].str("outside.line") != "PORT 198,51,100,1,156,65" {
		t.Errorf("alg records %v", algs)
	}
}

func TestLimitFlags(t *testing.T) {
	out, _, code := ftpsniff(t, "-F", "json", "--max-transfers", "1", "testdata/data-failures.pcap")
	_, transfers, summary := records(t, out)
	if code != 0 || len(transfers) != 1 {
		t.Fatalf("exit %d, %d transfers kept, want 1", code, len(transfers))
	}
	points, _ := summary["points"].([]any)
	if len(points) != 1 || record(points[0].(map[string]any)).str("dropped_transfers") != "2" {
		t.Errorf("summary points %v: want dropped_transfers 2", points)
	}
	if _, stderr, code := ftpsniff(t, "--max-flows", "0", "x.pcap"); code != 2 || !strings.Contains(stderr, "must be positive") {
		t.Errorf("--max-flows 0: exit %d %q", code, stderr)
	}
}

// TestSecretsRedacted: PASS, ACCT and SITE commands that carry a password
// are not echoed unless --show-passwords.
func TestSecretsRedacted(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"ACCT topsecret", "ACCT <redacted>"},
		{"SITE PASSWD old new", "SITE PASSWD <redacted>"},
		{"SITE CHMOD 644 f", "SITE CHMOD 644 f"},
	} {
		if got := redactedLine(tt.line); got != tt.want {
			t.Errorf("%q: %q, want %q", tt.line, got, tt.want)
		}
	}
}

// redactedLine returns how the report keeps a client line.
func redactedLine(line string) string {
	an := analyze.New(analyze.Options{})
	p := capture.Packet{Kind: capture.TCP, Time: time.Unix(1, 0), Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"),
		SrcPort: 40000, DstPort: 21, Seq: 1, Flags: capture.ACK | capture.PSH, Payload: []byte(line + "\r\n")}
	an.Packet(&p)
	r := an.Finish()
	if len(r.Sessions) != 1 || len(r.Sessions[0].Lines) != 1 {
		return ""
	}
	return r.Sessions[0].Lines[0].Text
}

// writeCapture writes a small session with pcapgen whose command argument
// is arg.
func writeCapture(t *testing.T, path, arg string, o pcapgen.Options) []byte {
	t.Helper()
	b, err := pcapgen.Dialogue(o, "220 hi\r\n", "USER \x1b[31mroot\x1b[0m\r\n", "331 pw\r\n", "PASV\r\n",
		"227 Entering Passive Mode (198,51,100,10,117,48)\r\n", "RETR "+arg+"\r\n", "550 "+arg+": no such file\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if path != "" {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// TestHostileNamesThroughACapture: file names and user names with ANSI
// escapes, bidi overrides and invalid UTF-8 reach the table and Markdown
// reports only escaped, and the JSON stays valid.
func TestHostileNamesThroughACapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	writeCapture(t, path, "\x1b]0;owned\x07invoice\u202efdp.exe\xc3\x28\u009b2J", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	for _, format := range []string{"table", "markdown"} {
		out, _, code := ftpsniff(t, "-F", format, path)
		if code != 0 {
			t.Fatalf("%s: exit %d", format, code)
		}
		for _, r := range out {
			if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x202e || r == 0xfffd {
				t.Fatalf("%s: %U reaches the report:\n%s", format, r, out)
			}
		}
		name, user := `\x1b]0;owned\x07invoice\u202efdp.exe\xc3(\x9b2J`, `\x1b[31mroot`
		if format == "markdown" { // Markdown also escapes \ [ ] (it shows the same)
			name, user = `\\x1b\]0;owned\\x07invoice\\u202efdp.exe\\xc3(\\x9b2J`, `\\x1b\[31mroot`
		}
		if !strings.Contains(out, name) || !strings.Contains(out, user) {
			t.Errorf("%s: the names are not shown escaped:\n%s", format, out)
		}
	}
	out, _, _ := ftpsniff(t, "-F", "json", path)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(line)) || strings.ContainsRune(line, 0x1b) {
			t.Fatalf("JSON line invalid or with a raw ESC: %q", line)
		}
	}
}

// TestBrokenFilesKeepWhatCameBefore: each kind of damage gives one line
// naming the file and the place, exit 1, and the report still holds what
// was read before it.
func TestBrokenFilesKeepWhatCameBefore(t *testing.T) {
	dir := t.TempDir()
	good := writeCapture(t, "", "a.txt", pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	ng := writeCapture(t, "", "a.txt", pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet})
	last := pcapgen.RecordOffset(good, 19)
	badBlock := append([]byte(nil), ng...)
	// pcapng blocks end with their length repeated: find the last block and
	// give it an absurd leading length.
	lastLen := int(uint32(ng[len(ng)-4]) | uint32(ng[len(ng)-3])<<8 | uint32(ng[len(ng)-2])<<16 | uint32(ng[len(ng)-1])<<24)
	binaryPut(badBlock[len(ng)-lastLen+4:], 0xfffffff0)
	// A zero-length record in place of record 6 (index 5).
	o5, o6 := pcapgen.RecordOffset(good, 5), pcapgen.RecordOffset(good, 6)
	zero := append(append(append([]byte(nil), good[:o5+8]...), 0, 0, 0, 0, 0, 0, 0, 0), good[o6:]...)
	for _, tt := range []struct {
		name, msg string
		data      []byte
		code      int
		sessions  int
	}{
		{"record beyond the file", "record 20 at offset", good[:last+40], 1, 1},
		{"absurd record length", "beyond any snap length", pcapgen.CorruptRecordLength(good, 19, 1<<31), 1, 1},
		{"zero-length record is kept as an empty record", "", zero, 0, 1},
		{"pcapng block with a wrong length", "damaged.pcap: record", badBlock, 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "damaged.pcap")
			os.WriteFile(path, tt.data, 0o644)
			out, stderr, code := ftpsniff(t, "-F", "json", path)
			sessions, _, _ := records(t, out)
			if code != tt.code || len(sessions) != tt.sessions {
				t.Errorf("exit %d, %d sessions; want %d, %d (stderr %q)", code, len(sessions), tt.code, tt.sessions, stderr)
			}
			if tt.msg != "" && (!strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q: want one line containing %q", stderr, tt.msg)
			}
		})
	}
	t.Run("a FIFO is read as a stream", func(t *testing.T) {
		fifo := filepath.Join(dir, "capture.fifo")
		if err := mkfifo(fifo); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err == nil {
				f.Write(good)
				f.Close()
			}
		}()
		out, stderr, code := ftpsniff(t, "-F", "json", fifo)
		sessions, transfers, _ := records(t, out)
		if code != 0 || len(sessions) != 1 || len(transfers) != 1 {
			t.Errorf("exit %d, %d sessions, %d transfers (stderr %q)", code, len(sessions), len(transfers), stderr)
		}
	})
}

func binaryPut(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// TestClosedPipe: `ftpsniff big.pcap | head` ends quietly with status 0
// when the reader goes away.
func TestClosedPipe(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "ftpsniff")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/ftpsniff").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, format := range []string{"table", "json"} {
		cmd := exec.Command(bin, "-F", format, "testdata/data-failures.pcap", "testdata/passive-and-active.pcap", "testdata/ipv6-extension-headers.pcap")
		r, w, _ := os.Pipe()
		r.Close() // the reader is gone before the first write
		cmd.Stdout = w
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		w.Close()
		if err != nil || stderr.Len() != 0 {
			t.Errorf("%s: %v, stderr %q; want status 0 and nothing said", format, err, stderr.String())
		}
	}
}

// runOutput is what a golden file holds of one run: standard output,
// standard error and the exit status.
func runOutput(stdout, stderr string, code int) string {
	return stdout + "--- stderr ---\n" + stderr + "--- exit ---\n" + string(rune('0'+code)) + "\n"
}

// checkGolden compares got with the golden file, or rewrites the file with
// -update (after a person has checked the difference).
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	golden.Check(t, path, got, *update, "go test ./cmd/ftpsniff -update")
}

// TestLiveFlagsChecked: -B, --workers and a point named twice are usage
// errors with a message, before any socket is opened.
func TestLiveFlagsChecked(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-i", "lo", "-B", "16"}, "-B wants at least 64 KiB"},
		{[]string{"-i", "lo", "--workers", "0"}, "--workers wants 1 or more"},
		{[]string{"--point", "a=testdata/vlan.pcap", "--point", "a=testdata/sll.pcap"}, `--point "a" is given twice`},
	} {
		if _, stderr, code := ftpsniff(t, tc.args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("ftpsniff %v: exit %d, %q; want %d and %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
}
