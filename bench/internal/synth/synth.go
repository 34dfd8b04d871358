// Package synth writes a large synthetic capture for ftpsniff's benchmarks:
// many FTP sessions of every mode (PASV, EPSV, PORT, EPRT; IPv4 and IPv6;
// some on 802.1Q-tagged frames) with their data connections and failures of
// each kind, inside unrelated bulk TCP traffic, with the ground truth of
// every transfer ftpsniff should report.
//
// The capture is a classic pcap (microsecond timestamps, Ethernet) written
// with the project's internal/pcapgen. It is a discrete-event simulation:
// every FTP session and every bulk flow is an actor that writes a few
// packets, then sleeps; the scheduler wakes the earliest one, so sessions
// interleave in time and several are open at once, and timestamps strictly
// increase through the file. Each FTP session is a sequential script run as
// a coroutine (iter.Pull).
//
// The output depends only on Options: the same seed gives the same bytes.
package synth

import (
	"bufio"
	"container/heap"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

// Options describe the capture to write.
type Options struct {
	// Size is the target size of the file in bytes. New sessions and bulk
	// flows stop once it is reached (counting what open sessions still
	// have to send), then open sessions finish: the file ends a little
	// above or below Size.
	Size int64
	// Seed chooses everything random.
	Seed uint64
	// FTPShare is the target share of the file's bytes that belong to FTP
	// (control and data connections); 0 means 0.07. Bulk traffic slows
	// down while FTP is behind it.
	FTPShare float64
	// MinSessions: at least this many FTP sessions are written, whatever
	// Size says (small captures for tests); 0 means one per scenario.
	MinSessions int
	// MaxFile is the largest file a transfer carries; 0 means 512 KiB.
	// Sizes are log-uniform between 200 bytes and MaxFile.
	MaxFile int
	// Concurrency is how many FTP sessions may be open at once; 0 means 32.
	Concurrency int
	// BulkFlows is how many bulk flows run at once; 0 means 6.
	BulkFlows int
	// Start is the first packet's time; zero means 2026-11-02 08:00 UTC.
	Start time.Time
}

// Transfer is one transfer record ftpsniff should report, with the fields
// its JSON transfer records carry (the session's client and server come
// from the session record the transfer names).
type Transfer struct {
	SessionClient string `json:"session_client"`
	SessionServer string `json:"session_server"`
	// Command is the data command (RETR, STOR, LIST, NLST), empty for a
	// negotiation no command used.
	Command string `json:"command"`
	// Mode: passive, extended-passive, active, extended-active.
	Mode string `json:"mode"`
	// Address is the negotiated endpoint (for EPSV the server's control
	// address with the 229 port).
	Address string `json:"address"`
	// DataState: established, no-answer, refused, unreachable, not-attempted.
	DataState string `json:"data_state"`
	// ReplyCode is the final reply to the command (0: none, as for a
	// negotiation no command used).
	ReplyCode int `json:"reply_code"`
	// Scenario names the op of the session script that wrote it, and VLAN
	// says whether the session's frames are 802.1Q-tagged: not ftpsniff
	// fields, for reading disagreements (bench/gen -annotate writes them).
	Scenario string `json:"-"`
	VLAN     bool   `json:"-"`
}

// Stats count what was written.
type Stats struct {
	Bytes       int64 // file size
	Packets     int64
	FTPBytes    int64 // records of FTP control and data connections (headers included)
	FTPPackets  int64
	BulkBytes   int64
	BulkPackets int64
	Sessions    int
	Transfers   int
	BulkFlows   int
	Duration    time.Duration // capture time from first to last packet
	Scenarios   map[string]int
}

// Result is the ground truth and the counts.
type Result struct {
	Transfers []Transfer
	Stats     Stats
}

// Generate writes the capture to w and returns its ground truth.
func Generate(w io.Writer, o Options) (*Result, error) {
	if o.FTPShare <= 0 {
		o.FTPShare = 0.07
	}
	if o.MinSessions == 0 {
		o.MinSessions = len(scenarios)
	}
	if o.MaxFile <= 0 {
		o.MaxFile = 512 << 10
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	if o.BulkFlows <= 0 {
		o.BulkFlows = 6
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.Truncate(time.Microsecond)
	s := &sim{o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	s.stats.Scenarios = map[string]int{}
	if err := s.init(w); err != nil {
		return nil, err
	}
	s.run()
	if err := s.close(); err != nil {
		return nil, err
	}
	res := &Result{Stats: s.stats}
	for _, ss := range s.all {
		res.Transfers = append(res.Transfers, ss.truth...)
	}
	res.Stats.Transfers = len(res.Transfers)
	return res, nil
}

// Record sizes: pcap record header, Ethernet, 802.1Q tag, IP, TCP.
const (
	recordHeader = 16
	etherHeader  = 14
	vlanTag      = 4
	tcpHeader    = 20
	fileHeader   = 24
	mss          = 1448
)

func recordLen(v6, vlan bool, payload int) int64 {
	n := recordHeader + etherHeader + tcpHeader + payload
	if vlan {
		n += vlanTag
	}
	if v6 {
		n += 40
	} else {
		n += 20
	}
	return int64(n)
}

// actor is a session or a bulk flow: step writes a few packets and says how
// long to sleep before the next step (done: never again).
type actor interface {
	step() (sleep time.Duration, done bool)
}

type event struct {
	at  time.Time
	seq uint64 // ties broken by scheduling order: deterministic
	a   actor
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if !e[i].at.Equal(e[j].at) {
		return e[i].at.Before(e[j].at)
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// sink lets a second pcapgen.Writer (VLAN-tagged frames) share the file:
// its own file header goes to io.Discard, then its records go where the
// first writer's do.
type sink struct{ w io.Writer }

func (k *sink) Write(b []byte) (int, error) { return k.w.Write(b) }

type sim struct {
	o     Options
	rng   *rand.Rand
	out   *bufio.Writer
	plain *pcapgen.Writer // untagged Ethernet
	vlan  *pcapgen.Writer // 802.1Q, VLAN 120
	cur   *pcapgen.Writer // the writer whose buffer holds the latest records
	err   error

	q     events
	seq   uint64
	now   time.Time // earliest time for the running actor's next packet
	last  time.Time // time of the last packet written
	first time.Time

	stats   Stats
	pending int64 // bytes open sessions still plan to write

	open       int // FTP sessions running
	started    int
	bulkOpen   int
	bulkSerial int
	all        []*session // every session, in start order
	blob       []byte     // random bytes: binary files, TLS records
	text       []byte     // text: .txt/.csv files
	winding    bool       // size reached: no new sessions or bulk flows
}

func (s *sim) init(w io.Writer) error {
	s.out = bufio.NewWriterSize(w, 1<<20)
	var err error
	s.plain, err = pcapgen.NewWriter(s.out, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		return err
	}
	k := &sink{w: io.Discard}
	s.vlan, err = pcapgen.NewWriter(k, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.EthernetVLAN, VLAN: 120})
	if err != nil {
		return err
	}
	if err := s.vlan.Flush(); err != nil { // its file header, discarded
		return err
	}
	k.w = s.out
	s.stats.Bytes = fileHeader
	s.now, s.last, s.first = s.o.Start, s.o.Start.Add(-time.Microsecond), s.o.Start

	s.blob = make([]byte, 8<<20)
	for i := 0; i+8 <= len(s.blob); i += 8 {
		v := s.rng.Uint64()
		for j := range 8 {
			s.blob[i+j] = byte(v >> (8 * j))
		}
	}
	s.text = makeText(s.rng, 1<<20)
	return nil
}

func (s *sim) close() error {
	if s.cur != nil {
		if err := s.cur.Flush(); err != nil && s.err == nil {
			s.err = err
		}
	}
	if err := s.plain.Close(); err != nil && s.err == nil {
		s.err = err
	}
	if err := s.vlan.Close(); err != nil && s.err == nil {
		s.err = err
	}
	if err := s.out.Flush(); err != nil && s.err == nil {
		s.err = err
	}
	s.stats.Duration = s.last.Sub(s.first)
	return s.err
}

func (s *sim) schedule(a actor, at time.Time) {
	s.seq++
	heap.Push(&s.q, event{at: at, seq: s.seq, a: a})
}

// full reports whether the file has reached its size, counting what open
// sessions still plan to write.
func (s *sim) full() bool {
	return s.stats.Bytes+s.pending >= s.o.Size && s.started >= s.o.MinSessions
}

// ftpBehind reports whether FTP's share of the bytes is below target.
func (s *sim) ftpBehind() bool {
	return float64(s.stats.FTPBytes+s.pending) < s.o.FTPShare*float64(s.stats.Bytes+s.pending)
}

func (s *sim) run() {
	heap.Init(&s.q)
	for range s.o.BulkFlows {
		s.startBulk()
	}
	s.schedule(starter{s}, s.o.Start)
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(event)
		s.now = e.at
		if !s.now.After(s.last) {
			s.now = s.last.Add(time.Microsecond)
		}
		sleep, done := e.a.step()
		if !done {
			s.schedule(e.a, s.now.Add(sleep))
		}
	}
}

// starter opens FTP sessions while FTP is behind its share and there is
// room, until the file is full.
type starter struct{ s *sim }

func (st starter) step() (time.Duration, bool) {
	s := st.s
	if s.err != nil {
		return 0, true
	}
	if s.full() {
		s.winding = true
		return 0, true
	}
	for s.open < s.o.Concurrency && (s.ftpBehind() || s.started < s.o.MinSessions && s.open < s.o.Concurrency/2+1) {
		s.startSession()
	}
	return time.Duration(200+s.rng.IntN(800)) * time.Microsecond, false
}

// at returns the time of the next packet: the running actor's clock, and
// always at least a microsecond after the previous packet.
func (s *sim) at() time.Time {
	t := s.now.Truncate(time.Microsecond) // the file keeps microseconds
	if !t.After(s.last) {
		t = s.last.Add(time.Microsecond)
	}
	s.last = t
	return t
}

// use makes w the writer of the next records: the other one's buffer is
// flushed first, so that records stay in time order in the file.
func (s *sim) use(w *pcapgen.Writer) {
	if s.cur == w {
		return
	}
	if s.cur != nil {
		if err := s.cur.Flush(); err != nil && s.err == nil {
			s.err = err
		}
	}
	s.cur = w
}

// counter says which traffic a record belongs to.
type counter uint8

const (
	ftpTraffic counter = iota
	bulkTraffic
)

func (s *sim) count(c counter, n int64, packets int64) {
	s.stats.Bytes += n
	s.stats.Packets += packets
	switch c {
	case ftpTraffic:
		s.stats.FTPBytes += n
		s.stats.FTPPackets += packets
	case bulkTraffic:
		s.stats.BulkBytes += n
		s.stats.BulkPackets += packets
	}
}

// seg writes one segment built by the caller, stamped now, and returns the
// bytes it added to the file.
func (s *sim) seg(w *pcapgen.Writer, c counter, p pcapgen.TCP) int64 {
	if s.err != nil {
		return 0
	}
	p.Time = s.at()
	s.use(w)
	if err := w.WriteTCP(p); err != nil {
		s.err = err
		return 0
	}
	n := recordLen(!p.Src.Addr().Is4(), w == s.vlan, len(p.Payload))
	s.count(c, n, 1)
	return n
}

// conn runs one of pcapgen.Conn's multi-packet methods (Handshake,
// CloseFrom, Reset) stamped from now, npkt packets without payload one
// microsecond apart, and returns the bytes added.
func (s *sim) conn(w *pcapgen.Writer, c counter, cn *pcapgen.Conn, npkt int, f func() error) int64 {
	if s.err != nil {
		return 0
	}
	t := s.at()
	cn.Advance(t.Sub(cn.Now()))
	s.use(w)
	if err := f(); err != nil {
		s.err = err
		return 0
	}
	s.last = cn.Now().Add(-cn.Step)
	n := int64(npkt) * recordLen(!cn.ClientAddr().Addr().Is4(), w == s.vlan, 0)
	s.count(c, n, int64(npkt))
	return n
}

// icmp writes an ICMP (or ICMPv6) destination unreachable from router about
// the segment quoted.
func (s *sim) icmp(w *pcapgen.Writer, router netip.Addr, quoted pcapgen.TCP, code uint8) int64 {
	if s.err != nil {
		return 0
	}
	t := s.at()
	s.use(w)
	if err := w.WriteICMPUnreachable(t, router, quoted, code); err != nil {
		s.err = err
		return 0
	}
	// ICMP header (8) quoting the IP header and 8 bytes of TCP.
	n := recordHeader + etherHeader + 8 + 8 + 2*20
	if !router.Is4() {
		n += 2 * 20
	}
	if w == s.vlan {
		n += vlanTag
	}
	s.count(ftpTraffic, int64(n), 1)
	return int64(n)
}

func (s *sim) newConn(w *pcapgen.Writer, client, server netip.AddrPort) *pcapgen.Conn {
	c := w.NewConn(client, server, s.now)
	c.Step = time.Microsecond
	c.SetISN(s.rng.Uint32(), s.rng.Uint32())
	c.Window = uint16(29200 + s.rng.IntN(36000))
	return c
}

// fileSize is log-uniform between 200 bytes and MaxFile.
func (s *sim) fileSize() int {
	lo, hi := math.Log(200), math.Log(float64(s.o.MaxFile))
	return int(math.Exp(lo + s.rng.Float64()*(hi-lo)))
}

// payload returns n bytes of blob or text starting at a random offset
// (wrapping is avoided by choosing the offset).
func (s *sim) payload(text bool, n int) []byte {
	src := s.blob
	if text {
		src = s.text
	}
	if n > len(src) {
		n = len(src)
	}
	off := s.rng.IntN(len(src) - n + 1)
	return src[off : off+n]
}

// coroutine adapts a sequential script to actor: each pause yields. A
// script always runs to its end (after an error nothing is written and
// pauses still return), so its coroutine is never left suspended.
type coroutine struct {
	next func() (time.Duration, bool)
}

func newCoroutine(script func(pause func(time.Duration))) *coroutine {
	seq := func(yield func(time.Duration) bool) {
		script(func(d time.Duration) { yield(d) })
	}
	next, _ := iter.Pull(iter.Seq[time.Duration](seq))
	return &coroutine{next: next}
}
