package diagnose

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// FuzzDialogue reads its input as a script of FTP traffic at one capture
// point (two control connections between a NATed client, a server and a
// third host; commands and replies from FTP's vocabulary with numbers
// from the input; data connections to what was advertised or elsewhere,
// answered or not; resets, retransmissions, ICMP, cut lines, silences)
// and diagnoses it. Byte-level fuzzing of capture files rarely keeps a
// dialogue coherent enough to reach the negotiation and data rules; this
// does. Whatever the script, every finding must hold what
// checkFindingsRegistered checks and cite frames that exist.
//
//	go test ./diagnose -run '^$' -fuzz FuzzDialogue -fuzztime 5m
func FuzzDialogue(f *testing.F) {
	// Each step is [wire, op, what the op reads...]; see dialogue.run.
	login := []byte{0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 2, 1, 0, 1, 1, 0, 2, 2}
	for _, seed := range [][]byte{
		// passive: PASV, 227 (server:30000), LIST, the client's connection
		// from outside answered with 100 bytes, 150, 226, close
		append(append([]byte{}, login...), 0, 1, 2, 0, 2, 3, 2, 3, 0x75, 0x30, 0, 1, 6,
			0, 3, 1, 1, 3, 0xa0, 0x00, 0, 0, 100, 0, 2, 5, 0, 2, 6, 0, 5),
		// active behind a NAT with no helper: PORT names the inside address,
		// 200, RETR, the server's SYN from port 20 retried, 425, close
		append(append([]byte{}, login...), 0, 1, 4, 1, 3, 0x9c, 0x50, 0, 0, 2, 10, 0, 1, 7,
			0, 3, 1, 2, 0, 0, 2, 0, 0, 2, 7, 0, 5),
		// two sessions: EPSV and 229 then a reset and 425 on one; EPRT, LIST,
		// an ICMP error from a third host, an hour's silence, 426 on the other
		{0, 0, 1, 0, 0, 2, 0, 1, 2, 0, 1, 1, 3, 1, 2, 4, 3, 0xc3, 0x50, 1, 1, 7,
			1, 3, 1, 1, 3, 0xa0, 0x01, 0, 1, 0, 1, 2, 7,
			0, 1, 5, 1, 3, 0x9c, 0x60, 0, 2, 10, 0, 1, 6, 0, 7, 3, 3, 1, 2, 0, 0,
			0, 4, 2, 3, 0, 2, 8, 0, 5, 1, 5},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 4096 {
			return // a long script finds nothing a short one cannot, slower
		}
		an := analyze.New(analyze.Options{Point: "fuzz"})
		d := &dialogue{script: script, an: an}
		d.run()
		p := New("fuzz").Finish(an.Finish())
		checkFindingsRegistered(t, p.Findings)
		for _, fd := range p.Findings {
			for _, e := range fd.Evidence {
				if e.At.Frame > d.frames() {
					t.Errorf("%s cites frame %d; the script wrote %d", fd.Code, e.At.Frame, d.frames())
				}
			}
		}
	})
}

// The hosts of a dialogue: the client's inside and outside (NAT) address,
// the server, and a third host.
var (
	fuzzInside  = netip.MustParseAddr("10.0.0.2")
	fuzzOutside = netip.MustParseAddr("192.0.2.1")
	fuzzServer  = netip.MustParseAddr("203.0.113.10")
	fuzzThird   = netip.MustParseAddr("198.51.100.7")
	fuzzServer6 = netip.MustParseAddr("2001:db8::10")
)

// dialogue interprets a fuzzing script.
type dialogue struct {
	script []byte
	an     *analyze.Analyzer
	wires  [2]*wiretest.Wire
	// advertised is the last address a PORT, EPRT, 227 or 229 named.
	advertised netip.AddrPort
}

// next returns the script's next byte (0 once it is used up).
func (d *dialogue) next() byte {
	if len(d.script) == 0 {
		return 0
	}
	b := d.script[0]
	d.script = d.script[1:]
	return b
}

func (d *dialogue) frames() uint64 { return max(d.wires[0].Frame, d.wires[1].Frame) }

// host picks an address from the script.
func (d *dialogue) host() netip.Addr {
	return [...]netip.Addr{fuzzInside, fuzzOutside, fuzzServer, fuzzThird}[d.next()%4]
}

// port picks a port from the script: FTP's own, a low one, or any.
func (d *dialogue) port() uint16 {
	switch b := d.next(); b % 4 {
	case 0:
		return 20
	case 1:
		return 21
	case 2:
		return uint16(b)
	default:
		return uint16(d.next())<<8 | uint16(d.next())
	}
}

// endpoint picks the last advertised address, or one from the script.
func (d *dialogue) endpoint() netip.AddrPort {
	if d.next()%2 == 0 && d.advertised.IsValid() {
		return d.advertised
	}
	return netip.AddrPortFrom(d.host(), d.port())
}

// run writes the script's packets. Each step is [wire, op, what the op
// reads...]: wire picks one of the two control connections (from the
// client's outside address, ports 40000 and 40001, to the server's port
// 21); op is one of the eleven cases below.
func (d *dialogue) run() {
	for i := range d.wires {
		d.wires[i] = wiretest.New(d.an, netip.AddrPortFrom(fuzzOutside, 40000+uint16(i)).String(), netip.AddrPortFrom(fuzzServer, 21).String())
	}
	for steps := 0; len(d.script) > 0 && steps < 1000; steps++ {
		w := d.wires[d.next()%2]
		pinSync(d.wires[:]...) // one capture: frames and clock go on from either wire
		switch d.next() % 11 {
		case 0:
			w.Handshake()
		case 1:
			w.C(d.command())
		case 2:
			w.S(d.reply())
		case 3:
			src, dst := d.endpoint(), d.endpoint()
			w.Data(src.String(), dst.String(), [...]string{"synack", "rst", "retry", ""}[d.next()%4], int(d.next()))
		case 4:
			w.Wait(time.Duration(d.next()) * [...]time.Duration{time.Millisecond, time.Second, time.Minute, time.Hour}[d.next()%4])
		case 5:
			w.Close()
		case 6:
			line := d.reply()
			w.SCut(line, int(d.next())%(len(line)+1))
		case 7:
			w.ICMP(d.host().String(), 3, d.next()%16, d.endpoint(), d.endpoint())
		case 8:
			// A segment of the control connection out of step: a
			// retransmission, a reset, a gap.
			src, dst, seq, ack := w.Client, w.Server, w.CSeq, w.SSeq
			if d.next()%2 == 0 {
				src, dst, seq, ack = dst, src, ack, seq
			}
			seq += uint32(int8(d.next()))
			w.Send(src, dst, seq, ack, capture.Flags(d.next()), d.command())
		case 9:
			// One line in two segments.
			line := d.command()
			cut := int(d.next()) % (len(line) + 1)
			w.C(line[:cut])
			w.C(line[cut:])
		case 10:
			w.SetTTL(d.host().String(), d.next())
		}
	}
}

// command returns a client line from FTP's vocabulary, its numbers from the script.
func (d *dialogue) command() string {
	switch d.next() % 16 {
	case 0:
		return "USER " + [...]string{"anonymous", "alice", "ftp", ""}[d.next()%4] + "\r\n"
	case 1:
		return "PASS secret\r\n"
	case 2:
		return "PASV\r\n"
	case 3:
		return "EPSV\r\n"
	case 4:
		ap := netip.AddrPortFrom(d.host(), d.port())
		if d.next()%4 == 0 {
			ap = netip.AddrPortFrom(fuzzInside, ap.Port())
		}
		d.advertised = ap
		a := ap.Addr().As4()
		return fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d\r\n", a[0], a[1], a[2], a[3], ap.Port()>>8, ap.Port()&0xff)
	case 5:
		ap := netip.AddrPortFrom(d.host(), d.port())
		d.advertised = ap
		return fmt.Sprintf("EPRT |1|%s|%d|\r\n", ap.Addr(), ap.Port())
	case 6:
		return "LIST\r\n"
	case 7:
		return "RETR file.bin\r\n"
	case 8:
		return "STOR up.bin\r\n"
	case 9:
		return "QUIT\r\n"
	case 10:
		return "AUTH TLS\r\n"
	case 11:
		return "TYPE I\r\n"
	case 12:
		return "ABOR\r\n"
	case 13:
		return fmt.Sprintf("EPRT |2|%s|%d|\r\n", fuzzServer6, d.port())
	case 14:
		return "NLST\r\n"
	default:
		// Whatever the script says, as a line.
		n := int(d.next()) % 24
		b := make([]byte, 0, n+2)
		for range n {
			b = append(b, d.next())
		}
		return string(b) + "\r\n"
	}
}

// reply returns a server line from FTP's vocabulary, its numbers from the script.
func (d *dialogue) reply() string {
	switch d.next() % 16 {
	case 0:
		return "220 ready\r\n"
	case 1:
		return "331 password please\r\n"
	case 2:
		return "230 logged in\r\n"
	case 3:
		ap := netip.AddrPortFrom(d.host(), d.port())
		d.advertised = ap
		a := ap.Addr().As4()
		return fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d)\r\n", a[0], a[1], a[2], a[3], ap.Port()>>8, ap.Port()&0xff)
	case 4:
		p := d.port()
		d.advertised = netip.AddrPortFrom(fuzzServer, p)
		return fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)\r\n", p)
	case 5:
		return "150 Opening BINARY mode data connection\r\n"
	case 6:
		return "226 Transfer complete\r\n"
	case 7:
		return "425 Can't open data connection\r\n"
	case 8:
		return "426 Connection closed; transfer aborted\r\n"
	case 9:
		return "530 Login incorrect\r\n"
	case 10:
		return "200 PORT command successful\r\n"
	case 11:
		return "421 Timeout\r\n"
	case 12:
		return "550 No such file\r\n"
	case 13:
		return "234 AUTH TLS OK\r\n"
	case 14:
		return "211-Features:\r\n EPSV\r\n211 End\r\n"
	default:
		return fmt.Sprintf("%03d %c\r\n", int(d.next())%700, 'a'+d.next()%26)
	}
}
