// Package pcapgen writes synthetic capture files of exact shape for
// ftpsniff's tests and benchmarks.
//
// A Writer produces a classic pcap file (microsecond or nanosecond
// timestamps, either byte order) or a pcapng file (one section, one
// Interface Description Block per interface, an Enhanced or Simple Packet
// Block per packet), optionally gzip-compressed. Packets are built from
// their fields (WriteTCP, WriteICMPUnreachable) with correct lengths and
// checksums, or written verbatim (WriteRaw) to make damaged files. Conn
// tracks the sequence numbers of one TCP connection so that a test can write
// a whole FTP control session in a few lines.
//
// Writing is buffered and reuses its buffers: WriteTCP does not allocate.
package pcapgen

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// LinkType is the link-layer encapsulation of the packets in a capture.
type LinkType int

const (
	Ethernet     LinkType = iota // Ethernet II (LINKTYPE_ETHERNET 1)
	EthernetVLAN                 // Ethernet with one 802.1Q tag (TPID 0x8100) carrying Options.VLAN
	EthernetQinQ                 // Ethernet with an 802.1ad tag (TPID 0x88a8, Options.VLAN) then an 802.1Q tag (0x8100, Options.InnerVLAN)
	LinuxSLL                     // Linux cooked capture v1 (LINKTYPE_LINUX_SLL 113), 16-byte header
	LinuxSLL2                    // Linux cooked capture v2 (LINKTYPE_LINUX_SLL2 276), 20-byte header
	RawIP                        // no link header (LINKTYPE_RAW 101)
	Null                         // BSD loopback (LINKTYPE_NULL 0): 4-byte address family in the writer's byte order
	Loop                         // OpenBSD loopback (LINKTYPE_LOOP 108): 4-byte address family in network byte order
	numLinkTypes
)

var linkNames = [...]string{"Ethernet", "EthernetVLAN", "EthernetQinQ", "LinuxSLL", "LinuxSLL2", "RawIP", "Null", "Loop"}

func (l LinkType) String() string {
	if l >= 0 && l < numLinkTypes {
		return linkNames[l]
	}
	return fmt.Sprintf("LinkType(%d)", int(l))
}

// Number returns the LINKTYPE_ value stored in a capture file for l.
func (l LinkType) Number() uint16 {
	switch l {
	case Ethernet, EthernetVLAN, EthernetQinQ:
		return 1
	case LinuxSLL:
		return 113
	case LinuxSLL2:
		return 276
	case RawIP:
		return 101
	case Null:
		return 0
	case Loop:
		return 108
	}
	return 0xffff
}

// HeaderLen returns the length of the link-layer header that precedes the
// IP header in a packet of link type l.
func (l LinkType) HeaderLen() int {
	switch l {
	case Ethernet:
		return 14
	case EthernetVLAN:
		return 18
	case EthernetQinQ:
		return 22
	case LinuxSLL:
		return 16
	case LinuxSLL2:
		return 20
	case Null, Loop:
		return 4
	}
	return 0
}

// Format is the container format of the capture file.
type Format int

const (
	PcapMicro          Format = iota // pcap, magic 0xa1b2c3d4, little-endian, microseconds
	PcapNano                         // pcap, magic 0xa1b23c4d, little-endian, nanoseconds
	PcapMicroBigEndian               // pcap, magic 0xa1b2c3d4 written big-endian, microseconds
	PcapNanoBigEndian                // pcap, magic 0xa1b23c4d written big-endian, nanoseconds
	Pcapng                           // pcapng, little-endian section, nanosecond timestamps (if_tsresol 9)
	numFormats
)

var formatNames = [...]string{"PcapMicro", "PcapNano", "PcapMicroBigEndian", "PcapNanoBigEndian", "Pcapng"}

func (f Format) String() string {
	if f >= 0 && f < numFormats {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Address-family values for IPv6 in Null and Loop headers (Options.NullAF6).
// IPv4 is always 2.
const (
	AFInet6BSD     = 24 // NetBSD, OpenBSD, BSD/OS
	AFInet6FreeBSD = 28 // FreeBSD, DragonFly BSD
	AFInet6Darwin  = 30 // macOS
)

// DefaultSnaplen is the snap length written when Options.Snaplen is 0.
const DefaultSnaplen = 262144

// Options describe the file a Writer produces.
type Options struct {
	Format Format
	// Link is the link type of the (first) interface.
	Link LinkType
	// Snaplen is written in the file header (or IDBs); 0 means
	// DefaultSnaplen. Packets longer than Snaplen are cut to it, as a
	// capturing tool would.
	Snaplen uint32
	// VLAN is the VLAN id of EthernetVLAN packets and the outer (service)
	// VLAN id of EthernetQinQ packets; InnerVLAN is the inner (customer)
	// VLAN id of EthernetQinQ packets. Both are written as they are, 0
	// included.
	VLAN, InnerVLAN uint16
	// Interfaces are the link types of further pcapng interfaces, with
	// indexes 1, 2, ... (interface 0 is Link). TCP.Iface chooses one.
	Interfaces []LinkType
	// Gzip compresses the whole file with gzip.
	Gzip bool
	// SimplePackets makes packet records pcapng Simple Packet Blocks
	// instead of Enhanced Packet Blocks (see Writer.SetSimplePackets).
	SimplePackets bool
	// Local is the address of the capturing host: LinuxSLL and LinuxSLL2
	// packets sent from it have packet type 4 (outgoing), the others 0
	// (to us). If unset, the source address of the first packet written is
	// taken.
	Local netip.Addr
	// IfIndex is the interface index in LinuxSLL2 headers; 0 means 1.
	IfIndex uint32
	// NullAF6 is the address family of IPv6 packets in Null and Loop
	// headers; 0 means AFInet6BSD.
	NullAF6 uint32
}

// Writer writes a capture file. Its methods are not safe for concurrent use.
// Errors from the underlying writer are sticky: after one, every write
// returns it.
type Writer struct {
	bw     *bufio.Writer
	gz     *gzip.Writer
	order  binary.ByteOrder // of pcap record headers and Null headers
	o      Options
	links  []LinkType
	ng     bool
	nano   bool
	simple bool
	closed bool
	local  netip.Addr
	ipID   uint16
	rec    [32]byte // record header scratch
	pkt    []byte   // headers of the packet being written
	quote  []byte   // headers of a packet quoted in ICMP
}

const bufferSize = 256 << 10

// NewWriter writes the file header (pcap global header, or pcapng SHB and
// IDBs) to a buffer in front of w and returns a Writer for the packets.
// Close must be called to flush it.
func NewWriter(w io.Writer, o Options) (*Writer, error) {
	if o.Format < 0 || o.Format >= numFormats {
		return nil, fmt.Errorf("pcapgen: unknown format %v", o.Format)
	}
	links := append([]LinkType{o.Link}, o.Interfaces...)
	for _, l := range links {
		if l < 0 || l >= numLinkTypes {
			return nil, fmt.Errorf("pcapgen: unknown link type %v", l)
		}
	}
	ng := o.Format == Pcapng
	if !ng && len(o.Interfaces) > 0 {
		return nil, errors.New("pcapgen: Options.Interfaces needs the Pcapng format")
	}
	if !ng && o.SimplePackets {
		return nil, errors.New("pcapgen: Options.SimplePackets needs the Pcapng format")
	}
	if o.Snaplen == 0 {
		o.Snaplen = DefaultSnaplen
	}
	if o.IfIndex == 0 {
		o.IfIndex = 1
	}
	if o.NullAF6 == 0 {
		o.NullAF6 = AFInet6BSD
	}
	wr := &Writer{
		o:      o,
		links:  links,
		ng:     ng,
		nano:   o.Format == PcapNano || o.Format == PcapNanoBigEndian || ng,
		simple: o.SimplePackets,
		local:  o.Local,
		ipID:   0x4000,
		order:  binary.LittleEndian,
		pkt:    make([]byte, 0, 128),
		quote:  make([]byte, 0, 128),
	}
	if o.Format == PcapMicroBigEndian || o.Format == PcapNanoBigEndian {
		wr.order = binary.BigEndian
	}
	if o.Gzip {
		gz, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
		if err != nil {
			return nil, err
		}
		wr.gz = gz
		w = gz
	}
	wr.bw = bufio.NewWriterSize(w, bufferSize)
	if ng {
		wr.writeSHB()
		for _, l := range links {
			wr.writeIDB(l)
		}
	} else {
		h := wr.rec[:24]
		magic := uint32(0xa1b2c3d4)
		if wr.nano {
			magic = 0xa1b23c4d
		}
		wr.order.PutUint32(h[0:], magic)
		wr.order.PutUint16(h[4:], 2) // version 2.4
		wr.order.PutUint16(h[6:], 4)
		wr.order.PutUint32(h[8:], 0)  // thiszone
		wr.order.PutUint32(h[12:], 0) // sigfigs
		wr.order.PutUint32(h[16:], o.Snaplen)
		wr.order.PutUint32(h[20:], uint32(o.Link.Number()))
		wr.bw.Write(h)
	}
	return wr, nil
}

// pcapng block types.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

var le = binary.LittleEndian

func (w *Writer) writeSHB() {
	h := w.rec[:28]
	le.PutUint32(h[0:], blockSHB)
	le.PutUint32(h[4:], 28)
	le.PutUint32(h[8:], 0x1A2B3C4D)  // byte-order magic
	le.PutUint16(h[12:], 1)          // major
	le.PutUint16(h[14:], 0)          // minor
	le.PutUint64(h[16:], ^uint64(0)) // section length unknown
	le.PutUint32(h[24:], 28)
	w.bw.Write(h)
}

func (w *Writer) writeIDB(l LinkType) {
	h := w.rec[:32]
	le.PutUint32(h[0:], blockIDB)
	le.PutUint32(h[4:], 32)
	le.PutUint16(h[8:], l.Number())
	le.PutUint16(h[10:], 0) // reserved
	le.PutUint32(h[12:], w.o.Snaplen)
	le.PutUint16(h[16:], 9) // if_tsresol
	le.PutUint16(h[18:], 1) // option length
	le.PutUint32(h[20:], 9) // 10^-9 s, then 3 bytes of padding
	le.PutUint32(h[24:], 0) // opt_endofopt
	le.PutUint32(h[28:], 32)
	w.bw.Write(h)
}

// SetSimplePackets chooses whether the following packet records of a pcapng
// file are Simple Packet Blocks (on) or Enhanced Packet Blocks (off). An SPB
// has no timestamp and no captured length: it belongs to interface 0 and its
// captured length is the lesser of its original length and the snap length,
// so packets written as SPBs must use interface 0 and must not be cut
// except by Options.Snaplen.
func (w *Writer) SetSimplePackets(on bool) error {
	if on && !w.ng {
		return errors.New("pcapgen: Simple Packet Blocks need the Pcapng format")
	}
	w.simple = on
	return nil
}

// SetIfIndex sets the interface index written in LinuxSLL2 headers from
// now on, as a capture on Linux's "any" device interleaves interfaces.
func (w *Writer) SetIfIndex(ifindex uint32) { w.o.IfIndex = ifindex }

// LinkType returns the link type of interface iface.
func (w *Writer) LinkType(iface int) LinkType {
	if iface < 0 || iface >= len(w.links) {
		return -1
	}
	return w.links[iface]
}

var zeros [8]byte

// record writes one packet record whose data is head followed by tail.
// For SPBs the timestamp and interface are not written.
func (w *Writer) record(iface int, t time.Time, head, tail []byte, origLen int) error {
	if w.closed {
		return errors.New("pcapgen: write after Close")
	}
	if iface < 0 || iface >= len(w.links) {
		return fmt.Errorf("pcapgen: no interface %d", iface)
	}
	caplen := len(head) + len(tail)
	h := w.rec[:]
	switch {
	case !w.ng:
		frac := uint32(t.Nanosecond())
		if !w.nano {
			frac /= 1000
		}
		w.order.PutUint32(h[0:], uint32(t.Unix()))
		w.order.PutUint32(h[4:], frac)
		w.order.PutUint32(h[8:], uint32(caplen))
		w.order.PutUint32(h[12:], uint32(origLen))
		h = h[:16]
	case w.simple:
		if iface != 0 {
			return errors.New("pcapgen: a Simple Packet Block can only belong to interface 0")
		}
		total := uint32(16 + pad4(caplen))
		le.PutUint32(h[0:], blockSPB)
		le.PutUint32(h[4:], total)
		le.PutUint32(h[8:], uint32(origLen))
		h = h[:12]
	default:
		total := uint32(32 + pad4(caplen))
		ts := uint64(t.UnixNano())
		le.PutUint32(h[0:], blockEPB)
		le.PutUint32(h[4:], total)
		le.PutUint32(h[8:], uint32(iface))
		le.PutUint32(h[12:], uint32(ts>>32))
		le.PutUint32(h[16:], uint32(ts))
		le.PutUint32(h[20:], uint32(caplen))
		le.PutUint32(h[24:], uint32(origLen))
		h = h[:28]
	}
	w.bw.Write(h)
	w.bw.Write(head)
	w.bw.Write(tail)
	if w.ng {
		w.bw.Write(zeros[:pad4(caplen)-caplen])
		// The trailing copy of the total length is the second word.
		_, err := w.bw.Write(w.rec[4:8])
		return err
	}
	_, err := w.bw.Write(nil)
	return err
}

func pad4(n int) int { return (n + 3) &^ 3 }

// WriteRaw writes one record with data as its captured bytes and origLen as
// its original length, both verbatim (pass len(data) for an ordinary
// record). In a pcapng file it belongs to interface 0.
func (w *Writer) WriteRaw(t time.Time, data []byte, origLen int) error {
	return w.record(0, t, data, nil, origLen)
}

// WriteNgBlock writes an arbitrary pcapng block: blockType, the total
// length, body padded to 32 bits, and the total length again. Readers are
// expected to skip block types they do not know.
func (w *Writer) WriteNgBlock(blockType uint32, body []byte) error {
	if !w.ng {
		return errors.New("pcapgen: WriteNgBlock needs the Pcapng format")
	}
	total := uint32(12 + pad4(len(body)))
	h := w.rec[:8]
	le.PutUint32(h[0:], blockType)
	le.PutUint32(h[4:], total)
	w.bw.Write(h)
	w.bw.Write(body)
	w.bw.Write(zeros[:pad4(len(body))-len(body)])
	_, err := w.bw.Write(h[4:8])
	return err
}

// Flush writes buffered data to the underlying writer (through gzip, which
// keeps its own buffer until Close).
func (w *Writer) Flush() error { return w.bw.Flush() }

// Close flushes the buffer and, with Options.Gzip, closes the gzip stream.
// It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.bw.Flush()
	if w.gz != nil {
		if cerr := w.gz.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
