package capture

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// decodeFast decodes the common case by hand: an Ethernet frame (with up
// to two 802.1Q/QinQ tags) or a raw IP packet, carrying IPv4 without
// options or fragmentation, or IPv6 without extension headers, carrying a
// TCP segment whose header was captured whole. It reads only the bytes
// that fill a Packet, where the DecodingLayerParser decodes every field of
// every layer and finds each next decoder in a map: most of the time spent
// decoding a capture went there.
//
// It reports handled=false for anything else (another link type, ICMP, an
// IP option, an extension header, a fragment, a header cut short, an
// inconsistent length), and the caller decodes the frame with the
// DecodingLayerParser, so both paths give the same Packet for every frame;
// TestFastDecodeMatchesLayerParser and FuzzFastDecode check that they do.
// When handled is true, p holds the segment and the frame is TCP.
func decodeFast(lt LinkType, data []byte, p *Packet) (handled bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return false
		}
		et := binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
		for tags := 0; et == 0x8100 || et == 0x88a8; tags++ {
			if tags == 2 || len(data) < 4 {
				return false
			}
			et = binary.BigEndian.Uint16(data[2:4])
			data = data[4:]
		}
		switch et {
		case 0x0800:
			return fastIPv4(data, p)
		case 0x86dd:
			return fastIPv6(data, p)
		}
		return false
	case layers.LinkTypeRaw, layers.LinkTypeIPv4, layers.LinkTypeIPv6, 12, 14:
		if len(data) > 0 && data[0]>>4 == 6 {
			return fastIPv6(data, p)
		}
		return fastIPv4(data, p)
	}
	return false
}

func fastIPv4(data []byte, p *Packet) bool {
	if len(data) < 20 || data[0] != 0x45 || data[9] != 6 {
		return false // not version 4 with a 20-byte header, or not TCP
	}
	length := int(binary.BigEndian.Uint16(data[2:4]))
	if length < 20 || binary.BigEndian.Uint16(data[6:8])&0x3fff != 0 {
		return false // a zero (TSO) or impossible length; a fragment
	}
	if len(data) > length {
		data = data[:length] // Ethernet padding or a trailer
	}
	if !fastTCP(data[20:], p) {
		return false
	}
	p.Src = netip.AddrFrom4([4]byte(data[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(data[16:20]))
	p.TTL = data[8]
	// The IP header's length says how much payload was sent, even when the
	// snap length cut what was captured.
	if sent := length - 20 - int(data[20+12]>>4)*4; sent > p.PayloadLen {
		p.PayloadLen = sent
	}
	return true
}

func fastIPv6(data []byte, p *Packet) bool {
	if len(data) < 40 || data[0]>>4 != 6 || data[6] != 6 {
		return false // not IPv6, or an extension header before TCP
	}
	length := int(binary.BigEndian.Uint16(data[4:6]))
	if length == 0 {
		return false // a jumbogram
	}
	seg := data[40:]
	if len(seg) > length {
		seg = seg[:length]
	}
	if !fastTCP(seg, p) {
		return false
	}
	p.Src = netip.AddrFrom16([16]byte(data[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(data[24:40]))
	p.TTL = data[7]
	return true
}

// fastTCP fills p's TCP fields from seg, the IP payload as captured.
func fastTCP(seg []byte, p *Packet) bool {
	if len(seg) < 20 {
		return false
	}
	hdr := int(seg[12]>>4) * 4
	if hdr < 20 || hdr > len(seg) {
		return false
	}
	p.Kind = TCP
	p.SrcPort = binary.BigEndian.Uint16(seg[0:2])
	p.DstPort = binary.BigEndian.Uint16(seg[2:4])
	p.Seq = binary.BigEndian.Uint32(seg[4:8])
	p.Ack = binary.BigEndian.Uint32(seg[8:12])
	p.Flags = Flags(seg[13])
	p.Window = binary.BigEndian.Uint16(seg[14:16])
	p.Payload = seg[hdr:]
	p.PayloadLen = len(p.Payload)
	return true
}
