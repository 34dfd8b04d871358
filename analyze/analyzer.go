package analyze

import (
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/reassembly"
)

// Limits bound the memory an Analyzer uses, whatever the capture holds.
// When one is reached, what is dropped is counted in Result.Dropped.
type Limits struct {
	// MaxFlows bounds tracked TCP connections (control, candidate and data).
	MaxFlows int
	// MaxBufferedPerStream and MaxBufferedTotal bound out-of-order control
	// bytes held for reassembly.
	MaxBufferedPerStream int
	MaxBufferedTotal     int
	// MaxExpectedPerSession bounds the open negotiations waiting for a data
	// connection in one session (the oldest is dropped).
	MaxExpectedPerSession int
	// MaxTransfersPerSession bounds the transfers kept per session.
	MaxTransfersPerSession int
	// MaxLinesPerSession bounds the control lines kept for reports.
	MaxLinesPerSession int
	// IdleTimeout: data and candidate flows idle this long (capture time)
	// are forgotten; holes older than ReassemblyTimeout are skipped.
	IdleTimeout       time.Duration
	ReassemblyTimeout time.Duration
}

// DefaultLimits returns the limits sized for a laptop analysing a
// span-port capture: a fresh value each call, for the caller to change.
func DefaultLimits() Limits {
	return Limits{
		MaxFlows:               1 << 18,
		MaxBufferedPerStream:   reassembly.DefaultMaxBuffered,
		MaxBufferedTotal:       64 << 20,
		MaxExpectedPerSession:  64,
		MaxTransfersPerSession: 10000,
		MaxLinesPerSession:     2000,
		IdleTimeout:            10 * time.Minute,
		ReassemblyTimeout:      30 * time.Second,
	}
}

// Options configure an Analyzer.
type Options struct {
	// Point names the capture point; Inputs names its inputs (files).
	Point  string
	Inputs []string
	// Ports are extra control ports (21 always is one).
	Ports []uint16
	// ShowPasswords keeps PASS arguments instead of redacting them.
	ShowPasswords bool
	Limits        Limits
	// OnTransfer, when set, is called as soon as a transfer is decided (its
	// final reply seen), for reports that stream (live capture).
	OnTransfer func(*Session, *Transfer)
	// OnNegotiation, when set, is called when a negotiation's reply is
	// seen (its address, if any, known): what spans sessions (the two
	// sessions of an FXP) is known before either ends.
	OnNegotiation func(*Session, *Negotiation)
	// OnSessionDone, when set, receives each session once it is finished
	// (closed, or idle past the timeout, or at the end); the Analyzer then
	// forgets it, so memory does not grow with the number of sessions a
	// capture holds. Result.Sessions then holds none of them, and
	// Result.Released counts them. A session handed over is not changed
	// after: it may be read on another goroutine.
	OnSessionDone func(*Session)
	// OnSessionStart, when set, is called as each session begins (its
	// first control packet seen), for counting the sessions open.
	OnSessionStart func(*Session)
	// NextSession, when set, gives each new session its number n (its ID
	// is "Sn"); otherwise sessions are numbered 1, 2, … The analyzers of
	// the workers of one live capture point share one counter, so that
	// their sessions' IDs are unique in the merged report.
	NextSession func() int
}

// Dropped counts what limits made the analysis leave out.
type Dropped struct {
	Flows            uint64 // connections not tracked (flow table full)
	Expectations     uint64 // negotiations evicted before a data connection came
	Transfers        uint64 // transfers over MaxTransfersPerSession
	LongLines        uint64 // control lines cut at ftp.MaxLineLength
	ReassemblyForced uint64 // holes skipped because a buffer limit was reached
}

// Result is what an Analyzer found.
type Result struct {
	Point    string
	Inputs   []string
	Sessions []*Session
	Dropped  Dropped
	// Released counts the sessions and transfers handed to OnSessionDone.
	Released Released
	// Capture counts what the capture point read (set by the caller, who
	// owns the reader).
	Capture    capture.Stats
	Start, End time.Time
}

// flowKey identifies a TCP connection regardless of direction: the lower
// endpoint first.
type flowKey struct {
	a, b   [16]byte
	pa, pb uint16
}

func makeKey(src, dst netip.Addr, sp, dp uint16) (k flowKey, forward bool) {
	s, d := src.As16(), dst.As16()
	c := src.Compare(dst)
	if c < 0 || (c == 0 && sp <= dp) {
		return flowKey{s, d, sp, dp}, true
	}
	return flowKey{d, s, dp, sp}, false
}

// endpointKey identifies where a data connection is expected to arrive.
type endpointKey struct {
	addr [16]byte
	port uint16
}

func epKey(ap netip.AddrPort) endpointKey { return endpointKey{ap.Addr().As16(), ap.Port()} }

// hostPair identifies the two hosts of an encrypted session.
type hostPair struct{ a, b [16]byte }

func makePair(x, y netip.Addr) hostPair {
	a, b := x.As16(), y.As16()
	if x.Compare(y) > 0 {
		a, b = b, a
	}
	return hostPair{a, b}
}

type flowKind uint8

const (
	flowControl flowKind = iota + 1
	flowCandidate
	flowData
)

type flow struct {
	kind     flowKind
	ctl      *control
	cand     *candidate
	data     *DataConn
	neg      *Negotiation
	lastSeen time.Time
	closing  bool // closed: leaves the table with the next packet
}

// expectation is a negotiation waiting for its data connection.
type expectation struct {
	neg       *Negotiation
	matchedBy string
}

// Analyzer correlates FTP control sessions and data connections for one
// capture point. Feed it packets in capture order with Packet, then call
// Finish. It is not safe for concurrent use.
type Analyzer struct {
	opts     Options
	ctlPorts *[1 << 16]bool // control ports, indexed by port: no hashing per packet
	flows    flowTable
	expect   map[endpointKey][]expectation
	pairs    map[hostPair]*control // the latest session between two hosts
	// synISN finds sessions by their client's SYN: a second SYN with the
	// same sequence number to the same server port, on another address
	// pair, is the same connection seen on the other side of a NAT.
	synISN   map[isnKey]*Session
	budget   reassembly.Budget
	sessions []*Session
	controls []*control
	spare    []*control // let go, for reuse (newControlState)
	released Released
	nextID   int
	dropped  Dropped
	start    time.Time
	now      time.Time
	lastGC   time.Time
	nextGC   time.Time // lastGC plus gcInterval
	// linesAvg is about the average number of lines of the sessions let
	// go, linesHint the room a new session's lines start with (noteLines).
	linesAvg, linesHint int
	// texts interns control lines: servers repeat their replies ("226
	// Transfer complete") and clients their commands ("TYPE I"), so a
	// line seen before costs no allocation. Bounded by maxInterned.
	texts map[string]string
}

// Interning: lines up to maxInternLen bytes, at most maxInterned of them;
// when the table is full it starts afresh, so it follows what a capture
// repeats now and its memory stays under maxInterned*(maxInternLen+~50).
const (
	maxInternLen = 64
	maxInterned  = 4096
)

// lineText returns line as a string, shared with an earlier identical line
// when there was one.
func (a *Analyzer) lineText(line []byte) string {
	if len(line) > maxInternLen {
		return string(line)
	}
	if s, ok := a.texts[string(line)]; ok {
		return s
	}
	if a.texts == nil || len(a.texts) >= maxInterned {
		a.texts = make(map[string]string, 256)
	}
	s := string(line)
	a.texts[s] = s
	return s
}

// New returns an Analyzer.
func New(opts Options) *Analyzer {
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	a := &Analyzer{
		opts:     opts,
		ctlPorts: new([1 << 16]bool),
		flows:    newFlowTable(),
		expect:   make(map[endpointKey][]expectation),
		pairs:    make(map[hostPair]*control),
		synISN:   make(map[isnKey]*Session),
	}
	a.budget.Max = opts.Limits.MaxBufferedTotal
	for _, p := range opts.Ports {
		a.ctlPorts[p] = true
	}
	a.ctlPorts[21] = true
	return a
}

// isnKey identifies a control connection's client SYN.
type isnKey struct {
	isn        uint32
	serverPort uint16
}

// twinWindow is how far apart the two copies of one SYN can be seen.
const twinWindow = 2 * time.Second

// closedLinger is how long a closed control connection's negotiations still
// wait for data connections (a data connection can trail the control one).
const closedLinger = time.Minute

// implicitTLSPort is FTPS with TLS from the first byte (not in RFC 4217,
// but registered and in use).
const implicitTLSPort = 990

// Packet processes one decoded packet. Its payload is not kept.
func (a *Analyzer) Packet(p *capture.Packet) {
	if a.start.IsZero() {
		a.start = p.Time
	}
	if p.Time.After(a.now) {
		a.now = p.Time
	}
	switch p.Kind {
	case capture.TCP:
		a.tcp(p)
	case capture.ICMPUnreachable:
		a.icmp(p)
	}
	// A comparison, not a subtraction: this runs for every packet.
	if a.now.After(a.nextGC) {
		a.gc()
	}
}

func (a *Analyzer) tcp(p *capture.Packet) {
	if a.flows.maybe(p.SrcPort, p.DstPort) && a.tracked(p) {
		return
	}
	a.untracked(p)
}

// tracked hands a segment of a tracked connection to its control, data or
// candidate flow, and reports false when the connection is not tracked.
func (a *Analyzer) tracked(p *capture.Packet) bool {
	key, fwd := makeKey(p.Src, p.Dst, p.SrcPort, p.DstPort)
	if f := a.flows.get(key); f != nil {
		f.lastSeen = p.Time
		switch f.kind {
		case flowControl:
			f.ctl.segment(p, fwd == f.ctl.clientIsA)
			if s := f.ctl.sess; s.Closed == "rst" || s.Closed == "fin" && f.closing {
				a.sessionClosed(f.ctl)
			} else if s.Closed == "fin" {
				f.closing = true // released with the last ACK, the next packet
			}
		case flowData:
			a.dataSegment(f, p)
			if f.data.closed() {
				// The last data connection of a session whose control
				// connection closed first: the session is over now, not
				// at the next periodic clean-up (which a quiet link may
				// never bring).
				released := false
				if c := a.controlOfData(f.data); c != nil && c.sess.Closed != "" {
					released = a.sessionClosed(c)
				}
				// Both FINs or an RST: the connection is over, and once the
				// last ACK is in (the next packet), it leaves the table;
				// its record stays with its negotiation. A session let go
				// is no longer touched: its last ACK goes untracked (the
				// session may be being written on another goroutine).
				if f.closing || f.data.RST.Valid() || released {
					a.flows.del(key)
				}
				f.closing = true
			}
		case flowCandidate:
			a.candidateSegment(f, key, p, fwd)
		}
		return true
	}
	return false
}

// untracked looks at a segment of a connection not tracked: a SYN may open
// an expected data connection or a control connection, data from port 20
// may belong to a session's hosts, and a greeting may start FTP on another
// port. Anything else (nearly every segment of a capture) costs these few
// comparisons.
func (a *Analyzer) untracked(p *capture.Packet) {
	syn := p.Flags&capture.SYN != 0
	dstCtl, srcCtl := a.ctlPorts[p.DstPort], a.ctlPorts[p.SrcPort]
	port20 := (p.SrcPort == 20 || p.DstPort == 20) && len(p.Payload) > 0
	greeting := len(p.Payload) >= 4 && isGreeting(p.Payload)
	if !syn && !dstCtl && !srcCtl && p.DstPort != implicitTLSPort && p.SrcPort != implicitTLSPort && !port20 && !greeting {
		return
	}
	key, fwd := makeKey(p.Src, p.Dst, p.SrcPort, p.DstPort)
	if p.Flags&(capture.SYN|capture.ACK) == capture.SYN {
		if a.matchSYN(key, p) {
			return
		}
	} else if port20 && a.matchHostPair(key, p) {
		return
	}
	if (dstCtl || srcCtl) && len(p.Payload) == 0 && p.Flags&capture.SYN == 0 {
		// A bare ACK, FIN or RST starts nothing: it is usually the tail of
		// a connection already finished (the last ACK after both FINs).
		return
	}
	switch {
	case dstCtl || (p.DstPort == implicitTLSPort && p.Flags&capture.SYN != 0):
		a.newControl(key, fwd, p, true, "port")
	case srcCtl || (p.SrcPort == implicitTLSPort && p.Flags&capture.SYN != 0):
		a.newControl(key, fwd, p, false, "port")
	case p.DstPort == implicitTLSPort || p.SrcPort == implicitTLSPort:
		a.newControl(key, fwd, p, p.DstPort == implicitTLSPort, "port")
	case greeting:
		a.newCandidate(key, fwd, p)
	}
}

// isGreeting recognises a server's first reply: "220" or "120" followed by
// a space or hyphen (RFC 959 section 5.4: connection establishment).
func isGreeting(b []byte) bool {
	return (b[0] == '2' && b[1] == '2' && b[2] == '0' || b[0] == '1' && b[1] == '2' && b[2] == '0') &&
		(b[3] == ' ' || b[3] == '-')
}

func (a *Analyzer) addFlow(key flowKey, f *flow) bool {
	if a.flows.len() >= a.opts.Limits.MaxFlows {
		// A full table is cleaned at most once a second of capture time:
		// under a flood, cleaning on every packet would cost a pass over
		// the whole table per packet.
		if a.now.Sub(a.lastGC) >= time.Second {
			a.gc()
		}
		if a.flows.len() >= a.opts.Limits.MaxFlows {
			a.dropped.Flows++
			return false
		}
	}
	a.flows.put(key, f)
	return true
}

// gcInterval is how often, in capture time, idle flows are looked for.
const gcInterval = 10 * time.Second

// gc forgets idle data and candidate flows and skips old reassembly holes.
func (a *Analyzer) gc() {
	a.lastGC = a.now
	a.nextGC = a.now.Add(gcInterval)
	idle := a.now.Add(-a.opts.Limits.IdleTimeout)
	closedIdle := a.now.Add(-closedLinger)
	for k, f := range a.flows.m {
		switch {
		case f.kind != flowControl:
			if f.lastSeen.Before(idle) {
				a.flows.del(k)
			}
		case f.lastSeen.Before(idle), f.ctl.sess.Closed != "" && f.lastSeen.Before(closedIdle):
			// An idle or closed control connection is finished: its session
			// stays in the result, its buffers go. A later packet with the
			// same addresses and ports starts a new session.
			f.ctl.finish()
			a.flows.del(k)
		}
	}
	a.gcExpectations(a.now.Add(-closedLinger))
	for k, s := range a.synISN {
		if s.Start.Before(a.now.Add(-twinWindow)) {
			delete(a.synISN, k)
		}
	}
	old := a.now.Add(-a.opts.Limits.ReassemblyTimeout)
	live := a.controls[:0]
	for _, c := range a.controls {
		if !c.done {
			c.flushOlderThan(old)
			live = append(live, c)
		} else if len(c.open) > 0 {
			live = append(live, c) // its expectations still wait for data connections
		}
	}
	clear(a.controls[len(live):])
	a.controls = live
	a.releaseFinished()
}

// Finish ends the analysis: holes still waiting are skipped, open replies
// closed, and every session returned.
func (a *Analyzer) Finish() *Result {
	for _, c := range a.controls {
		c.finish()
	}
	if a.opts.OnSessionDone != nil {
		for _, s := range a.sessions {
			a.release(s)
		}
		a.sessions = nil
	}
	for _, s := range a.sessions {
		if s.Side == "" {
			s.Side, s.SideWhy = InferSide(a.opts.Point, s)
		}
	}
	r := &Result{Point: a.opts.Point, Inputs: a.opts.Inputs, Sessions: a.sessions, Dropped: a.dropped, Start: a.start, End: a.now}
	r.Released = a.released
	return r
}

// Released counts what was handed to OnSessionDone.
type Released struct {
	Sessions, Transfers int
}

// release hands a finished session to OnSessionDone.
func (a *Analyzer) release(s *Session) {
	if s.Side == "" {
		s.Side, s.SideWhy = InferSide(a.opts.Point, s)
	}
	// The host pair must not keep the released session alive.
	if pk := makePair(s.Client.Addr(), s.Server.Addr()); a.pairs[pk] != nil && a.pairs[pk].sess == s {
		delete(a.pairs, pk)
	}
	a.released.Sessions++
	a.released.Transfers += len(s.Transfers)
	s.released = true
	a.noteLines(s)
	a.opts.OnSessionDone(s)
}

// sessionClosed releases a session as soon as its control connection has
// closed, when streaming (OnSessionDone) and none of its data connections
// is still carrying data: memory then follows the sessions open at once
// even in a capture too short for idle timeouts. A session with a transfer
// still running is left to the periodic clean-up.
func (a *Analyzer) sessionClosed(c *control) (released bool) {
	if a.opts.OnSessionDone == nil || c.done {
		return false
	}
	for _, t := range c.sess.Transfers {
		if dc := t.Data(); dc != nil && dc.State() == Established && !dc.closed() {
			return false
		}
	}
	c.finish()
	for _, n := range c.open {
		a.forget(n)
	}
	c.open = nil
	a.flows.del(c.key)
	// Nor are its data connections tracked further: once let go, the
	// session may be written on another goroutine, and a late segment
	// (the last ACK, a SYN retry) must not change it.
	for _, t := range c.sess.Transfers {
		if dc := t.Data(); dc != nil {
			if k, _ := makeKey(dc.Src.Addr(), dc.Dst.Addr(), dc.Src.Port(), dc.Dst.Port()); a.flows.get(k) != nil && a.flows.get(k).data == dc {
				a.flows.del(k)
			}
		}
	}
	for i, x := range a.controls {
		if x == c {
			a.controls = append(a.controls[:i], a.controls[i+1:]...)
			break
		}
	}
	for i, s := range a.sessions {
		if s == c.sess {
			a.sessions = append(a.sessions[:i], a.sessions[i+1:]...)
			break
		}
	}
	a.release(c.sess)
	a.recycle(c)
	return true
}

// controlOfData finds the control connection whose session holds dc,
// through the latest session of dc's host pair (a data connection from
// another address than its control connection's is left to the periodic
// clean-up). Called only as a data connection closes.
func (a *Analyzer) controlOfData(dc *DataConn) *control {
	c := a.pairs[makePair(dc.Src.Addr(), dc.Dst.Addr())]
	if c == nil {
		return nil
	}
	for _, t := range c.sess.Transfers {
		if t.Data() == dc {
			return c
		}
	}
	return nil
}

// releaseFinished releases the sessions whose control connection is done
// and whose negotiations no longer wait for data connections.
func (a *Analyzer) releaseFinished() {
	if a.opts.OnSessionDone == nil {
		return
	}
	waiting := map[*Session]bool{}
	for _, c := range a.controls {
		waiting[c.sess] = true
	}
	kept := a.sessions[:0]
	for _, s := range a.sessions {
		if waiting[s] {
			kept = append(kept, s)
		} else {
			a.release(s)
		}
	}
	clear(a.sessions[len(kept):])
	a.sessions = kept
}
