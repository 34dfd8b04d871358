package analyze

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze/ftp"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/reassembly"
)

const (
	toServer = 0 // client -> server direction
	toClient = 1 // server -> client direction

	// maxPendingCommands bounds the commands waiting for a reply (Zeek uses
	// 20; pipelining clients send a handful).
	maxPendingCommands = 64
)

// pending is a command waiting for its reply.
type pending struct {
	verb     string
	arg      string
	at       Ref
	end      uint32 // sequence number just past the command's line
	acked    Ref    // the server's first ACK covering the line
	neg      *Negotiation
	transfer *Transfer
	auth     bool // AUTH TLS/SSL: a 234 makes the channel encrypted
}

// lineState frames one direction's bytes into lines.
type lineState struct {
	buf      []byte
	start    Ref // frame of the line's first byte
	startSeq uint32
	end      Ref  // frame of its last byte so far
	overlong bool // the line passed ftp.MaxLineLength and is being cut
	skipping bool // after a hole: drop bytes up to the next line end
}

// tlsState follows TLS record boundaries in one direction, so that clear
// text returning after CCC is recognised at a record boundary and never in
// the middle of ciphertext.
type tlsState struct {
	on     bool
	hdr    [5]byte
	nhdr   int
	remain int
}

// control is one FTP control connection being analysed.
type control struct {
	a         *Analyzer
	sess      *Session
	key       flowKey
	clientIsA bool
	halves    [2]reassembly.Half
	lines     [2]lineState
	tls       [2]tlsState
	replies   ftp.ReplyReader
	replyAt   Ref
	queue     []pending    // by value, oldest first, in one array reused (dropCommands)
	lastNeg   *Negotiation // the latest negotiation no command has used yet
	open      []*Negotiation
	lastAck   [2]uint32
	ackSeen   [2]bool
	flights   [2]flight // per direction: sent against acknowledged
	// inEffect is the negotiation of a transfer the server refused before
	// any data connection: it still serves the next transfer command
	// (RFC 959), unless a new negotiation comes first.
	inEffect  *Negotiation
	scratch   []byte
	done      bool
	cut       bool   // the line being handled was cut by a capture gap
	lineSeq   uint32 // sequence number of the line being handled
	awaitNext *Negotiation
	replyCut  bool // a line of the reply being assembled was cut
	replySeq  uint32
	lineEnd   uint32  // sequence number just past the line being handled
	isnSeen   [2]bool // ClientISN, ServerISN set
	lostSeen  [2]bool // a Hole recorded for the direction
	// firstGap is the segment after the connection's first hole, whether
	// or not the receiver had acknowledged it then.
	firstGap Ref
	// replyResync: a hole fell inside the open multi-line reply, so a line
	// opening a reply with another code closes it instead of joining it.
	replyResync bool
}

// minSilence is how long a receiver that got bytes stays silent at most
// (a delayed acknowledgement waits up to 500 ms): longer, and it did not
// get them.
const minSilence = time.Second

// maxInFlight is the most bytes a control connection has in flight: more
// missing at once is a mangled capture, not a loss on the path.
const maxInFlight = 64 << 10

// maxRewrites bounds the rewrites kept per session.
const maxRewrites = 8

// rewrite records two differing copies of the same bytes.
func (c *control) rewrite(dir int, m reassembly.Mismatch) {
	s := c.sess
	if len(s.Rewrites) >= maxRewrites {
		return
	}
	rw := Rewrite{FromClient: dir == toServer, Seq: m.Seq, Kept: cleanText(m.Delivered), Other: cleanText(m.Dropped),
		OtherAt: Ref{Input: m.DroppedMeta.Input, Frame: m.DroppedMeta.Frame, Time: StampOf(m.DroppedMeta.Time)}}
	if m.DeliveredMetaKnown {
		rw.KeptAt = Ref{Input: m.DeliveredMeta.Input, Frame: m.DeliveredMeta.Frame, Time: StampOf(m.DeliveredMeta.Time)}
	}
	s.Rewrites = append(s.Rewrites, rw)
}

// cleanText is bytes from the wire as one line of text: line ends dropped,
// control characters escaped.
func cleanText(b []byte) string {
	return string(ftp.CleanLine(nil, bytes.TrimRight(b, "\r\n")))
}

// lineStart is the start of b up to its first line end, as text, at most
// 80 bytes.
func lineStart(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > 80 {
		b = b[:80]
	}
	return cleanText(b)
}

func ref(p *capture.Packet) Ref { return Ref{Input: p.Input, Frame: p.Frame, Time: StampOf(p.Time)} }

func (a *Analyzer) newControl(key flowKey, fwd bool, p *capture.Packet, dstIsServer bool, by string) *control {
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	c := a.newControlState(key)
	if a.opts.NextSession != nil {
		a.nextID = a.opts.NextSession()
	} else {
		a.nextID++
	}
	s := &Session{ID: "S" + strconv.Itoa(a.nextID), Start: p.Time, End: p.Time, First: ref(p), DetectedBy: by}
	if dstIsServer {
		s.Client, s.Server = src, dst
		c.clientIsA = fwd
	} else {
		s.Client, s.Server = dst, src
		c.clientIsA = !fwd
	}
	s.MidStream = p.Flags&(capture.SYN|capture.ACK) != capture.SYN
	c.sess = s
	if !s.MidStream && dstIsServer {
		k := isnKey{p.Seq, s.Server.Port()}
		if t := a.synISN[k]; t != nil && t.Twin == nil && p.Time.Sub(t.Start) < twinWindow && oneSideTranslated(t, s) {
			s.Twin = t
			if !t.released {
				t.Twin = s
			}
		} else {
			a.synISN[k] = s
		}
	}
	for dir := range c.halves {
		d := dir
		c.halves[d].MaxBuffered = a.opts.Limits.MaxBufferedPerStream
		c.halves[d].Budget = &a.budget
		if c.halves[d].Deliver == nil {
			c.halves[d].Deliver = func(ch reassembly.Chunk) { c.chunk(d, ch) }
			c.halves[d].Mismatch = func(m reassembly.Mismatch) { c.rewrite(d, m) }
		}
	}
	if !a.addFlow(key, &flow{kind: flowControl, ctl: c, lastSeen: p.Time}) {
		return nil
	}
	if s.Server.Port() == implicitTLSPort {
		s.DetectedBy = "implicit-tls"
		c.startTLS(ref(p))
	}
	a.sessions = append(a.sessions, s)
	a.controls = append(a.controls, c)
	a.pairs[makePair(s.Client.Addr(), s.Server.Addr())] = c
	if a.opts.OnSessionStart != nil {
		a.opts.OnSessionStart(s)
	}
	c.segment(p, dstIsServer)
	return c
}

// maxSpareControls bounds the controls kept for reuse.
const maxSpareControls = 64

// newControlState returns a zeroed control for key: one let go and reset
// (recycle) when there is one (a control is some 5 KB: on a busy FTP
// server's link, one per session was most of what the analysis
// allocated), or a new one.
func (a *Analyzer) newControlState(key flowKey) *control {
	n := len(a.spare)
	if n == 0 {
		return &control{a: a, key: key}
	}
	c := a.spare[n-1]
	a.spare[n-1] = nil
	a.spare = a.spare[:n-1]
	c.key = key
	return c
}

// recycle zeroes c and keeps it for a later session (up to
// maxSpareControls), with its reassembly callbacks, which name it. Only a
// control that nothing names any more may be recycled: its flow, host
// pair and place in a.controls gone, its session let go.
func (a *Analyzer) recycle(c *control) {
	if len(a.spare) >= maxSpareControls {
		return
	}
	var deliver [2]func(reassembly.Chunk)
	var mismatch [2]func(reassembly.Mismatch)
	for d := range c.halves {
		deliver[d], mismatch[d] = c.halves[d].Deliver, c.halves[d].Mismatch
	}
	scratch := c.scratch[:0]
	if cap(scratch) > maxKeptScratch {
		scratch = nil
	}
	*c = control{a: a, scratch: scratch}
	for d := range c.halves {
		c.halves[d].Deliver, c.halves[d].Mismatch = deliver[d], mismatch[d]
	}
	a.spare = append(a.spare, c)
}

// maxKeptScratch bounds the line buffer a recycled control keeps: a
// usual line's room, not that of the longest line one session sent.
const maxKeptScratch = 512

// segment feeds one TCP segment of the control connection.
func (c *control) segment(p *capture.Packet, fromClient bool) {
	dir := toClient
	if fromClient {
		dir = toServer
	}
	s := c.sess
	if p.Time.After(s.End) {
		s.End = p.Time
	}
	// the longest silence either way
	last := s.LastFromClient
	if s.LastFromServer.Valid() && (!last.Valid() || s.LastFromServer.Time.After(last.Time)) {
		last = s.LastFromServer
	}
	at := ref(p)
	if last.Valid() {
		if d := at.Time.Sub(last.Time); d > s.quiet {
			s.QuietFrom, s.QuietTo, s.quiet = last, at, d
		}
	}
	if fromClient {
		s.LastFromClient = at
	} else {
		s.LastFromServer = at
	}
	if p.Flags&capture.RST != 0 && !s.Reset.Valid() {
		s.Reset, s.ResetTTL, s.ResetFromClient = ref(p), p.TTL, fromClient
	}
	if fromClient && s.ClientTTL == 0 {
		s.ClientTTL = p.TTL
	} else if !fromClient && s.ServerTTL == 0 {
		s.ServerTTL = p.TTL
	}
	c.opening(p, fromClient)
	if p.PayloadLen > len(p.Payload) {
		if s.SnapCut == 0 {
			s.SnapCutAt = ref(p)
		}
		s.SnapCut++
	}
	// Duplicate ACKs: a pure ACK repeating the previous acknowledgement.
	if p.Flags&capture.ACK != 0 {
		if len(p.Payload) == 0 && p.Flags&(capture.SYN|capture.FIN|capture.RST) == 0 && c.ackSeen[dir] && p.Ack == c.lastAck[dir] {
			s.DupAcks++
		}
		c.lastAck[dir], c.ackSeen[dir] = p.Ack, true
		// The ACK speaks for the other direction: a hole it covers is lost.
		c.halves[1-dir].Acked(p.Ack)
		if c.flights[1-dir].ack(p.Ack, ref(p)) && !fromClient {
			c.commandsAcked(ref(p))
		}
	}
	switch f := &c.flights[dir]; {
	case len(p.Payload) > 0:
		// The segment occupies its whole payload's sequence space, even
		// what the snap length cut from the capture.
		f.data(p.Seq, max(len(p.Payload), p.PayloadLen), ref(p))
	case p.Flags&(capture.SYN|capture.RST) == 0:
		f.empty(p.Seq, ref(p))
	}
	if p.Flags&capture.FIN != 0 {
		c.flights[dir].fin(p.Seq + uint32(len(p.Payload)))
	}
	// The first client segment after an active negotiation's line: its raw
	// sequence number shows whether a NAT shifted the stream after a
	// rewrite that changed the line's length.
	// An empty segment (the client's ACK of the reply) tells as much: its
	// number is where the client's next byte will go.
	if n := c.awaitNext; n != nil && fromClient && p.Flags&(capture.SYN|capture.RST) == 0 && int32(p.Seq-n.CommandSeq) > 0 {
		n.NextSeq, c.awaitNext = p.Seq, nil
	}
	h := &c.halves[dir]
	before := h.Stats.Retransmitted
	h.Push(p.Seq, p.Flags&capture.SYN != 0, p.Flags&capture.FIN != 0, p.Flags&capture.RST != 0, p.Payload, reassembly.Meta{Input: p.Input, Frame: p.Frame, Time: p.Time})
	s.Retransmissions += h.Stats.Retransmitted - before
	if p.Flags&(capture.RST|capture.FIN) != 0 && s.ClosedBy == "" && (p.Flags&capture.FIN != 0 || h.Reset()) {
		s.ClosedBy, s.ClosedAt = "server", ref(p)
		if fromClient {
			s.ClosedBy = "client"
		}
	}
	if p.Flags&capture.RST != 0 && h.Reset() && s.Closed == "" {
		s.Closed = "rst"
	} else if c.halves[0].Closed() && c.halves[1].Closed() && s.Closed == "" {
		s.Closed = "fin"
	}
}

// oneSideTranslated reports whether two views of a connection differ as a
// NAT makes them: in the client's address (masquerade) or the server's
// (port forwarding), not both, and not in a port alone.
func oneSideTranslated(a, b *Session) bool {
	return (a.Client.Addr() != b.Client.Addr()) != (a.Server.Addr() != b.Server.Addr())
}

// opening records the control connection's handshake: the client's SYN
// and its retransmissions, and the server's answer (SYN-ACK or reset), and
// each side's first sequence number.
func (c *control) opening(p *capture.Packet, fromClient bool) {
	s, o := c.sess, &c.sess.Opening
	syn, ack := p.Flags&capture.SYN != 0, p.Flags&capture.ACK != 0
	switch {
	case fromClient && syn && !ack:
		if !o.SYN.Valid() {
			o.SYN, o.SYNTTL = ref(p), p.TTL
		} else if len(o.SYNRetries) < maxSYNRetries && p.Time.After(o.SYN.Time.Time()) {
			o.SYNRetries = append(o.SYNRetries, p.Time.Sub(o.SYN.Time.Time()))
			o.LastSYN = ref(p)
		}
	case !fromClient && syn && ack && !o.SYNACK.Valid():
		o.SYNACK, o.SYNACKTTL = ref(p), p.TTL
	case p.Flags&capture.RST != 0 && !o.RST.Valid() && o.SYN.Valid() && !o.SYNACK.Valid():
		o.RST, o.RSTFromAcc, o.RSTTTL = ref(p), !fromClient, p.TTL
	}
	if fromClient && !c.isnSeen[0] {
		s.ClientISN, c.isnSeen[0] = p.Seq, true
	} else if !fromClient && !c.isnSeen[1] {
		s.ServerISN, c.isnSeen[1] = p.Seq, true
	}
}

// commandsAcked marks the commands the server's acknowledgement now
// covers.
func (c *control) commandsAcked(at Ref) {
	f := &c.flights[toServer]
	for i := range c.queue {
		p := &c.queue[i]
		if !p.acked.Valid() && f.covers(p.end) {
			p.acked = at
			if p.neg != nil && !p.neg.CommandAcked.Valid() {
				p.neg.CommandAcked = at
			}
			if p.transfer != nil && !p.transfer.CommandAcked.Valid() {
				p.transfer.CommandAcked = at
			}
		}
	}
}

// chunk receives in-order control bytes of one direction.
func (c *control) chunk(dir int, ch reassembly.Chunk) {
	s := c.sess
	ls := &c.lines[dir]
	if ch.Gap > 0 {
		s.Gaps++
		s.MissingBytes += uint64(ch.Gap)
		if ch.GapAcked && !s.GapAt.Valid() {
			s.GapAt = Ref{Input: ch.Input, Frame: ch.Frame, Time: StampOf(ch.Time)}
		}
		if !c.firstGap.Valid() {
			c.firstGap = Ref{Input: ch.Input, Frame: ch.Frame, Time: StampOf(ch.Time)}
		}
		if !ch.GapAcked && !c.lostSeen[dir] {
			c.lostSeen[dir] = true
			s.Lost = append(s.Lost, Hole{FromClient: dir == toServer, Seq: ch.Seq - uint32(ch.Gap), Bytes: ch.Gap,
				After: Ref{Input: ch.Input, Frame: ch.Frame, Time: StampOf(ch.Time)}, Text: lineStart(ch.Data)})
		}
		// The hole fell inside a line: what came before it is kept as a
		// line marked cut (an address in it is never trusted), and the
		// bytes after the hole up to the next line end are its tail.
		if len(ls.buf) > 0 && !ls.skipping && !c.tls[dir].on {
			c.cut = true
			c.completeLine(dir)
			c.cut = false
			ls.skipping = !startsLine(dir, ch.Data)
		} else if ls.overlong {
			ls.skipping = !startsLine(dir, ch.Data)
		}
		ls.buf, ls.overlong = ls.buf[:0], false
		// A hole inside a multi-line reply may have taken its last line:
		// the next line that starts another reply ends it.
		if dir == toClient && c.replies.Pending() {
			c.replyResync = true
		}
		// TLS record framing is lost too: assume records go on.
		if c.tls[dir].on {
			c.tls[dir].nhdr, c.tls[dir].remain = 0, 0
		}
	}
	data := ch.Data
	at := Ref{Input: ch.Input, Frame: ch.Frame, Time: StampOf(ch.Time)}
	for len(data) > 0 {
		if c.tls[dir].on {
			n := c.tls[dir].skip(data)
			data = data[n:]
			if c.tls[dir].on {
				return
			}
			// Clear text came back (CCC).
			s.TLSEnded = true
			continue
		}
		if len(ls.buf) == 0 && !ls.overlong && !ls.skipping && c.looksLikeTLS(dir, data) {
			c.startTLS(at)
			continue
		}
		i := bytes.IndexByte(data, '\n')
		part := data
		if i >= 0 {
			part = data[:i+1]
		}
		data = data[len(part):]
		if ls.skipping {
			if i >= 0 {
				ls.skipping = false
			}
			continue
		}
		if i >= 0 && len(ls.buf) == 0 && !ls.overlong && len(part) <= ftp.MaxLineLength {
			// A whole line in this chunk, the usual case: read where
			// it lies instead of through ls.buf.
			ls.start, ls.end = at, at
			c.line(dir, part, at, ch.Seq+uint32(len(ch.Data)-len(data)-len(part)), false)
			continue
		}
		if len(ls.buf) == 0 && !ls.overlong {
			ls.start = at
			ls.startSeq = ch.Seq + uint32(len(ch.Data)-len(data)-len(part))
		}
		ls.end = at
		if room := ftp.MaxLineLength - len(ls.buf); len(part) > room {
			if !ls.overlong {
				ls.buf = append(ls.buf, part[:room]...)
				ls.overlong = true
			}
		} else {
			ls.buf = append(ls.buf, part...)
		}
		if i >= 0 {
			c.completeLine(dir)
		}
	}
}

// startsLine reports whether bytes after a capture gap evidently begin a
// new line (segments usually carry whole lines): a reply code, or a command
// the client is known to send. Otherwise they are taken as the tail of the
// line the gap interrupted.
func startsLine(dir int, b []byte) bool {
	if dir == toClient {
		return len(b) >= 4 && b[0] >= '1' && b[0] <= '5' && isDigit(b[1]) && isDigit(b[2]) && (b[3] == ' ' || b[3] == '-')
	}
	i := 0
	for i < len(b) && i < 5 && (b[i]|0x20 >= 'a' && b[i]|0x20 <= 'z') {
		i++
	}
	if i < 3 || i >= len(b) || (b[i] != ' ' && b[i] != '\r' && b[i] != '\n') {
		return false
	}
	return knownVerbs[strings.ToUpper(string(b[:i]))]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// knownVerbs are the commands of RFC 959, 2228, 2389, 2428, 3659 and 1639.
var knownVerbs = map[string]bool{}

func init() {
	for _, v := range strings.Fields(`USER PASS ACCT CWD CDUP SMNT REIN QUIT PORT PASV TYPE STRU MODE RETR STOR
		STOU APPE ALLO REST RNFR RNTO ABOR DELE RMD MKD PWD LIST NLST SITE SYST STAT HELP NOOP AUTH ADAT PROT
		PBSZ CCC MIC CONF ENC FEAT OPTS EPRT EPSV LPRT LPSV SIZE MDTM MLSD MLST XPWD XCWD XMKD XRMD CLNT HOST`) {
		knownVerbs[v] = true
	}
}

func (c *control) completeLine(dir int) {
	ls := &c.lines[dir]
	raw, overlong := ls.buf, ls.overlong
	ls.buf, ls.overlong = ls.buf[:0], false
	c.line(dir, raw, ls.start, ls.startSeq, overlong)
}

// line handles one whole line as it came (its LF, if any, included),
// which started at start, sequence number startSeq; overlong when it was
// cut at ftp.MaxLineLength. raw is read before line returns and not kept.
func (c *control) line(dir int, raw []byte, start Ref, startSeq uint32, overlong bool) {
	n := len(raw)
	if n > 0 && raw[n-1] == '\n' {
		raw = raw[:n-1]
	}
	if overlong {
		c.sess.LongLines++
		c.a.dropped.LongLines++
	}
	c.scratch = ftp.CleanLine(c.scratch[:0], raw)
	line := c.scratch
	c.lineSeq = startSeq
	c.lineEnd = startSeq + uint32(n)
	if dir == toServer {
		c.command(line, start)
	} else {
		c.replyLine(line, start)
	}
}

// looksLikeTLS recognises a TLS handshake record starting a direction's
// bytes right after AUTH, even if the 234 was not seen (lost or pipelined).
func (c *control) looksLikeTLS(dir int, b []byte) bool {
	if len(b) < 3 || b[0] != 0x16 || b[1] != 3 {
		return false
	}
	if c.sess.TLS {
		return true
	}
	for _, p := range c.queue {
		if p.auth {
			return true
		}
	}
	return false
}

func (c *control) startTLS(at Ref) {
	s := c.sess
	if !s.TLS || s.TLSEnded {
		s.TLS, s.TLSEnded = true, false
		s.TLSAt = at
	}
	for d := range c.tls {
		if !c.tls[d].on {
			c.tls[d] = tlsState{on: true}
			c.lines[d].buf, c.lines[d].overlong, c.lines[d].skipping = c.lines[d].buf[:0], false, false
		}
	}
}

// skip consumes TLS records and returns how many bytes it used; it turns
// itself off when a record boundary is followed by something that is not a
// TLS record header (clear text again).
func (t *tlsState) skip(b []byte) int {
	used := 0
	for used < len(b) {
		if t.remain > 0 {
			n := min(t.remain, len(b)-used)
			t.remain -= n
			used += n
			continue
		}
		if t.nhdr == 0 {
			typ := b[used]
			if typ < 20 || typ > 24 {
				t.on = false
				return used
			}
		}
		t.hdr[t.nhdr] = b[used]
		t.nhdr++
		used++
		if t.nhdr == 2 && t.hdr[1] != 3 {
			// Not TLS after all: give the bytes back as text is not
			// possible here; stay encrypted but resynchronise.
			t.nhdr = 0
			continue
		}
		if t.nhdr == 5 {
			t.remain = int(t.hdr[3])<<8 | int(t.hdr[4])
			t.nhdr = 0
		}
	}
	return used
}

func (c *control) keepLine(fromClient bool, text string, at Ref) {
	s := c.sess
	if len(s.Lines) >= c.a.opts.Limits.MaxLinesPerSession {
		s.DroppedLines++
		return
	}
	if s.Lines == nil {
		// Room for a usual session's dialogue at once, instead of
		// doubling from one line (six copies before 64).
		s.Lines = make([]Line, 0, min(max(minFirstLines, c.a.linesHint), c.a.opts.Limits.MaxLinesPerSession))
	}
	s.Lines = append(s.Lines, Line{FromClient: fromClient, Text: text, At: at, Seq: c.lineSeq})
}

// minFirstLines is the least room a session's kept lines start with; more
// when the sessions let go so far had more (Analyzer.linesHint).
const minFirstLines = 16

// noteLines updates linesHint with the lines of a session let go: a moving
// average of their number, plus a quarter, so that most sessions' lines
// fit the room they start with.
func (a *Analyzer) noteLines(s *Session) {
	a.linesAvg = (7*a.linesAvg + len(s.Lines) + 7) / 8
	a.linesHint = a.linesAvg + a.linesAvg/4
}

func (c *control) protocolError(err error, at Ref) {
	s := c.sess
	s.ProtocolErrors++
	if s.FirstError == "" {
		s.FirstError = err.Error()
		s.FirstErrorAt = at
	}
}

// ErrCutByGap is the ParseError of a negotiation whose line a capture gap cut: the
// numbers before the gap would parse, but to a wrong address.
const ErrCutByGap = "the line was cut by a gap in the capture: its address is not known"

// redacted is what stands for a secret in reports.
const redacted = "<redacted>"

// isSecret reports whether a command's argument carries a secret: PASS and
// ACCT (RFC 959), and SITE commands that set or send a password (SITE
// PASSWD, SITE PSWD, SITE CHPASS... on various servers).
func isSecret(verb, arg string) bool {
	switch verb {
	case "PASS", "ACCT":
		return true
	case "SITE":
		sub, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(arg)), " ")
		return strings.Contains(sub, "PASS") || strings.Contains(sub, "PSWD") || strings.Contains(sub, "PWD") && sub != "PWD"
	}
	return false
}

func (c *control) command(line []byte, at Ref) {
	s := c.sess
	var text string
	if len(line) >= 4 && (bytes.EqualFold(line[:4], []byte("PASS")) || bytes.EqualFold(line[:4], []byte("ACCT")) || bytes.EqualFold(line[:4], []byte("SITE"))) {
		text = string(line) // may hold a secret: not kept in the shared table
	} else {
		text = c.a.lineText(line)
	}
	cmd, err := ftp.ParseCommandString(text)
	if err != nil {
		c.protocolError(err, at)
		c.keepLine(true, text, at)
		return
	}
	s.Commands++
	arg := cmd.Arg
	if isSecret(cmd.Verb, arg) && !c.a.opts.ShowPasswords && arg != "" {
		if cmd.Verb == "SITE" {
			sub, _, _ := strings.Cut(strings.TrimSpace(arg), " ")
			arg = sub + " " + redacted
		} else {
			arg = redacted
		}
	}
	switch {
	case arg == "" && text == cmd.Verb, arg != "" && arg == cmd.Arg && len(text) == len(cmd.Verb)+1+len(arg) && text[:len(cmd.Verb)] == cmd.Verb:
		c.keepLine(true, text, at) // the line as sent is the line kept: no copy
	case arg != "":
		c.keepLine(true, cmd.Verb+" "+arg, at)
	default:
		c.keepLine(true, cmd.Verb, at)
	}
	p := pending{verb: cmd.Verb, arg: arg, at: at, end: c.lineEnd}
	switch cmd.Verb {
	case "USER":
		s.User = cmd.Arg
	case "PASS":
		s.Password, s.PasswordAt = arg, at
	case "AUTH":
		switch strings.ToUpper(strings.TrimSpace(cmd.Arg)) {
		case "TLS", "SSL", "TLS-C", "TLS-P":
			p.auth = true
		}
	case "PORT", "EPRT", "LPRT":
		mode := Active
		if cmd.Verb == "EPRT" {
			mode = ExtendedActive
		}
		n := c.newNegotiation(mode, cmd.Verb, cmd.Arg, at)
		var ap netip.AddrPort
		switch cmd.Verb {
		case "PORT":
			ap, err = ftp.ParsePORT(cmd.Arg)
		case "EPRT":
			ap, err = ftp.ParseEPRT(cmd.Arg)
		case "LPRT":
			ap, err = ftp.ParseLPRT(cmd.Arg)
		}
		n.At, n.CommandSeq = at, c.lineSeq
		n.commandEnd = c.lineEnd
		n.CommandResent, n.LastResend = c.flights[toServer].resentIn(c.lineSeq, c.lineEnd)
		c.awaitNext = n
		if end := c.lines[toServer].end; end.Frame != at.Frame {
			n.SplitAt = end // the line came in several segments
		}
		if c.cut {
			n.ParseError = ErrCutByGap
		} else if err != nil {
			n.ParseError = err.Error()
		} else {
			n.Address = ap
			c.a.expectData(c, n)
		}
		p.neg = n
	case "PASV", "EPSV", "LPSV":
		if cmd.Verb == "EPSV" && strings.EqualFold(strings.TrimSpace(cmd.Arg), "ALL") {
			break // EPSV ALL: a promise to use only EPSV, not a negotiation
		}
		mode := Passive
		if cmd.Verb == "EPSV" {
			mode = ExtendedPassive
		}
		p.neg = c.newNegotiation(mode, cmd.Verb, cmd.Arg, at)
	default:
		if isDataCommand(cmd.Verb) {
			p.transfer = c.dataCommand(cmd.Verb, cmd.Arg, at)
		}
	}
	if len(c.queue) >= maxPendingCommands {
		c.dropCommands(1)
	}
	c.queue = append(c.queue, p)
	// The server's ACK may precede the line's reassembly (a capture that
	// reorders): mark it at once then.
	if f := &c.flights[toServer]; f.covers(p.end) {
		c.commandsAcked(f.ackAt)
	}
}

// dropCommands removes the n oldest waiting commands, moving the others to
// the front of the queue's array: one array serves the whole session, where
// a slice moved forward would need a new one each time it reaches its end.
func (c *control) dropCommands(n int) {
	m := copy(c.queue, c.queue[n:])
	clear(c.queue[m:])
	c.queue = c.queue[:m]
}

func (c *control) newNegotiation(mode Mode, verb, arg string, at Ref) *Negotiation {
	s := c.sess
	n := &Negotiation{Mode: mode, Command: verb, Arg: arg, CommandAt: at, session: s}
	// Kept with its transfer, within the same limit: a session of 100,000
	// PORTs holds MaxTransfersPerSession of them, the rest counted.
	if len(s.Transfers) < c.a.opts.Limits.MaxTransfersPerSession {
		s.Negotiations = append(s.Negotiations, n)
	}
	n.transfer = c.addTransfer(&Transfer{Negotiation: n})
	c.lastNeg = n
	c.inEffect = nil
	return n
}

func (c *control) addTransfer(t *Transfer) *Transfer {
	s := c.sess
	if len(s.Transfers) >= c.a.opts.Limits.MaxTransfersPerSession {
		s.DroppedTransfers++
		c.a.dropped.Transfers++
		return t
	}
	t.ID = s.ID + ".T" + strconv.Itoa(len(s.Transfers)+1)
	s.Transfers = append(s.Transfers, t)
	return t
}

// dataCommand ties a data-opening command to the latest negotiation no
// other command has used.
func (c *control) dataCommand(verb, arg string, at Ref) *Transfer {
	if n := c.lastNeg; n != nil && n.transfer != nil && n.transfer.Command == "" {
		c.lastNeg = nil
		t := n.transfer
		t.Command, t.Arg, t.CommandAt = verb, arg, at
		return t
	}
	if n := c.inEffect; n != nil && n.Data == nil {
		// The previous command using n was refused before any data
		// connection: n still serves this one (RFC 959).
		c.inEffect = nil
		if n.transfer != nil {
			n.transfer.Superseded = true
		}
		t := c.addTransfer(&Transfer{Command: verb, Arg: arg, CommandAt: at, Negotiation: n})
		n.transfer = t
		return t
	}
	return c.addTransfer(&Transfer{Command: verb, Arg: arg, CommandAt: at})
}

func (c *control) replyLine(line []byte, at Ref) {
	if c.replyResync && c.replies.Pending() {
		if rl, err := ftp.ParseReplyLine(line); err == nil && rl.Code != c.replies.PendingCode() && rl.Sep != 0 {
			// The open reply lost its end in the hole: close it as cut,
			// and let this line start the next one.
			if r, ok := c.replies.Flush(); ok {
				c.replyCut = true
				c.reply(r, c.replyAt)
			}
		}
	}
	if !c.replies.Pending() {
		c.replyResync = false
	}
	if !c.replies.Pending() {
		c.replyAt, c.replyCut, c.replySeq = at, false, c.lineSeq
	}
	c.replyCut = c.replyCut || c.cut
	text := c.a.lineText(line)
	r, done, err := c.replies.FeedString(text)
	c.keepLine(false, text, at)
	if err != nil {
		c.protocolError(err, at)
		return
	}
	if done {
		c.reply(r, c.replyAt)
	}
}

func (c *control) reply(r ftp.Reply, at Ref) {
	s := c.sess
	s.Replies++
	rep := Reply{Code: r.Code, Text: r.Text(), Lines: len(r.Lines), At: at}
	if len(c.queue) == 0 {
		if s.Commands == 0 && (s.Greeting.Code == 0 || s.Greeting.Code < 200) {
			s.Greeting = rep
			return
		}
		if r.Code == 421 && s.Closing.Code == 0 {
			s.Closing = rep // closing on its own: an idle timeout, a shutdown
		}
		return // unsolicited, or a reply to a command not captured
	}
	if p := c.queue[0]; r.Code == 421 && !p.acked.Valid() && c.flights[toServer].ackSeen {
		// A 421 while the server has not acknowledged the waiting command:
		// it never got the command, so this answers nothing (an idle
		// timeout, a shutdown); the command stays unanswered.
		if s.Closing.Code == 0 {
			s.Closing = rep
		}
		return
	}
	// The reply answers the oldest waiting command it fits; commands before
	// that one got replies the capture missed.
	i := 0
	for i < len(c.queue) && !replyFits(c.queue[i].verb, r.Code) {
		i++
	}
	if i == len(c.queue) {
		// The answer to a command the capture missed. An address in it is
		// still a negotiation: the data connection can be tied to it.
		switch r.Code {
		case 227, 228, 229:
			verb, mode := "PASV", Passive
			if r.Code == 228 {
				verb = "LPSV"
			} else if r.Code == 229 {
				verb, mode = "EPSV", ExtendedPassive
			}
			c.negotiationReply(c.newNegotiation(mode, verb, "", Ref{}), r, rep)
		}
		return
	}
	p := c.queue[i]
	if r.Code < 200 {
		c.dropCommands(i) // preliminary: the command waits for its final reply
		if p.transfer != nil && p.transfer.Prelim.Code == 0 {
			p.transfer.Prelim = rep
		}
		return
	}
	c.dropCommands(i + 1)
	switch {
	case p.neg != nil:
		c.negotiationReply(p.neg, r, rep)
	case p.transfer != nil:
		t := p.transfer
		t.Final = rep
		if n := t.Negotiation; n != nil && n.Data == nil && r.Code >= 400 && !dataReply(r.Code) {
			c.inEffect = n // refused before any data connection: still in effect
		}
		if c.a.opts.OnTransfer != nil {
			c.a.opts.OnTransfer(s, t)
		}
	case p.auth && r.Code == 234:
		c.startTLS(at)
	case p.verb == "PASS" || p.verb == "USER":
		if r.Code == 230 {
			s.LoggedIn = true
		}
		if (p.verb == "PASS" || r.Code == 230 || r.Code == 530) && len(s.Logins) < MaxLoginsPerSession {
			s.Logins = append(s.Logins, Login{User: s.User, At: p.at, Reply: rep})
		}
	}
}

func (c *control) negotiationReply(n *Negotiation, r ftp.Reply, rep Reply) {
	if h := c.a.opts.OnNegotiation; h != nil {
		defer h(c.sess, n)
	}
	n.Reply = rep
	if n.Mode == Active || n.Mode == ExtendedActive {
		// Resends of the command up to its answer (after the line was
		// complete here, a helper may still have dropped it on the way).
		n.CommandResent, n.LastResend = c.flights[toServer].resentIn(n.CommandSeq, n.commandEnd)
		return
	}
	if r.Code < 200 || r.Code >= 300 {
		return // refused
	}
	n.At, n.ReplySeq = rep.At, c.replySeq
	if c.replyCut {
		n.ParseError = ErrCutByGap
		return
	}
	var ap netip.AddrPort
	var err error
	// Parse by the reply code, not the command: servers answer PASV with
	// 229 too (cpython #127478).
	for _, line := range r.Lines {
		text := line
		if len(text) >= 4 {
			text = text[4:]
		}
		switch r.Code {
		case 227:
			ap, err = ftp.Parse227(text)
		case 228:
			ap, err = ftp.Parse228(text)
		case 229:
			var port uint16
			port, err = ftp.Parse229(text)
			ap = netip.AddrPortFrom(c.sess.Server.Addr(), port)
		default:
			err = fmt.Errorf("reply %d to %s carries no address", r.Code, n.Command)
		}
		if err == nil {
			break
		}
	}
	if err != nil {
		n.ParseError = err.Error()
		return
	}
	n.Address = ap
	c.a.expectData(c, n)
}

// flushOlderThan skips reassembly holes that will not be filled.
func (c *control) flushOlderThan(t time.Time) {
	c.halves[0].FlushOlderThan(t)
	c.halves[1].FlushOlderThan(t)
}

// linesIn is the text of one side's lines that start within [from, to),
// joined by " | ", at most a few hundred bytes.
func (c *control) linesIn(fromClient bool, from, to uint32) string {
	var out []string
	n := 0
	for _, l := range c.sess.Lines {
		if l.FromClient == fromClient && int32(l.Seq-from) >= 0 && int32(to-l.Seq) > 0 {
			out = append(out, l.Text)
			if n += len(l.Text); n > 200 {
				break
			}
		}
	}
	return strings.Join(out, " | ")
}

// dataReply reports whether a reply code speaks of the data connection
// (425 can't open, 426 closed, 421 closing) rather than refusing the
// request itself.
func dataReply(code int) bool { return code == 425 || code == 426 || code == 421 }

// finish ends the session at the end of the capture.
func (c *control) finish() {
	if c.done {
		return
	}
	c.done = true
	for d := range c.halves {
		c.halves[d].Flush()
		// A last line without its line end still counts (connection closed
		// or capture ended after it).
		if ls := &c.lines[d]; len(ls.buf) > 0 && !ls.skipping && !c.tls[d].on {
			c.completeLine(d)
		}
	}
	if r, ok := c.replies.Flush(); ok {
		c.reply(r, c.replyAt)
	}
	for _, p := range c.queue {
		c.sess.Unanswered = append(c.sess.Unanswered, Command{Verb: p.verb, Arg: p.arg, At: p.at, Acked: p.acked})
	}
	for d := range c.halves {
		c.sess.UnackedGaps += int(c.halves[d].Stats.UnackedGaps)
		c.sess.UnackedBytes += c.halves[d].Stats.UnackedBytes
	}
	// Bytes an empty segment's sequence number skipped, never seen.
	for dir, fromClient := range [2]bool{true, false} {
		if f := &c.flights[dir]; f.unseenSeen && !c.lostSeen[dir] {
			u := f.unseen
			c.sess.Lost = append(c.sess.Lost, Hole{FromClient: fromClient, Seq: u.seq, Bytes: int(int32(u.end - u.seq)), After: u.at})
			c.sess.Gaps++
			c.sess.MissingBytes += uint64(int32(u.end - u.seq))
			c.sess.UnackedGaps++
			c.sess.UnackedBytes += uint64(int32(u.end - u.seq))
		}
	}
	// A hole an acknowledgement passed after all (a late ACK) was not lost;
	// one whose receiver acknowledged nothing after it, or only much later,
	// or a hole too large for bytes in flight on a control connection, is
	// not known to be lost.
	lost := c.sess.Lost[:0]
	for _, h := range c.sess.Lost {
		dir := toClient
		if h.FromClient {
			dir = toServer
		}
		if f := &c.flights[dir]; !f.covers(h.Seq + uint32(h.Bytes)) {
			acked := f.ackSeen && f.lastAck.Time.After(h.After.Time) && f.lastAck.Time.Sub(h.After.Time) < maxStallSpan
			if !acked {
				h.Silence = c.a.now.Sub(h.After.Time.Time())
			}
			h.ReceiverAlive = (acked || h.Silence >= minSilence && h.Silence < maxStallSpan) && h.Bytes <= maxInFlight
			lost = append(lost, h)
		} else if g := c.sess.GapAt; !g.Valid() || h.After.Time.Before(g.Time) {
			// Acknowledged only after it crossed this point: a hole the
			// capture missed, maybe the first.
			c.sess.GapAt = h.After
		}
	}
	c.sess.Lost = lost
	if c.sess.Gaps > c.sess.UnackedGaps && !c.sess.GapAt.Valid() {
		// Every hole acknowledged in the end was acknowledged only after it
		// crossed this point, and not the first of its direction: the
		// first hole is what the point can show.
		c.sess.GapAt = c.firstGap
	}
	for dir, fromClient := range [2]bool{true, false} {
		if st, ok := c.flights[dir].stall(fromClient); ok {
			st.Text = c.linesIn(fromClient, st.Seq, st.Seq+uint32(st.Bytes))
			c.sess.Stalls = append(c.sess.Stalls, st)
		}
		if m, ok := c.flights[dir].mismatch(fromClient); ok {
			c.sess.SeqMismatches = append(c.sess.SeqMismatches, m)
		}
	}
	c.a.dropped.ReassemblyForced += c.halves[0].Stats.ForcedByLimits + c.halves[1].Stats.ForcedByLimits
	c.lines[0].buf, c.lines[1].buf, c.scratch, c.queue = nil, nil, nil, nil
	c.halves[0].Release()
	c.halves[1].Release()
}
