package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// LinkType is a pcap/pcapng link-layer header type (LINKTYPE_* numbers).
type LinkType = layers.LinkType

// Decoder turns link-layer frames into Packets. It owns one set of layer
// structs, reused for every packet by gopacket's DecodingLayerParser, so
// decoding allocates nothing. A Decoder is not safe for concurrent use.
type Decoder struct {
	eth      layers.Ethernet
	dot1q    layers.Dot1Q
	sll      layers.LinuxSLL
	sll2     layers.LinuxSLL2
	loop     layers.Loopback
	ip4      layers.IPv4
	ip6      layers.IPv6
	ip6ext   layers.IPv6ExtensionSkipper
	ip6frag  layers.IPv6Fragment
	tcp      layers.TCP
	icmp4    layers.ICMPv4
	icmp6    layers.ICMPv6
	parsers  map[gopacket.LayerType]*gopacket.DecodingLayerParser
	decoded  []gopacket.LayerType
	lastLink LinkType
	lastDLP  *gopacket.DecodingLayerParser
}

// NewDecoder returns a Decoder for every link type ftpsniff supports:
// Ethernet (with 802.1Q and QinQ tags), Linux cooked SLL and SLL2, raw
// IPv4/IPv6, and BSD loopback (NULL and LOOP).
func NewDecoder() *Decoder {
	d := &Decoder{parsers: make(map[gopacket.LayerType]*gopacket.DecodingLayerParser), decoded: make([]gopacket.LayerType, 0, 16)}
	for _, first := range []gopacket.LayerType{layers.LayerTypeEthernet, layers.LayerTypeLinuxSLL,
		layers.LayerTypeLinuxSLL2, layers.LayerTypeLoopback, layers.LayerTypeIPv4, layers.LayerTypeIPv6} {
		p := gopacket.NewDecodingLayerParser(first,
			&d.eth, &d.dot1q, &d.sll, &d.sll2, &d.loop, &d.ip4, &d.ip6, &d.ip6ext, &d.tcp, &d.icmp4, &d.icmp6)
		// Added after the skipper so that fragments are seen for what they are.
		p.AddDecodingLayer(&d.ip6frag)
		p.IgnoreUnsupported = true
		d.parsers[first] = p
	}
	d.lastLink = 0xFFFF
	return d
}

// Supported reports whether the Decoder can decode frames of link type lt.
func (d *Decoder) Supported(lt LinkType) bool {
	switch lt {
	case layers.LinkTypeEthernet, layers.LinkTypeLinuxSLL, layers.LinkTypeLinuxSLL2,
		layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		return true
	}
	return false
}

func (d *Decoder) parserFor(lt LinkType, data []byte) *gopacket.DecodingLayerParser {
	switch lt {
	case layers.LinkTypeEthernet:
		return d.parsers[layers.LayerTypeEthernet]
	case layers.LinkTypeLinuxSLL:
		return d.parsers[layers.LayerTypeLinuxSLL]
	case layers.LinkTypeLinuxSLL2:
		return d.parsers[layers.LayerTypeLinuxSLL2]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		return d.parsers[layers.LayerTypeLoopback]
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		// Raw IP: the version nibble says which. (12 and 14 are DLT_RAW on
		// some BSDs, written as-is by old tools.)
		if len(data) > 0 && data[0]>>4 == 6 {
			return d.parsers[layers.LayerTypeIPv6]
		}
		return d.parsers[layers.LayerTypeIPv4]
	}
	return nil
}

// Decode decodes one frame of link type lt into p, overwriting every
// decoded field (Input, Frame, Time, CapLen and WireLen are the caller's;
// Iface too, except that a Linux SLL2 header sets it to its interface
// index). It returns false when the frame is not TCP or an ICMP error
// about TCP (p.Kind is then Other).
func (d *Decoder) Decode(lt LinkType, data []byte, p *Packet) bool {
	p.Kind = Other
	p.Src, p.Dst = netip.Addr{}, netip.Addr{}
	p.TTL = 0
	p.Fragment = false
	p.SrcPort, p.DstPort, p.Seq, p.Ack, p.Flags, p.Window = 0, 0, 0, 0, 0, 0
	p.Payload, p.PayloadLen = nil, 0
	p.ICMPType, p.ICMPCode = 0, 0
	p.QuotedSrc, p.QuotedDst = netip.AddrPort{}, netip.AddrPort{}
	if decodeFast(lt, data, p) {
		return true
	}
	return d.decodeLayers(lt, data, p)
}

// decodeLayers decodes with gopacket's DecodingLayerParser what decodeFast
// leaves: every supported link type, IPv6 extension headers, fragments,
// ICMP errors, odd and damaged headers.
func (d *Decoder) decodeLayers(lt LinkType, data []byte, p *Packet) bool {
	var dlp *gopacket.DecodingLayerParser
	if lt == d.lastLink && lt != layers.LinkTypeRaw {
		dlp = d.lastDLP
	} else {
		dlp = d.parserFor(lt, data)
		if dlp == nil {
			return false
		}
		d.lastLink, d.lastDLP = lt, dlp
	}
	// Errors are expected (truncated or odd packets): what decoded before
	// the error is still in d.decoded and used below.
	_ = dlp.DecodeLayers(data, &d.decoded)

	var net gopacket.LayerType
	var ipPayloadLen int
	tcp, icmp4, icmp6 := false, false, false
	for _, lt := range d.decoded {
		switch lt {
		case layers.LayerTypeIPv4:
			net = lt
			p.Src = netip.AddrFrom4([4]byte(d.ip4.SrcIP.To4()))
			p.Dst = netip.AddrFrom4([4]byte(d.ip4.DstIP.To4()))
			p.TTL = d.ip4.TTL
			ipPayloadLen = int(d.ip4.Length) - int(d.ip4.IHL)*4
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				p.Fragment = true
			}
		case layers.LayerTypeIPv6:
			net = lt
			p.Src = netip.AddrFrom16([16]byte(d.ip6.SrcIP.To16()))
			p.Dst = netip.AddrFrom16([16]byte(d.ip6.DstIP.To16()))
			p.TTL = d.ip6.HopLimit
			ipPayloadLen = int(d.ip6.Length)
		case layers.LayerTypeIPv6Fragment:
			p.Fragment = true
		case layers.LayerTypeLinuxSLL2:
			// A capture on Linux's "any" device: the interface is in the
			// SLL2 header.
			p.Iface = int(d.sll2.InterfaceIndex)
		case layers.LayerTypeTCP:
			tcp = true
		case layers.LayerTypeICMPv4:
			icmp4 = true
		case layers.LayerTypeICMPv6:
			icmp6 = true
		}
	}
	if net == 0 || p.Fragment {
		return false
	}
	switch {
	case tcp:
		t := &d.tcp
		p.Kind = TCP
		p.SrcPort, p.DstPort = uint16(t.SrcPort), uint16(t.DstPort)
		p.Seq, p.Ack = t.Seq, t.Ack
		p.Window = t.Window
		p.Flags = Flags(t.Contents[13]) // the header's flag byte, bit for bit
		p.Payload = t.Payload
		// The IP header's length says how much payload was sent, even when the
		// snap length cut what was captured. For IPv6 the extension headers
		// are counted in Length; they are small and rare on control streams,
		// so the TCP header offset below is what matters.
		p.PayloadLen = len(t.Payload)
		if hdr := int(t.DataOffset) * 4; ipPayloadLen-hdr > p.PayloadLen && net == layers.LayerTypeIPv4 {
			p.PayloadLen = ipPayloadLen - hdr
		}
		return true
	case icmp4:
		// Destination unreachable (3) and time exceeded (11) quote the packet.
		if d.icmp4.TypeCode.Type() != layers.ICMPv4TypeDestinationUnreachable {
			return false
		}
		p.ICMPType, p.ICMPCode = d.icmp4.TypeCode.Type(), d.icmp4.TypeCode.Code()
		return quoteTCP(d.icmp4.Payload, p)
	case icmp6:
		if d.icmp6.TypeCode.Type() != layers.ICMPv6TypeDestinationUnreachable {
			return false
		}
		p.ICMPType, p.ICMPCode = d.icmp6.TypeCode.Type(), d.icmp6.TypeCode.Code()
		// ICMPv6 error bodies start with 4 unused bytes before the quote.
		if len(d.icmp6.Payload) < 4 {
			return false
		}
		return quoteTCP(d.icmp6.Payload[4:], p)
	}
	return false
}

// quoteTCP reads the IP header and first 8 bytes of TCP that an ICMP error
// quotes (RFC 792, RFC 4443), by hand: the quote is usually cut short, which
// a full decoder rejects.
func quoteTCP(b []byte, p *Packet) bool {
	if len(b) < 1 {
		return false
	}
	var src, dst netip.Addr
	var rest []byte
	switch b[0] >> 4 {
	case 4:
		ihl := int(b[0]&0x0f) * 4
		if ihl < 20 || len(b) < ihl+8 || b[9] != byte(layers.IPProtocolTCP) {
			return false
		}
		src = netip.AddrFrom4([4]byte(b[12:16]))
		dst = netip.AddrFrom4([4]byte(b[16:20]))
		rest = b[ihl:]
	case 6:
		if len(b) < 48 || b[6] != byte(layers.IPProtocolTCP) {
			return false
		}
		src = netip.AddrFrom16([16]byte(b[8:24]))
		dst = netip.AddrFrom16([16]byte(b[24:40]))
		rest = b[40:]
	default:
		return false
	}
	p.Kind = ICMPUnreachable
	p.QuotedSrc = netip.AddrPortFrom(src, binary.BigEndian.Uint16(rest[0:2]))
	p.QuotedDst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(rest[2:4]))
	p.Seq = binary.BigEndian.Uint32(rest[4:8])
	return true
}
