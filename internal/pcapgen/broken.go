package pcapgen

import (
	"encoding/binary"
	"fmt"
)

// Truncate returns a copy of the first n bytes of b (all of b if it is
// shorter), for tests of files cut short.
func Truncate(b []byte, n int) []byte {
	n = max(0, min(n, len(b)))
	return append([]byte(nil), b[:n]...)
}

// pcapOrder returns the byte order of a classic pcap file from its magic.
func pcapOrder(pcap []byte) binary.ByteOrder {
	if len(pcap) < 24 {
		panic("pcapgen: not a pcap file: shorter than its header")
	}
	switch binary.LittleEndian.Uint32(pcap) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		return binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		return binary.BigEndian
	}
	panic("pcapgen: not a pcap file: bad magic")
}

// RecordOffset returns the offset in a classic (uncompressed) pcap file of
// the 16-byte header of record index (0 is the first), following the
// captured lengths of the records before it; index may be the number of
// records, giving the file's length. It panics if pcap is not a pcap file
// or has fewer records.
func RecordOffset(pcap []byte, index int) int {
	order := pcapOrder(pcap)
	off := 24
	for i := 0; i < index; i++ {
		if off+16 > len(pcap) {
			panic(fmt.Sprintf("pcapgen: pcap file has no record %d", index))
		}
		off += 16 + int(order.Uint32(pcap[off+8:]))
	}
	if off > len(pcap) || (off+16 > len(pcap) && off != len(pcap)) {
		panic(fmt.Sprintf("pcapgen: pcap file has no record %d", index))
	}
	return off
}

// CorruptRecordLength returns a copy of a classic (uncompressed) pcap file
// in which the captured length of record index (0 is the first) is set to
// length; the following bytes are left as they are. It panics if pcap is
// not a pcap file or has no such record.
func CorruptRecordLength(pcap []byte, index int, length uint32) []byte {
	off := RecordOffset(pcap, index)
	if off+16 > len(pcap) {
		panic(fmt.Sprintf("pcapgen: pcap file has no record %d", index))
	}
	out := append([]byte(nil), pcap...)
	pcapOrder(pcap).PutUint32(out[off+8:], length)
	return out
}
