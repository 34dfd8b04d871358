// Command gen writes the synthetic captures in testdata/, one per quirk the
// corpus and the lab do not cover with the precise shape a test needs.
// Run it from the repository root after changing a capture's recipe:
//
//	go run ./testdata/gen
//
// then review and refresh the golden reports with
// `go test ./cmd/ftpsniff -run Golden -update`.
package main

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func ap(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

type recipe struct {
	name  string
	opts  pcapgen.Options
	write func(w *pcapgen.Writer) error
	post  func([]byte) []byte // damage applied to the finished file
}

// errs collects the first error of a sequence of writes.
type errs struct{ err error }

func (e *errs) do(err error) {
	if e.err == nil {
		e.err = err
	}
}

// login writes the handshake, greeting and login.
func login(e *errs, c *pcapgen.Conn) {
	e.do(c.Handshake())
	e.do(c.Server("220 (vsFTPd 3.0.3)\r\n"))
	e.do(c.Client("USER anonymous\r\n"))
	e.do(c.Server("331 Please specify the password.\r\n"))
	e.do(c.Client("PASS guest@example.org\r\n"))
	e.do(c.Server("230 Login successful.\r\n"))
}

// dataConn writes a data connection from initiator to acceptor carrying n
// bytes from the side that sends (fromInitiator says which).
func dataConn(e *errs, w *pcapgen.Writer, from, to netip.AddrPort, at time.Time, n int, fromInitiator bool) time.Time {
	d := w.NewConn(from, to, at)
	e.do(d.Handshake())
	body := bytes.Repeat([]byte("0123456789abcdef"), (n+15)/16)[:n]
	for len(body) > 0 {
		k := min(len(body), 1400)
		if fromInitiator {
			e.do(d.Client(string(body[:k])))
		} else {
			e.do(d.Server(string(body[:k])))
		}
		body = body[k:]
	}
	e.do(d.CloseFrom(fromInitiator))
	return d.Now()
}

// passiveAndActive: a clean session with one passive RETR and one active
// LIST, both succeeding (the README's first example).
func passiveAndActive(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("192.168.10.20:40001"), ap("203.0.113.10:21")
	c := w.NewConn(cli, srv, t0)
	login(&e, c)
	e.do(c.Client("PASV\r\n"))
	e.do(c.Server("227 Entering Passive Mode (203,0,113,10,195,80).\r\n"))
	c.Advance(time.Millisecond)
	end := dataConn(&e, w, ap("192.168.10.20:40002"), ap("203.0.113.10:50000"), c.Now(), 3000, false)
	e.do(c.Client("RETR report.csv\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for report.csv (3000 bytes).\r\n"))
	c.Advance(end.Sub(c.Now()) + time.Millisecond)
	e.do(c.Server("226 Transfer complete.\r\n"))
	e.do(c.Client("PORT 192,168,10,20,156,65\r\n"))
	e.do(c.Server("200 PORT command successful. Consider using PASV.\r\n"))
	e.do(c.Client("LIST\r\n"))
	e.do(c.Server("150 Here comes the directory listing.\r\n"))
	end = dataConn(&e, w, ap("203.0.113.10:20"), ap("192.168.10.20:40001"), c.Now(), 200, true)
	c.Advance(end.Sub(c.Now()) + time.Millisecond)
	e.do(c.Server("226 Directory send OK.\r\n"))
	e.do(c.Client("QUIT\r\n"))
	e.do(c.Server("221 Goodbye.\r\n"))
	e.do(c.Close())
	return e.err
}

// outOfOrder: the client's segments arrive out of order and retransmitted,
// a PORT is split across two segments ("PO" then "RT ..."), and the server's
// 227 arrives before the reply that precedes it.
func outOfOrder(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("10.1.0.2:40312"), ap("198.51.100.10:21")
	c := w.NewConn(cli, srv, t0)
	login(&e, c)
	// "TYPE I" and "PASV" written in reverse order, then "TYPE I" again.
	typeI := c.NextClientSegment([]byte("TYPE I\r\n"))
	pasv := c.NextClientSegment([]byte("PASV\r\n"))
	e.do(w.WriteTCP(pasv))
	e.do(w.WriteTCP(typeI))
	e.do(w.WriteTCP(typeI)) // retransmission
	r200 := c.NextServerSegment([]byte("200 Switching to Binary mode.\r\n"))
	r227 := c.NextServerSegment([]byte("227 Entering Passive Mode (198,51,100,10,117,48).\r\n"))
	e.do(w.WriteTCP(r227))
	e.do(w.WriteTCP(r200))
	end := dataConn(&e, w, ap("10.1.0.2:40313"), ap("198.51.100.10:30000"), c.Now(), 500, false)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Client("RETR a.txt\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for a.txt (500 bytes).\r\n226 Transfer complete.\r\n"))
	// A PORT split across two segments, as the lab's split client writes it.
	e.do(c.ClientSegments("PO", "RT 10,1,0,2,157,144\r\n"))
	e.do(c.Server("200 PORT command successful. Consider using PASV.\r\n"))
	e.do(c.Client("NLST\r\n"))
	e.do(c.Server("150 Here comes the directory listing.\r\n"))
	end = dataConn(&e, w, ap("198.51.100.10:20"), ap("10.1.0.2:40336"), c.Now(), 40, true)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Server("226 Directory send OK.\r\n"))
	e.do(c.Close())
	return e.err
}

// midSession: the capture starts in the middle of a session: no handshake,
// no greeting, no login.
func midSession(w *pcapgen.Writer) error {
	var e errs
	c := w.NewConn(ap("10.1.0.2:40400"), ap("198.51.100.10:21"), t0)
	c.SetISN(77777, 88888)
	e.do(c.Client("CWD /pub\r\n"))
	e.do(c.Server("250 Directory successfully changed.\r\n"))
	e.do(c.Client("EPSV\r\n"))
	e.do(c.Server("229 Entering Extended Passive Mode (|||31000|)\r\n"))
	end := dataConn(&e, w, ap("10.1.0.2:40401"), ap("198.51.100.10:31000"), c.Now(), 1000, false)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Client("RETR README\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for README (1000 bytes).\r\n"))
	e.do(c.Server("226 Transfer complete.\r\n"))
	return e.err
}

// simplePassive is one passive RETR; used for the link-type and format
// variants, where the session is plain and the encapsulation is the quirk.
func simplePassive(cli, srv netip.AddrPort, pasvReply string, dataDst netip.AddrPort) func(w *pcapgen.Writer) error {
	return func(w *pcapgen.Writer) error {
		var e errs
		c := w.NewConn(cli, srv, t0)
		login(&e, c)
		verb := "PASV"
		if srv.Addr().Is6() {
			verb = "EPSV"
		}
		e.do(c.Client(verb + "\r\n"))
		e.do(c.Server(pasvReply))
		dcli := netip.AddrPortFrom(cli.Addr(), cli.Port()+1)
		end := dataConn(&e, w, dcli, dataDst, c.Now(), 700, false)
		c.Advance(end.Sub(c.Now()))
		e.do(c.Client("RETR data.bin\r\n"))
		e.do(c.Server("150 Opening BINARY mode data connection for data.bin (700 bytes).\r\n"))
		e.do(c.Server("226 Transfer complete.\r\n"))
		e.do(c.Close())
		return e.err
	}
}

var v4Passive = simplePassive(ap("10.1.0.2:40500"), ap("198.51.100.10:21"),
	"227 Entering Passive Mode (198,51,100,10,117,50).\r\n", ap("198.51.100.10:30002"))

// ipv6Ext: EPRT |2| and EPSV over IPv6 with Hop-by-Hop and Destination
// Options headers on every packet.
func ipv6Ext(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("[2001:db8:1::2]:40600"), ap("[2001:db8:2::10]:21")
	c := w.NewConn(cli, srv, t0)
	c.IPv6ExtHeaders = true
	login(&e, c)
	e.do(c.Client("EPRT |2|2001:db8:1::2|41000|\r\n"))
	e.do(c.Server("200 EPRT command successful.\r\n"))
	e.do(c.Client("RETR one\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for one (300 bytes).\r\n"))
	end := dataConn(&e, w, ap("[2001:db8:2::10]:20"), ap("[2001:db8:1::2]:41000"), c.Now(), 300, true)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Server("226 Transfer complete.\r\n"))
	e.do(c.Client("EPSV\r\n"))
	e.do(c.Server("229 Entering Extended Passive Mode (!!!32000!)\r\n")) // a legal non-| delimiter
	end = dataConn(&e, w, ap("[2001:db8:1::2]:40601"), ap("[2001:db8:2::10]:32000"), c.Now(), 300, false)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Client("RETR two\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for two (300 bytes).\r\n226 Transfer complete.\r\n"))
	e.do(c.Close())
	return e.err
}

// twoInterfaces: pcapng with an Ethernet interface (the control connection)
// and a Linux SLL2 interface (the data connection), nanosecond timestamps.
func twoInterfaces(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("10.1.0.2:40700"), ap("198.51.100.10:21")
	c := w.NewConn(cli, srv, t0)
	login(&e, c)
	e.do(c.Client("PASV\r\n"))
	e.do(c.Server("227 Entering Passive Mode (198,51,100,10,117,51).\r\n"))
	d := w.NewConn(ap("10.1.0.2:40701"), ap("198.51.100.10:30003"), c.Now())
	d.Iface = 1
	d.Step = 1500 * time.Nanosecond
	e.do(d.Handshake())
	e.do(d.Server("hello over SLL2\n"))
	e.do(d.CloseFrom(false))
	c.Advance(d.Now().Sub(c.Now()))
	e.do(c.Client("RETR hello\r\n"))
	e.do(c.Server("150 Opening BINARY mode data connection for hello (16 bytes).\r\n226 Transfer complete.\r\n"))
	e.do(c.Close())
	return e.err
}

// otherPort: FTP on port 2121, found by its greeting answered by USER.
var otherPort = simplePassive(ap("10.1.0.2:40800"), ap("198.51.100.10:2121"),
	"227 Entering Passive Mode (198,51,100,10,117,52).\r\n", ap("198.51.100.10:30004"))

// failures, captured on the client's LAN (the server 8 router hops away):
// a passive SYN dropped on the way (retransmitted at 1 and 3 s, never
// answered, 425), an active SYN answered by a reset from the client
// itself, a passive SYN answered by ICMP administratively prohibited from
// the client's router.
func failures(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("10.1.0.2:40900"), ap("198.51.100.10:21")
	c := w.NewConn(cli, srv, t0)
	c.ServerTTL = 56
	login(&e, c)
	e.do(c.Client("PASV\r\n"))
	e.do(c.Server("227 Entering Passive Mode (198,51,100,10,117,53).\r\n"))
	syn := pcapgen.TCP{Time: c.Now(), Src: ap("10.1.0.2:40901"), Dst: ap("198.51.100.10:30005"), Seq: 1, Flags: pcapgen.SYN, Window: 64240}
	for _, d := range []time.Duration{0, time.Second, 3 * time.Second} {
		s := syn
		s.Time = syn.Time.Add(d)
		e.do(w.WriteTCP(s))
	}
	c.Advance(3*time.Second + time.Millisecond)
	e.do(c.Client("LIST\r\n"))
	c.Advance(4 * time.Second)
	e.do(c.Server("425 Failed to establish connection.\r\n"))

	e.do(c.Client("PORT 10,1,0,2,159,254\r\n"))
	e.do(c.Server("200 PORT command successful. Consider using PASV.\r\n"))
	e.do(c.Client("RETR b\r\n"))
	asyn := pcapgen.TCP{Time: c.Now(), Src: ap("198.51.100.10:20"), Dst: ap("10.1.0.2:40958"), Seq: 7, Flags: pcapgen.SYN, Window: 64240, TTL: 56}
	e.do(w.WriteTCP(asyn))
	e.do(w.WriteTCP(pcapgen.TCP{Time: c.Now().Add(time.Millisecond), Src: asyn.Dst, Dst: asyn.Src, Ack: 8, Flags: pcapgen.RST | pcapgen.ACK}))
	c.Advance(5 * time.Millisecond)
	e.do(c.Server("425 Failed to establish connection.\r\n"))

	e.do(c.Client("PASV\r\n"))
	e.do(c.Server("227 Entering Passive Mode (198,51,100,10,117,54).\r\n"))
	qsyn := pcapgen.TCP{Time: c.Now(), Src: ap("10.1.0.2:40902"), Dst: ap("198.51.100.10:30006"), Seq: 1, Flags: pcapgen.SYN, Window: 64240}
	e.do(w.WriteTCP(qsyn))
	e.do(w.WriteICMPUnreachable(c.Now().Add(time.Millisecond), netip.MustParseAddr("10.1.0.1"), qsyn, 13))
	c.Advance(2 * time.Millisecond)
	e.do(c.Client("RETR c\r\n"))
	e.do(c.Server("425 Failed to establish connection.\r\n"))
	e.do(c.Close())
	return e.err
}

// authTLS: AUTH TLS answered 234, TLS records both ways, then a data
// connection between the same hosts that only the host pair ties to it;
// captured on the client's LAN behind a NAT.
func authTLS(w *pcapgen.Writer) error {
	var e errs
	cli, srv := ap("10.1.0.2:41000"), ap("198.51.100.10:21")
	c := w.NewConn(cli, srv, t0)
	c.ServerTTL = 56
	e.do(c.Handshake())
	e.do(c.Server("220 (vsFTPd 3.0.3)\r\n"))
	e.do(c.Client("AUTH TLS\r\n"))
	e.do(c.Server("234 Proceed with negotiation.\r\n"))
	rec := func(typ byte, n int) string {
		return string(append([]byte{typ, 3, 3, byte(n >> 8), byte(n)}, bytes.Repeat([]byte{0xAB}, n)...))
	}
	e.do(c.Client(rec(22, 300)))
	e.do(c.Server(rec(22, 1200) + rec(20, 1)))
	e.do(c.Client(rec(23, 40)))
	e.do(c.Server(rec(23, 60)))
	end := dataConn(&e, w, ap("10.1.0.2:41001"), ap("198.51.100.10:30010"), c.Now(), 900, false)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Server(rec(23, 40)))
	e.do(c.Close())
	return e.err
}

// seqWrap: sequence numbers wrap around 2^32 in the middle of the dialogue.
func seqWrap(w *pcapgen.Writer) error {
	var e errs
	c := w.NewConn(ap("10.1.0.2:41100"), ap("198.51.100.10:21"), t0)
	c.SetISN(0xFFFFFFE0, 0xFFFFFFF0)
	login(&e, c)
	e.do(c.Client("PORT 10,1,0,2,160,0\r\n"))
	e.do(c.Server("200 PORT command successful. Consider using PASV.\r\n"))
	e.do(c.Client("STOR up.bin\r\n"))
	e.do(c.Server("150 Ok to send data.\r\n"))
	end := dataConn(&e, w, ap("198.51.100.10:20"), ap("10.1.0.2:40960"), c.Now(), 2000, false)
	c.Advance(end.Sub(c.Now()))
	e.do(c.Server("226 Transfer complete.\r\n"))
	e.do(c.Close())
	return e.err
}

// routerAny: a capture on a NAT router's Linux "any" device (SLL2), which
// holds both sides of the NAT: the client LAN on interface 2, the outside on
// interface 3, where the kernel's FTP helper rewrote the PORT.
func routerAny(w *pcapgen.Writer) error {
	var e errs
	srv := ap("203.0.113.10:21")
	in := w.NewConn(ap("10.1.0.2:40000"), srv, t0)
	out := w.NewConn(ap("198.51.100.1:40000"), srv, t0.Add(20*time.Microsecond))
	both := func(f func(c *pcapgen.Conn) error, inner, outer string) {
		w.SetIfIndex(2)
		e.do(f(in))
		w.SetIfIndex(3)
		e.do(f(out))
	}
	step := func(fromClient bool, inner, outer string) {
		w.SetIfIndex(2)
		if fromClient {
			e.do(in.Client(inner))
		} else {
			e.do(in.Server(inner))
		}
		w.SetIfIndex(3)
		if fromClient {
			e.do(out.Client(outer))
		} else {
			e.do(out.Server(outer))
		}
	}
	both(func(c *pcapgen.Conn) error { return c.Handshake() }, "", "")
	step(false, "220 (vsFTPd 3.0.3)\r\n", "220 (vsFTPd 3.0.3)\r\n")
	step(true, "USER anonymous\r\n", "USER anonymous\r\n")
	step(false, "230 Login successful.\r\n", "230 Login successful.\r\n")
	step(true, "PORT 10,1,0,2,156,65\r\n", "PORT 198,51,100,1,156,65\r\n")
	step(false, "200 PORT command successful. Consider using PASV.\r\n", "200 PORT command successful. Consider using PASV.\r\n")
	step(true, "RETR a\r\n", "RETR a\r\n")
	w.SetIfIndex(3)
	dout := w.NewConn(ap("203.0.113.10:20"), ap("198.51.100.1:40001"), out.Now())
	w.SetIfIndex(2)
	din := w.NewConn(ap("203.0.113.10:20"), ap("10.1.0.2:40001"), out.Now().Add(10*time.Microsecond))
	w.SetIfIndex(3)
	e.do(dout.Handshake())
	w.SetIfIndex(2)
	e.do(din.Handshake())
	w.SetIfIndex(3)
	e.do(dout.Client("hello"))
	w.SetIfIndex(2)
	e.do(din.Client("hello"))
	w.SetIfIndex(3)
	e.do(dout.CloseFrom(true))
	w.SetIfIndex(2)
	e.do(din.CloseFrom(true))
	in.Advance(din.Now().Sub(in.Now()))
	out.Advance(din.Now().Sub(out.Now()))
	step(false, "226 Transfer complete.\r\n", "226 Transfer complete.\r\n")
	both(func(c *pcapgen.Conn) error { return c.Close() }, "", "")
	return e.err
}

var recipes = []recipe{
	{name: "passive-and-active.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: passiveAndActive},
	{name: "out-of-order-and-split.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: outOfOrder},
	{name: "mid-session.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: midSession},
	{name: "vlan.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.EthernetVLAN, VLAN: 100}, write: v4Passive},
	{name: "qinq.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.EthernetQinQ, VLAN: 200, InnerVLAN: 10}, write: v4Passive},
	{name: "sll.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.LinuxSLL}, write: v4Passive},
	{name: "sll2-nanosecond-bigendian.pcap", opts: pcapgen.Options{Format: pcapgen.PcapNanoBigEndian, Link: pcapgen.LinuxSLL2}, write: v4Passive},
	{name: "raw-ip.pcap", opts: pcapgen.Options{Format: pcapgen.PcapNano, Link: pcapgen.RawIP}, write: v4Passive},
	{name: "bsd-loopback.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Null}, write: v4Passive},
	{name: "ipv6-extension-headers.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: ipv6Ext},
	{name: "two-interfaces.pcapng", opts: pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet, Interfaces: []pcapgen.LinkType{pcapgen.LinuxSLL2}}, write: twoInterfaces},
	{name: "passive.pcap.gz", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet, Gzip: true}, write: v4Passive},
	{name: "snaplen-96.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet, Snaplen: 96}, write: v4Passive},
	{name: "port-2121.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: otherPort},
	{name: "data-failures.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: failures},
	{name: "auth-tls.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: authTLS},
	{name: "sequence-wrap.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: seqWrap},
	{name: "router-any-sll2.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.LinuxSLL2}, write: routerAny},
	// The same records twice: the file concatenated with itself (mergecap -a
	// a.pcap a.pcap); the time steps back where the copy begins.
	{name: "duplicated-records.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: passiveAndActive,
		post: func(b []byte) []byte { return append(b, b[24:]...) }},
	{name: "truncated.pcap", opts: pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, write: passiveAndActive,
		// Cut in the middle of the 30th record: what comes before is still
		// analysed, and the error names the record and offset.
		post: func(b []byte) []byte { return pcapgen.Truncate(b, pcapgen.RecordOffset(b, 29)+30) }},
}

func main() {
	dir := "testdata"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for _, r := range recipes {
		var buf bytes.Buffer
		w, err := pcapgen.NewWriter(&buf, r.opts)
		if err == nil {
			err = r.write(w)
		}
		if err == nil {
			err = w.Close()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "gen: %s: %v\n", r.name, err)
			os.Exit(1)
		}
		b := buf.Bytes()
		if r.post != nil {
			b = r.post(b)
		}
		if err := os.WriteFile(filepath.Join(dir, r.name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
		fmt.Printf("%-36s %6d bytes\n", r.name, len(b))
	}
}
