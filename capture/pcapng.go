package capture

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"time"
)

// pcapng block types (draft-ietf-opsawg-pcapng).
const (
	ngSectionHeader   = 0x0a0d0d0a
	ngInterface       = 1
	ngObsoletePacket  = 2
	ngSimplePacket    = 3
	ngEnhancedPacket  = 6
	ngByteOrderMagic  = 0x1a2b3c4d
	ngOptionEnd       = 0
	ngOptionTSResol   = 9
	ngOptionTSOffset  = 14
	ngSupportedMajor  = 1
	ngSupportedMinor  = 0
	maxNgInterfaces   = 1 << 16
	maxNgPacketBlock  = 32 + MaxRecordLength + 1<<16 // a packet block: header, record, 64 KiB of options
	maxNgHeaderBlock  = 1 << 20                      // a section header or interface description
	ngPacketHeaderLen = 28                           // EPB and OPB: block header, 20 bytes of fields
)

// ngIface is what a packet needs of its Interface Description Block: the
// link type, the snap length (Simple Packet Blocks), and how to turn its
// timestamps into time (resolution and offset).
type ngIface struct {
	link   LinkType
	snap   uint32
	mask   uint64 // timestamp units per second
	offset uint64 // seconds added (if_tsoffset)
}

// ngSource reads pcapng in blocks of readBufferSize straight into its own
// buffer, as pcapSource reads pcap: a packet is handed out where it lies.
// It reads section headers in either byte order, interface descriptions,
// enhanced, simple and obsolete packet blocks, and skips every other
// block; a section of an unknown version is skipped whole. Errors name
// the offset of the block at fault.
type ngSource struct {
	w        window
	big      bool // the section is big-endian
	skipping bool // in a section of an unknown version
	ifaces   []ngIface
	lastTime time.Time
}

func newNgSource(r io.Reader) (*ngSource, error) {
	s := &ngSource{w: newWindow(r, readBufferSize+maxNgPacketBlock)}
	if err := s.header(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *ngSource) offset() int64 { return s.w.offset() }

func (s *ngSource) keepTwo() { s.w.keepTwo() }

func (s *ngSource) borrow(l *Lender) { s.w.lend = l }

func (s *ngSource) u16(b []byte) uint16 {
	if s.big {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (s *ngSource) u32(b []byte) uint32 {
	if s.big {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (s *ngSource) u64(b []byte) uint64 {
	if s.big {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// block returns the next block whole (type, length and trailer checked),
// without consuming it: the caller calls s.w.advance(len(block)). A block
// of a type ftpsniff does not read is skipped here: block returns nil.
func (s *ngSource) block() ([]byte, error) {
	if !s.w.need(8) {
		return nil, s.w.short(s.w.end == s.w.pos)
	}
	b := s.w.peek(8)
	if binary.LittleEndian.Uint32(b) == ngSectionHeader {
		if !s.w.need(12) {
			return nil, s.w.short(false)
		}
		switch magic := s.w.peek(12)[8:]; {
		case binary.BigEndian.Uint32(magic) == ngByteOrderMagic:
			s.big = true
		case binary.LittleEndian.Uint32(magic) == ngByteOrderMagic:
			s.big = false
		default:
			return nil, errors.New("section header with a wrong byte-order magic: the file is damaged")
		}
	}
	typ, n := s.u32(b), s.u32(b[4:])
	limit := uint32(maxNgHeaderBlock)
	switch typ {
	case ngEnhancedPacket, ngObsoletePacket, ngSimplePacket:
		limit = maxNgPacketBlock
	case ngSectionHeader, ngInterface:
	default:
		// Any other block is skipped: it may be long (comments, name
		// tables, decryption secrets), and is never held whole.
		if n < 12 || n%4 != 0 {
			return nil, fmt.Errorf("block length %d is not a pcapng block length: the file is damaged", n)
		}
		return nil, s.w.skip(int64(n))
	}
	if n < 12 || n%4 != 0 || n > limit {
		return nil, fmt.Errorf("block of type %d with length %d (at most %d): the file is damaged", typ, n, limit)
	}
	if !s.w.need(int(n)) {
		return nil, s.w.short(false)
	}
	blk := s.w.peek(int(n))
	if s.u32(blk[n-4:]) != n {
		return nil, fmt.Errorf("block of type %d: its trailing length %d differs from its length %d: the file is damaged", typ, s.u32(blk[n-4:]), n)
	}
	return blk, nil
}

// header reads the section header that starts the file.
func (s *ngSource) header() error {
	blk, err := s.block()
	if err != nil {
		return err
	}
	if blk == nil || binary.LittleEndian.Uint32(blk) != ngSectionHeader {
		return errors.New("the file does not start with a section header")
	}
	return s.section(blk)
}

func (s *ngSource) section(blk []byte) error {
	if len(blk) < 28 {
		return fmt.Errorf("section header of %d bytes (at least 28): the file is damaged", len(blk))
	}
	s.ifaces = s.ifaces[:0]
	major, minor := s.u16(blk[12:]), s.u16(blk[14:])
	s.skipping = major != ngSupportedMajor || minor != ngSupportedMinor
	s.w.advance(len(blk))
	return nil
}

// options calls f for each option in b (an options area), and stops at
// the end-of-options option, at the end of b, or at an option that does
// not fit.
func (s *ngSource) options(b []byte, f func(code uint16, v []byte)) {
	for len(b) >= 4 {
		code, n := s.u16(b), int(s.u16(b[2:]))
		if code == ngOptionEnd || 4+n > len(b) {
			return
		}
		f(code, b[4:4+n])
		b = b[min(len(b), 4+(n+3)&^3):]
	}
}

func (s *ngSource) iface(blk []byte) error {
	if len(blk) < 20 {
		return fmt.Errorf("interface description of %d bytes (at least 20): the file is damaged", len(blk))
	}
	if len(s.ifaces) >= maxNgInterfaces {
		return fmt.Errorf("more than %d interfaces in one section: the file is damaged", maxNgInterfaces)
	}
	in := ngIface{link: LinkType(s.u16(blk[8:])), snap: s.u32(blk[12:])}
	resol := uint8(6)
	s.options(blk[16:len(blk)-4], func(code uint16, v []byte) {
		switch {
		case code == ngOptionTSResol && len(v) >= 1:
			resol = v[0]
		case code == ngOptionTSOffset && len(v) >= 8:
			in.offset = s.u64(v)
		}
	})
	if resol == 0 {
		resol = 6
	}
	exp := resol & 0x7f
	if exp > 63 {
		return fmt.Errorf("interface %d: timestamp resolution %d is too fine", len(s.ifaces), resol)
	}
	if resol&0x80 != 0 {
		in.mask = 1 << exp
	} else {
		in.mask = 1
		for range exp {
			in.mask *= 10
		}
	}
	s.ifaces = append(s.ifaces, in)
	s.w.advance(len(blk))
	return nil
}

func (s *ngSource) read(rec *Record) error {
	for {
		blk, err := s.block()
		if err != nil {
			return err
		}
		if blk == nil {
			continue // skipped
		}
		typ := s.u32(blk)
		if typ == ngSectionHeader {
			if err := s.section(blk); err != nil {
				return err
			}
			continue
		}
		if s.skipping {
			s.w.advance(len(blk))
			continue
		}
		switch typ {
		case ngInterface:
			if err := s.iface(blk); err != nil {
				return err
			}
			continue
		case ngEnhancedPacket, ngObsoletePacket:
			return s.packet(blk, typ, rec)
		case ngSimplePacket:
			return s.simple(blk, rec)
		}
		s.w.advance(len(blk))
	}
}

func (s *ngSource) packet(blk []byte, typ uint32, rec *Record) error {
	if len(blk) < ngPacketHeaderLen+4 {
		return fmt.Errorf("packet block of %d bytes: the file is damaged", len(blk))
	}
	id := int(s.u32(blk[8:]))
	if typ == ngObsoletePacket {
		id = int(s.u16(blk[8:]))
	}
	if id >= len(s.ifaces) {
		return fmt.Errorf("packet of interface %d, but the section describes %d", id, len(s.ifaces))
	}
	capLen, wireLen := s.u32(blk[20:]), s.u32(blk[24:])
	if capLen > MaxRecordLength {
		return fmt.Errorf("record length %d is beyond any snap length (max %d): the file is damaged", capLen, MaxRecordLength)
	}
	if ngPacketHeaderLen+int(capLen)+4 > len(blk) {
		return fmt.Errorf("captured length %d does not fit its %d-byte block: the file is damaged", capLen, len(blk))
	}
	in := &s.ifaces[id]
	ts := uint64(s.u32(blk[12:]))<<32 | uint64(s.u32(blk[16:]))
	// The fraction in nanoseconds, exactly for any resolution (pcapgo
	// scales binary ones by 10^9 / 2^n truncated to an integer).
	hi, lo := bits.Mul64(ts%in.mask, 1e9)
	nsec, _ := bits.Div64(hi, lo, in.mask)
	t := time.Unix(int64(ts/in.mask+in.offset), int64(nsec)).UTC()
	s.hand(rec, blk, blk[ngPacketHeaderLen:ngPacketHeaderLen+capLen], t, int(wireLen), in.link, id)
	return nil
}

// simple reads a Simple Packet Block: interface 0, no timestamp (the
// previous packet's time is used), the captured length bounded by the
// block and the interface's snap length.
func (s *ngSource) simple(blk []byte, rec *Record) error {
	if len(s.ifaces) == 0 {
		return errors.New("a simple packet block before any interface description: the file is damaged")
	}
	if len(blk) < 16 {
		return fmt.Errorf("simple packet block of %d bytes: the file is damaged", len(blk))
	}
	wireLen := s.u32(blk[8:])
	capLen := min(wireLen, uint32(len(blk)-16))
	if snap := s.ifaces[0].snap; snap != 0 {
		capLen = min(capLen, snap)
	}
	if capLen > MaxRecordLength {
		return fmt.Errorf("record length %d is beyond any snap length (max %d): the file is damaged", capLen, MaxRecordLength)
	}
	s.hand(rec, blk, blk[12:12+capLen], time.Time{}, int(wireLen), s.ifaces[0].link, 0)
	return nil
}

// hand fills rec with a packet of the block blk and moves past the block.
// A packet without a timestamp (or at the epoch) takes its predecessor's.
func (s *ngSource) hand(rec *Record, blk, data []byte, t time.Time, wireLen int, link LinkType, iface int) {
	rec.untimed = t.IsZero() || t.Unix() == 0
	if rec.untimed {
		t = s.lastTime
	}
	s.lastTime = t
	rec.Data = data[:len(data):len(data)]
	rec.Time = t
	rec.CapLen = len(data)
	rec.WireLen = max(wireLen, len(data))
	rec.Link = link
	rec.Iface = iface
	rec.fill = s.w.fills
	s.w.advance(len(blk))
}
