package capture

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"time"
)

// Bounds of a Point's duplicate detection, per input (see Point).
const (
	// DuplicateHeadRecords is how many of an input's first records (the
	// head) are remembered, by timestamp, length and fingerprint, so that
	// a repetition starting with one of them is recognised after the time
	// stepped back.
	DuplicateHeadRecords = 4096
	// DuplicateHeadBytes bounds the captured bytes of the head (the time
	// spent hashing it): fewer than DuplicateHeadRecords are remembered
	// when they hold more.
	DuplicateHeadBytes = 4 << 20
	// DuplicateRunRecords is how many records of one timestamp (the time
	// standing still) a record is compared with.
	DuplicateRunRecords = 64
)

// DuplicateShape is how a capture holds its records twice.
type DuplicateShape uint8

// Duplicate shapes; the zero value is none.
const (
	// DoubledInPlace: the duplicate has the timestamp of the latest record
	// before it, and repeats one read shortly before: each record twice in
	// a row (a tap or a mirror port that duplicates), or the records of
	// each timestamp twice (mergecap of a file with itself).
	DoubledInPlace DuplicateShape = iota + 1
	// RepeatedAfterStepBack: the input's time stepped back, and from there
	// on it repeats records read earlier (a file concatenated with itself,
	// mergecap -a a.pcap a.pcap; or overlapping files concatenated).
	RepeatedAfterStepBack
)

// String names the shape.
func (s DuplicateShape) String() string {
	switch s {
	case 0:
		return "none"
	case DoubledInPlace:
		return "doubled in place"
	case RepeatedAfterStepBack:
		return "repeated after the time stepped back"
	}
	return fmt.Sprintf("DuplicateShape(%d)", uint8(s))
}

// DuplicateEvidence is the evidence for the first duplicate a Point
// skipped: where it is, what it repeats, and the shape it suggests.
type DuplicateEvidence struct {
	Input   int            // index of its input, as Packet.Input
	Frame   uint64         // its record number in the input
	Repeats uint64         // the record number of the earlier record it repeats, in the same input
	Time    time.Time      // the timestamp of both
	Shape   DuplicateShape // see DuplicateShape
	// SteppedBackFrom is, for RepeatedAfterStepBack, the latest timestamp
	// read from the input before the duplicate (the time stepped back from
	// it to Time).
	SteppedBackFrom time.Time
	// Unchecked is 0, or the first record of the same input that a
	// repetition reached beyond what is remembered of the input (see
	// DuplicateHeadRecords), when the input could not be read a second
	// time to go on comparing (a capture read from a pipe): that record
	// and the rest of the repetition were delivered, not skipped, and
	// Stats.Duplicates counts too few.
	Unchecked uint64
}

// String says in one sentence what the evidence shows, without naming the
// input (prefix the input's name). For example: "record 61 repeats record
// 1 (same timestamp, length and bytes) after the time stepped back from
// 2026-11-02 10:00:00.058000000 to 2026-11-02 10:00:00.000000000: the
// input repeats records it held before (concatenated with itself, or with
// an overlapping capture?)".
func (e DuplicateEvidence) String() string {
	if e.Shape == 0 {
		return "no duplicate record"
	}
	const layout = "2006-01-02 15:04:05.000000000"
	var s string
	switch e.Shape {
	case RepeatedAfterStepBack:
		s = fmt.Sprintf("record %d repeats record %d (same timestamp, length and bytes) after the time stepped back from %s to %s: the input repeats records it held before (concatenated with itself, or with an overlapping capture?)",
			e.Frame, e.Repeats, e.SteppedBackFrom.UTC().Format(layout), e.Time.UTC().Format(layout))
	default:
		s = fmt.Sprintf("record %d repeats record %d (same timestamp %s, length and bytes): records are doubled in place (a capture merged with itself, or a tap that duplicates?)",
			e.Frame, e.Repeats, e.Time.UTC().Format(layout))
	}
	if e.Unchecked != 0 {
		s += fmt.Sprintf("; from record %d on, the input could not be read a second time to check the rest of the repetition, which was analysed as it is", e.Unchecked)
	}
	return s
}

// heldRecord is a record of the current run of one timestamp, its bytes
// where the reader handed them out (valid while the window holds them:
// see Record.fill).
type heldRecord struct {
	data  []byte
	fill  uint64
	frame uint64
	ns    int64 // Time.UnixNano
	time  time.Time
	wire  int
	link  LinkType
	iface int
}

// held reports whether the bytes of h, a record handed out by the same
// reader before rec, are still where they were handed out.
func held(h *heldRecord, rec *Record) bool {
	return h.fill != 0 && rec.fill-h.fill <= 1
}

func (h *heldRecord) same(rec *Record) bool {
	return h.wire == rec.WireLen && h.link == rec.Link && h.iface == rec.Iface && h.time.Equal(rec.Time) &&
		string(h.data) == string(rec.Data)
}

// keyChain is the first and last record of the head with a key.
type keyChain struct{ first, last uint32 }

// dedup finds the exact duplicates among the records of one File: records
// whose timestamp, original length, link type, interface and captured
// bytes equal those of an earlier record of the same input.
//
// A record whose time is later than every record before it (the common
// case) cannot repeat one: dedup notes its time, and, for the first
// records (the head), a key of its timestamp and original length. Only a
// record whose time stands still or steps back is looked at:
//
//   - if the record before it was a duplicate of record o, it is compared
//     with record o+1: by fingerprint within the head, beyond it byte for
//     byte with the input read a second time (File.again), so that a
//     repetition is followed to its end however long it is;
//   - if its time is the latest one, with the records of that timestamp
//     (up to DuplicateRunRecords), byte for byte, where the reader still
//     holds them (File.keepPrevious: from the first record looked at on,
//     the reader keeps two buffers);
//   - if its time stepped back within the head's, with the head's records
//     of its key, by fingerprint (a 64-bit maphash of timestamp, lengths,
//     link type, interface and bytes). The fingerprints of an input that
//     can be read again are computed as its second reading passes them,
//     once at most and only when a record with their key turns up; those
//     of a stream as the head is read (at most DuplicateHeadBytes hashed).
type dedup struct {
	file    *File
	keeping bool // file keeps the records it handed out for one fill more
	seed    maphash.Seed

	latest int64 // the latest timestamp read, Time.UnixNano

	run     [DuplicateRunRecords]heldRecord // the latest records at latest, a ring
	runNext int                             // where the next goes in run

	// The head: keys (timestamp and original length, see headKey) of
	// records 1..len(keys), their fingerprints in sums (0 when not
	// known), and, built when first needed, the records of each key: the
	// first and last in index, each one's next in chain.
	keys      []uint64
	sums      []uint64
	index     map[uint64]keyChain
	chain     []uint32
	headBytes int
	headOpen  bool  // more records go in the head
	headLast  int64 // the latest time among the head's records, once closed

	lastDup    uint64 // the latest duplicate's record number
	lastOrigin uint64 // the record it repeats

	twin    *File  // the input read a second time, when it can be
	twinRec Record // the twin's latest record
	noTwin  bool   // the input cannot be read again
	// unchecked is the first record a repetition reached that could not
	// be compared (no twin), or 0.
	unchecked uint64
}

func newDedup(f *File) *dedup {
	d := &dedup{file: f, seed: maphash.MakeSeed(), latest: math.MinInt64, headOpen: true,
		keys: make([]uint64, 0, DuplicateHeadRecords)}
	if f.readerAt == nil {
		d.sums = make([]uint64, DuplicateHeadRecords) // a stream: hashed as read
	}
	return d
}

// headKey returns the key of a record of timestamp ns and original length
// wire: a record repeats another only if their keys are equal (keys may
// collide). It is never 0, the key of a record without a timestamp.
func headKey(ns int64, wire int) uint64 {
	return (uint64(ns) ^ uint64(wire)*0x9e3779b97f4a7c15) | 1
}

// fingerprint hashes what makes two records the same; it is never 0.
func (d *dedup) fingerprint(rec *Record) uint64 {
	var meta [28]byte
	binary.LittleEndian.PutUint64(meta[0:], uint64(rec.Time.Unix()))
	binary.LittleEndian.PutUint32(meta[8:], uint32(rec.Time.Nanosecond()))
	binary.LittleEndian.PutUint64(meta[12:], uint64(rec.WireLen))
	binary.LittleEndian.PutUint16(meta[20:], uint16(rec.Link))
	binary.LittleEndian.PutUint32(meta[22:], uint32(rec.Iface))
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.Write(meta[:])
	h.Write(rec.Data)
	return h.Sum64() | 1 // never 0, which stands for not known
}

// remember adds rec, the next record, of timestamp ns, to the head, and
// closes the head when it is full.
func (d *dedup) remember(rec *Record, ns int64) {
	k := uint64(0)
	if !rec.untimed {
		k = headKey(ns, rec.WireLen)
		if d.file.readerAt == nil {
			d.sums[len(d.keys)] = d.fingerprint(rec)
		}
	}
	d.keys = append(d.keys, k)
	if d.index != nil {
		d.chain = append(d.chain, 0)
		d.link(len(d.keys))
	}
	d.headBytes += len(rec.Data)
	if len(d.keys) >= DuplicateHeadRecords || d.headBytes >= DuplicateHeadBytes {
		d.headOpen = false
		d.headLast = d.latest
	}
}

// link adds record o of the head to the chain of its key.
func (d *dedup) link(o int) {
	k := d.keys[o-1]
	if k == 0 {
		return
	}
	c, ok := d.index[k]
	if ok {
		d.chain[c.last-1] = uint32(o)
		c.last = uint32(o)
	} else {
		c = keyChain{first: uint32(o), last: uint32(o)}
	}
	d.index[k] = c
}

// check looks at rec, record number frame, of timestamp ns, not later
// than d.latest (or which has no timestamp of its own); prev is the record
// read before it from the same input. It returns the number of the record
// rec repeats, or 0.
func (d *dedup) check(rec, prev *Record, ns int64, frame uint64) (orig uint64) {
	if rec.untimed {
		if d.headOpen {
			d.remember(rec, ns)
		}
		return 0
	}
	if !d.keeping {
		// The time does not always move forward here: compare records
		// with those before them in place from now on.
		d.file.keepPrevious()
		d.keeping = true
	}
	// The record that moved the time forward was not held then (that
	// would cost every record a copy): hold it now, when the record after
	// it is looked at, so that the records of its timestamp read later,
	// after others or not, are compared with it.
	if newest := &d.run[(d.runNext+len(d.run)-1)%len(d.run)]; newest.frame != frame-1 && d.lastDup != frame-1 &&
		!prev.untimed && prev.fill != 0 && prev.Time.UnixNano() == d.latest {
		d.hold(prev, d.latest, frame-1)
	}
	var sum uint64 // rec's fingerprint, once computed
	// A repetition goes on: the record after a duplicate repeats the one
	// after its original.
	if d.lastDup != 0 && d.lastDup+1 == frame && d.repeats(d.lastOrigin+1, rec, ns, frame, &sum) {
		orig = d.lastOrigin + 1
	}
	standing := ns == d.latest
	switch {
	case orig != 0:
	case standing:
		// The records of this timestamp are all in the run: none of the
		// head's is before it.
		orig = d.inRun(rec, ns)
	case d.headOpen || ns <= d.headLast:
		orig = d.inHead(rec, ns, frame, &sum)
	}
	if d.headOpen {
		d.remember(rec, ns)
	}
	if orig != 0 {
		d.lastDup, d.lastOrigin = frame, orig
	} else if standing {
		d.hold(rec, ns, frame)
	}
	return orig
}

// inRun compares rec with the records of its timestamp read before it,
// the latest first, and returns the number of the one it repeats, or 0.
func (d *dedup) inRun(rec *Record, ns int64) uint64 {
	for k := 1; k <= len(d.run); k++ {
		h := &d.run[(d.runNext-k+len(d.run))%len(d.run)]
		if h.frame == 0 || h.ns != ns {
			break // none, or an earlier run's
		}
		if held(h, rec) && h.same(rec) {
			return h.frame
		}
	}
	return 0
}

// hold adds rec, record number frame, of timestamp ns, to the run.
func (d *dedup) hold(rec *Record, ns int64, frame uint64) {
	d.run[d.runNext] = heldRecord{data: rec.Data, fill: rec.fill, frame: frame, ns: ns, time: rec.Time,
		wire: rec.WireLen, link: rec.Link, iface: rec.Iface}
	d.runNext = (d.runNext + 1) % len(d.run)
}

// inHead looks for the record rec repeats among the head's records of its
// key, and returns its number, or 0. sum is rec's fingerprint, or 0 until
// computed.
func (d *dedup) inHead(rec *Record, ns int64, frame uint64, sum *uint64) uint64 {
	if d.index == nil {
		d.index = make(map[uint64]keyChain)
		d.chain = make([]uint32, len(d.keys), DuplicateHeadRecords)
		for o := 1; o <= len(d.keys); o++ {
			d.link(o)
		}
	}
	c, ok := d.index[headKey(ns, rec.WireLen)]
	if !ok {
		return 0
	}
	for o := c.first; o != 0; o = d.chain[o-1] {
		if d.repeats(uint64(o), rec, ns, frame, sum) {
			return uint64(o)
		}
	}
	return 0
}

// repeats reports whether rec, record number frame, of timestamp ns,
// repeats record o of the same input. sum is rec's fingerprint, or 0
// until computed.
func (d *dedup) repeats(o uint64, rec *Record, ns int64, frame uint64, sum *uint64) bool {
	if o > uint64(len(d.keys)) {
		return d.sameAsTwin(o, rec, frame)
	}
	if d.keys[o-1] != headKey(ns, rec.WireLen) {
		return false
	}
	if (d.sums == nil || d.sums[o-1] == 0) && !d.twinTo(o, frame) {
		return false
	}
	if *sum == 0 {
		*sum = d.fingerprint(rec)
	}
	return d.sums[o-1] == *sum
}

// twinTo reads the input a second time up to record o, fingerprinting the
// head's records on the way; false if it cannot (then unchecked is set).
func (d *dedup) twinTo(o, frame uint64) bool {
	if d.noTwin {
		return false
	}
	if d.twin == nil || d.twin.Frames() >= o {
		t, err := d.file.again()
		if err != nil {
			d.noTwin, d.unchecked = true, frame
			return false
		}
		d.twin = t
	}
	if d.sums == nil {
		d.sums = make([]uint64, DuplicateHeadRecords)
	}
	for d.twin.Frames() < o {
		if err := d.twin.ReadRecord(&d.twinRec); err != nil {
			// Damage the first reading stopped at, or a file changed
			// since: compare no further.
			d.twin, d.noTwin, d.unchecked = nil, true, frame
			return false
		}
		if n := d.twin.Frames(); n <= uint64(len(d.keys)) && d.sums[n-1] == 0 && !d.twinRec.untimed {
			d.sums[n-1] = d.fingerprint(&d.twinRec)
		}
	}
	return true
}

// sameAsTwin compares rec, record number frame, byte for byte with record
// o of the input, read a second time.
func (d *dedup) sameAsTwin(o uint64, rec *Record, frame uint64) bool {
	if !d.twinTo(o, frame) {
		return false
	}
	t := &d.twinRec
	return !t.untimed && t.Time.Equal(rec.Time) && t.WireLen == rec.WireLen && t.Link == rec.Link &&
		t.Iface == rec.Iface && string(t.Data) == string(rec.Data)
}
