// Package wiretest feeds an analyzer scripted TCP traffic directly, as
// decoded packets (no capture file): a control connection with both sides'
// sequence numbers tracked, data connections with a chosen answer, and the
// TTL of every sender, so tests can state exactly what a capture point saw.
package wiretest

import (
	"net/netip"
	"strings"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
)

// Sink takes packets in capture order (an *analyze.Analyzer).
type Sink interface{ Packet(*capture.Packet) }

// Wire is one control connection between Client and Server, seen at one
// capture point.
type Wire struct {
	Sink           Sink
	Frame          uint64
	Now            time.Time
	Client, Server netip.AddrPort
	// CSeq and SSeq are the next sequence numbers of each side.
	CSeq, SSeq uint32
	// Step is how far the clock moves per packet (10 ms when zero).
	Step time.Duration
	// TTL is the TTL (hop limit) of each sender's packets at this point,
	// by address (64 for an address not listed).
	TTL map[netip.Addr]uint8
}

// Start returns the time of a new Wire's first packet.
func Start() time.Time { return time.Unix(1700000000, 0) }

// New returns a Wire between client and server ("ip:port").
func New(sink Sink, client, server string) *Wire {
	return &Wire{Sink: sink, Now: Start(), Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
		CSeq: 1000, SSeq: 5000, TTL: map[netip.Addr]uint8{}}
}

// SetTTL sets the TTL of the packets addr sends.
func (w *Wire) SetTTL(addr string, ttl uint8) { w.TTL[netip.MustParseAddr(addr)] = ttl }

// Send writes one TCP segment and returns its frame number.
func (w *Wire) Send(src, dst netip.AddrPort, seq, ack uint32, flags capture.Flags, payload string) uint64 {
	return w.send(src, dst, seq, ack, flags, payload, len(payload))
}

// send writes one TCP segment whose payload on the wire was wireLen bytes
// long, of which the capture kept payload.
func (w *Wire) send(src, dst netip.AddrPort, seq, ack uint32, flags capture.Flags, payload string, wireLen int) uint64 {
	w.Frame++
	step := w.Step
	if step == 0 {
		step = 10 * time.Millisecond
	}
	w.Now = w.Now.Add(step)
	ttl := w.TTL[src.Addr()]
	if ttl == 0 {
		ttl = 64
	}
	p := capture.Packet{Frame: w.Frame, Time: w.Now, Kind: capture.TCP, Src: src.Addr(), Dst: dst.Addr(), TTL: ttl,
		SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Ack: ack, Flags: flags, Payload: []byte(payload), PayloadLen: wireLen}
	w.Sink.Packet(&p)
	return w.Frame
}

// ICMP writes an ICMP destination unreachable from `from` (with its TTL)
// quoting a SYN from src to dst.
func (w *Wire) ICMP(from string, typ, code uint8, src, dst netip.AddrPort) uint64 {
	w.Frame++
	w.Now = w.Now.Add(10 * time.Millisecond)
	f := netip.MustParseAddr(from)
	ttl := w.TTL[f]
	if ttl == 0 {
		ttl = 64
	}
	p := capture.Packet{Frame: w.Frame, Time: w.Now, Kind: capture.ICMPUnreachable, Src: f, Dst: src.Addr(), TTL: ttl,
		ICMPType: typ, ICMPCode: code, QuotedSrc: src, QuotedDst: dst}
	w.Sink.Packet(&p)
	return w.Frame
}

// Wait moves the clock on.
func (w *Wire) Wait(d time.Duration) { w.Now = w.Now.Add(d) }

// Handshake writes the control connection's SYN, SYN-ACK and ACK.
func (w *Wire) Handshake() {
	w.Send(w.Client, w.Server, w.CSeq, 0, capture.SYN, "")
	w.Send(w.Server, w.Client, w.SSeq, w.CSeq+1, capture.SYN|capture.ACK, "")
	w.CSeq++
	w.SSeq++
	w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.ACK, "")
}

// C writes a client segment carrying s, acknowledging the server's bytes.
func (w *Wire) C(s string) uint64 {
	f := w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.PSH|capture.ACK, s)
	w.CSeq += uint32(len(s))
	return f
}

// S writes a server segment carrying s, acknowledging the client's bytes.
func (w *Wire) S(s string) uint64 {
	f := w.Send(w.Server, w.Client, w.SSeq, w.CSeq, capture.PSH|capture.ACK, s)
	w.SSeq += uint32(len(s))
	return f
}

// SCut writes a server segment carrying s whose capture the snap length
// cut after keep bytes, acknowledging the client's bytes.
func (w *Wire) SCut(s string, keep int) uint64 {
	f := w.send(w.Server, w.Client, w.SSeq, w.CSeq, capture.PSH|capture.ACK, s[:keep], len(s))
	w.SSeq += uint32(len(s))
	return f
}

// Close writes both FINs and the last ACK.
func (w *Wire) Close() {
	w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
	w.Send(w.Server, w.Client, w.SSeq, w.CSeq+1, capture.FIN|capture.ACK, "")
	w.Send(w.Client, w.Server, w.CSeq+1, w.SSeq+1, capture.ACK, "")
}

// Data writes a data connection from src to dst ("ip:port") and its
// answer: "synack" (with payload bytes from the acceptor, then FINs),
// "rst" (a reset from the acceptor's address, with the TTL set for it),
// "retry" (the SYN retransmitted twice, never answered), "" (one SYN and
// nothing else).
func (w *Wire) Data(src, dst string, answer string, payload int) {
	s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
	w.Send(s, d, 1, 0, capture.SYN, "")
	switch answer {
	case "synack":
		w.Send(d, s, 9, 2, capture.SYN|capture.ACK, "")
		if payload > 0 {
			w.Send(d, s, 10, 2, capture.ACK|capture.PSH, strings.Repeat("x", payload))
		}
		w.Send(d, s, 10+uint32(payload), 2, capture.FIN|capture.ACK, "")
		w.Send(s, d, 2, 11+uint32(payload), capture.FIN|capture.ACK, "")
	case "rst":
		w.Send(d, s, 0, 2, capture.RST|capture.ACK, "")
	case "retry":
		w.Now = w.Now.Add(time.Second)
		w.Send(s, d, 1, 0, capture.SYN, "")
		w.Now = w.Now.Add(2 * time.Second)
		w.Send(s, d, 1, 0, capture.SYN, "")
	}
}
