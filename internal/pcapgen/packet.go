package pcapgen

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"time"
)

// TCP flag bits, as in the TCP header.
const (
	FIN uint8 = 0x01
	SYN uint8 = 0x02
	RST uint8 = 0x04
	PSH uint8 = 0x08
	ACK uint8 = 0x10
	URG uint8 = 0x20
)

// TCP is one TCP segment to write. IPv4 or IPv6 is chosen by the family of
// the addresses, which must agree.
type TCP struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Seq, Ack uint32
	Flags    uint8
	Window   uint16
	Payload  []byte
	// TTL is the IPv4 TTL or IPv6 hop limit; 0 means 64.
	TTL uint8
	// Iface is the pcapng interface index (0 for pcap files).
	Iface int
	// IPv6ExtHeaders inserts an 8-byte Hop-by-Hop Options header and an
	// 8-byte Destination Options header (each holding one PadN option)
	// between the IPv6 header and TCP. Ignored for IPv4.
	IPv6ExtHeaders bool
	// Snap, if > 0 and less than the packet's length, cuts the record to
	// Snap bytes (link header included), leaving the original length whole.
	Snap int
	// BadChecksum writes the complement of the correct TCP checksum, as a
	// capture of outgoing packets with checksum offload may show.
	BadChecksum bool
}

const (
	protoHopByHop = 0
	protoICMP     = 1
	protoTCP      = 6
	protoDstOpts  = 60
	protoICMPv6   = 58

	etherIPv4 = 0x0800
	etherIPv6 = 0x86DD
)

var (
	errFamily   = errors.New("pcapgen: source and destination addresses must both be IPv4 or both IPv6")
	errTooLarge = errors.New("pcapgen: packet too large for its IP length field")
)

// WriteTCP writes one TCP segment as a packet record.
func (w *Writer) WriteTCP(p TCP) error {
	return w.writeTCP(&p)
}

func (w *Writer) writeTCP(p *TCP) error {
	if p.Iface < 0 || p.Iface >= len(w.links) {
		return errors.New("pcapgen: TCP.Iface names no interface")
	}
	src, dst := p.Src.Addr(), p.Dst.Addr()
	v6, err := family(src, dst)
	if err != nil {
		return err
	}
	w.noteLocal(src)
	b := w.appendLink(w.pkt[:0], w.links[p.Iface], src, dst, v6)
	b, err = w.appendIPTCP(b, p, v6)
	w.pkt = b
	if err != nil {
		return err
	}
	return w.packet(p.Iface, p.Time, b, p.Payload, p.Snap)
}

// packet writes a packet made of head and tail as a record cut to snap
// bytes (if > 0) and to the snap length.
func (w *Writer) packet(iface int, t time.Time, head, tail []byte, snap int) error {
	orig := len(head) + len(tail)
	caplen := orig
	if snap > 0 && snap < caplen {
		if w.simple {
			return errors.New("pcapgen: a Simple Packet Block cannot be cut by TCP.Snap")
		}
		caplen = snap
	}
	if int(w.o.Snaplen) < caplen {
		caplen = int(w.o.Snaplen)
	}
	if caplen <= len(head) {
		head, tail = head[:caplen], nil
	} else {
		tail = tail[:caplen-len(head)]
	}
	return w.record(iface, t, head, tail, orig)
}

// WriteICMPUnreachable writes a Destination Unreachable message with the
// given code (ICMPv4 type 3, or ICMPv6 type 1 for IPv6) sent from `from` to
// the address of quoted.Src. It quotes the IP header of quoted (with its
// IPv6 extension headers, if any) and the first 8 bytes of its TCP header,
// as a router or host would. The quoted headers carry the lengths and
// checksums of the whole segment. The record uses quoted.Iface and t.
func (w *Writer) WriteICMPUnreachable(t time.Time, from netip.Addr, quoted TCP, code uint8) error {
	if quoted.Iface < 0 || quoted.Iface >= len(w.links) {
		return errors.New("pcapgen: TCP.Iface names no interface")
	}
	to := quoted.Src.Addr()
	v6, err := family(from, to)
	if err != nil {
		return err
	}
	if qv6, err := family(quoted.Src.Addr(), quoted.Dst.Addr()); err != nil {
		return err
	} else if qv6 != v6 {
		return errFamily
	}
	w.noteLocal(from)
	q, err := w.appendIPTCP(w.quote[:0], &quoted, v6)
	w.quote = q
	if err != nil {
		return err
	}
	q = q[:len(q)-20+8] // IP headers and the first 8 bytes of TCP
	icmpLen := 8 + len(q)

	b := w.appendLink(w.pkt[:0], w.links[quoted.Iface], from, to, v6)
	var sum uint64
	if v6 {
		b = appendIPv6(b, from, to, protoICMPv6, icmpLen, 64)
		sum = pseudoSum(from, to, protoICMPv6, icmpLen)
	} else {
		b = w.appendIPv4(b, from, to, protoICMP, icmpLen, 64)
	}
	icmp := len(b)
	typ := uint8(3)
	if v6 {
		typ = 1
	}
	b = append(b, typ, code, 0, 0, 0, 0, 0, 0)
	b = append(b, q...)
	binary.BigEndian.PutUint16(b[icmp+2:], checksum(b[icmp:], sum))
	w.pkt = b
	return w.packet(quoted.Iface, t, b, nil, 0)
}

func family(src, dst netip.Addr) (v6 bool, err error) {
	if !src.IsValid() || !dst.IsValid() {
		return false, errors.New("pcapgen: missing address")
	}
	if src.Is4() != dst.Is4() || src.Is4In6() || dst.Is4In6() {
		return false, errFamily
	}
	return !src.Is4(), nil
}

func (w *Writer) noteLocal(src netip.Addr) {
	if !w.local.IsValid() {
		w.local = src
	}
}

// mac returns a locally administered unicast MAC address derived from the
// last four bytes of a.
func mac(a netip.Addr) [6]byte {
	s := a.As16()
	return [6]byte{0x02, 0x00, s[12], s[13], s[14], s[15]}
}

func (w *Writer) appendLink(b []byte, l LinkType, src, dst netip.Addr, v6 bool) []byte {
	ether := uint16(etherIPv4)
	if v6 {
		ether = etherIPv6
	}
	switch l {
	case Ethernet, EthernetVLAN, EthernetQinQ:
		d, s := mac(dst), mac(src)
		b = append(b, d[:]...)
		b = append(b, s[:]...)
		switch l {
		case EthernetVLAN:
			b = binary.BigEndian.AppendUint16(b, 0x8100)
			b = binary.BigEndian.AppendUint16(b, w.o.VLAN&0x0fff)
		case EthernetQinQ:
			b = binary.BigEndian.AppendUint16(b, 0x88a8)
			b = binary.BigEndian.AppendUint16(b, w.o.VLAN&0x0fff)
			b = binary.BigEndian.AppendUint16(b, 0x8100)
			b = binary.BigEndian.AppendUint16(b, w.o.InnerVLAN&0x0fff)
		}
		b = binary.BigEndian.AppendUint16(b, ether)
	case LinuxSLL:
		s := mac(src)
		b = binary.BigEndian.AppendUint16(b, uint16(w.packetType(src)))
		b = binary.BigEndian.AppendUint16(b, 1) // ARPHRD_ETHER
		b = binary.BigEndian.AppendUint16(b, 6) // address length
		b = append(b, s[:]...)
		b = append(b, 0, 0) // address field is 8 bytes
		b = binary.BigEndian.AppendUint16(b, ether)
	case LinuxSLL2:
		s := mac(src)
		b = binary.BigEndian.AppendUint16(b, ether)
		b = append(b, 0, 0) // reserved
		b = binary.BigEndian.AppendUint32(b, w.o.IfIndex)
		b = binary.BigEndian.AppendUint16(b, 1) // ARPHRD_ETHER
		b = append(b, w.packetType(src), 6)
		b = append(b, s[:]...)
		b = append(b, 0, 0)
	case Null, Loop:
		af := uint32(2)
		if v6 {
			af = w.o.NullAF6
		}
		// Null is in the capturing host's byte order, taken to be the
		// file's; Loop is always big-endian.
		if l == Null && w.order == binary.ByteOrder(binary.LittleEndian) {
			b = binary.LittleEndian.AppendUint32(b, af)
		} else {
			b = binary.BigEndian.AppendUint32(b, af)
		}
	}
	return b
}

// packetType is the Linux cooked-capture packet type: 4 (outgoing) for
// packets sent by the capturing host, 0 (to us) for the others.
func (w *Writer) packetType(src netip.Addr) uint8 {
	if src == w.local {
		return 4
	}
	return 0
}

// appendIPTCP appends the IP header(s) and the TCP header of p, with all
// lengths and checksums computed over p.Payload, which is not appended.
func (w *Writer) appendIPTCP(b []byte, p *TCP, v6 bool) ([]byte, error) {
	src, dst := p.Src.Addr(), p.Dst.Addr()
	ttl := p.TTL
	if ttl == 0 {
		ttl = 64
	}
	tcpLen := 20 + len(p.Payload)
	if v6 {
		ipPayload := tcpLen
		next := uint8(protoTCP)
		if p.IPv6ExtHeaders {
			ipPayload += 16
			next = protoHopByHop
		}
		if ipPayload > 0xffff {
			return b, errTooLarge
		}
		b = appendIPv6(b, src, dst, next, ipPayload, ttl)
		if p.IPv6ExtHeaders {
			// Each: next header, length in 8-octet units beyond the
			// first (0), then a PadN option of 4 zero bytes.
			b = append(b, protoDstOpts, 0, 1, 4, 0, 0, 0, 0)
			b = append(b, protoTCP, 0, 1, 4, 0, 0, 0, 0)
		}
	} else {
		if 20+tcpLen > 0xffff {
			return b, errTooLarge
		}
		b = w.appendIPv4(b, src, dst, protoTCP, tcpLen, ttl)
	}
	t := len(b)
	b = binary.BigEndian.AppendUint16(b, p.Src.Port())
	b = binary.BigEndian.AppendUint16(b, p.Dst.Port())
	b = binary.BigEndian.AppendUint32(b, p.Seq)
	b = binary.BigEndian.AppendUint32(b, p.Ack)
	b = append(b, 5<<4, p.Flags)
	b = binary.BigEndian.AppendUint16(b, p.Window)
	b = append(b, 0, 0, 0, 0) // checksum, urgent pointer
	sum := pseudoSum(src, dst, protoTCP, tcpLen)
	sum = sum16(b[t:], sum) // the header has even length
	c := checksum(p.Payload, sum)
	if p.BadChecksum {
		c = ^c
	}
	binary.BigEndian.PutUint16(b[t+16:], c)
	return b, nil
}

func (w *Writer) appendIPv4(b []byte, src, dst netip.Addr, proto uint8, payload int, ttl uint8) []byte {
	h := len(b)
	w.ipID++
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(20+payload))
	b = binary.BigEndian.AppendUint16(b, w.ipID)
	b = append(b, 0x40, 0, ttl, proto, 0, 0) // DF, TTL, protocol, checksum
	s, d := src.As4(), dst.As4()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	binary.BigEndian.PutUint16(b[h+10:], checksum(b[h:], 0))
	return b
}

func appendIPv6(b []byte, src, dst netip.Addr, next uint8, payload int, hop uint8) []byte {
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(payload))
	b = append(b, next, hop)
	s, d := src.As16(), dst.As16()
	b = append(b, s[:]...)
	return append(b, d[:]...)
}

// pseudoSum is the unfolded sum of the TCP/UDP/ICMPv6 pseudo-header.
func pseudoSum(src, dst netip.Addr, proto uint8, length int) uint64 {
	var sum uint64
	if src.Is4() {
		s, d := src.As4(), dst.As4()
		sum = uint64(binary.BigEndian.Uint32(s[:])) + uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		s, d := src.As16(), dst.As16()
		sum = sum16(s[:], 0)
		sum = sum16(d[:], sum)
	}
	return sum + uint64(proto) + uint64(length)
}

// sum16 adds b, as big-endian 16-bit words (a last odd byte padded with
// zero), to the unfolded one's-complement sum acc. Words are added eight
// bytes at a time: since 2^16 ≡ 1 mod 2^16-1, folding the 64-bit sum gives
// the same 16-bit sum.
func sum16(b []byte, acc uint64) uint64 {
	var c uint64
	for len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), 0)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[8:]), c)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[16:]), c)
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b[24:]), c)
		acc += c // cannot overflow: a carry leaves acc <= 2^64-2
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.BigEndian.Uint64(b), 0)
		acc += c
		b = b[8:]
	}
	var tail uint64
	if len(b) >= 4 {
		tail += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		tail += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		tail += uint64(b[0]) << 8
	}
	acc, c = bits.Add64(acc, tail, 0)
	return acc + c
}

// checksum returns the Internet checksum of b with the partial sum acc.
func checksum(b []byte, acc uint64) uint16 {
	s := sum16(b, acc)
	s = (s >> 32) + (s & 0xffffffff)
	s = (s >> 32) + (s & 0xffffffff)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	s = (s >> 16) + (s & 0xffff)
	return ^uint16(s)
}
