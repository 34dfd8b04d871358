package capture

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what a capture point read. Packets and Bytes count every
// record; the other counts leave out the duplicates skipped.
type Stats struct {
	Packets     uint64 // records read, whatever their content, duplicates included (as capinfos counts)
	Bytes       uint64 // their original (wire) lengths, as capinfos's data size
	Truncated   uint64 // records cut by the snap length
	Unsupported uint64 // records of a link type ftpsniff cannot decode
	Fragments   uint64 // IP fragments (not reassembled)
	Duplicates  uint64 // records skipped as exact duplicates of an earlier record of their input (see Point)
	// FirstDuplicate is the evidence for the first duplicate skipped; the
	// zero value when Duplicates is 0.
	FirstDuplicate DuplicateEvidence
}

// Input is one source of records: a capture file or a live interface.
type Input interface {
	ReadRecord(*Record) error
	Close() error
}

// Point is one capture point: the inputs taken at one place in the network,
// read as one stream in timestamp order (rotated files of one tap, or
// several interfaces of one machine). Each Packet it returns carries the
// index of its input and its frame number there.
//
// A Point skips the exact duplicates in each input that is a *File: a
// record whose timestamp, original length, link type, interface and
// captured bytes equal those of an earlier record of the same input, in
// the two shapes a capture holds its records twice: a file concatenated
// with itself (mergecap -a a.pcap a.pcap: the time steps back and the
// records repeat), and records doubled in place (mergecap a.pcap a.pcap,
// a tap that duplicates: the time stands still and the records repeat).
// The same bytes at another time are not a duplicate (the packet seen at
// another place, or retransmitted), nor are records of different inputs.
// Duplicates are counted (Stats.Duplicates, the first one's evidence in
// Stats.FirstDuplicate) but not returned; frame numbers still count them,
// so they stay the file's record numbers, as Wireshark shows them.
//
// A record later than every record before it in its input cannot be a
// duplicate and costs nothing more than that comparison (and, for the
// first records, noting its timestamp and length); only a record whose
// time stands still or steps back is compared. An input that can be read
// again (a file, not a pipe) is then read a second time, from its start,
// to compare the records a repetition repeats. Memory is bounded: per
// input, the timestamp, length and fingerprint of the first
// DuplicateHeadRecords records (at most DuplicateHeadBytes of them),
// DuplicateRunRecords records of the latest timestamp, where the reader
// keeps them (in a second buffer, from the first record whose time does
// not move forward on), and a second reader while a repetition is
// followed. What this does not detect:
//
//   - a repetition whose first duplicate repeats a record past the head
//     (beyond the first DuplicateHeadRecords records or DuplicateHeadBytes
//     of the input), unless at the latest timestamp: overlapping files
//     concatenated, whose second repeats the end of the first;
//   - the rest of a repetition past the head, when the input cannot be
//     read a second time to go on comparing (standard input from a pipe):
//     DuplicateEvidence.Unchecked then says where checking stopped;
//   - a record at the latest timestamp that repeats one more than
//     DuplicateRunRecords records of that timestamp back, or one the
//     reader no longer holds: it keeps the records of its last two blocks
//     (at least 128 KiB back) from the input's first record whose time
//     does not move forward on, and of its last block before (that first
//     record, when it doubles the one before it across a block boundary,
//     is missed);
//   - records without a timestamp of their own (pcapng Simple Packet
//     Blocks, records at the Unix epoch), which are never duplicates; and
//     the records of inputs other than Files (live captures), which are
//     not looked at.
//
// Fingerprints are 64-bit hashes (hash/maphash): two different records
// are taken for one with a probability of about 2^-64 per comparison.
// Records at the latest timestamp, and those past the head, are compared
// byte for byte.
type Point struct {
	Name   string
	Inputs []string // names of the inputs, indexed by Packet.Input
	Stats  Stats
	// Errors holds the error that ended each input early (damage, a
	// truncated file); the other inputs, and everything before the damage,
	// are still read.
	Errors []error
	// Filter, when set, drops decoded packets it does not match.
	Filter *Filter
	// OnRecord, when set, sees every record read, duplicates included,
	// before decoding (to write the packets of a live capture to a file).
	OnRecord func(input int, rec *Record)
	// Number, when set, gives each record its frame number (after
	// OnRecord), instead of counting the records of each input: the
	// workers of one live capture point, each reading its share of an
	// interface, number their records as one capture (see Frames).
	Number func(input int, rec *Record) uint64

	inputs []Input
	ins    []pointInput
	next   int // input to advance before choosing, -1 none, -2 none read yet
	dec    *Decoder
	unsupp map[LinkType]bool
}

// pointInput is what a Point keeps of one of its inputs.
type pointInput struct {
	recs   [2]Record // the head, recs[cur], and the record read before it
	cur    int
	live   bool   // the input has a record in the head
	frames uint64 // records read
	iface  int    // only packets of this interface, or -1
	dups   *dedup // nil: records are not checked for duplicates
}

// head returns the input's next record.
func (in *pointInput) head() *Record { return &in.recs[in.cur] }

// NewPoint returns a Point reading the given inputs; names label them.
func NewPoint(name string, names []string, inputs []Input) *Point {
	pt := &Point{Name: name, Inputs: names, inputs: inputs, ins: make([]pointInput, len(inputs)),
		dec: NewDecoder(), unsupp: map[LinkType]bool{}}
	for i, in := range inputs {
		pt.ins[i].iface = -1
		if f, ok := in.(*File); ok {
			pt.ins[i].dups = newDedup(f)
		}
	}
	pt.next = -2 // nothing read yet: Next reads every input's first record
	return pt
}

// ParseSource splits a source "FILE@N" into the file and an interface
// index N (pcapng interface ID, or the interface index of a Linux SLL2
// capture on the "any" device), so one capture taken on a router can serve
// as two capture points. A source without "@N", or naming a file that
// exists as written, has iface -1.
func ParseSource(src string) (file string, iface int) {
	i := strings.LastIndexByte(src, '@')
	if i <= 0 {
		return src, -1
	}
	n, err := strconv.Atoi(src[i+1:])
	if err != nil || n < 0 {
		return src, -1
	}
	if _, err := os.Stat(src); err == nil {
		return src, -1
	}
	return src[:i], n
}

// OpenPoint opens capture files as one point; each may be "FILE@N" to keep
// only interface N's packets (see ParseSource). A file that cannot be
// opened at all is an error; nothing is read from the others then.
func OpenPoint(name string, files []string) (*Point, error) {
	inputs := make([]Input, 0, len(files))
	ifaces := make([]int, 0, len(files))
	for _, src := range files {
		f, iface := ParseSource(src)
		ifaces = append(ifaces, iface)
		in, err := OpenFile(f)
		if err != nil {
			for _, o := range inputs {
				o.Close()
			}
			return nil, err
		}
		inputs = append(inputs, in)
	}
	pt := NewPoint(name, files, inputs)
	for i, iface := range ifaces {
		pt.ins[i].iface = iface
	}
	return pt, nil
}

// advance reads input i's next record into the other of its two records,
// so that the one read before stays at hand for duplicate detection.
func (pt *Point) advance(i int) {
	in := &pt.ins[i]
	in.cur ^= 1
	err := pt.inputs[i].ReadRecord(&in.recs[in.cur])
	if err != nil {
		in.live = false
		in.dups = nil // the input is done: let go of its memory
		if !errors.Is(err, io.EOF) {
			pt.Errors = append(pt.Errors, err)
		}
		return
	}
	in.live = true
}

// Next reads the next packet in timestamp order into p. Records that are not
// TCP or ICMP errors about TCP are counted and skipped. It returns io.EOF
// when every input is exhausted. p.Payload is valid until the next call.
func (pt *Point) Next(p *Packet) error {
	if pt.next == -2 {
		// Read lazily, so that a live input does not block the caller
		// before it asks for a packet.
		for i := range pt.inputs {
			pt.advance(i)
		}
		pt.next = -1
	}
	for {
		if pt.next >= 0 {
			pt.advance(pt.next)
		}
		// Choose the earliest head; ties go to the lower input, so one file
		// keeps its order.
		best := -1
		var bestRec *Record
		for i := range pt.ins {
			in := &pt.ins[i]
			if in.live && (best < 0 || in.head().Time.Before(bestRec.Time)) {
				best, bestRec = i, in.head()
			}
		}
		if best < 0 {
			pt.next = -1
			return io.EOF
		}
		pt.next = best
		in := &pt.ins[best]
		rec := bestRec
		if pt.OnRecord != nil {
			pt.OnRecord(best, rec)
		}
		if pt.Number != nil {
			in.frames = pt.Number(best, rec)
		} else {
			in.frames++
		}
		pt.Stats.Packets++
		pt.Stats.Bytes += uint64(rec.WireLen)
		if d := in.dups; d != nil {
			// A record later than every one before it cannot repeat one:
			// the common case costs this comparison (and, for the input's
			// first records, noting their key).
			if ns := rec.Time.UnixNano(); ns > d.latest && !rec.untimed {
				d.latest = ns
				if d.headOpen {
					d.remember(rec, ns)
				}
			} else if orig := d.check(rec, &in.recs[in.cur^1], ns, in.frames); orig != 0 {
				pt.duplicate(best, rec, in.frames, orig, d)
				continue
			} else if d.unchecked != 0 {
				pt.uncheckedRepeat(best, d)
			}
		}
		if rec.CapLen < rec.WireLen {
			pt.Stats.Truncated++
		}
		if !pt.dec.Supported(rec.Link) {
			pt.Stats.Unsupported++
			pt.unsupp[rec.Link] = true
			continue
		}
		p.Input = best
		p.Frame = in.frames
		p.Time = rec.Time
		p.CapLen = rec.CapLen
		p.WireLen = rec.WireLen
		p.Iface = rec.Iface
		if pt.dec.Decode(rec.Link, rec.Data, p) {
			if f := in.iface; f >= 0 && p.Iface != f {
				continue
			}
			if pt.Filter != nil && !pt.Filter.Match(p) {
				continue
			}
			return nil
		}
		if p.Fragment {
			pt.Stats.Fragments++
		}
	}
}

// duplicate counts record frame of input i, rec, which repeats record orig.
func (pt *Point) duplicate(i int, rec *Record, frame, orig uint64, d *dedup) {
	pt.Stats.Duplicates++
	if pt.Stats.Duplicates > 1 {
		return
	}
	e := DuplicateEvidence{Input: i, Frame: frame, Repeats: orig, Time: rec.Time, Shape: DoubledInPlace}
	if ns := rec.Time.UnixNano(); ns < d.latest {
		e.Shape, e.SteppedBackFrom = RepeatedAfterStepBack, time.Unix(0, d.latest).UTC()
	}
	pt.Stats.FirstDuplicate = e
}

// uncheckedRepeat notes that input i's repetition could not be followed
// further, when the evidence is about input i.
func (pt *Point) uncheckedRepeat(i int, d *dedup) {
	if e := &pt.Stats.FirstDuplicate; pt.Stats.Duplicates > 0 && e.Input == i && e.Unchecked == 0 {
		e.Unchecked = d.unchecked
	}
}

// Frames numbers the records of several Points as those of one capture:
// the workers of one live capture point, each reading its share of the
// interface's packets (give each Point Frames.Number). Write, when set,
// sees each record as it gets its number, under one lock, so that the file
// it writes holds frame n as its n-th record, whichever worker read it.
type Frames struct {
	Write func(rec *Record)
	mu    sync.Mutex
	n     atomic.Uint64
}

// Number returns the next frame number, after handing rec to Write.
func (f *Frames) Number(_ int, rec *Record) uint64 {
	if f.Write == nil {
		return f.n.Add(1)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Write(rec)
	return f.n.Add(1)
}

// UnsupportedLinkTypes lists link types that were seen but not decoded.
func (pt *Point) UnsupportedLinkTypes() []LinkType {
	var out []LinkType
	for lt := range pt.unsupp {
		out = append(out, lt)
	}
	return out
}

// Close closes every input.
func (pt *Point) Close() error {
	var first error
	for _, in := range pt.inputs {
		if err := in.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
