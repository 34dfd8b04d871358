// Package capture reads packets from capture files and live interfaces and
// decodes each one into a compact Packet: the few TCP/IP and ICMP facts that
// FTP analysis needs, tagged with where it was captured (input and frame).
//
// Everything here is on the per-packet path: a Decoder and a Reader reuse
// their buffers, and a Packet's Payload aliases the reader's buffer until the
// next call. Nothing is allocated per packet.
package capture

import (
	"net/netip"
	"time"
)

// Flags are the TCP header flags, with the header's bit values.
type Flags uint8

// TCP flag bits.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// Has reports whether every flag in f2 is set.
func (f Flags) Has(f2 Flags) bool { return f&f2 == f2 }

// Kind says what a decoded packet is.
type Kind uint8

// Packet kinds. Only TCP segments and ICMP errors about TCP segments matter
// to FTP analysis; everything else is Other.
const (
	Other Kind = iota
	TCP
	ICMPUnreachable // ICMP/ICMPv6 destination unreachable quoting a TCP segment
)

// Packet is one decoded capture record. The zero value is an empty packet;
// a Decoder overwrites every field.
type Packet struct {
	Input   int       // index of the input (file or interface) within its capture point
	Frame   uint64    // 1-based record number within the input, as Wireshark counts
	Time    time.Time // capture timestamp
	CapLen  int       // bytes captured
	WireLen int       // bytes on the wire
	Iface   int       // pcapng interface index (0 for pcap)

	Kind     Kind
	Src, Dst netip.Addr // innermost IP header's addresses
	TTL      uint8      // IPv4 TTL or IPv6 hop limit
	Fragment bool       // an IPv4 or IPv6 fragment (not decoded further)

	// TCP (Kind == TCP).
	SrcPort, DstPort uint16
	Seq, Ack         uint32
	Flags            Flags
	Window           uint16
	// Payload is the captured TCP payload. It aliases the reader's buffer and
	// is valid only until the next packet is read: copy what you keep.
	Payload []byte
	// PayloadLen is the payload length according to the IP header; it is
	// larger than len(Payload) when the snap length cut the packet.
	PayloadLen int

	// ICMP (Kind == ICMPUnreachable): the type and code, and the TCP segment
	// the error quotes (sent from QuotedSrc to QuotedDst).
	ICMPType, ICMPCode   uint8
	QuotedSrc, QuotedDst netip.AddrPort
}

// Truncated reports whether the snap length cut this packet.
func (p *Packet) Truncated() bool { return p.CapLen < p.WireLen }
