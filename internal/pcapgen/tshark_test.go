package pcapgen

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// tsharkGood is tcp.checksum.status for a verified checksum: Wireshark's
// PROTO_CHECKSUM_E_GOOD, 1 (0 is Bad, 2 Unverified), as printed by tshark
// 4.0 with -T fields.
const (
	tsharkBad  = "0"
	tsharkGood = "1"
)

// ftpRow is one line of the tshark output the test expects.
type ftpRow struct {
	frame       int
	command     string // request command, empty for a reply
	code        string // reply code, empty for a request
	activePort  string // ftp.active.port (PORT)
	passivePort string // ftp.passive.port (227)
	checksum    string
}

// writeFTPSession writes a short FTP control session and returns the rows
// tshark should print for it.
func writeFTPSession(t *testing.T, w *Writer, client, server netip.AddrPort, ext, badUser bool) []ftpRow {
	t.Helper()
	var rows []ftpRow
	frame := 0
	c := w.NewConn(client, server, t0)
	c.IPv6ExtHeaders = ext
	do := func(err error, n int) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		frame += n
	}
	req := func(line, cmd, active string) {
		t.Helper()
		do(c.Client(line), 2)
		rows = append(rows, ftpRow{frame: frame - 1, command: cmd, activePort: active, checksum: tsharkGood})
	}
	reply := func(line, code, passive string) {
		t.Helper()
		do(c.Server(line), 2)
		rows = append(rows, ftpRow{frame: frame - 1, code: code, passivePort: passive, checksum: tsharkGood})
	}
	do(c.Handshake(), 3)
	reply("220 (vsFTPd 3.0.3)\r\n", "220", "")
	if badUser {
		// A segment with a wrong checksum: tshark must say so.
		p := c.NextClientSegment([]byte("USER anonymous\r\n"))
		p.BadChecksum = true
		do(w.WriteTCP(p), 1)
		rows = append(rows, ftpRow{frame: frame, command: "USER", checksum: tsharkBad})
		do(w.WriteTCP(c.NextServerSegment(nil)), 1)
	} else {
		req("USER anonymous\r\n", "USER", "")
	}
	reply("331 Please specify the password.\r\n", "331", "")
	req("PASS guest\r\n", "PASS", "")
	reply("230 Login successful.\r\n", "230", "")
	req("PORT 192,0,2,10,195,80\r\n", "PORT", "50000")
	reply("200 PORT command successful. Consider using PASV.\r\n", "200", "")
	req("PASV\r\n", "PASV", "")
	reply("227 Entering Passive Mode (192,0,2,21,117,49).\r\n", "227", "30001")
	req("RETR file.txt\r\n", "RETR", "")
	reply("150 Opening BINARY mode data connection for file.txt (5 bytes).\r\n", "150", "")
	c.Advance(time.Second)
	reply("226 Transfer complete.\r\n", "226", "")
	req("QUIT\r\n", "QUIT", "")
	reply("221 Goodbye.\r\n", "221", "")
	do(c.Close(), 3)
	return rows
}

// TestTshark has tshark, an independent dissector, read an FTP session
// written in every link type and format and checks the frame numbers, FTP
// commands, PORT and 227 ports, and that tshark finds every TCP checksum
// good (and a deliberately bad one bad). The display filter also shows any
// frame tshark finds malformed, gives an expert warning, or flags in its TCP
// sequence analysis (a gap, a retransmission, an ACK of unseen data), none
// of which a well-formed session has: such a frame would be an extra row.
func TestTshark(t *testing.T) {
	suite.Require(t, []string{suite.Tshark}, "tshark")
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		suite.Unavailable(t, "tshark is not on PATH after scripts/deps.sh tshark", suite.Tshark)
	}
	detail := "did not finish"
	suite.Track(t, suite.Tshark, &detail)
	type tcase struct {
		name    string
		o       Options
		v6, ext bool
		badUser bool
	}
	var cases []tcase
	for _, f := range allFormats {
		for _, l := range allLinks {
			cases = append(cases, tcase{name: fmt.Sprintf("%v/%v", f, l), o: Options{Format: f, Link: l, VLAN: 10, InnerVLAN: 20}})
		}
	}
	cases = append(cases,
		tcase{name: "gzip/PcapNano/LinuxSLL2", o: Options{Format: PcapNano, Link: LinuxSLL2, Gzip: true}},
		tcase{name: "gzip/Pcapng/EthernetQinQ", o: Options{Format: Pcapng, Link: EthernetQinQ, VLAN: 300, InnerVLAN: 400, Gzip: true}},
		tcase{name: "Pcapng/SimplePackets", o: Options{Format: Pcapng, Link: Ethernet, SimplePackets: true}},
		tcase{name: "IPv6/PcapMicro/Ethernet", o: Options{Format: PcapMicro, Link: Ethernet}, v6: true},
		tcase{name: "IPv6 ext headers/Pcapng/LinuxSLL", o: Options{Format: Pcapng, Link: LinuxSLL}, v6: true, ext: true},
		tcase{name: "IPv6/PcapMicroBigEndian/Null", o: Options{Format: PcapMicroBigEndian, Link: Null, NullAF6: AFInet6Darwin}, v6: true},
		tcase{name: "IPv6/PcapNano/Loop", o: Options{Format: PcapNano, Link: Loop}, v6: true},
		tcase{name: "bad checksum/PcapMicro/Ethernet", o: Options{Format: PcapMicro, Link: Ethernet}, badUser: true},
		tcase{name: "bad checksum/Pcapng/RawIP", o: Options{Format: Pcapng, Link: RawIP}, badUser: true},
	)
	dir := t.TempDir()
	detail = fmt.Sprintf("%d pcapgen captures (every link type and format) read by tshark", len(cases))
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := NewWriter(&buf, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			client := netip.MustParseAddrPort("192.0.2.10:50123")
			server := netip.MustParseAddrPort("192.0.2.21:21")
			if tc.v6 {
				client = netip.MustParseAddrPort("[2001:db8::10]:50123")
				server = netip.MustParseAddrPort("[2001:db8::21]:21")
			}
			want := writeFTPSession(t, w, client, server, tc.ext, tc.badUser)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("%d.pcap", i))
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tshark, "-n", "-r", file, "-Y", "ftp || _ws.malformed || _ws.expert.severity >= warning || tcp.analysis.flags", "-T", "fields",
				"-e", "frame.number", "-e", "ftp.request.command", "-e", "ftp.response.code",
				"-e", "ftp.active.port", "-e", "ftp.passive.port", "-e", "tcp.checksum.status",
				"-o", "tcp.check_checksum:TRUE")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("tshark: %v\n%s", err, stderr.String())
			}
			var wantLines []string
			for _, r := range want {
				wantLines = append(wantLines, fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s", r.frame, r.command, r.code, r.activePort, r.passivePort, r.checksum))
			}
			got := strings.TrimRight(string(out), "\n")
			if got != strings.Join(wantLines, "\n") {
				t.Errorf("tshark printed (frame, command, code, active port, passive port, checksum status):\n%s\nwant:\n%s\ntshark stderr: %s",
					got, strings.Join(wantLines, "\n"), stderr.String())
			}
		})
	}
}
