package capture_test

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 123456789, time.UTC)

// sample writes three TCP segments and an ICMP unreachable in the given
// format and link type.
func sample(t testing.TB, o pcapgen.Options, v6 bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, o)
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:21")
	if v6 {
		cli, srv = netip.MustParseAddrPort("[2001:db8::2]:40000"), netip.MustParseAddrPort("[2001:db8::10]:21")
	}
	segs := []pcapgen.TCP{
		{Time: t0, Src: cli, Dst: srv, Seq: 100, Flags: pcapgen.SYN},
		{Time: t0.Add(time.Millisecond), Src: srv, Dst: cli, Seq: 500, Ack: 101, Flags: pcapgen.SYN | pcapgen.ACK},
		{Time: t0.Add(2 * time.Millisecond), Src: cli, Dst: srv, Seq: 101, Ack: 501, Flags: pcapgen.PSH | pcapgen.ACK, Payload: []byte("USER anonymous\r\n"), IPv6ExtHeaders: v6},
	}
	for _, s := range segs {
		if err := w.WriteTCP(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteICMPUnreachable(t0.Add(3*time.Millisecond), srv.Addr(), segs[0], 3); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(t testing.TB, name string, b []byte) ([]capture.Packet, *capture.Point) {
	t.Helper()
	f, err := capture.NewFile(name, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	pt := capture.NewPoint("p", []string{name}, []capture.Input{f})
	var out []capture.Packet
	for {
		var p capture.Packet
		if err := pt.Next(&p); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		p.Payload = append([]byte(nil), p.Payload...)
		out = append(out, p)
	}
	return out, pt
}

func TestFormatsAndLinkTypes(t *testing.T) {
	links := []pcapgen.LinkType{pcapgen.Ethernet, pcapgen.EthernetVLAN, pcapgen.EthernetQinQ, pcapgen.LinuxSLL,
		pcapgen.LinuxSLL2, pcapgen.RawIP, pcapgen.Null, pcapgen.Loop}
	formats := []pcapgen.Format{pcapgen.PcapMicro, pcapgen.PcapNano, pcapgen.PcapMicroBigEndian, pcapgen.PcapNanoBigEndian, pcapgen.Pcapng}
	for _, link := range links {
		for _, format := range formats {
			for _, v6 := range []bool{false, true} {
				for _, gz := range []bool{false, true} {
					name := link.String() + "/" + format.String()
					if v6 {
						name += "/ipv6"
					}
					if gz {
						name += "/gzip"
					}
					t.Run(name, func(t *testing.T) {
						b := sample(t, pcapgen.Options{Format: format, Link: link, VLAN: 7, InnerVLAN: 8, Gzip: gz}, v6)
						pkts, pt := readAll(t, "x", b)
						if len(pkts) != 4 || pt.Stats.Packets != 4 {
							t.Fatalf("want 4 packets, got %d (stats %+v)", len(pkts), pt.Stats)
						}
						p := pkts[2]
						if p.Kind != capture.TCP || p.Frame != 3 || string(p.Payload) != "USER anonymous\r\n" ||
							p.SrcPort != 40000 || p.DstPort != 21 || p.Seq != 101 || p.Ack != 501 || !p.Flags.Has(capture.PSH|capture.ACK) {
							t.Errorf("segment 3: %+v", p)
						}
						if p.Src.Is6() != v6 || p.Dst.Is4() == v6 {
							t.Errorf("addresses %v -> %v", p.Src, p.Dst)
						}
						wantTime := t0.Add(2 * time.Millisecond)
						if format == pcapgen.PcapMicro || format == pcapgen.PcapMicroBigEndian {
							wantTime = wantTime.Truncate(time.Microsecond)
						}
						if !p.Time.Equal(wantTime) {
							t.Errorf("time %v, want %v", p.Time, wantTime)
						}
						if !pkts[0].Flags.Has(capture.SYN) || pkts[1].Flags != capture.SYN|capture.ACK {
							t.Errorf("handshake flags %v %v", pkts[0].Flags, pkts[1].Flags)
						}
						icmp := pkts[3]
						if icmp.Kind != capture.ICMPUnreachable || icmp.QuotedSrc.Port() != 40000 || icmp.QuotedDst.Port() != 21 || icmp.Seq != 100 {
							t.Errorf("ICMP: %+v", icmp)
						}
					})
				}
			}
		}
	}
}

func TestPcapngMixedInterfacesAndSnaplen(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet,
		Interfaces: []pcapgen.LinkType{pcapgen.LinuxSLL2, pcapgen.RawIP}, Snaplen: 70})
	if err != nil {
		t.Fatal(err)
	}
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:21")
	for i := 0; i < 3; i++ {
		w.WriteTCP(pcapgen.TCP{Time: t0.Add(time.Duration(i) * time.Second), Src: cli, Dst: srv, Seq: 1, Flags: pcapgen.ACK,
			Payload: []byte(strings.Repeat("x", 100)), Iface: i})
	}
	w.Close()
	pkts, pt := readAll(t, "x.pcapng", buf.Bytes())
	if len(pkts) != 3 {
		t.Fatalf("want 3 packets, got %d", len(pkts))
	}
	for i, p := range pkts {
		if p.Iface != i || p.Kind != capture.TCP || !p.Truncated() || p.PayloadLen != 100 || len(p.Payload) >= 100 {
			t.Errorf("packet %d: iface %d kind %v truncated %v payload %d/%d", i, p.Iface, p.Kind, p.Truncated(), len(p.Payload), p.PayloadLen)
		}
	}
	if pt.Stats.Truncated != 3 {
		t.Errorf("truncated %d, want 3", pt.Stats.Truncated)
	}
}

func TestMergeInTimestampOrder(t *testing.T) {
	mk := func(offsets ...int) []byte {
		var buf bytes.Buffer
		w, _ := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
		for _, o := range offsets {
			w.WriteTCP(pcapgen.TCP{Time: t0.Add(time.Duration(o) * time.Second), Src: netip.MustParseAddrPort("10.0.0.1:1"),
				Dst: netip.MustParseAddrPort("10.0.0.2:21"), Seq: uint32(o), Flags: pcapgen.ACK})
		}
		w.Close()
		return buf.Bytes()
	}
	a, _ := capture.NewFile("a", bytes.NewReader(mk(1, 3, 5)))
	b, _ := capture.NewFile("b", bytes.NewReader(mk(2, 4)))
	pt := capture.NewPoint("p", []string{"a", "b"}, []capture.Input{a, b})
	var got []string
	var p capture.Packet
	for pt.Next(&p) == nil {
		got = append(got, []string{"a", "b"}[p.Input]+string(rune('0'+p.Frame))+"@"+string(rune('0'+p.Seq)))
	}
	if want := "a1@1 b1@2 a2@3 b2@4 a3@5"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %s", got, want)
	}
}

func TestDamagedFiles(t *testing.T) {
	good := sample(t, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, false)
	ng := sample(t, pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet}, false)
	for _, tt := range []struct {
		name      string
		data      []byte
		openErr   string
		readErr   string
		wantFrame int // packets delivered before the damage
	}{
		{name: "empty", data: nil, openErr: "empty file"},
		{name: "text", data: []byte("GET / HTTP/1.1\r\n"), openErr: "not a pcap or pcapng file"},
		{name: "short header", data: good[:10], openErr: "inside the pcap header"},
		{name: "cut in a record header", data: good[:pcapgen.RecordOffset(good, 2)+7], readErr: "record 3 at offset", wantFrame: 2},
		{name: "cut in a record body", data: good[:pcapgen.RecordOffset(good, 3)+30], readErr: "record 4 at offset " + strconv.Itoa(pcapgen.RecordOffset(good, 3)), wantFrame: 3},
		{name: "absurd record length", data: pcapgen.CorruptRecordLength(good, 1, 1<<30), readErr: "beyond any snap length", wantFrame: 1},
		{name: "gzip cut before the header", data: gzipped(t, good)[:20], openErr: "gzip stream is cut or damaged"},
		{name: "gzip cut in a record", data: gzipped(t, good)[:200], readErr: "record", wantFrame: -1},
		{name: "pcapng cut", data: ng[:len(ng)-20], readErr: "record 4", wantFrame: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, err := capture.NewFile("damaged.pcap", bytes.NewReader(tt.data))
			if tt.openErr != "" {
				var re *capture.ReadError
				if err == nil || !strings.Contains(err.Error(), tt.openErr) || !errors.As(err, &re) || !strings.HasPrefix(err.Error(), "damaged.pcap: ") {
					t.Fatalf("open error %v, want one naming the file and %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pt := capture.NewPoint("p", []string{"damaged.pcap"}, []capture.Input{f})
			n := 0
			var p capture.Packet
			for pt.Next(&p) == nil {
				n++
			}
			if n != tt.wantFrame && tt.wantFrame >= 0 {
				t.Errorf("%d packets before the damage, want %d", n, tt.wantFrame)
			}
			if len(pt.Errors) != 1 || !strings.Contains(pt.Errors[0].Error(), tt.readErr) || !strings.HasPrefix(pt.Errors[0].Error(), "damaged.pcap: ") {
				t.Errorf("errors %v, want one naming the file and %q", pt.Errors, tt.readErr)
			}
		})
	}
}

func itoa(n int) string {
	return strings.TrimSpace(strings.Replace(time.Duration(n).String(), "ns", "", 1))
}

func gzipped(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, _ := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet, Gzip: true})
	cli, srv := netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:21")
	for i := 0; i < 20; i++ {
		w.WriteTCP(pcapgen.TCP{Time: t0, Src: cli, Dst: srv, Seq: uint32(i), Flags: pcapgen.ACK, Payload: bytes.Repeat([]byte{byte(i)}, 50)})
	}
	w.Close()
	return buf.Bytes()
}

// TestDecodeAllocatesNothing: the per-packet path allocates nothing, for
// every link type and both IP versions. (An IPv6 Hop-by-Hop header is the
// exception: gopacket's layer allocates its options. Such packets are rare:
// MLD, jumbograms.)
func TestDecodeAllocatesNothing(t *testing.T) {
	for _, link := range []pcapgen.LinkType{pcapgen.Ethernet, pcapgen.EthernetQinQ, pcapgen.LinuxSLL, pcapgen.LinuxSLL2, pcapgen.RawIP, pcapgen.Null} {
		for _, v6 := range []bool{false, true} {
			b := sample(t, pcapgen.Options{Format: pcapgen.PcapMicro, Link: link, VLAN: 5, InnerVLAN: 6}, v6)
			f, _ := capture.NewFile("x", bytes.NewReader(b))
			d := capture.NewDecoder()
			var rec capture.Record
			var p capture.Packet
			for i := 0; i < 4; i++ {
				f.ReadRecord(&rec)
				if v6 && i == 2 {
					continue // the segment with extension headers
				}
				data := append([]byte(nil), rec.Data...)
				if n := testing.AllocsPerRun(50, func() { d.Decode(rec.Link, data, &p) }); n != 0 {
					t.Errorf("%v ipv6=%v record %d: Decode allocates %v times", link, v6, i+1, n)
				}
			}
		}
	}
}

// FuzzFile: whatever the bytes, reading never panics, and an error names
// the file and a place inside it.
func FuzzFile(f *testing.F) {
	f.Add(sample(f, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, false))
	f.Add(sample(f, pcapgen.Options{Format: pcapgen.Pcapng, Link: pcapgen.LinuxSLL2, Interfaces: []pcapgen.LinkType{pcapgen.Ethernet}}, true))
	f.Add(sample(f, pcapgen.Options{Format: pcapgen.PcapNanoBigEndian, Link: pcapgen.EthernetQinQ}, true))
	recs := distinct(f, 3, 8, everyMillisecond)
	f.Add(writeRecords(f, pcapgen.PcapNano, false, slices.Concat(recs, recs)))
	f.Add(writeRecords(f, pcapgen.Pcapng, false, doubled(recs)))
	if m, _ := filepath.Glob("../testdata/*.pcap"); len(m) > 0 {
		for _, p := range m[:min(4, len(m))] {
			if b, err := os.ReadFile(p); err == nil && len(b) < 8192 {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := capture.NewFile("fuzz.pcap", bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.pcap: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		pt := capture.NewPoint("p", []string{"fuzz.pcap"}, []capture.Input{fl})
		var p capture.Packet
		last := uint64(0)
		var frames []uint64
		for pt.Next(&p) == nil {
			// Frames count every record, decoded or not: they increase, and
			// never pass the number of records read.
			if p.Frame <= last || p.Frame > pt.Stats.Packets {
				t.Fatalf("frame %d after %d, %d records read", p.Frame, last, pt.Stats.Packets)
			}
			last = p.Frame
			frames = append(frames, p.Frame)
		}
		// Duplicates are records read and not delivered; the first one's
		// evidence points back into the file.
		st, e := pt.Stats, pt.Stats.FirstDuplicate
		if st.Duplicates+uint64(len(frames)) > st.Packets {
			t.Fatalf("%d duplicates and %d packets delivered of %d records", st.Duplicates, len(frames), st.Packets)
		}
		switch {
		case st.Duplicates == 0 && e != (capture.DuplicateEvidence{}):
			t.Fatalf("evidence %+v without a duplicate", e)
		case st.Duplicates > 0 && (e.Repeats == 0 || e.Repeats >= e.Frame || e.Frame > st.Packets || slices.Contains(frames, e.Frame) ||
			e.Shape == capture.RepeatedAfterStepBack && !e.SteppedBackFrom.After(e.Time) ||
			e.Shape == capture.DoubledInPlace && !e.SteppedBackFrom.IsZero()):
			t.Fatalf("evidence %+v (%d duplicates of %d records)", e, st.Duplicates, st.Packets)
		}
		for _, e := range pt.Errors {
			var re *capture.ReadError
			if !errors.As(e, &re) || re.File != "fuzz.pcap" || re.Offset < 0 || re.Offset > int64(len(b)) {
				t.Fatalf("bad error %v", e)
			}
		}
	})
}

// TestPcapWriterRoundTrip: what -w writes reads back record for record.
func TestPcapWriterRoundTrip(t *testing.T) {
	src := sample(t, pcapgen.Options{Format: pcapgen.PcapNano, Link: pcapgen.Ethernet}, true)
	in, _ := readAll(t, "x", src)
	f, _ := capture.NewFile("x", bytes.NewReader(src))
	var out bytes.Buffer
	pw, err := capture.NewPcapWriter(&out, capture.LinkType(1), 262144)
	if err != nil {
		t.Fatal(err)
	}
	var rec capture.Record
	for f.ReadRecord(&rec) == nil {
		pw.WriteRecord(&rec)
	}
	if err := pw.Flush(); err != nil {
		t.Fatal(err)
	}
	again, _ := readAll(t, "y", out.Bytes())
	if len(again) != len(in) {
		t.Fatalf("%d packets back, want %d", len(again), len(in))
	}
	for i := range in {
		a, b := in[i], again[i]
		if !a.Time.Equal(b.Time) || a.Seq != b.Seq || string(a.Payload) != string(b.Payload) || a.Src != b.Src {
			t.Errorf("packet %d differs: %+v vs %+v", i+1, a, b)
		}
	}
}

// TestOverlappingFragmentsAreCounted: IPv4 fragments (here two that
// overlap) are not reassembled: they are counted and skipped, never
// decoded as TCP from partial bytes.
func TestOverlappingFragmentsAreCounted(t *testing.T) {
	src := sample(t, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet}, false)
	f, _ := capture.NewFile("x", bytes.NewReader(src))
	var rec capture.Record
	for i := 0; i < 3; i++ {
		f.ReadRecord(&rec)
	}
	frame := append([]byte(nil), rec.Data...)
	var buf bytes.Buffer
	w, _ := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	first := append([]byte(nil), frame...)
	first[14+6] |= 0x20 // more fragments, offset 0
	second := append([]byte(nil), frame...)
	second[14+6], second[14+7] = 0x00, 0x01 // offset 8 bytes: overlaps the first
	w.WriteRaw(t0, first, len(first))
	w.WriteRaw(t0, second, len(second))
	w.Close()
	pkts, pt := readAll(t, "frag.pcap", buf.Bytes())
	if len(pkts) != 0 || pt.Stats.Fragments != 2 || pt.Stats.Packets != 2 {
		t.Errorf("%d packets delivered, stats %+v; want both fragments counted and skipped", len(pkts), pt.Stats)
	}
}
