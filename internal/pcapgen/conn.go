package pcapgen

import (
	"net/netip"
	"time"
)

// Default initial sequence numbers of a Conn (see SetISN).
const (
	DefaultClientISN uint32 = 1000
	DefaultServerISN uint32 = 500000
)

// Conn writes the segments of one TCP connection, keeping the sequence
// numbers of both sides and a clock. Every segment is stamped with the
// clock, which then advances by Step. Acknowledgment numbers acknowledge
// everything the other side has sent so far.
//
// The exported fields are copied into each segment and may be changed
// between calls.
type Conn struct {
	// Step is how far the clock advances after each segment (1ms by
	// default).
	Step time.Duration
	// Window is the advertised window of every segment (65535 by default).
	Window uint16
	// TTL is every segment's TTL (hop limit); ClientTTL and ServerTTL,
	// when set, override it for one side's segments, as a capture point
	// some routers away from one host sees them.
	TTL, ClientTTL, ServerTTL uint8
	Iface                     int
	IPv6ExtHeaders            bool

	w              *Writer
	client, server netip.AddrPort
	now            time.Time
	cseq, sseq     uint32 // next sequence number each side sends
	buf            []byte // payload scratch for the string methods
}

// NewConn returns a Conn between client and server whose first segment is
// stamped start. It writes nothing: start with Handshake, or write data
// directly to simulate a capture begun in the middle of a connection.
func (w *Writer) NewConn(client, server netip.AddrPort, start time.Time) *Conn {
	return &Conn{
		Step:   time.Millisecond,
		Window: 65535,
		w:      w,
		client: client,
		server: server,
		now:    start,
		cseq:   DefaultClientISN,
		sseq:   DefaultServerISN,
	}
}

// SetISN sets the next sequence number of each side: call it before
// Handshake to choose the initial sequence numbers (e.g. 0xFFFFFFF0 to test
// wrap-around).
func (c *Conn) SetISN(client, server uint32) { c.cseq, c.sseq = client, server }

// Seq returns the next sequence number of each side.
func (c *Conn) Seq() (client, server uint32) { return c.cseq, c.sseq }

// Now returns the time the next segment will carry.
func (c *Conn) Now() time.Time { return c.now }

// Advance moves the clock forward by d.
func (c *Conn) Advance(d time.Duration) { c.now = c.now.Add(d) }

// ClientAddr returns the client's endpoint.
func (c *Conn) ClientAddr() netip.AddrPort { return c.client }

// ServerAddr returns the server's endpoint.
func (c *Conn) ServerAddr() netip.AddrPort { return c.server }

// segment builds a segment from one side, consuming len(payload) sequence
// numbers plus one for SYN and one for FIN, and advances the clock.
func (c *Conn) segment(fromClient bool, flags uint8, payload []byte) TCP {
	p := TCP{
		Time:           c.now,
		Flags:          flags,
		Window:         c.Window,
		Payload:        payload,
		TTL:            c.TTL,
		Iface:          c.Iface,
		IPv6ExtHeaders: c.IPv6ExtHeaders,
	}
	seq, ack := &c.sseq, c.cseq
	p.Src, p.Dst = c.server, c.client
	if c.ServerTTL != 0 {
		p.TTL = c.ServerTTL
	}
	if fromClient {
		seq, ack = &c.cseq, c.sseq
		p.Src, p.Dst = c.client, c.server
		p.TTL = c.TTL
		if c.ClientTTL != 0 {
			p.TTL = c.ClientTTL
		}
	}
	p.Seq = *seq
	if flags&ACK != 0 {
		p.Ack = ack
	}
	*seq += uint32(len(payload))
	if flags&(SYN|FIN) != 0 {
		*seq++
	}
	c.now = c.now.Add(c.Step)
	return p
}

func dataFlags(payload []byte) uint8 {
	if len(payload) == 0 {
		return ACK
	}
	return PSH | ACK
}

// NextClientSegment builds the client's next segment carrying payload
// (PSH|ACK, or a bare ACK when payload is empty) and advances the sequence
// number and the clock as if it had been written, without writing it. The
// segment keeps payload, not a copy.
func (c *Conn) NextClientSegment(payload []byte) TCP {
	return c.segment(true, dataFlags(payload), payload)
}

// NextServerSegment is NextClientSegment for the server.
func (c *Conn) NextServerSegment(payload []byte) TCP {
	return c.segment(false, dataFlags(payload), payload)
}

func (c *Conn) write(fromClient bool, flags uint8, payload []byte) error {
	p := c.segment(fromClient, flags, payload)
	return c.w.writeTCP(&p)
}

// Handshake writes SYN, SYN-ACK and ACK.
func (c *Conn) Handshake() error {
	if err := c.write(true, SYN, nil); err != nil {
		return err
	}
	if err := c.write(false, SYN|ACK, nil); err != nil {
		return err
	}
	return c.write(true, ACK, nil)
}

// Client writes one PSH|ACK segment from the client carrying payload, then
// the server's ACK.
func (c *Conn) Client(payload string) error { return c.ClientSegments(payload) }

// Server writes one PSH|ACK segment from the server carrying payload, then
// the client's ACK.
func (c *Conn) Server(payload string) error { return c.ServerSegments(payload) }

// ClientSegments writes one client segment per part, then one server ACK
// for all of them.
func (c *Conn) ClientSegments(parts ...string) error { return c.segments(true, parts) }

// ServerSegments writes one server segment per part, then one client ACK
// for all of them.
func (c *Conn) ServerSegments(parts ...string) error { return c.segments(false, parts) }

func (c *Conn) segments(fromClient bool, parts []string) error {
	for _, s := range parts {
		c.buf = append(c.buf[:0], s...)
		b := c.buf
		if err := c.write(fromClient, dataFlags(b), b); err != nil {
			return err
		}
	}
	return c.write(!fromClient, ACK, nil)
}

// Close writes a client-initiated close: FIN|ACK from the client,
// FIN|ACK from the server, and the client's final ACK.
func (c *Conn) Close() error { return c.CloseFrom(true) }

// CloseFrom writes a close initiated by the client (fromClient) or the
// server: FIN|ACK, FIN|ACK from the other side, and the final ACK.
func (c *Conn) CloseFrom(fromClient bool) error {
	if err := c.write(fromClient, FIN|ACK, nil); err != nil {
		return err
	}
	if err := c.write(!fromClient, FIN|ACK, nil); err != nil {
		return err
	}
	return c.write(fromClient, ACK, nil)
}

// Reset writes an RST|ACK from the client (fromClient) or the server.
func (c *Conn) Reset(fromClient bool) error {
	return c.write(fromClient, RST|ACK, nil)
}
