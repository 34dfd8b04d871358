package analyze

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
)

// maxSYNRetries bounds the SYN retransmission times kept per connection,
// and the connections tied to one negotiation from its expected host.
const maxSYNRetries = 16

// maxForeignAttempts bounds the connections tied to one negotiation from
// hosts other than the expected one.
const maxForeignAttempts = 4

// expectData registers where n's data connection should arrive: the
// advertised endpoint and, for passive modes, the server's control address
// with the advertised port (clients that ignore the 227 address connect
// there: curl, lftp, FileZilla).
func (a *Analyzer) expectData(c *control, n *Negotiation) {
	if !n.Address.IsValid() {
		return
	}
	if !n.Address.Addr().IsUnspecified() {
		a.addExpectation(epKey(n.Address), expectation{neg: n, matchedBy: "advertised"})
	}
	// The control address with the advertised port: for passive modes, the
	// server's (clients that ignore the 227 address); for active modes, the
	// client's (a PORT naming another address of the client, or a capture
	// whose addresses were rewritten after the fact).
	ctl := c.sess.Client.Addr()
	if n.Mode.IsPassive() {
		ctl = c.sess.Server.Addr()
	}
	if ctlAddr := netip.AddrPortFrom(ctl, n.Address.Port()); ctlAddr != n.Address {
		a.addExpectation(epKey(ctlAddr), expectation{neg: n, matchedBy: "control-address"})
	}
	c.open = append(c.open, n)
	if len(c.open) > a.opts.Limits.MaxExpectedPerSession {
		old := c.open[0]
		c.open = c.open[1:]
		if old.Data == nil {
			a.dropped.Expectations++
		}
		a.forget(old)
	}
}

func (a *Analyzer) addExpectation(k endpointKey, e expectation) {
	a.expect[k] = append(a.expect[k], e)
}

// forget removes every expectation of n.
func (a *Analyzer) forget(n *Negotiation) {
	keys := [3]netip.AddrPort{n.Address, netip.AddrPortFrom(n.session.Server.Addr(), n.Address.Port()),
		netip.AddrPortFrom(n.session.Client.Addr(), n.Address.Port())}
	for _, ap := range keys {
		k := epKey(ap)
		list := a.expect[k]
		out := list[:0]
		for _, e := range list {
			if e.neg != n {
				out = append(out, e)
			}
		}
		if len(out) == 0 {
			delete(a.expect, k)
		} else {
			a.expect[k] = out
		}
	}
}

// matchSYN ties a connection attempt to the newest negotiation expecting
// its destination, or to an encrypted session between the same hosts.
func (a *Analyzer) matchSYN(key flowKey, p *capture.Packet) bool {
	dst := netip.AddrPortFrom(p.Dst, p.DstPort)
	list := a.expect[epKey(dst)]
	var exp *expectation
	for i := len(list) - 1; i >= 0; i-- {
		// The negotiation must come first; a PORT is registered when the
		// command is seen, a PASV when its reply is.
		if !list[i].neg.At.Time.After(StampOf(p.Time)) {
			exp = &list[i]
			break
		}
	}
	if exp == nil {
		return a.matchHostPair(key, p)
	}
	n := exp.neg
	// Connections from the host that should connect are the data
	// connection (or its retries); a few from elsewhere are kept (a NAT
	// pool may use another address), more are a flood: counted, not
	// tracked, so they cannot fill the flow table or hide the real one.
	expected := n.session.Client.Addr()
	if !n.Mode.IsPassive() {
		expected = n.session.Server.Addr()
	}
	if p.Src != expected {
		if n.foreign >= maxForeignAttempts {
			a.dropped.Flows++
			return true
		}
		n.foreign++
	} else if n.Data != nil && len(n.Others) >= maxSYNRetries {
		a.dropped.Flows++
		return true
	}
	dc := a.newDataConn(key, p, n.session, exp.matchedBy, !n.Mode.IsPassive())
	if dc == nil {
		return false
	}
	a.attach(n, dc)
	return true
}

// attach records dc on n, keeping the most telling connection as n.Data:
// an established one beats an attempt.
func (a *Analyzer) attach(n *Negotiation, dc *DataConn) {
	if n.Data == nil {
		n.Data = dc
		return
	}
	if n.Data.State() != Established {
		n.Data, dc = dc, n.Data
	}
	// Of attempts that are not established, the expected host's wins.
	if exp := n.session.Client.Addr(); n.Data.State() != Established && dc.State() != Established {
		if !n.Mode.IsPassive() {
			exp = n.session.Server.Addr()
		}
		if n.Data.Src.Addr() != exp && dc.Src.Addr() == exp {
			n.Data, dc = dc, n.Data
		}
	}
	if len(n.Others) < maxSYNRetries {
		n.Others = append(n.Others, dc)
	}
}

// newDataConn records a connection attempt; serverInitiates is what the
// negotiation expects, used when the addresses cannot tell (a client and a
// server on one host).
func (a *Analyzer) newDataConn(key flowKey, p *capture.Packet, s *Session, by string, serverInitiates bool) *DataConn {
	r := ref(p)
	dc := &DataConn{
		Src:       netip.AddrPortFrom(p.Src, p.SrcPort),
		Dst:       netip.AddrPortFrom(p.Dst, p.DstPort),
		MatchedBy: by,
		Opening:   Opening{SYN: r, SYNTTL: p.TTL},
		First:     r, Last: r,
	}
	switch {
	case s.Client.Addr() == s.Server.Addr():
		dc.Initiator = "client"
		if serverInitiates {
			dc.Initiator = "server"
		}
	case p.Src == s.Client.Addr():
		dc.Initiator = "client"
	case p.Src == s.Server.Addr():
		dc.Initiator = "server"
	case p.Dst == s.Server.Addr():
		dc.Initiator = "client"
	default:
		dc.Initiator = "server"
	}
	if !a.addFlow(key, &flow{kind: flowData, data: dc, lastSeen: p.Time}) {
		return nil
	}
	return dc
}

// matchHostPair ties a connection between the two hosts of a session to
// that session when no negotiation can: the control channel is encrypted
// (nothing can be read), or the server side uses port 20 (active-mode data
// by convention, RFC 959) and the negotiation was not captured. The
// negotiation is then inferred from the connection.
func (a *Analyzer) matchHostPair(key flowKey, p *capture.Packet) bool {
	c := a.pairs[makePair(p.Src, p.Dst)]
	if c == nil || c.done {
		return false
	}
	s := c.sess
	src, dst := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	if src == s.Server || dst == s.Server || src == s.Client || dst == s.Client {
		return false // the control connection itself, or a new one
	}
	var by string
	switch {
	case s.TLS && !s.TLSEnded:
		by = "tls-host-pair"
	case p.Src == s.Server.Addr() && p.SrcPort == 20, p.Dst == s.Server.Addr() && p.DstPort == 20:
		by = "port-20"
	default:
		return false
	}
	// The server's SYN from port 20 to the address the client's last
	// PORT named, on another port, while that PORT waits for its
	// connection: the PORT's connection, come to a port the client did not
	// name (a box on the way changed it).
	if by == "port-20" && p.Flags&(capture.SYN|capture.ACK) == capture.SYN && p.Src == s.Server.Addr() {
		if n := awaitingPORT(s, p.Dst, p.Time); n != nil {
			dc := a.newDataConn(key, p, s, "port-20-other-port", true)
			if dc == nil {
				return false
			}
			a.attach(n, dc)
			return true
		}
	}
	dc := a.newDataConn(key, p, s, by, p.SrcPort == 20)
	if dc == nil {
		return false
	}
	if p.Flags&capture.SYN == 0 {
		// Seen mid-connection: no handshake to judge, but it carries data.
		dc.SYN, dc.MidStream = Ref{}, true
		if p.Src == s.Server.Addr() && p.SrcPort != 20 || p.Dst == s.Server.Addr() && p.DstPort == 20 {
			dc.Src, dc.Dst = dst, src
		}
		dc.Initiator = "server"
		if dc.Src.Addr() == s.Client.Addr() {
			dc.Initiator = "client"
		}
		a.dataSegment(a.flows.get(key), p)
	}
	mode := Passive
	if dc.Initiator == "server" {
		mode = Active
	}
	n := &Negotiation{Mode: mode, Address: dc.Dst, At: dc.First, session: s, Inferred: by}
	if len(s.Transfers) < a.opts.Limits.MaxTransfersPerSession {
		s.Negotiations = append(s.Negotiations, n)
	}
	n.transfer = c.addTransfer(&Transfer{Negotiation: n})
	n.Data = dc
	return true
}

// awaitingPORT is the session's latest PORT/EPRT, when it names addr, was
// accepted before t and has no connection yet.
func awaitingPORT(s *Session, addr netip.Addr, t time.Time) *Negotiation {
	for i := len(s.Negotiations) - 1; i >= 0; i-- {
		n := s.Negotiations[i]
		if n.Inferred != "" || n.Mode.IsPassive() {
			continue
		}
		if n.Address.Addr() == addr && n.Data == nil && n.Reply.Code/100 == 2 && n.CommandAt.Time.Before(StampOf(t)) {
			return n
		}
		return nil
	}
	return nil
}

func (a *Analyzer) dataSegment(f *flow, p *capture.Packet) {
	dc := f.data
	fromInit := p.Src == dc.Src.Addr() && p.SrcPort == dc.Src.Port()
	r := ref(p)
	dc.Last = r
	switch {
	case p.Flags&capture.RST != 0:
		if !dc.RST.Valid() {
			dc.RST, dc.RSTFromAcc, dc.RSTTTL = r, !fromInit, p.TTL
		}
	case p.Flags&(capture.SYN|capture.ACK) == capture.SYN && fromInit:
		if len(dc.SYNRetries) < maxSYNRetries && p.Time.After(dc.SYN.Time.Time()) {
			dc.SYNRetries = append(dc.SYNRetries, p.Time.Sub(dc.SYN.Time.Time()))
			dc.LastSYN = r
		}
	case p.Flags&(capture.SYN|capture.ACK) == capture.SYN|capture.ACK && !fromInit:
		if !dc.SYNACK.Valid() {
			dc.SYNACK, dc.SYNACKTTL = r, p.TTL
		}
	}
	if p.Flags&capture.RST == 0 {
		dir := 1
		if fromInit {
			dir = 0
		}
		dc.Delivery[dir].segment(p.Seq, p.Flags&capture.SYN != 0, p.Flags&capture.FIN != 0, p.PayloadLen, r)
		if p.Flags&capture.ACK != 0 {
			dc.Delivery[1-dir].ack(p.Ack, r)
		}
	}
	if p.Flags&capture.FIN != 0 {
		if !dc.FIN.Valid() {
			dc.FIN = r
		}
		if fromInit {
			dc.finInit = true
		} else {
			dc.finAcc = true
		}
	}
	if n := dc.newBytes(fromInit, p); fromInit {
		dc.BytesFromInitiator += n
	} else {
		dc.BytesFromAcceptor += n
	}
}

// newBytes is how many of a segment's payload bytes lie beyond the highest
// byte seen before in its direction: a retransmission counts nothing.
func (dc *DataConn) newBytes(fromInit bool, p *capture.Packet) uint64 {
	dir := 1
	if fromInit {
		dir = 0
	}
	seq := p.Seq
	if p.Flags&capture.SYN != 0 {
		seq++
	}
	end := seq + uint32(p.PayloadLen)
	if !dc.sentSeen[dir] {
		dc.sent[dir], dc.sentSeen[dir] = end, true
		return uint64(p.PayloadLen)
	}
	d := int32(end - dc.sent[dir])
	if d <= 0 {
		return 0
	}
	dc.sent[dir] = end
	return uint64(min(int(d), p.PayloadLen))
}

// icmp records an ICMP unreachable on the data connection it quotes.
func (a *Analyzer) icmp(p *capture.Packet) {
	q := p
	key, _ := makeKey(q.QuotedSrc.Addr(), q.QuotedDst.Addr(), q.QuotedSrc.Port(), q.QuotedDst.Port())
	f := a.flows.get(key)
	if f == nil {
		return
	}
	var o *Opening
	switch f.kind {
	case flowData:
		o = &f.data.Opening
		f.data.Last = ref(p)
		// "fragmentation needed" for an established connection: a router
		// on the way could not forward one of its segments
		if p.Src.Is4() && p.ICMPType == 3 && p.ICMPCode == 4 && f.data.SYNACK.Valid() {
			if !f.data.FragNeeded.Valid() {
				f.data.FragNeeded, f.data.FragNeededTTL = ref(p), p.TTL
			}
			return
		}
	case flowControl:
		o = &f.ctl.sess.Opening
	default:
		return
	}
	if !o.ICMP.Valid() {
		o.ICMP, o.ICMPType, o.ICMPCode, o.ICMPFrom, o.ICMPTTL = ref(p), p.ICMPType, p.ICMPCode, p.Src, p.TTL
	}
}

// candidate is a connection whose server sent a greeting on a port that is
// not a known control port; it becomes a control connection when the
// client answers with USER or AUTH (as Zeek's FTP signature requires).
type candidate struct {
	serverIsA bool
	first     *capture.Packet // the greeting segment, payload copied
	next      uint32          // sequence number after the greeting bytes kept
}

// maxCandidateBytes bounds the greeting bytes kept per candidate.
const maxCandidateBytes = 4096

func (a *Analyzer) newCandidate(key flowKey, fwd bool, p *capture.Packet) {
	cp := *p
	cp.Payload = append([]byte(nil), p.Payload[:min(len(p.Payload), maxCandidateBytes)]...)
	a.addFlow(key, &flow{kind: flowCandidate, cand: &candidate{serverIsA: fwd, first: &cp, next: p.Seq + uint32(len(cp.Payload))}, lastSeen: p.Time})
}

func (a *Analyzer) candidateSegment(f *flow, key flowKey, p *capture.Packet, fwd bool) {
	cd := f.cand
	fromServer := fwd == cd.serverIsA
	if len(p.Payload) == 0 {
		return
	}
	if fromServer {
		// More of a multi-line greeting.
		if p.Seq == cd.next && len(cd.first.Payload)+len(p.Payload) <= maxCandidateBytes {
			cd.first.Payload = append(cd.first.Payload, p.Payload...)
			cd.next += uint32(len(p.Payload))
		}
		return
	}
	if !looksLikeLogin(p.Payload) {
		a.flows.del(key)
		return
	}
	a.flows.del(key)
	g := cd.first
	// The greeting came from the server: the client is its destination.
	c := a.newControl(key, cd.serverIsA, g, false, "greeting")
	if c != nil {
		// Whether the handshake was captured is not known here (the SYN
		// came before anything marked the connection as FTP).
		c.sess.MidStream = false
		c.segment(p, true)
	}
}

// looksLikeLogin recognises a client's first command after a greeting.
func looksLikeLogin(b []byte) bool {
	if len(b) < 5 {
		return false
	}
	verb := bytes.ToUpper(b[:4])
	return (bytes.Equal(verb, []byte("USER")) || bytes.Equal(verb, []byte("AUTH"))) && (b[4] == ' ' || b[4] == '\r')
}

// gcExpectations drops expectations of sessions that ended a while ago.
func (a *Analyzer) gcExpectations(before time.Time) {
	for _, c := range a.controls {
		if (c.sess.Closed != "" || c.done) && c.sess.End.Before(before) && len(c.open) > 0 {
			for _, n := range c.open {
				a.forget(n)
			}
			c.open = nil
		}
	}
}
