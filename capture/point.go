package capture

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// Stats counts what a capture point read.
type Stats struct {
	Packets     uint64 // records read, whatever their content (as capinfos counts)
	Bytes       uint64 // their original (wire) lengths, as capinfos's data size
	Truncated   uint64 // records cut by the snap length
	Unsupported uint64 // records of a link type ftpsniff cannot decode
	Fragments   uint64 // IP fragments (not reassembled)
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
	// OnRecord, when set, sees every record read, before decoding (to
	// write the packets of a live capture to a file).
	OnRecord func(input int, rec *Record)

	inputs []Input
	heads  []Record
	live   []bool   // input has a record in heads
	frames []uint64 // records read per input
	next   int      // input to advance before choosing, -1 none, -2 none read yet
	iface  []int    // per input: only packets of this interface, or -1
	dec    *Decoder
	unsupp map[LinkType]bool
}

// NewPoint returns a Point reading the given inputs; names label them.
func NewPoint(name string, names []string, inputs []Input) *Point {
	pt := &Point{Name: name, Inputs: names, inputs: inputs,
		heads: make([]Record, len(inputs)), live: make([]bool, len(inputs)),
		frames: make([]uint64, len(inputs)), dec: NewDecoder(), unsupp: map[LinkType]bool{},
		iface: make([]int, len(inputs))}
	for i := range pt.iface {
		pt.iface[i] = -1
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
	copy(pt.iface, ifaces)
	return pt, nil
}

func (pt *Point) advance(i int) {
	err := pt.inputs[i].ReadRecord(&pt.heads[i])
	if err != nil {
		pt.live[i] = false
		if !errors.Is(err, io.EOF) {
			pt.Errors = append(pt.Errors, err)
		}
		return
	}
	pt.live[i] = true
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
		for i, ok := range pt.live {
			if ok && (best < 0 || pt.heads[i].Time.Before(pt.heads[best].Time)) {
				best = i
			}
		}
		if best < 0 {
			pt.next = -1
			return io.EOF
		}
		pt.next = best
		rec := &pt.heads[best]
		if pt.OnRecord != nil {
			pt.OnRecord(best, rec)
		}
		pt.frames[best]++
		pt.Stats.Packets++
		pt.Stats.Bytes += uint64(rec.WireLen)
		if rec.CapLen < rec.WireLen {
			pt.Stats.Truncated++
		}
		if !pt.dec.Supported(rec.Link) {
			pt.Stats.Unsupported++
			pt.unsupp[rec.Link] = true
			continue
		}
		p.Input = best
		p.Frame = pt.frames[best]
		p.Time = rec.Time
		p.CapLen = rec.CapLen
		p.WireLen = rec.WireLen
		p.Iface = rec.Iface
		if pt.dec.Decode(rec.Link, rec.Data, p) {
			if f := pt.iface[best]; f >= 0 && p.Iface != f {
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
