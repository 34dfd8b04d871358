package capture

import (
	"bufio"
	"encoding/binary"
	"io"
)

// PcapWriter writes records to a classic pcap file with nanosecond
// timestamps, so that a live capture can be kept and read again (frame
// numbers in it are the ones the live report cites).
type PcapWriter struct {
	w   *bufio.Writer
	hdr [16]byte
	err error
}

// NewPcapWriter writes the file header for link type lt and returns the
// writer; Flush it at the end.
func NewPcapWriter(w io.Writer, lt LinkType, snaplen int) (*PcapWriter, error) {
	pw := &PcapWriter{w: bufio.NewWriterSize(w, 1<<16)}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d) // nanosecond magic
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], uint32(snaplen))
	binary.LittleEndian.PutUint32(h[20:], uint32(lt))
	if _, err := pw.w.Write(h[:]); err != nil {
		return nil, err
	}
	return pw, nil
}

// WriteRecord appends one record; the first error sticks.
func (pw *PcapWriter) WriteRecord(rec *Record) error {
	if pw.err != nil {
		return pw.err
	}
	ns := rec.Time.UnixNano()
	binary.LittleEndian.PutUint32(pw.hdr[0:], uint32(ns/1e9))
	binary.LittleEndian.PutUint32(pw.hdr[4:], uint32(ns%1e9))
	binary.LittleEndian.PutUint32(pw.hdr[8:], uint32(len(rec.Data)))
	binary.LittleEndian.PutUint32(pw.hdr[12:], uint32(max(rec.WireLen, len(rec.Data))))
	if _, pw.err = pw.w.Write(pw.hdr[:]); pw.err == nil {
		_, pw.err = pw.w.Write(rec.Data)
	}
	return pw.err
}

// Flush writes what is buffered.
func (pw *PcapWriter) Flush() error {
	if pw.err != nil {
		return pw.err
	}
	return pw.w.Flush()
}
