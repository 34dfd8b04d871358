package analyze

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
)

// maxSYNRetries bounds the SYN retransmission times kept per connection.
const maxSYNRetries = 16

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
	if n.Mode.IsPassive() {
		ctlAddr := netip.AddrPortFrom(c.sess.Server.Addr(), n.Address.Port())
		if ctlAddr != n.Address {
			a.addExpectation(epKey(ctlAddr), expectation{neg: n, matchedBy: "control-address"})
		}
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
	keys := [2]netip.AddrPort{n.Address, netip.AddrPortFrom(n.session.Server.Addr(), n.Address.Port())}
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
		if !list[i].neg.At.Time.After(p.Time) {
			exp = &list[i]
			break
		}
	}
	if exp == nil {
		return a.matchTLSPair(key, p)
	}
	n := exp.neg
	dc := a.newDataConn(key, p, n.session, exp.matchedBy)
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
	if len(n.Others) < maxSYNRetries {
		n.Others = append(n.Others, dc)
	}
}

func (a *Analyzer) newDataConn(key flowKey, p *capture.Packet, s *Session, by string) *DataConn {
	r := ref(p)
	dc := &DataConn{
		Src:       netip.AddrPortFrom(p.Src, p.SrcPort),
		Dst:       netip.AddrPortFrom(p.Dst, p.DstPort),
		MatchedBy: by,
		SYN:       r, First: r, Last: r,
	}
	switch {
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

// matchTLSPair ties a connection between the two hosts of an encrypted
// session (where no negotiation can be read) to that session.
func (a *Analyzer) matchTLSPair(key flowKey, p *capture.Packet) bool {
	c := a.tlsPairs[makePair(p.Src, p.Dst)]
	if c == nil || c.done || !c.sess.TLS || c.sess.TLSEnded {
		return false
	}
	s := c.sess
	if netip.AddrPortFrom(p.Dst, p.DstPort) == s.Server || netip.AddrPortFrom(p.Src, p.SrcPort) == s.Server {
		return false
	}
	dc := a.newDataConn(key, p, s, "tls-host-pair")
	if dc == nil {
		return false
	}
	mode := Passive
	if dc.Initiator == "server" {
		mode = Active
	}
	n := &Negotiation{Mode: mode, Address: dc.Dst, At: dc.SYN, session: s, Encrypted: true}
	s.Negotiations = append(s.Negotiations, n)
	n.transfer = c.addTransfer(&Transfer{Negotiation: n})
	n.Data = dc
	return true
}

func (a *Analyzer) dataSegment(f *flow, p *capture.Packet) {
	dc := f.data
	fromInit := p.Src == dc.Src.Addr() && p.SrcPort == dc.Src.Port()
	r := ref(p)
	dc.Last = r
	switch {
	case p.Flags&capture.RST != 0:
		if !dc.RST.Valid() {
			dc.RST, dc.RSTFromAcc = r, !fromInit
		}
	case p.Flags&(capture.SYN|capture.ACK) == capture.SYN && fromInit:
		if len(dc.SYNRetries) < maxSYNRetries && p.Time.After(dc.SYN.Time) {
			dc.SYNRetries = append(dc.SYNRetries, p.Time.Sub(dc.SYN.Time))
		}
	case p.Flags&(capture.SYN|capture.ACK) == capture.SYN|capture.ACK && !fromInit:
		if !dc.SYNACK.Valid() {
			dc.SYNACK = r
		}
	}
	if p.Flags&capture.FIN != 0 && !dc.FIN.Valid() {
		dc.FIN = r
	}
	if fromInit {
		dc.BytesFromInitiator += uint64(p.PayloadLen)
	} else {
		dc.BytesFromAcceptor += uint64(p.PayloadLen)
	}
}

// icmp records an ICMP unreachable on the data connection it quotes.
func (a *Analyzer) icmp(p *capture.Packet) {
	q := p
	key, _ := makeKey(q.QuotedSrc.Addr(), q.QuotedDst.Addr(), q.QuotedSrc.Port(), q.QuotedDst.Port())
	f := a.flows[key]
	if f == nil || f.kind != flowData || f.data.ICMP.Valid() {
		return
	}
	dc := f.data
	dc.ICMP, dc.ICMPType, dc.ICMPCode, dc.ICMPFrom = ref(p), p.ICMPType, p.ICMPCode, p.Src
	dc.Last = dc.ICMP
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
		delete(a.flows, key)
		return
	}
	delete(a.flows, key)
	g := cd.first
	// The greeting came from the server: the client is its destination.
	c := a.newControl(key, cd.serverIsA, g, false, "greeting")
	if c != nil {
		c.sess.MidStream = true
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
		if c.sess.Closed != "" && c.sess.End.Before(before) && len(c.open) > 0 {
			for _, n := range c.open {
				a.forget(n)
			}
			c.open = nil
		}
	}
}
