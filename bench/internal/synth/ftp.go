package synth

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// op is one step of a session's dialogue that creates transfers.
type op int

const (
	opPassive            op = iota // PASV (EPSV on IPv6), transfer, 226
	opEPSV                         // EPSV, transfer, 226
	opActive                       // PORT (EPRT on IPv6), transfer, 226
	opEPRT                         // EPRT, transfer, 226
	opPassiveNoAnswer              // passive SYN + 2 retransmissions, no answer, 425
	opPassiveUnreachable           // passive SYN answered by ICMP unreachable, 425
	opActiveRefused                // active SYN answered by RST, 425
	opActiveNoAnswer               // active SYN + 2 retransmissions, no answer, 425
	opPortRejected                 // PORT/EPRT answered 500, then passive fallback
	opEPRTFallback                 // EPRT not understood (500), then PORT (IPv4)
	opEPSVFallback                 // EPSV not understood (500), then PASV (IPv4)
	opNotFoundPassive              // passive data connection established, RETR 550
	opNotFoundActive               // PORT/EPRT 200, RETR 550, no connection
	opPassiveNAT                   // 227 names the server's private address; the client connects to the control address
	numOps
)

var opNames = [numOps]string{"passive", "epsv", "active", "eprt", "passive-no-answer", "passive-unreachable",
	"active-refused", "active-no-answer", "port-rejected", "eprt-fallback", "epsv-fallback",
	"550-passive", "550-active", "passive-nat"}

func (o op) String() string { return opNames[o] }

// scenarios are the featured ops, one per session in turn, so that even a
// small capture holds every kind.
var scenarios = []op{opPassive, opEPSV, opActive, opEPRT, opPassiveNoAnswer, opPassiveUnreachable,
	opActiveRefused, opActiveNoAnswer, opPortRejected, opEPRTFallback, opEPSVFallback,
	opNotFoundPassive, opNotFoundActive, opPassiveNAT}

// session is one FTP control session and its data connections.
type session struct {
	s              *sim
	idx            int
	w              *pcapgen.Writer
	vlan, v6       bool
	client, server netip.AddrPort
	router         netip.Addr // sends ICMP unreachables
	ctl            *pcapgen.Conn
	pause          func(time.Duration)
	rtt            time.Duration
	rng            *rand.Rand
	co             *coroutine
	truth          []Transfer
	planned        int64 // bytes still expected (counted in sim.pending)
	ephem          uint16
	pasv           uint16
	buf            []byte
	ops            []op
	featured       op
	current        op    // the op being written, for the truth's Scenario
	jobs           []job // what each op moves, in order
}

func (s *sim) startSession() {
	i := s.started
	s.started++
	s.open++
	ss := &session{s: s, idx: i, rng: rand.New(rand.NewPCG(s.o.Seed+uint64(i)*0x51ed27, uint64(i)))}
	r := ss.rng
	// The first sessions cover every scenario in each family and framing;
	// later ones draw them.
	nsc := len(scenarios)
	if i < 3*nsc {
		ss.featured = scenarios[i%nsc]
		switch i / nsc {
		case 1:
			ss.v6 = true
		case 2:
			ss.vlan = true
			ss.v6 = i%2 == 0
		}
	} else {
		ss.featured = scenarios[r.IntN(nsc)]
		ss.v6 = r.IntN(4) == 0
		ss.vlan = r.IntN(6) == 0
	}
	ss.w = s.plain
	if ss.vlan {
		ss.w = s.vlan
	}
	// Distinct hosts per session: clients in 10/8 or 2001:db8:c1::/48,
	// servers in 172.16/12 or 2001:db8:5e::/48.
	n := uint32(i + 1)
	if ss.v6 {
		ss.client = netip.AddrPortFrom(v6addr(0x20010db8, 0x00c10000, n), uint16(32768+r.IntN(28000)))
		ss.server = netip.AddrPortFrom(v6addr(0x20010db8, 0x005e0000, n), 21)
		ss.router = netip.MustParseAddr("2001:db8:c1:ffff::1")
	} else {
		ss.client = netip.AddrPortFrom(v4addr(10<<24, n), uint16(32768+r.IntN(28000)))
		ss.server = netip.AddrPortFrom(v4addr(172<<24|16<<16, n), 21)
		ss.router = netip.AddrFrom4([4]byte{10, 255, 255, 254})
	}
	ss.ephem = ss.client.Port() + 1
	ss.pasv = uint16(30000 + r.IntN(20000))
	ss.rtt = time.Duration(500+r.IntN(30000)) * time.Microsecond
	// The session's ops: the featured one among 0-4 plain transfers.
	ss.ops = []op{ss.featured}
	for range r.IntN(5) {
		ss.ops = append(ss.ops, []op{opPassive, opPassive, opEPSV, opActive, opEPRT}[r.IntN(5)])
	}
	r.Shuffle(len(ss.ops), func(a, b int) { ss.ops[a], ss.ops[b] = ss.ops[b], ss.ops[a] })
	// The files each op moves, drawn now so that what the session will
	// write is known (the file's size and FTP share are aimed with it).
	ss.planned = 3000
	for _, o := range ss.ops {
		j := ss.pickJob()
		ss.jobs = append(ss.jobs, j)
		ss.planned += 1500
		if o.movesData() {
			ss.planned += int64(len(j.content)) * 1075 / 1000
		}
	}
	s.pending += ss.planned
	s.stats.Scenarios[ss.featured.String()]++
	s.stats.Sessions++
	s.all = append(s.all, ss)
	ss.ctl = s.newConn(ss.w, ss.client, ss.server)
	ss.co = newCoroutine(func(pause func(time.Duration)) {
		ss.pause = pause
		ss.script()
	})
	s.schedule(ss, s.now)
}

// movesData reports whether the op's transfer carries its file.
func (o op) movesData() bool {
	switch o {
	case opPassive, opEPSV, opActive, opEPRT, opPortRejected, opEPRTFallback, opEPSVFallback, opPassiveNAT:
		return true
	}
	return false
}

func (ss *session) step() (time.Duration, bool) {
	d, ok := ss.co.next()
	if ok {
		return d, false
	}
	s := ss.s
	s.open--
	s.pending -= ss.planned
	ss.planned = 0
	return 0, true
}

func v4addr(base uint32, n uint32) netip.Addr {
	// Skip host parts 0 and 255 in the last byte.
	v := base + (n/254)<<8 + n%254 + 1
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func v6addr(hi, mid uint32, n uint32) netip.Addr {
	var b [16]byte
	b[0], b[1], b[2], b[3] = byte(hi>>24), byte(hi>>16), byte(hi>>8), byte(hi)
	b[4], b[5], b[6], b[7] = byte(mid>>24), byte(mid>>16), byte(mid>>8), byte(mid)
	b[12], b[13], b[14], b[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return netip.AddrFrom16(b)
}

// written accounts bytes the session wrote against its plan.
func (ss *session) written(n int64) {
	k := min(n, ss.planned)
	ss.planned -= k
	ss.s.pending -= k
}

func (ss *session) put(p pcapgen.TCP) { ss.written(ss.s.seg(ss.w, ftpTraffic, p)) }

func (ss *session) connDo(c *pcapgen.Conn, npkt int, f func() error) {
	ss.written(ss.s.conn(ss.w, ftpTraffic, c, npkt, f))
}

// jitter returns d ± 25%.
func (ss *session) jitter(d time.Duration) time.Duration {
	return d*3/4 + time.Duration(ss.rng.Int64N(int64(d)/2+1))
}

// send writes one line (or lines) of the control dialogue from one side:
// usually one segment, sometimes split in two, sometimes in two segments
// written in reverse order, sometimes retransmitted.
func (ss *session) send(fromClient bool, text string) {
	b := append(ss.buf[:0], text...)
	b = append(b, "\r\n"...)
	ss.buf = b
	next := ss.ctl.NextServerSegment
	if fromClient {
		next = ss.ctl.NextClientSegment
	}
	r := ss.rng.Float64()
	switch {
	case len(b) >= 6 && r < 0.04: // out of order
		k := 1 + ss.rng.IntN(len(b)-2)
		a := next(b[:k])
		c := next(b[k:])
		ss.put(c)
		ss.pause(time.Duration(ss.rng.Int64N(int64(200 * time.Microsecond))))
		ss.put(a)
	case len(b) >= 6 && r < 0.08: // split in order
		k := 1 + ss.rng.IntN(len(b)-2)
		ss.put(next(b[:k]))
		ss.pause(time.Duration(ss.rng.Int64N(int64(2 * time.Millisecond))))
		ss.put(next(b[k:]))
	case r < 0.12: // retransmitted (the first copy's ACK was lost)
		a := next(b)
		ss.put(a)
		ss.pause(200*time.Millisecond + time.Duration(ss.rng.Int64N(int64(100*time.Millisecond))))
		ss.put(a)
	default:
		ss.put(next(b))
	}
}

// ack writes a bare ACK from one side of the control connection.
func (ss *session) ack(fromClient bool) {
	if fromClient {
		ss.put(ss.ctl.NextClientSegment(nil))
	} else {
		ss.put(ss.ctl.NextServerSegment(nil))
	}
}

// command sends a command; reply sends the server's answer and the
// client's ACK.
func (ss *session) command(text string) {
	ss.send(true, text)
	ss.pause(ss.jitter(ss.rtt))
}

func (ss *session) reply(text string) {
	ss.send(false, text)
	ss.pause(ss.jitter(ss.rtt / 4))
	ss.ack(true)
}

func (ss *session) exchange(cmd, rep string) {
	ss.command(cmd)
	ss.reply(rep)
	ss.pause(ss.jitter(ss.rtt / 2))
}

var greetings = []string{
	"220 (vsFTPd 3.0.5)",
	"220 ProFTPD Server (Debian) [::ffff:%s]",
	"220-Welcome to the archive.\r\n220-All transfers are logged.\r\n220 Pure-FTPd ready",
	"220 Microsoft FTP Service",
}

func (ss *session) script() {
	r := ss.rng
	ss.connDo(ss.ctl, 3, ss.ctl.Handshake)
	ss.pause(ss.jitter(ss.rtt))
	g := greetings[r.IntN(len(greetings))]
	if strings.Contains(g, "%s") {
		g = fmt.Sprintf(g, ss.server.Addr())
	}
	ss.send(false, g)
	ss.pause(ss.jitter(ss.rtt / 4))
	ss.ack(true)
	ss.pause(ss.jitter(20 * time.Millisecond))
	if r.IntN(2) == 0 {
		ss.exchange("USER anonymous", "331 Please specify the password.")
		ss.exchange("PASS guest@example.org", "230 Login successful.")
	} else {
		user := []string{"backup", "deploy", "alice", "etl"}[r.IntN(4)]
		ss.exchange("USER "+user, "331 Password required for "+user)
		ss.exchange("PASS s3cret-"+user, "230 User "+user+" logged in")
	}
	if r.IntN(2) == 0 {
		ss.exchange("SYST", "215 UNIX Type: L8")
		ss.exchange("FEAT", "211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End")
	}
	ss.exchange("PWD", `257 "/" is the current directory`)
	ss.exchange("TYPE I", "200 Switching to Binary mode.")
	if r.IntN(2) == 0 {
		ss.exchange("CWD pub/data", "250 Directory successfully changed.")
	}
	for _, o := range ss.ops {
		ss.do(o)
		ss.pause(ss.jitter(50 * time.Millisecond))
	}
	ss.exchange("QUIT", "221 Goodbye.")
	if r.IntN(3) == 0 {
		ss.connDo(ss.ctl, 3, func() error { return ss.ctl.CloseFrom(false) })
	} else {
		ss.connDo(ss.ctl, 3, ss.ctl.Close)
	}
}

func (ss *session) nextEphem() uint16 {
	ss.ephem++
	return ss.ephem
}

func (ss *session) nextPasv() uint16 {
	ss.pasv += uint16(1 + ss.rng.IntN(7))
	return ss.pasv
}

// record appends the truth of one transfer and returns its index.
func (ss *session) record(cmd, mode string, addr netip.AddrPort, state string, code int) int {
	a := ""
	if addr.IsValid() {
		a = addr.String()
	}
	ss.truth = append(ss.truth, Transfer{SessionClient: ss.client.String(), SessionServer: ss.server.String(),
		Command: cmd, Mode: mode, Address: a, DataState: state, ReplyCode: code,
		Scenario: ss.current.String(), VLAN: ss.vlan})
	return len(ss.truth) - 1
}

// passiveNeg negotiates a passive data connection (EPSV when ext or IPv6).
func (ss *session) passiveNeg(ext bool) (string, netip.AddrPort) {
	port := ss.nextPasv()
	addr := netip.AddrPortFrom(ss.server.Addr(), port)
	if ext || ss.v6 {
		rep := fmt.Sprintf("229 Entering Extended Passive Mode (|||%d|)", port)
		if ss.rng.IntN(3) == 0 {
			rep = fmt.Sprintf("229 Extended Passive Mode OK (|||%d|)", port)
		}
		ss.exchange("EPSV", rep)
		return "extended-passive", addr
	}
	a := ss.server.Addr().As4()
	nums := fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], port>>8, port&0xff)
	rep := "227 Entering Passive Mode (" + nums + ")."
	if ss.rng.IntN(4) == 0 {
		rep = "227 Entering Passive Mode " + nums
	}
	ss.exchange("PASV", rep)
	return "passive", addr
}

// passiveNAT: a server behind a NAT without an FTP helper advertises its
// private address in the 227; the client (as curl, lftp and FileZilla do)
// connects to the control connection's address with the advertised port.
func (ss *session) passiveNAT() {
	if ss.v6 {
		ss.passiveTransfer(ss.passiveNeg(true))
		return
	}
	port := ss.nextPasv()
	n := uint32(ss.idx + 1)
	priv := netip.AddrFrom4([4]byte{192, 168, byte(n >> 8), byte(n%254 + 1)})
	a := priv.As4()
	ss.exchange("PASV", fmt.Sprintf("227 Entering Passive Mode (%d,%d,%d,%d,%d,%d).", a[0], a[1], a[2], a[3], port>>8, port&0xff))
	j := ss.job()
	ss.record(j.cmd, "passive", netip.AddrPortFrom(priv, port), "established", 226)
	d := ss.dataOpen(netip.AddrPortFrom(ss.client.Addr(), ss.nextEphem()), netip.AddrPortFrom(ss.server.Addr(), port))
	ss.command(j.line())
	ss.reply(j.prelim)
	ss.dataStream(d, !j.fromSrv, j.content)
	ss.pause(ss.jitter(ss.rtt / 2))
	ss.reply(j.final)
}

// activeLine returns the PORT or EPRT command for the client's port.
func (ss *session) activeLine(ext bool, port uint16) (string, string) {
	if ext || ss.v6 {
		af := 1
		if ss.v6 {
			af = 2
		}
		return fmt.Sprintf("EPRT |%d|%s|%d|", af, ss.client.Addr(), port), "extended-active"
	}
	a := ss.client.Addr().As4()
	return fmt.Sprintf("PORT %d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], port>>8, port&0xff), "active"
}

// activeNeg negotiates an active data connection, accepted.
func (ss *session) activeNeg(ext bool) (string, netip.AddrPort) {
	port := ss.nextEphem()
	line, mode := ss.activeLine(ext, port)
	verb := line[:4]
	ss.exchange(line, "200 "+verb+" command successful. Consider using "+map[string]string{"PORT": "PASV", "EPRT": "EPSV"}[verb]+".")
	return mode, netip.AddrPortFrom(ss.client.Addr(), port)
}

// what a transfer moves.
type job struct {
	cmd, arg  string
	content   []byte
	fromSrv   bool // the server sends (RETR, LIST, NLST)
	prelim    string
	final     string
	dirListed bool
}

var names = []string{"report-2026-10.csv", "backup.tar.gz", "firmware-4.2.1.bin", "orders.xml", "access.log",
	"photos.zip", "README.txt", "db-dump.sql.gz", "invoice-1042.pdf", "ledger.csv"}

// job returns the next pre-drawn job.
func (ss *session) job() job {
	j := ss.jobs[0]
	ss.jobs = ss.jobs[1:]
	return j
}

func (ss *session) pickJob() job {
	r := ss.rng
	s := ss.s
	name := names[r.IntN(len(names))]
	text := strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".txt") || strings.HasSuffix(name, ".log") ||
		strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".sql")
	switch x := r.IntN(20); {
	case x < 3:
		l := ss.listing(10 + r.IntN(60))
		return job{cmd: "LIST", content: l, fromSrv: true, prelim: "150 Here comes the directory listing.", final: "226 Directory send OK."}
	case x < 5:
		var b strings.Builder
		for range 5 + r.IntN(40) {
			b.WriteString(names[r.IntN(len(names))])
			b.WriteString("\r\n")
		}
		return job{cmd: "NLST", content: []byte(b.String()), fromSrv: true, prelim: "150 Here comes the directory listing.", final: "226 Directory send OK."}
	case x < 8:
		n := s.fileSize()
		return job{cmd: "STOR", arg: "upload/" + name, content: s.payload(text, n), prelim: "150 Ok to send data.", final: "226 Transfer complete."}
	default:
		n := s.fileSize()
		return job{cmd: "RETR", arg: name, content: s.payload(text, n), fromSrv: true,
			prelim: fmt.Sprintf("150 Opening BINARY mode data connection for %s (%d bytes).", name, n), final: "226 Transfer complete."}
	}
}

func (ss *session) listing(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "-rw-r--r--    1 1001     1001     %10d Oct %2d 12:%02d %s.%d\r\n",
			ss.rng.IntN(1<<24), 1+i%28, i%60, names[ss.rng.IntN(len(names))], i)
	}
	return []byte(b.String())
}

func (j job) line() string {
	if j.arg == "" {
		return j.cmd
	}
	return j.cmd + " " + j.arg
}

// dataOpen writes a data connection's handshake.
func (ss *session) dataOpen(from, to netip.AddrPort) *pcapgen.Conn {
	d := ss.s.newConn(ss.w, from, to)
	ss.connDo(d, 3, d.Handshake)
	ss.pause(ss.jitter(ss.rtt / 2))
	return d
}

// dataStream writes content from the sender (the initiator or the
// acceptor) in bursts that grow like a congestion window, the receiver
// ACKing every second segment, then the sender's close.
func (ss *session) dataStream(d *pcapgen.Conn, fromInitiator bool, content []byte) {
	send, recv := d.NextServerSegment, d.NextClientSegment
	if fromInitiator {
		send, recv = d.NextClientSegment, d.NextServerSegment
	}
	cwnd := 10
	for len(content) > 0 {
		for i := 0; i < cwnd && len(content) > 0; i++ {
			k := min(len(content), mss)
			ss.put(send(content[:k]))
			content = content[k:]
			if i%2 == 1 || len(content) == 0 {
				ss.put(recv(nil))
			}
		}
		ss.pause(ss.jitter(ss.rtt))
		cwnd = min(2*cwnd, 64)
	}
	ss.connDo(d, 3, func() error { return d.CloseFrom(fromInitiator) })
}

// synFail writes a connection attempt that fails: "no-answer" (the SYN and
// two retransmissions after 1 and 3 s), "refused" (RST from the acceptor)
// or "unreachable" (ICMP from the client's router).
func (ss *session) synFail(from, to netip.AddrPort, how string) {
	syn := pcapgen.TCP{Src: from, Dst: to, Seq: ss.rng.Uint32(), Flags: pcapgen.SYN, Window: 64240}
	switch how {
	case "no-answer":
		ss.put(syn)
		ss.pause(time.Second)
		ss.put(syn)
		ss.pause(2 * time.Second)
		ss.put(syn)
		ss.pause(ss.jitter(500 * time.Millisecond))
	case "refused":
		ss.put(syn)
		ss.pause(ss.jitter(ss.rtt / 2))
		ss.put(pcapgen.TCP{Src: to, Dst: from, Ack: syn.Seq + 1, Flags: pcapgen.RST | pcapgen.ACK})
		ss.pause(ss.jitter(ss.rtt / 2))
	case "unreachable":
		ss.put(syn)
		ss.pause(ss.jitter(ss.rtt / 4))
		code := uint8(13) // communication administratively prohibited
		if ss.v6 {
			code = 1
		}
		if ss.rng.IntN(2) == 0 {
			code = 3 // port unreachable (ICMPv6: address unreachable)
		}
		ss.written(ss.s.icmp(ss.w, ss.router, syn, code))
		ss.pause(ss.jitter(ss.rtt / 2))
	}
}

// passiveTransfer runs a whole passive transfer on a negotiated address.
func (ss *session) passiveTransfer(mode string, addr netip.AddrPort) {
	j := ss.job()
	ss.record(j.cmd, mode, addr, "established", 226)
	from := netip.AddrPortFrom(ss.client.Addr(), ss.nextEphem())
	var d *pcapgen.Conn
	connectFirst := ss.rng.IntN(3) > 0 // as curl and most clients do
	if connectFirst {
		d = ss.dataOpen(from, addr)
	}
	ss.command(j.line())
	if !connectFirst {
		d = ss.dataOpen(from, addr)
	}
	ss.reply(j.prelim)
	ss.dataStream(d, !j.fromSrv, j.content)
	ss.pause(ss.jitter(ss.rtt / 2))
	ss.reply(j.final)
}

// activeTransfer runs a whole active transfer on a negotiated address.
func (ss *session) activeTransfer(mode string, addr netip.AddrPort) {
	j := ss.job()
	ss.record(j.cmd, mode, addr, "established", 226)
	ss.command(j.line())
	from := netip.AddrPortFrom(ss.server.Addr(), 20)
	d := ss.dataOpen(from, addr)
	ss.reply(j.prelim)
	ss.dataStream(d, j.fromSrv, j.content)
	ss.pause(ss.jitter(ss.rtt / 2))
	ss.reply(j.final)
}

func (ss *session) do(o op) {
	ss.current = o
	if !o.movesData() && o != opPassiveNoAnswer && o != opPassiveUnreachable && o != opActiveRefused && o != opActiveNoAnswer {
		ss.job() // drawn, not used
	}
	r := ss.rng
	switch o {
	case opPassive:
		ss.passiveTransfer(ss.passiveNeg(false))
	case opEPSV:
		ss.passiveTransfer(ss.passiveNeg(true))
	case opActive:
		ss.activeTransfer(ss.activeNeg(false))
	case opEPRT:
		ss.activeTransfer(ss.activeNeg(true))

	case opPassiveNoAnswer, opPassiveUnreachable:
		mode, addr := ss.passiveNeg(r.IntN(2) == 0)
		how := "no-answer"
		if o == opPassiveUnreachable {
			how = "unreachable"
		}
		j := ss.job()
		ss.record(j.cmd, mode, addr, how, 425)
		ss.synFail(netip.AddrPortFrom(ss.client.Addr(), ss.nextEphem()), addr, how)
		ss.command(j.line())
		ss.reply("425 Failed to establish connection.")
	case opActiveRefused, opActiveNoAnswer:
		mode, addr := ss.activeNeg(r.IntN(2) == 0)
		how := "refused"
		if o == opActiveNoAnswer {
			how = "no-answer"
		}
		j := ss.job()
		ss.record(j.cmd, mode, addr, how, 425)
		ss.command(j.line())
		ss.synFail(netip.AddrPortFrom(ss.server.Addr(), 20), addr, how)
		ss.reply([]string{"425 Failed to establish connection.", "425 Can't open data connection."}[r.IntN(2)])

	case opPortRejected:
		port := ss.nextEphem()
		line, mode := ss.activeLine(r.IntN(2) == 0, port)
		ss.record("", mode, netip.AddrPortFrom(ss.client.Addr(), port), "not-attempted", 0)
		ss.exchange(line, "500 Illegal "+line[:4]+" command.")
		ss.passiveTransfer(ss.passiveNeg(false))
	case opEPRTFallback:
		if ss.v6 { // no fallback from EPRT on IPv6: the featured failure is the refusal
			port := ss.nextEphem()
			line, mode := ss.activeLine(true, port)
			ss.record("", mode, netip.AddrPortFrom(ss.client.Addr(), port), "not-attempted", 0)
			ss.exchange(line, "522 Network protocol not supported, use (1)")
			ss.passiveTransfer(ss.passiveNeg(true))
			return
		}
		port := ss.nextEphem()
		line, mode := ss.activeLine(true, port)
		ss.record("", mode, netip.AddrPortFrom(ss.client.Addr(), port), "not-attempted", 0)
		ss.exchange(line, "500 'EPRT': command not understood")
		ss.activeTransfer(ss.activeNeg(false))
	case opEPSVFallback:
		ss.record("", "extended-passive", netip.AddrPort{}, "not-attempted", 0)
		ss.exchange("EPSV", "500 'EPSV': command not understood")
		if ss.v6 {
			ss.activeTransfer(ss.activeNeg(true))
		} else {
			ss.passiveTransfer(ss.passiveNeg(false))
		}

	case opNotFoundPassive:
		mode, addr := ss.passiveNeg(r.IntN(2) == 0)
		ss.record("RETR", mode, addr, "established", 550)
		d := ss.dataOpen(netip.AddrPortFrom(ss.client.Addr(), ss.nextEphem()), addr)
		ss.command("RETR missing-" + names[r.IntN(len(names))])
		ss.reply("550 Failed to open file.")
		ss.connDo(d, 3, func() error { return d.CloseFrom(false) })
	case opPassiveNAT:
		ss.passiveNAT()
	case opNotFoundActive:
		mode, addr := ss.activeNeg(r.IntN(2) == 0)
		ss.record("RETR", mode, addr, "not-attempted", 550)
		ss.command("RETR old/" + names[r.IntN(len(names))])
		ss.reply("550 Failed to open file.")
	}
}

// Scenarios returns the names of the scenarios sessions feature in turn
// (Transfer.Scenario); Options.MinSessions = 3*len(Scenarios()) gives each
// one on IPv4, on IPv6 and on VLAN-tagged frames.
func Scenarios() []string {
	out := make([]string, len(scenarios))
	for i, o := range scenarios {
		out[i] = o.String()
	}
	return out
}
