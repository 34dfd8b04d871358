package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/ftpsniff/ftpsniff/internal/corpus"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
	"github.com/ftpsniff/ftpsniff/internal/suite"
)

// ngBlock builds a pcapng block in the given byte order.
func ngBlock(o binary.AppendByteOrder, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := o.AppendUint32(nil, typ)
	b = o.AppendUint32(b, n)
	b = append(b, body...)
	return o.AppendUint32(b, n)
}

func ngOption(o binary.AppendByteOrder, code uint16, v []byte) []byte {
	b := o.AppendUint16(nil, code)
	b = o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func ngSHB(o binary.AppendByteOrder, major, minor uint16) []byte {
	body := o.AppendUint32(nil, ngByteOrderMagic)
	body = o.AppendUint16(body, major)
	body = o.AppendUint16(body, minor)
	body = o.AppendUint64(body, ^uint64(0))
	return ngBlock(o, ngSectionHeader, body)
}

func ngIDB(o binary.AppendByteOrder, link uint16, snap uint32, opts ...[]byte) []byte {
	body := o.AppendUint16(nil, link)
	body = o.AppendUint16(body, 0)
	body = o.AppendUint32(body, snap)
	for _, op := range opts {
		body = append(body, op...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0)
	}
	return ngBlock(o, ngInterface, body)
}

func ngEPB(o binary.AppendByteOrder, iface uint32, ts uint64, data []byte, wire uint32) []byte {
	body := o.AppendUint32(nil, iface)
	body = o.AppendUint32(body, uint32(ts>>32))
	body = o.AppendUint32(body, uint32(ts))
	body = o.AppendUint32(body, uint32(len(data)))
	body = o.AppendUint32(body, wire)
	body = append(body, data...)
	return ngBlock(o, ngEnhancedPacket, body)
}

// frame is an Ethernet/IPv4/TCP SYN, for hand-built files.
func frame(t testing.TB) []byte {
	b, err := pcapgen.Dialogue(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	return b[24+16 : 24+16+int(binary.LittleEndian.Uint32(b[24+8:]))]
}

// handMadePcapng is a big-endian file with what writers rarely produce: a
// binary timestamp resolution with an offset, a simple packet block, a
// block of an unknown type, a section of an unknown version (skipped
// whole), and a second section that starts its interfaces anew.
func handMadePcapng(t testing.TB) []byte {
	be, le := binary.BigEndian, binary.LittleEndian
	f := frame(t)
	var b []byte
	b = append(b, ngSHB(be, 1, 0)...)
	b = append(b, ngIDB(be, 1, 65535, ngOption(be, ngOptionTSResol, []byte{0x80 | 20}), ngOption(be, ngOptionTSOffset, be.AppendUint64(nil, 1000)))...)
	b = append(b, ngEPB(be, 0, 5<<20|1<<19, f, uint32(len(f)))...)
	b = append(b, ngBlock(be, 0x0bad, []byte("an unknown block"))...)
	b = append(b, ngBlock(be, ngSimplePacket, append(be.AppendUint32(nil, uint32(len(f))), f...))...)
	b = append(b, ngSHB(le, 2, 0)...) // unknown version: skipped with its blocks
	b = append(b, ngIDB(le, 101, 0)...)
	b = append(b, ngEPB(le, 0, 1, f, uint32(len(f)))...)
	b = append(b, ngSHB(le, 1, 0)...)
	b = append(b, ngIDB(le, 101, 0)...)
	b = append(b, ngIDB(le, 1, 0, ngOption(le, ngOptionTSResol, []byte{9}))...)
	b = append(b, ngEPB(le, 1, 1700000000123456789, f, 1514)...)
	b = append(b, ngEPB(le, 0, 1700000001000000, f[14:], uint32(len(f)-14))...)
	return b
}

// readAll reads every record with ftpsniff's reader.
func readAll(t *testing.T, name string, data []byte) []Record {
	t.Helper()
	f, err := NewFile(name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out []Record
	for {
		var r Record
		err := f.ReadRecord(&r)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.Data = append([]byte(nil), r.Data...)
		out = append(out, r)
	}
}

// readAllPcapgo reads every record with gopacket's pcapng reader, as
// ftpsniff read pcapng before: a packet without a timestamp takes its
// predecessor's.
func readAllPcapgo(t *testing.T, name string, data []byte) []Record {
	t.Helper()
	ng, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
	if err != nil {
		t.Fatalf("%s: pcapgo: %v", name, err)
	}
	var out []Record
	var last time.Time
	for {
		d, ci, err := ng.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: pcapgo: %v", name, err)
		}
		ts := ci.Timestamp
		if ts.IsZero() || ts.Unix() == 0 {
			ts = last
		}
		last = ts
		r := Record{Data: append([]byte(nil), d...), Time: ts, CapLen: ci.CaptureLength, WireLen: max(ci.Length, ci.CaptureLength), Iface: ci.InterfaceIndex, Link: layers.LinkTypeEthernet}
		if len(ci.AncillaryData) > 0 {
			r.Link = ci.AncillaryData[0].(layers.LinkType)
		}
		out = append(out, r)
	}
}

func sameRecords(t *testing.T, name string, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d records, pcapgo reads %d", name, len(got), len(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !bytes.Equal(g.Data, w.Data) || !g.Time.Equal(w.Time) || g.CapLen != w.CapLen || g.WireLen != w.WireLen || g.Link != w.Link || g.Iface != w.Iface {
			t.Errorf("%s record %d:\n got  %v %d/%d link %d iface %d\n want %v %d/%d link %d iface %d", name, i+1,
				g.Time, g.CapLen, g.WireLen, g.Link, g.Iface, w.Time, w.CapLen, w.WireLen, w.Link, w.Iface)
			return
		}
	}
}

// TestPcapngMatchesPcapgo reads pcapng files both with ftpsniff's reader
// and with gopacket's, which ftpsniff used before: every record must be the
// same (bytes, time, lengths, link type, interface). The files: the
// repository's, a hand-made big-endian one with rare blocks, pcapgen's in
// several link types, and, where editcap is installed, every pcap of
// testdata/, the lab and the corpus converted to pcapng.
func TestPcapngMatchesPcapgo(t *testing.T) {
	files := map[string][]byte{}
	names, _ := filepath.Glob("../testdata/*.pcapng")
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[n] = b
	}
	for _, o := range []pcapgen.Options{
		{Format: pcapgen.Pcapng, Link: pcapgen.Ethernet},
		{Format: pcapgen.Pcapng, Link: pcapgen.LinuxSLL2, Interfaces: []pcapgen.LinkType{pcapgen.RawIP, pcapgen.Null}},
		{Format: pcapgen.Pcapng, Link: pcapgen.EthernetQinQ, Snaplen: 96},
	} {
		files["pcapgen "+o.Link.String()] = pcapgenSample(t, o)
	}
	var pcaps []string
	for _, g := range []string{"../testdata/*.pcap", "../lab/captures/*.pcap"} {
		m, _ := filepath.Glob(g)
		pcaps = append(pcaps, m...)
	}
	for name, b := range toPcapng(t, pcaps) {
		files[name] = b
	}
	for name, b := range files {
		sameRecords(t, name, readAll(t, name, b), readAllPcapgo(t, name, b))
	}
	// The hand-made file is not compared: its binary resolution is one
	// pcapgo gets wrong (it scales by 10^9 / 2^n truncated to an integer);
	// TestPcapngHandMade checks it against the values it was made with.
	t.Logf("%d pcapng files compared", len(files))
	t.Run("corpus", func(t *testing.T) {
		for name, b := range toPcapng(t, corpus.Files(t, ".pcap")) {
			sameRecords(t, name, readAll(t, name, b), readAllPcapgo(t, name, b))
		}
	})
}

// toPcapng converts pcap files to pcapng with editcap (none without it).
func toPcapng(t *testing.T, pcaps []string) map[string][]byte {
	suite.Require(t, []string{suite.Tshark}, "tshark") // editcap comes with tshark
	editcap, err := exec.LookPath("editcap")
	if err != nil {
		suite.Unavailable(t, "editcap is not on PATH after scripts/deps.sh tshark", suite.Tshark)
	}
	out := map[string][]byte{}
	tmp := t.TempDir()
	for i, p := range pcaps {
		ng := filepath.Join(tmp, strconv.Itoa(i)+".pcapng")
		if err := exec.Command(editcap, "-F", "pcapng", p, ng).Run(); err != nil {
			continue // editcap refuses damaged inputs (testdata/truncated.pcap)
		}
		b, err := os.ReadFile(ng)
		if err != nil {
			t.Fatal(err)
		}
		out[p+" (editcap)"] = b
	}
	return out
}

// pcapgenSample writes a few TCP segments in the given format.
func pcapgenSample(t *testing.T, o pcapgen.Options) []byte {
	b, err := pcapgen.Dialogue(o, "220 hello\r\n", "USER anonymous\r\n")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPcapngHandMade checks the rare blocks' meaning, not only agreement.
func TestPcapngHandMade(t *testing.T) {
	recs := readAll(t, "hand-made", handMadePcapng(t))
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4 (EPB, SPB, then the second section's two EPBs; the unknown version's skipped)", len(recs))
	}
	// 2^-20 units: 5.5 s after the 1000 s offset.
	if got, want := recs[0].Time, time.Unix(1005, 500000000).UTC(); !got.Equal(want) {
		t.Errorf("binary resolution with offset: %v, want %v", got, want)
	}
	if !recs[1].Time.Equal(recs[0].Time) || recs[1].Iface != 0 || recs[1].Link != layers.LinkTypeEthernet {
		t.Errorf("simple packet block: %+v, want interface 0's link type and the previous time", recs[1])
	}
	if got, want := recs[2].Time, time.Unix(1700000000, 123456789).UTC(); !got.Equal(want) || recs[2].Iface != 1 || recs[2].WireLen != 1514 {
		t.Errorf("second section, interface 1: %v iface %d wire %d, want %v iface 1 wire 1514", got, recs[2].Iface, recs[2].WireLen, want)
	}
	if recs[3].Link != 101 || recs[3].Iface != 0 {
		t.Errorf("second section, interface 0: link %d iface %d, want raw IP (101) on 0", recs[3].Link, recs[3].Iface)
	}
}

// TestPcapngDamage: a damaged block gives an error at the offset of that
// block, and the records before it are delivered.
func TestPcapngDamage(t *testing.T) {
	le := binary.LittleEndian
	f := frame(t)
	good := append(ngSHB(le, 1, 0), ngIDB(le, 1, 0)...)
	good = append(good, ngEPB(le, 0, 1700000000000000, f, uint32(len(f)))...)
	at := int64(len(good))
	badTrailer := ngEPB(le, 0, 1700000001000000, f, uint32(len(f)))
	le.PutUint32(badTrailer[len(badTrailer)-4:], 12)
	badIface := ngEPB(le, 7, 1700000001000000, f, uint32(len(f)))
	hugeCap := ngEPB(le, 0, 1700000001000000, f, uint32(len(f)))
	le.PutUint32(hugeCap[20:], 1<<20)
	for _, tc := range []struct {
		name, want string
		tail       []byte
	}{
		{"cut in a block", "truncated capture", ngEPB(le, 0, 1700000001000000, f, uint32(len(f)))[:40]},
		{"trailing length differs", "trailing length", badTrailer},
		{"unknown interface", "interface 7", badIface},
		{"captured length beyond any snap length", "beyond any snap length", hugeCap},
		{"block length not a multiple of 4", "not a pcapng block length", []byte{9, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file, err := NewFile("x.pcapng", bytes.NewReader(append(append([]byte{}, good...), tc.tail...)))
			if err != nil {
				t.Fatal(err)
			}
			var r Record
			if err := file.ReadRecord(&r); err != nil {
				t.Fatalf("the good record: %v", err)
			}
			err = file.ReadRecord(&r)
			var re *ReadError
			if !errors.As(err, &re) || re.Offset != at || re.Frame != 2 || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a ReadError at offset %d, record 2, saying %q", err, at, tc.want)
			}
		})
	}
}
