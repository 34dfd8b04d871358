package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// Record is one raw capture record, before decoding. Data aliases the
// reader's buffer and is valid until the next ReadRecord.
type Record struct {
	Data    []byte
	Time    time.Time
	CapLen  int
	WireLen int
	Link    LinkType
	Iface   int

	// fill is the window's count of fills when Data was handed out: a
	// File keeps Data where it is until the count passes fill+1 (see
	// window). 0 for a record of any other Input, whose Data is valid
	// only until the next read. Point's duplicate detection relies on it.
	fill uint64
	// untimed marks a record without a timestamp of its own: a pcapng
	// Simple Packet Block, or a packet at the Unix epoch (its Time is
	// then its predecessor's in pcapng). Such a record is never taken for
	// a duplicate.
	untimed bool
}

// Limits on what a capture file may claim, so that a damaged or hostile
// file cannot make the reader allocate without bound.
const (
	// MaxRecordLength is the longest record accepted. It is the largest
	// snap length Wireshark and tcpdump accept (262144, MAXIMUM_SNAPLEN in
	// libpcap); longer records are reported as damage.
	MaxRecordLength = 262144
	// readBufferSize is the block a pcap file is read in (its buffer holds
	// one more record, so a read fills 384 KiB), and the buffer in front of
	// pcapng and gzip streams. Small enough that what read(2) copies is
	// still in the cache when the headers are read: 2-3% faster on 1 GiB
	// than 1 MiB blocks (perf stat -r 9, paired). The first bytes are
	// peeked through a smaller buffer still.
	readBufferSize = 128 << 10
	peekBufferSize = 64 << 10
)

// ReadError says which input failed, where, and why. Everything read before
// Offset is still delivered.
type ReadError struct {
	File   string
	Offset int64  // byte offset of the failing record (in the uncompressed stream for gzip files)
	Frame  uint64 // number of the record that could not be read
	Err    error
}

func (e *ReadError) Error() string {
	if e.Frame == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s: record %d at offset %d: %v", e.File, e.Frame, e.Offset, e.Err)
}

func (e *ReadError) Unwrap() error { return e.Err }

// ErrNotCapture is wrapped in the error for input that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// File reads records from one capture file (pcap or pcapng, either possibly
// gzip-compressed) or standard input ("-").
type File struct {
	Name   string
	closer io.Closer
	src    recordSource
	frame  uint64
	err    error
	// readerAt and start, when readerAt is set, let the capture be read a
	// second time from its first byte (see again): the input was a
	// regular file or bytes in memory, not a stream.
	readerAt io.ReaderAt
	start    int64
}

// recordSource is one capture format.
type recordSource interface {
	read(*Record) error
	offset() int64
	keepTwo()         // see window.keepTwo
	borrow(l *Lender) // see window.lend
}

// OpenFile opens a capture file; "-" is standard input.
func OpenFile(name string) (*File, error) {
	var r io.Reader
	var closer io.Closer
	if name == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, &ReadError{File: name, Err: err}
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, &ReadError{File: name, Err: errors.New("is a directory, not a capture file")}
		}
		r, closer = f, f
	}
	f, err := NewFile(name, r)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, err
	}
	f.closer = closer
	return f, nil
}

// NewFile reads a capture from r, which it does not close; name is used in
// errors and reports.
func NewFile(name string, r io.Reader) (*File, error) {
	readerAt, start := rereadable(r)
	br := bufio.NewReaderSize(r, peekBufferSize)
	magic, err := br.Peek(4)
	if err != nil {
		if err == io.EOF && len(magic) == 0 {
			return nil, &ReadError{File: name, Err: errors.New("empty file: no capture header")}
		}
		return nil, &ReadError{File: name, Err: fmt.Errorf("%w: file shorter than a capture header", ErrNotCapture)}
	}
	if magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, &ReadError{File: name, Err: fmt.Errorf("gzip: %w", err)}
		}
		br = bufio.NewReaderSize(gz, peekBufferSize)
		if magic, err = br.Peek(4); err != nil {
			return nil, &ReadError{File: name, Err: fmt.Errorf("gzip stream is cut or damaged before the capture header: %v", err)}
		}
	}
	f := &File{Name: name, readerAt: readerAt, start: start}
	switch binary.LittleEndian.Uint32(magic) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		src, err := newPcapSource(br)
		if err != nil {
			return nil, &ReadError{File: name, Err: err}
		}
		f.src = src
	case 0x0a0d0d0a:
		src, err := newNgSource(br)
		if err != nil {
			return nil, &ReadError{File: name, Err: fmt.Errorf("pcapng: %w", err)}
		}
		f.src = src
	default:
		return nil, &ReadError{File: name, Err: fmt.Errorf("%w (magic %02x %02x %02x %02x)", ErrNotCapture, magic[0], magic[1], magic[2], magic[3])}
	}
	return f, nil
}

// ReadRecord reads the next record. It returns io.EOF at the clean end of
// the file and a *ReadError for damage; after an error every call returns
// the same error.
func (f *File) ReadRecord(rec *Record) error {
	if f.err != nil {
		return f.err
	}
	err := f.src.read(rec)
	if err != nil {
		if err != io.EOF {
			if err == io.ErrUnexpectedEOF {
				err = errors.New("file ends in the middle of a record (truncated capture)")
			}
			// A source does not move past what it could not read: its
			// offset is where the damage starts.
			err = &ReadError{File: f.Name, Offset: f.src.offset(), Frame: f.frame + 1, Err: err}
		}
		f.err = err
		return err
	}
	f.frame++
	return nil
}

// Frames returns how many records were read.
func (f *File) Frames() uint64 { return f.frame }

// keepPrevious makes the File keep the records it hands out beyond the
// next ReadRecord, until the fill after next of its buffer (see window,
// Record.fill), at the cost of a second buffer.
func (f *File) keepPrevious() { f.src.keepTwo() }

// rereadable returns r as an io.ReaderAt, and the offset NewFile starts
// reading it at, when r can be read again from there without disturbing
// its own reading (a regular file, a bytes.Reader); nil for a stream (a
// pipe, a terminal, a socket, whose Seek fails).
func rereadable(r io.Reader) (io.ReaderAt, int64) {
	ra, ok := r.(io.ReaderAt)
	if !ok {
		return nil, 0
	}
	s, ok := r.(io.Seeker)
	if !ok {
		return nil, 0
	}
	start, err := s.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, 0
	}
	return ra, start
}

// errNotRereadable is again's error for a capture read from a stream.
var errNotRereadable = errors.New("the capture is a stream: it cannot be read a second time")

// again returns a second, independent File reading the same capture from
// its first record, when the capture can be read again (see rereadable).
// Point uses it to compare records, one by one, with the ones they repeat.
func (f *File) again() (*File, error) {
	if f.readerAt == nil {
		return nil, errNotRereadable
	}
	return NewFile(f.Name, io.NewSectionReader(f.readerAt, f.start, math.MaxInt64-f.start))
}

// Close closes the underlying file.
func (f *File) Close() error {
	if f.closer != nil {
		return f.closer.Close()
	}
	return nil
}

// window holds the bytes of a capture being read: blocks of
// readBufferSize are read straight into its buffer, behind the bytes not
// yet used, and records are handed out where they lie. A record is never
// copied, except the few bytes of one cut by the end of a block, moved to
// the buffer's front before the next block is read behind them.
//
// Once told to keep two buffers (keepTwo), it fills them in turn, moving
// the bytes not yet used to the front of the other one, so that what was
// handed out stays valid one fill more: Point compares a record with
// those read shortly before it in place, without copying or hashing every
// record in case the next one repeats it. Record.fill says which records
// are still there: fills counts 1 for a fill into the other buffer and 2
// for a fill in place, so that a record handed out when the count was g
// is intact while it is at most g+1.
type window struct {
	r     io.Reader
	buf   []byte
	spare []byte // the other buffer, when keeping two: the one filled before buf
	keep  bool   // keep two buffers
	pos   int    // the next unread byte in buf
	end   int    // bytes of buf holding data
	base  int64  // file offset of buf[0]
	fills uint64 // see above
	rerr  error  // what ended reading (io.EOF at the end of the file)
	// lend, when set, supplies the buffer of each fill; the buffer filled
	// before is kept as spare, as when keeping two, and the one before
	// that retired to lend (see Lender).
	lend *Lender
}

// newWindow reads from r through a buffer of size bytes: a block and the
// longest record or block the format allows.
func newWindow(r io.Reader, size int) window { return window{r: r, buf: make([]byte, size)} }

// keepTwo makes the window keep two buffers from its next fill on (the
// second one allocated then).
func (w *window) keepTwo() { w.keep = true }

// need reports whether n bytes are there to read, reading if not.
func (w *window) need(n int) bool {
	if w.end-w.pos >= n {
		return true
	}
	w.fill(n)
	return w.end-w.pos >= n
}

// fill moves the unread bytes to the front of the buffer, or of the other
// buffer when keeping two (a larger one when n would not fit), and reads
// behind them until it is full or the input ends. Slices handed out
// before are invalid afterwards, or, when keeping two, those handed out
// before the previous fill.
func (w *window) fill(n int) {
	if w.rerr != nil {
		return
	}
	size := len(w.buf)
	if n > size {
		size = n + readBufferSize
	}
	next, step := w.buf, uint64(2)
	switch {
	case w.lend != nil:
		next, step = w.lend.get(size), 1
	case w.keep:
		next, step = w.spare, 1
	}
	if len(next) < size {
		next = make([]byte, size)
	}
	k := copy(next, w.buf[w.pos:w.end])
	w.base += int64(w.pos)
	if w.lend != nil && w.spare != nil {
		w.lend.retire(w.spare)
	}
	if w.keep || w.lend != nil {
		w.spare = w.buf
	}
	w.buf = next
	w.pos, w.end = 0, k
	w.fills += step
	for w.end < len(w.buf) {
		m, err := w.r.Read(w.buf[w.end:])
		w.end += m
		if err != nil {
			w.rerr = err
			return
		}
		if m == 0 {
			w.rerr = io.ErrNoProgress
			return
		}
	}
}

// peek returns the next n bytes, which need(n) made sure of.
func (w *window) peek(n int) []byte { return w.buf[w.pos : w.pos+n] }

func (w *window) advance(n int) { w.pos += n }

// offset is the file offset of the next unread byte.
func (w *window) offset() int64 { return w.base + int64(w.pos) }

// skip moves n bytes ahead without holding them.
func (w *window) skip(n int64) error {
	if int64(w.end-w.pos) >= n {
		w.pos += int(n)
		return nil
	}
	n -= int64(w.end - w.pos)
	w.base += int64(w.end)
	w.pos, w.end = 0, 0
	if w.rerr != nil {
		return w.short(false)
	}
	m, err := io.CopyN(io.Discard, w.r, n)
	w.base += m
	if err != nil {
		w.rerr = err
		return w.short(false)
	}
	return nil
}

// short is the error for input that holds less than a record: the end of
// the file (clean when nothing is left of a record), or the reader's
// error.
func (w *window) short(clean bool) error {
	if w.rerr != io.EOF {
		if w.rerr == nil {
			return io.ErrUnexpectedEOF
		}
		return w.rerr
	}
	if clean {
		return io.EOF
	}
	return io.ErrUnexpectedEOF
}

// pcapSource reads classic pcap (both byte orders, micro- and nanosecond
// timestamps) through a window.
type pcapSource struct {
	w       window
	little  bool
	nanos   int64 // multiplier from the file's fraction to nanoseconds
	link    LinkType
	snaplen uint32
}

func newPcapSource(r *bufio.Reader) (*pcapSource, error) {
	hdr, err := r.Peek(24)
	if err != nil {
		return nil, errors.New("file ends inside the pcap header (truncated capture)")
	}
	s := &pcapSource{w: newWindow(r, readBufferSize+MaxRecordLength+16)}
	var order binary.ByteOrder = binary.LittleEndian
	switch binary.LittleEndian.Uint32(hdr) {
	case 0xa1b2c3d4:
		s.nanos = 1000
	case 0xd4c3b2a1:
		order, s.nanos = binary.BigEndian, 1000
	case 0xa1b23c4d:
		s.nanos = 1
	case 0x4d3cb2a1:
		order, s.nanos = binary.BigEndian, 1
	}
	s.little = order == binary.LittleEndian
	if major := order.Uint16(hdr[4:6]); major != 2 {
		return nil, fmt.Errorf("unsupported pcap version %d.%d", major, order.Uint16(hdr[6:8]))
	}
	s.snaplen = order.Uint32(hdr[16:20])
	// The upper 16 bits of the link type field hold FCS information (pcap
	// file format, "LinkType and additional information").
	s.link = LinkType(order.Uint32(hdr[20:24]) & 0xffff)
	r.Discard(24)
	s.w.base = 24
	return s, nil
}

func (s *pcapSource) offset() int64 { return s.w.offset() }

func (s *pcapSource) keepTwo() { s.w.keepTwo() }

func (s *pcapSource) borrow(l *Lender) { s.w.lend = l }

func (s *pcapSource) u32(b []byte) uint32 {
	if s.little {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

func (s *pcapSource) read(rec *Record) error {
	if !s.w.need(16) {
		return s.w.short(s.w.end == s.w.pos)
	}
	hdr := s.w.peek(16)
	sec := int64(s.u32(hdr[0:4]))
	frac := int64(s.u32(hdr[4:8]))
	capLen := s.u32(hdr[8:12])
	wireLen := s.u32(hdr[12:16])
	if capLen > MaxRecordLength {
		return fmt.Errorf("record length %d is beyond any snap length (max %d): the file is damaged", capLen, MaxRecordLength)
	}
	n := int(capLen)
	if !s.w.need(16 + n) {
		return s.w.short(false)
	}
	rec.Data = s.w.peek(16 + n)[16:]
	s.w.advance(16 + n)
	rec.Time = time.Unix(sec, frac*s.nanos).UTC()
	rec.CapLen = n
	rec.WireLen = int(wireLen)
	if rec.WireLen < n {
		rec.WireLen = n
	}
	rec.Link = s.link
	rec.Iface = 0
	rec.fill = s.w.fills
	rec.untimed = sec|frac == 0
	return nil
}
