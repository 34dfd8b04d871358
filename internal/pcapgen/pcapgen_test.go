package pcapgen

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

// item is one record the test script writes, and what it should read back as.
type item struct {
	kind  string // "tcp", "icmp" or "raw"
	tcp   TCP    // the segment, or the segment quoted by an ICMP message
	time  time.Time
	iface int
	from  netip.Addr // ICMP sender
	code  uint8
	raw   []byte
	orig  int // raw original length
}

// script returns the records to write for o: on each interface, IPv4 and
// IPv6 segments (with and without extension headers, cut by Snap, with a
// bad checksum), ICMP unreachables quoting them, and a garbage record.
func script(o Options) []item {
	var items []item
	for iface := 0; iface <= len(o.Interfaces); iface++ {
		i := 0
		tm := func() time.Time {
			i++
			return t0.Add(time.Duration(iface*100+i) * 1500 * time.Microsecond)
		}
		c4 := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(iface), 1}), 50000)
		s4 := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(iface), 2}), 21)
		c6 := netip.MustParseAddrPort(fmt.Sprintf("[2001:db8:%d::1]:50001", iface))
		s6 := netip.MustParseAddrPort(fmt.Sprintf("[2001:db8:%d::2]:21", iface))
		seg := func(p TCP) TCP { p.Time, p.Iface = tm(), iface; return p }
		syn := seg(TCP{Src: c4, Dst: s4, Seq: 0xFFFFFFF0, Flags: SYN, Window: 64240})
		user := seg(TCP{Src: c4, Dst: s4, Seq: 0xFFFFFFF1, Ack: 7, Flags: PSH | ACK, Window: 502, TTL: 128,
			Payload: []byte("USER anonymous\r\n")})
		eprt := seg(TCP{Src: c6, Dst: s6, Seq: 1, Ack: 2, Flags: PSH | ACK, Window: 1000,
			Payload: []byte("EPRT |2|2001:db8::1|50002|\r\n")})
		ext := seg(TCP{Src: s6, Dst: c6, Seq: 2, Ack: 31, Flags: PSH | ACK, Window: 1000, IPv6ExtHeaders: true,
			Payload: []byte("200 ok\r\n\x00")}) // odd length
		fin6 := seg(TCP{Src: c6, Dst: s6, Seq: 31, Ack: 11, Flags: FIN | ACK, Window: 1000, IPv6ExtHeaders: true})
		bad := seg(TCP{Src: s4, Dst: c4, Seq: 7, Ack: 0x1, Flags: RST | ACK, BadChecksum: true})
		for _, p := range []TCP{syn, user, eprt, ext, fin6, bad} {
			items = append(items, item{kind: "tcp", tcp: p, time: p.Time, iface: iface})
		}
		if !o.SimplePackets {
			// Cut inside the payload: the link header, 20+20 bytes of
			// headers and 10 bytes of the 100-byte payload.
			cut := seg(TCP{Src: c4, Dst: s4, Seq: 0x11, Ack: 7, Flags: ACK, Window: 502,
				Payload: bytes.Repeat([]byte("x"), 100)})
			cut.Snap = o.Link.HeaderLen() + 50
			if iface > 0 {
				cut.Snap = o.Interfaces[iface-1].HeaderLen() + 50
			}
			items = append(items, item{kind: "tcp", tcp: cut, time: cut.Time, iface: iface})
		}
		items = append(items,
			item{kind: "icmp", tcp: user, time: tm(), iface: iface, from: netip.AddrFrom4([4]byte{10, 0, byte(iface), 254}), code: 1},
			item{kind: "icmp", tcp: ext, time: tm(), iface: iface, from: netip.MustParseAddr(fmt.Sprintf("2001:db8:%d::fe", iface)), code: 4},
		)
		if !o.SimplePackets && iface == 0 {
			items = append(items, item{kind: "raw", raw: []byte{1, 2, 3, 4, 5, 6, 7}, orig: 1000, time: tm()})
		}
	}
	return items
}

func writeScript(t testing.TB, o Options, items []item) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		switch it.kind {
		case "tcp":
			err = w.WriteTCP(it.tcp)
		case "icmp":
			q := it.tcp
			q.Iface = it.iface
			err = w.WriteICMPUnreachable(it.time, it.from, q, it.code)
		case "raw":
			err = w.WriteRaw(it.time, it.raw, it.orig)
		}
		if err != nil {
			t.Fatalf("writing %s: %v", it.kind, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type readRecord struct {
	ci   gopacket.CaptureInfo
	data []byte
	link layers.LinkType
}

// readBack decodes a capture with gopacket's pcapgo readers.
func readBack(t testing.TB, file []byte, o Options) []readRecord {
	t.Helper()
	var r io.Reader = bytes.NewReader(file)
	if o.Gzip {
		if len(file) < 2 || file[0] != 0x1f || file[1] != 0x8b {
			t.Fatalf("Gzip file starts % x, not with the gzip magic", file[:min(2, len(file))])
		}
		gz, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = gz
	}
	var out []readRecord
	if o.Format == Pcapng {
		ng, err := pcapgo.NewNgReader(r, pcapgo.NgReaderOptions{WantMixedLinkType: true})
		if err != nil {
			t.Fatal(err)
		}
		for {
			data, ci, err := ng.ReadPacketData()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("record %d: %v", len(out), err)
			}
			out = append(out, readRecord{ci, data, ci.AncillaryData[0].(layers.LinkType)})
		}
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	wantRes := gopacket.TimestampResolutionMicrosecond
	if o.Format == PcapNano || o.Format == PcapNanoBigEndian {
		wantRes = gopacket.TimestampResolutionNanosecond
	}
	if pr.Resolution() != wantRes {
		t.Errorf("resolution %v, want %v", pr.Resolution(), wantRes)
	}
	wantSnap := o.Snaplen
	if wantSnap == 0 {
		wantSnap = DefaultSnaplen
	}
	if pr.Snaplen() != wantSnap {
		t.Errorf("snaplen %d, want %d", pr.Snaplen(), wantSnap)
	}
	for {
		data, ci, err := pr.ReadPacketData()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(out), err)
		}
		out = append(out, readRecord{ci, data, pr.LinkType()})
	}
}

func expectedMAC(a netip.Addr) net.HardwareAddr {
	s := a.As16()
	return net.HardwareAddr{0x02, 0x00, s[12], s[13], s[14], s[15]}
}

// headerLens returns the lengths of the IP headers (extension headers
// included) and of the L4 message of an item.
func headerLens(it item) (ip, l4 int) {
	v6 := it.tcp.Src.Addr().Is6()
	switch it.kind {
	case "tcp":
		ip = 20
		if v6 {
			ip = 40
			if it.tcp.IPv6ExtHeaders {
				ip += 16
			}
		}
		return ip, 20 + len(it.tcp.Payload)
	case "icmp":
		qip, _ := headerLens(item{kind: "tcp", tcp: it.tcp})
		if v6 {
			return 40, 8 + qip + 8
		}
		return 20, 8 + qip + 8
	}
	return 0, 0
}

var allLinks = []LinkType{Ethernet, EthernetVLAN, EthernetQinQ, LinuxSLL, LinuxSLL2, RawIP, Null, Loop}
var allFormats = []Format{PcapMicro, PcapNano, PcapMicroBigEndian, PcapNanoBigEndian, Pcapng}

type decodeCase struct {
	name string
	o    Options
}

func decodeCases() []decodeCase {
	var cases []decodeCase
	for _, f := range allFormats {
		for _, l := range allLinks {
			cases = append(cases, decodeCase{fmt.Sprintf("%v/%v", f, l), Options{Format: f, Link: l, VLAN: 100, InnerVLAN: 200}})
		}
	}
	return append(cases,
		decodeCase{"gzip/PcapMicro/Ethernet", Options{Format: PcapMicro, Link: Ethernet, Gzip: true}},
		decodeCase{"gzip/PcapNanoBigEndian/EthernetQinQ", Options{Format: PcapNanoBigEndian, Link: EthernetQinQ, VLAN: 4094, InnerVLAN: 1, Gzip: true}},
		decodeCase{"gzip/Pcapng/LinuxSLL2", Options{Format: Pcapng, Link: LinuxSLL2, Gzip: true}},
		decodeCase{"Pcapng/two interfaces Ethernet+LinuxSLL2", Options{Format: Pcapng, Link: Ethernet, Interfaces: []LinkType{LinuxSLL2}}},
		decodeCase{"Pcapng/three interfaces gzip", Options{Format: Pcapng, Link: RawIP, Interfaces: []LinkType{EthernetVLAN, Null}, VLAN: 7, Gzip: true}},
		decodeCase{"Pcapng/SimplePackets/Ethernet", Options{Format: Pcapng, Link: Ethernet, SimplePackets: true}},
		decodeCase{"Pcapng/SimplePackets/snaplen 80", Options{Format: Pcapng, Link: LinuxSLL, SimplePackets: true, Snaplen: 80}},
		decodeCase{"PcapMicro/snaplen 64", Options{Format: PcapMicro, Link: Ethernet, Snaplen: 64}},
		decodeCase{"PcapNano/LinuxSLL2 IfIndex 7 Local server", Options{Format: PcapNano, Link: LinuxSLL2, IfIndex: 7, Local: netip.MustParseAddr("10.0.0.2")}},
		decodeCase{"PcapMicro/Null AF 28", Options{Format: PcapMicro, Link: Null, NullAF6: AFInet6FreeBSD}},
		decodeCase{"PcapMicroBigEndian/Null AF 30", Options{Format: PcapMicroBigEndian, Link: Null, NullAF6: AFInet6Darwin}},
		decodeCase{"Pcapng/Loop AF 30", Options{Format: Pcapng, Link: Loop, NullAF6: AFInet6Darwin}},
	)
}

// TestDecode writes every link type in every format (and gzip, several
// pcapng interfaces, Simple Packet Blocks, snap lengths) and checks what
// gopacket decodes against what was written.
func TestDecode(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			items := script(tc.o)
			file := writeScript(t, tc.o, items)
			recs := readBack(t, file, tc.o)
			if len(recs) != len(items) {
				t.Fatalf("read %d records, wrote %d", len(recs), len(items))
			}
			links := append([]LinkType{tc.o.Link}, tc.o.Interfaces...)
			local := tc.o.Local
			if !local.IsValid() {
				local = items[0].tcp.Src.Addr()
			}
			for i, it := range items {
				t.Run(fmt.Sprintf("record %d %s", i, it.kind), func(t *testing.T) {
					checkRecord(t, tc.o, links[it.iface], local, it, recs[i])
				})
			}
		})
	}
}

func checkRecord(t *testing.T, o Options, link LinkType, local netip.Addr, it item, rec readRecord) {
	if rec.link != layers.LinkType(link.Number()) {
		t.Fatalf("link type %v, want %v (%d)", rec.link, link, link.Number())
	}
	if o.Format == Pcapng && !o.SimplePackets && rec.ci.InterfaceIndex != it.iface {
		t.Errorf("interface %d, want %d", rec.ci.InterfaceIndex, it.iface)
	}
	wantTime := it.time
	switch {
	case o.SimplePackets:
		wantTime = time.Time{} // an SPB has no timestamp
	case o.Format == PcapMicro || o.Format == PcapMicroBigEndian:
		wantTime = wantTime.Truncate(time.Microsecond)
	}
	if !rec.ci.Timestamp.Equal(wantTime) {
		t.Errorf("time %v, want %v", rec.ci.Timestamp, wantTime)
	}
	if it.kind == "raw" {
		if !bytes.Equal(rec.data, it.raw) || rec.ci.Length != it.orig {
			t.Errorf("raw record % x (orig %d), want % x (orig %d)", rec.data, rec.ci.Length, it.raw, it.orig)
		}
		return
	}

	ipLen, l4Len := headerLens(it)
	full := link.HeaderLen() + ipLen + l4Len
	caplen := full
	if it.tcp.Snap > 0 && it.kind == "tcp" {
		caplen = min(caplen, it.tcp.Snap)
	}
	if o.Snaplen > 0 {
		caplen = min(caplen, int(o.Snaplen))
	}
	if rec.ci.Length != full || rec.ci.CaptureLength != caplen || len(rec.data) != caplen {
		t.Fatalf("lengths: captured %d (data %d), original %d; want %d, %d", rec.ci.CaptureLength, len(rec.data), rec.ci.Length, caplen, full)
	}
	truncated := caplen < full

	src, dst := it.tcp.Src.Addr(), it.tcp.Dst.Addr()
	if it.kind == "icmp" {
		src, dst = it.from, it.tcp.Src.Addr()
	}
	v6 := src.Is6()
	pkt := gopacket.NewPacket(rec.data, rec.link, gopacket.Default)
	checkLink(t, o, link, pkt, rec.data, src, dst, v6, src == local)

	var nl gopacket.NetworkLayer
	if v6 {
		ip6, ok := pkt.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if !ok {
			t.Fatalf("no IPv6 layer: %v", pkt)
		}
		if ip6.Length != uint16(ipLen-40+l4Len) {
			t.Errorf("IPv6 payload length %d, want %d", ip6.Length, ipLen-40+l4Len)
		}
		nl = ip6
		hasHop := pkt.Layer(layers.LayerTypeIPv6HopByHop) != nil
		hasDst := pkt.Layer(layers.LayerTypeIPv6Destination) != nil
		wantExt := it.kind == "tcp" && it.tcp.IPv6ExtHeaders
		if hasHop != wantExt || hasDst != wantExt {
			t.Errorf("Hop-by-Hop %v, Destination Options %v; want both %v", hasHop, hasDst, wantExt)
		}
	} else {
		ip4, ok := pkt.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if !ok {
			t.Fatalf("no IPv4 layer: %v", pkt)
		}
		if ip4.Length != uint16(ipLen+l4Len) || ip4.IHL != 5 || ip4.Flags != layers.IPv4DontFragment {
			t.Errorf("IPv4 length %d IHL %d flags %v, want %d 5 DF", ip4.Length, ip4.IHL, ip4.Flags, ipLen+l4Len)
		}
		if _, res := ip4.VerifyChecksum(); !res.Valid {
			t.Errorf("IPv4 header checksum %#04x, want %#04x", res.Actual, res.Correct)
		}
		nl = ip4
	}
	if s, d := nl.NetworkFlow().Endpoints(); s.String() != src.String() || d.String() != dst.String() {
		t.Errorf("addresses %v -> %v, want %v -> %v", s, d, src, dst)
	}

	if it.kind == "icmp" {
		if !truncated {
			checkICMP(t, pkt, nl, it)
		}
		return
	}
	p := it.tcp
	if caplen < link.HeaderLen()+ipLen+20 {
		return // cut inside the TCP header
	}
	tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if !ok {
		t.Fatalf("no TCP layer: %v", pkt)
	}
	if uint16(tcp.SrcPort) != p.Src.Port() || uint16(tcp.DstPort) != p.Dst.Port() {
		t.Errorf("ports %d -> %d, want %d -> %d", tcp.SrcPort, tcp.DstPort, p.Src.Port(), p.Dst.Port())
	}
	if tcp.Seq != p.Seq || tcp.Ack != p.Ack || tcp.Window != p.Window || tcp.DataOffset != 5 {
		t.Errorf("seq %#x ack %#x window %d offset %d, want %#x %#x %d 5", tcp.Seq, tcp.Ack, tcp.Window, tcp.DataOffset, p.Seq, p.Ack, p.Window)
	}
	flags := map[string][2]bool{
		"FIN": {tcp.FIN, p.Flags&FIN != 0}, "SYN": {tcp.SYN, p.Flags&SYN != 0}, "RST": {tcp.RST, p.Flags&RST != 0},
		"PSH": {tcp.PSH, p.Flags&PSH != 0}, "ACK": {tcp.ACK, p.Flags&ACK != 0}, "URG": {tcp.URG, p.Flags&URG != 0},
	}
	for name, f := range flags {
		if f[0] != f[1] {
			t.Errorf("flag %s is %v, want %v", name, f[0], f[1])
		}
	}
	wantPayload := p.Payload[:len(p.Payload)-(full-caplen)]
	if !bytes.Equal(tcp.Payload, wantPayload) {
		t.Errorf("payload %q, want %q", tcp.Payload, wantPayload)
	}
	if truncated {
		return // the checksum covers bytes not captured
	}
	tcp.SetNetworkLayerForChecksum(nl)
	_, res := tcp.VerifyChecksum()
	if res.Valid == p.BadChecksum {
		t.Errorf("TCP checksum %#04x valid=%v (correct %#04x), want valid=%v", res.Actual, res.Valid, res.Correct, !p.BadChecksum)
	}
	wantTTL := p.TTL
	if wantTTL == 0 {
		wantTTL = 64
	}
	if ttl := ttlOf(nl); ttl != wantTTL {
		t.Errorf("TTL %d, want %d", ttl, wantTTL)
	}
}

func ttlOf(n gopacket.NetworkLayer) uint8 {
	switch ip := n.(type) {
	case *layers.IPv4:
		return ip.TTL
	case *layers.IPv6:
		return ip.HopLimit
	}
	return 0
}

func checkLink(t *testing.T, o Options, link LinkType, pkt gopacket.Packet, data []byte, src, dst netip.Addr, v6, outgoing bool) {
	t.Helper()
	etype := layers.EthernetTypeIPv4
	if v6 {
		etype = layers.EthernetTypeIPv6
	}
	switch link {
	case Ethernet, EthernetVLAN, EthernetQinQ:
		eth, ok := pkt.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		if !ok {
			t.Fatalf("no Ethernet layer: %v", pkt)
		}
		if eth.SrcMAC.String() != expectedMAC(src).String() || eth.DstMAC.String() != expectedMAC(dst).String() {
			t.Errorf("MACs %v -> %v, want %v -> %v", eth.SrcMAC, eth.DstMAC, expectedMAC(src), expectedMAC(dst))
		}
		var vids []uint16
		var types []layers.EthernetType
		for _, l := range pkt.Layers() {
			if d, ok := l.(*layers.Dot1Q); ok {
				vids = append(vids, d.VLANIdentifier)
				types = append(types, d.Type)
			}
		}
		wantOuter, wantVIDs := etype, []uint16(nil)
		switch link {
		case EthernetVLAN:
			wantOuter, wantVIDs = layers.EthernetTypeDot1Q, []uint16{o.VLAN}
		case EthernetQinQ:
			wantOuter, wantVIDs = layers.EthernetTypeQinQ, []uint16{o.VLAN, o.InnerVLAN}
		}
		if eth.EthernetType != wantOuter || fmt.Sprint(vids) != fmt.Sprint(wantVIDs) {
			t.Errorf("EtherType %v VLANs %v, want %v %v", eth.EthernetType, vids, wantOuter, wantVIDs)
		}
		if len(types) > 0 && types[len(types)-1] != etype {
			t.Errorf("inner EtherType %v, want %v", types[len(types)-1], etype)
		}
	case LinuxSLL:
		sll, ok := pkt.Layer(layers.LayerTypeLinuxSLL).(*layers.LinuxSLL)
		if !ok {
			t.Fatalf("no SLL layer: %v", pkt)
		}
		wantType := layers.LinuxSLLPacketTypeHost
		if outgoing {
			wantType = layers.LinuxSLLPacketTypeOutgoing
		}
		if sll.PacketType != wantType || sll.AddrType != 1 || sll.AddrLen != 6 ||
			sll.Addr.String() != expectedMAC(src).String() || sll.EthernetType != etype {
			t.Errorf("SLL %+v, want type %v ARPHRD 1 addr %v proto %v", sll, wantType, expectedMAC(src), etype)
		}
		if !bytes.Equal(data[12:14], []byte{0, 0}) {
			t.Errorf("SLL address padding % x", data[12:14])
		}
	case LinuxSLL2:
		sll, ok := pkt.Layer(layers.LayerTypeLinuxSLL2).(*layers.LinuxSLL2)
		if !ok {
			t.Fatalf("no SLL2 layer: %v", pkt)
		}
		wantType := layers.LinuxSLL2PacketTypeHost
		if outgoing {
			wantType = layers.LinuxSLL2PacketTypeOutgoing
		}
		wantIf := max(o.IfIndex, 1)
		if sll.PacketType != wantType || sll.ARPHardwareType != 1 || sll.AddrLength != 6 || sll.InterfaceIndex != wantIf ||
			sll.Addr.String() != expectedMAC(src).String() || sll.ProtocolType != etype {
			t.Errorf("SLL2 %+v, want type %v ARPHRD 1 ifindex %d addr %v proto %v", sll, wantType, wantIf, expectedMAC(src), etype)
		}
		if !bytes.Equal(data[2:4], []byte{0, 0}) || !bytes.Equal(data[18:20], []byte{0, 0}) {
			t.Errorf("SLL2 reserved field or address padding not zero: % x", data[:20])
		}
	case RawIP:
		if first := pkt.Layers()[0].LayerType(); first != layers.LayerTypeIPv4 && first != layers.LayerTypeIPv6 {
			t.Errorf("first layer %v, want IP", first)
		}
	case Null, Loop:
		lb, ok := pkt.Layer(layers.LayerTypeLoopback).(*layers.Loopback)
		if !ok {
			t.Fatalf("no Loopback layer: %v", pkt)
		}
		want := uint32(2)
		if v6 {
			want = o.NullAF6
			if want == 0 {
				want = AFInet6BSD
			}
		}
		if uint32(lb.Family) != want {
			t.Errorf("family %d, want %d", lb.Family, want)
		}
		var order binary.ByteOrder = binary.BigEndian
		if link == Null && (o.Format == PcapMicro || o.Format == PcapNano || o.Format == Pcapng) {
			order = binary.LittleEndian
		}
		if got := order.Uint32(data); got != want {
			t.Errorf("family header % x, want %d in %v", data[:4], want, order)
		}
	}
}

func checkICMP(t *testing.T, pkt gopacket.Packet, nl gopacket.NetworkLayer, it item) {
	t.Helper()
	q := it.tcp
	qip, _ := headerLens(item{kind: "tcp", tcp: q})
	var quoted []byte
	if q.Src.Addr().Is6() {
		icmp, ok := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
		if !ok {
			t.Fatalf("no ICMPv6 layer: %v", pkt)
		}
		if icmp.TypeCode.Type() != layers.ICMPv6TypeDestinationUnreachable || icmp.TypeCode.Code() != it.code {
			t.Errorf("ICMPv6 %v, want type 1 code %d", icmp.TypeCode, it.code)
		}
		icmp.SetNetworkLayerForChecksum(nl)
		if _, res := icmp.VerifyChecksum(); !res.Valid {
			t.Errorf("ICMPv6 checksum %#04x, want %#04x", res.Actual, res.Correct)
		}
		quoted = icmp.Payload[4:]
		if len(quoted) != qip+8 || quoted[0]>>4 != 6 || !bytes.Equal(quoted[8:24], q.Src.Addr().AsSlice()) ||
			binary.BigEndian.Uint16(quoted[4:]) != uint16(qip-40+20+len(q.Payload)) {
			t.Errorf("quoted IPv6 header % x", quoted)
		}
		if q.IPv6ExtHeaders && (quoted[6] != 0 || quoted[40] != 60 || quoted[48] != 6) {
			t.Errorf("quoted extension headers: next headers %d %d %d, want 0 60 6", quoted[6], quoted[40], quoted[48])
		}
	} else {
		icmp, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		if !ok {
			t.Fatalf("no ICMPv4 layer: %v", pkt)
		}
		if icmp.TypeCode.Type() != layers.ICMPv4TypeDestinationUnreachable || icmp.TypeCode.Code() != it.code {
			t.Errorf("ICMPv4 %v, want type 3 code %d", icmp.TypeCode, it.code)
		}
		if _, res := icmp.VerifyChecksum(); !res.Valid {
			t.Errorf("ICMPv4 checksum %#04x, want %#04x", res.Actual, res.Correct)
		}
		quoted = icmp.Payload
		if len(quoted) != 28 || quoted[0] != 0x45 || quoted[9] != 6 ||
			binary.BigEndian.Uint16(quoted[2:]) != uint16(40+len(q.Payload)) ||
			!bytes.Equal(quoted[12:16], q.Src.Addr().AsSlice()) || !bytes.Equal(quoted[16:20], q.Dst.Addr().AsSlice()) {
			t.Errorf("quoted IPv4 header % x", quoted)
		}
		if gopacket.FoldChecksum(gopacket.ComputeChecksum(quoted[:20], 0)) != 0 {
			t.Errorf("quoted IPv4 header checksum is wrong")
		}
	}
	th := quoted[qip:]
	if binary.BigEndian.Uint16(th) != q.Src.Port() || binary.BigEndian.Uint16(th[2:]) != q.Dst.Port() ||
		binary.BigEndian.Uint32(th[4:]) != q.Seq {
		t.Errorf("quoted TCP % x, want ports %d %d seq %#x", th, q.Src.Port(), q.Dst.Port(), q.Seq)
	}
}

// TestFileStructure checks the bytes of the file headers and the pcapng
// block framing by hand, independently of gopacket's tolerance.
func TestFileStructure(t *testing.T) {
	magics := map[Format]string{
		PcapMicro:          "d4c3b2a1 0200 0400",
		PcapNano:           "4d3cb2a1 0200 0400",
		PcapMicroBigEndian: "a1b2c3d4 0002 0004",
		PcapNanoBigEndian:  "a1b23c4d 0002 0004",
	}
	for f, want := range magics {
		for _, l := range allLinks {
			t.Run(fmt.Sprintf("%v/%v", f, l), func(t *testing.T) {
				o := Options{Format: f, Link: l, Snaplen: 1500}
				file := writeScript(t, o, script(o))
				if got := fmt.Sprintf("%x %x %x", file[:4], file[4:6], file[6:8]); got != want {
					t.Errorf("magic and version %s, want %s", got, want)
				}
				order := pcapOrder(file)
				if order.Uint32(file[16:]) != 1500 || order.Uint32(file[20:]) != uint32(l.Number()) {
					t.Errorf("snaplen %d link %d", order.Uint32(file[16:]), order.Uint32(file[20:]))
				}
				if RecordOffset(file, len(script(o))) != len(file) {
					t.Errorf("records do not end at the end of the file")
				}
			})
		}
	}

	t.Run("Pcapng", func(t *testing.T) {
		var buf bytes.Buffer
		o := Options{Format: Pcapng, Link: LinuxSLL, Interfaces: []LinkType{Null, EthernetQinQ}, Snaplen: 9000}
		w, err := NewWriter(&buf, o)
		if err != nil {
			t.Fatal(err)
		}
		c4 := netip.MustParseAddrPort("192.0.2.1:40000")
		s4 := netip.MustParseAddrPort("192.0.2.2:21")
		for n := 0; n < 4; n++ { // payloads of every length mod 4
			if err := w.WriteTCP(TCP{Time: t0, Src: c4, Dst: s4, Iface: n % 3, Payload: make([]byte, n)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.WriteNgBlock(0x0BAD, []byte("custom")); err != nil {
			t.Fatal(err)
		}
		if err := w.SetSimplePackets(true); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteTCP(TCP{Time: t0, Src: c4, Dst: s4, Payload: []byte("odd")}); err != nil {
			t.Fatal(err)
		}
		w.SetSimplePackets(false)
		if err := w.WriteTCP(TCP{Time: t0.Add(time.Second), Src: c4, Dst: s4, Iface: 2}); err != nil {
			t.Fatal(err)
		}
		w.Close()

		type block struct {
			typ  uint32
			body []byte
		}
		var blocks []block
		b := buf.Bytes()
		for len(b) > 0 {
			if len(b) < 12 {
				t.Fatalf("%d bytes left over", len(b))
			}
			typ, n := le.Uint32(b), int(le.Uint32(b[4:]))
			if n%4 != 0 || n < 12 || n > len(b) || int(le.Uint32(b[n-4:])) != n {
				t.Fatalf("block %#x: length %d, trailer %d", typ, n, le.Uint32(b[n-4:]))
			}
			blocks = append(blocks, block{typ, b[8 : n-4]})
			b = b[n:]
		}
		var got []string
		for _, bl := range blocks {
			got = append(got, fmt.Sprintf("%#x", bl.typ))
		}
		want := "[0xa0d0d0a 0x1 0x1 0x1 0x6 0x6 0x6 0x6 0xbad 0x3 0x6]"
		if fmt.Sprint(got) != want {
			t.Fatalf("blocks %v, want %v", got, want)
		}
		shb := blocks[0].body
		if fmt.Sprintf("%x", shb) != "4d3c2b1a01000000ffffffffffffffff" {
			t.Errorf("SHB body %x", shb)
		}
		for i, l := range []LinkType{LinuxSLL, Null, EthernetQinQ} {
			idb := blocks[1+i].body
			if le.Uint16(idb) != l.Number() || le.Uint32(idb[4:]) != 9000 ||
				fmt.Sprintf("%x", idb[8:]) != "0900010009000000"+"00000000" {
				t.Errorf("IDB %d: %x", i, idb)
			}
		}
		for i := 0; i < 4; i++ {
			epb := blocks[4+i].body
			capLen := int(le.Uint32(epb[12:]))
			ts := int64(le.Uint32(epb[4:]))<<32 | int64(le.Uint32(epb[8:]))
			if int(le.Uint32(epb)) != i%3 || ts != t0.UnixNano() || capLen != int(le.Uint32(epb[16:])) ||
				len(epb) != 20+pad4(capLen) {
				t.Errorf("EPB %d: iface %d ts %d caplen %d orig %d body %d", i, le.Uint32(epb), ts, capLen, le.Uint32(epb[16:]), len(epb))
			}
			if !bytes.Equal(epb[20+capLen:], make([]byte, pad4(capLen)-capLen)) {
				t.Errorf("EPB %d padding % x", i, epb[20+capLen:])
			}
		}
		if string(blocks[8].body) != "custom\x00\x00" {
			t.Errorf("custom block body %q", blocks[8].body)
		}
		spb := blocks[9].body
		if orig := le.Uint32(spb); orig != 16+20+20+3 || len(spb) != 4+pad4(int(orig)) || !bytes.Equal(spb[4+orig-3:], []byte("odd\x00")) {
			t.Errorf("SPB %x", spb)
		}
		if iface := le.Uint32(blocks[10].body); iface != 2 {
			t.Errorf("EPB after SPB on interface %d", iface)
		}
		// gopacket skips the unknown block and reads the SPB.
		recs := readBack(t, buf.Bytes(), o)
		if len(recs) != 6 || recs[4].ci.Length != 59 || recs[5].ci.InterfaceIndex != 2 {
			t.Errorf("gopacket read %d records", len(recs))
		}
	})
}

// TestConn checks the sequence numbers, flags, payloads and times of a
// Conn session against a hand-written table, across a sequence wrap.
func TestConn(t *testing.T) {
	client := netip.MustParseAddrPort("[2001:db8::10]:51000")
	server := netip.MustParseAddrPort("[2001:db8::21]:21")
	var c, s uint32 = 0xFFFFFFF0, 0xFFFFFFFE // variables, so that c+40 wraps
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Options{Format: PcapNano, Link: Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	conn := w.NewConn(client, server, t0)
	conn.SetISN(c, s)
	conn.IPv6ExtHeaders = true
	conn.Window = 1234
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(conn.Handshake())
	must(conn.Client("USER a\r\n"))
	must(conn.Server("331 ok\r\n"))
	must(conn.ClientSegments("PO", "RT 1,2,3,4,5,6\r\n"))
	conn.Advance(2 * time.Second)
	noop := conn.NextClientSegment([]byte("NOOP\r\n"))
	quit := conn.NextClientSegment([]byte("QUIT\r\n"))
	must(w.WriteTCP(quit))
	must(w.WriteTCP(noop))
	must(w.WriteTCP(noop))
	must(w.WriteTCP(conn.NextServerSegment(nil)))
	must(conn.Close())
	if cs, ss := conn.Seq(); cs != c+40 || ss != s+10 {
		t.Errorf("Seq() = %#x %#x after close", cs, ss)
	}

	conn2 := w.NewConn(netip.MustParseAddrPort("10.1.1.1:40000"), netip.MustParseAddrPort("10.1.1.2:21"), t0.Add(time.Hour))
	conn2.Step = time.Second
	must(conn2.Client("x"))
	must(conn2.Reset(false))
	conn3 := w.NewConn(netip.MustParseAddrPort("10.1.1.1:40001"), netip.MustParseAddrPort("10.1.1.2:20"), t0.Add(2*time.Hour))
	must(conn3.CloseFrom(false))
	must(w.Close())

	const C, S = true, false
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	want := []struct {
		fromClient bool
		flags      uint8
		seq, ack   uint32
		payload    string
		time       time.Time
	}{
		{C, SYN, c, 0, "", ms(0)},
		{S, SYN | ACK, s, c + 1, "", ms(1)},
		{C, ACK, c + 1, s + 1, "", ms(2)},
		{C, PSH | ACK, c + 1, s + 1, "USER a\r\n", ms(3)},
		{S, ACK, s + 1, c + 9, "", ms(4)},
		{S, PSH | ACK, s + 1, c + 9, "331 ok\r\n", ms(5)},
		{C, ACK, c + 9, s + 9, "", ms(6)},
		{C, PSH | ACK, c + 9, s + 9, "PO", ms(7)},
		{C, PSH | ACK, c + 11, s + 9, "RT 1,2,3,4,5,6\r\n", ms(8)},
		{S, ACK, s + 9, c + 27, "", ms(9)},
		{C, PSH | ACK, c + 33, s + 9, "QUIT\r\n", ms(2011)},
		{C, PSH | ACK, c + 27, s + 9, "NOOP\r\n", ms(2010)},
		{C, PSH | ACK, c + 27, s + 9, "NOOP\r\n", ms(2010)},
		{S, ACK, s + 9, c + 39, "", ms(2012)},
		{C, FIN | ACK, c + 39, s + 9, "", ms(2013)},
		{S, FIN | ACK, s + 9, c + 40, "", ms(2014)},
		{C, ACK, c + 40, s + 10, "", ms(2015)},
		// conn2, default ISNs, one-second steps
		{C, PSH | ACK, DefaultClientISN, DefaultServerISN, "x", ms(3600000)},
		{S, ACK, DefaultServerISN, DefaultClientISN + 1, "", ms(3601000)},
		{S, RST | ACK, DefaultServerISN, DefaultClientISN + 1, "", ms(3602000)},
		// conn3, closed by the server
		{S, FIN | ACK, DefaultServerISN, DefaultClientISN, "", ms(7200000)},
		{C, FIN | ACK, DefaultClientISN, DefaultServerISN + 1, "", ms(7200001)},
		{S, ACK, DefaultServerISN + 1, DefaultClientISN + 1, "", ms(7200002)},
	}
	recs := readBack(t, buf.Bytes(), Options{Format: PcapNano})
	if len(recs) != len(want) {
		t.Fatalf("read %d records, want %d", len(recs), len(want))
	}
	for i, wt := range want {
		pkt := gopacket.NewPacket(recs[i].data, recs[i].link, gopacket.Default)
		tcp, ok := pkt.Layer(layers.LayerTypeTCP).(*layers.TCP)
		if !ok {
			t.Fatalf("record %d: no TCP: %v", i, pkt)
		}
		var flags uint8
		for bit, on := range map[uint8]bool{FIN: tcp.FIN, SYN: tcp.SYN, RST: tcp.RST, PSH: tcp.PSH, ACK: tcp.ACK} {
			if on {
				flags |= bit
			}
		}
		fromClient := uint16(tcp.SrcPort) >= 40000
		if fromClient != wt.fromClient || flags != wt.flags || tcp.Seq != wt.seq || tcp.Ack != wt.ack ||
			string(tcp.Payload) != wt.payload || !recs[i].ci.Timestamp.Equal(wt.time) {
			t.Errorf("record %d: client=%v flags %#x seq %#x ack %#x %q at %v;\n           want client=%v flags %#x seq %#x ack %#x %q at %v",
				i, fromClient, flags, tcp.Seq, tcp.Ack, tcp.Payload, recs[i].ci.Timestamp,
				wt.fromClient, wt.flags, wt.seq, wt.ack, wt.payload, wt.time)
		}
		if i < 17 && (tcp.Window != 1234 || pkt.Layer(layers.LayerTypeIPv6HopByHop) == nil) {
			t.Errorf("record %d: window %d, ext headers %v: Conn fields not applied", i, tcp.Window, pkt.Layer(layers.LayerTypeIPv6HopByHop) != nil)
		}
	}
}

// TestChecksum compares the 64-bit checksum with gopacket's 16-bit one on
// random data of every length up to 300 and random starting sums.
func TestChecksum(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for n := 0; n <= 300; n++ {
		for k := 0; k < 20; k++ {
			b := make([]byte, n)
			rng.Read(b)
			if k == 0 {
				for i := range b {
					b[i] = 0xff
				}
			}
			init := uint32(rng.Intn(1 << 20))
			if got, want := checksum(b, uint64(init)), gopacket.FoldChecksum(gopacket.ComputeChecksum(b, init)); got != want {
				t.Fatalf("len %d init %#x: checksum %#04x, gopacket %#04x", n, init, got, want)
			}
		}
	}
}

func TestBrokenFiles(t *testing.T) {
	for _, f := range []Format{PcapMicro, PcapNanoBigEndian} {
		t.Run(f.String(), func(t *testing.T) {
			var buf bytes.Buffer
			w, _ := NewWriter(&buf, Options{Format: f, Link: RawIP, Snaplen: 65535})
			for n := 0; n < 3; n++ {
				w.WriteRaw(t0, bytes.Repeat([]byte{byte(n)}, 10+n), 10+n)
			}
			w.Close()
			file := buf.Bytes()
			for i, want := range []int{24, 24 + 16 + 10, 24 + 32 + 21, 24 + 48 + 33} {
				if got := RecordOffset(file, i); got != want {
					t.Errorf("RecordOffset(%d) = %d, want %d", i, got, want)
				}
			}
			orig := append([]byte(nil), file...)
			bad := CorruptRecordLength(file, 1, 0x7fffffff)
			if !bytes.Equal(file, orig) {
				t.Errorf("CorruptRecordLength changed its input")
			}
			r, err := pcapgo.NewReader(bytes.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := r.ReadPacketData(); err != nil {
				t.Errorf("record 0: %v", err)
			}
			if _, _, err := r.ReadPacketData(); err == nil {
				t.Errorf("record 1 with captured length 0x7fffffff read without error")
			}

			cut := Truncate(file, RecordOffset(file, 2)+20)
			if len(cut) != 24+32+21+20 || Truncate(file, 1<<20) == nil || len(Truncate(file, -1)) != 0 {
				t.Errorf("Truncate lengths")
			}
			r, _ = pcapgo.NewReader(bytes.NewReader(cut))
			n := 0
			for {
				if _, _, err = r.ReadPacketData(); err != nil {
					break
				}
				n++
			}
			if n != 2 || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Errorf("read %d records then %v from a file cut in record 2", n, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	v4 := netip.MustParseAddrPort("10.0.0.1:1")
	v6 := netip.MustParseAddrPort("[::1]:2")
	if _, err := NewWriter(io.Discard, Options{Format: PcapMicro, Interfaces: []LinkType{Ethernet}}); err == nil {
		t.Error("pcap with several interfaces accepted")
	}
	if _, err := NewWriter(io.Discard, Options{Format: PcapMicro, SimplePackets: true}); err == nil {
		t.Error("pcap with SimplePackets accepted")
	}
	if _, err := NewWriter(io.Discard, Options{Link: 99}); err == nil {
		t.Error("link type 99 accepted")
	}
	w, _ := NewWriter(io.Discard, Options{Format: Pcapng, Interfaces: []LinkType{RawIP}})
	if err := w.WriteTCP(TCP{Src: v4, Dst: v6}); err == nil {
		t.Error("mixed address families accepted")
	}
	if err := w.WriteTCP(TCP{Src: v4, Dst: v4, Iface: 2}); err == nil {
		t.Error("interface 2 of 2 accepted")
	}
	if err := w.WriteTCP(TCP{Src: v4, Dst: v4, Payload: make([]byte, 70000)}); err == nil {
		t.Error("IPv4 packet longer than 65535 accepted")
	}
	w.SetSimplePackets(true)
	if err := w.WriteTCP(TCP{Src: v4, Dst: v4, Iface: 1}); err == nil {
		t.Error("SPB on interface 1 accepted")
	}
	if err := w.WriteTCP(TCP{Src: v4, Dst: v4, Snap: 30}); err == nil {
		t.Error("SPB cut by Snap accepted")
	}
	w.Close()
	if err := w.WriteTCP(TCP{Src: v4, Dst: v4}); err == nil {
		t.Error("write after Close accepted")
	}
}
