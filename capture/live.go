package capture

import (
	"io"
	"sync"

	"golang.org/x/net/bpf"
)

// LiveOptions configure a live capture.
type LiveOptions struct {
	// Snaplen is the most bytes kept of each packet (0: 262144).
	Snaplen int
	// Promiscuous puts the interface in promiscuous mode (for span ports).
	Promiscuous bool
	// Filter is a classic BPF program run in the kernel; nil means
	// DefaultFilter() (what ftpsniff needs: TCP and ICMP).
	Filter []bpf.RawInstruction
	// BufferKiB is the size of each socket's ring in KiB (tcpdump's -B);
	// 0 means DefaultBufferKiB. See RingGeometry for its blocks.
	BufferKiB int
}

// DefaultBufferKiB is the ring of a live capture socket unless -B says
// otherwise: 8 MiB per worker. tcpdump's default is 2 MiB; ftpsniff does
// more per packet than tcpdump -w, and a larger ring absorbs its pauses.
const DefaultBufferKiB = 8192

// Interface is a live capture on one network interface: an Input whose
// records have link type Ethernet and the capture time.
type Interface interface {
	Input
	// Drops returns the packets the kernel received for the socket and
	// those it dropped because ftpsniff did not read fast enough, since
	// the capture began.
	Drops() (received, dropped uint64)
}

// DefaultFilter returns the kernel program that lets through only what
// FTP analysis uses: IPv4 TCP and ICMP, IPv6 (its extension headers make
// a short program unable to find TCP reliably), and 802.1Q frames (a live
// socket usually sees them untagged); the kernel drops the rest before it
// is copied to ftpsniff. A kernel filter of "port 21" would hide the data
// connections. Each call returns a fresh program.
func DefaultFilter() []bpf.RawInstruction {
	return mustAssemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 12, Size: 2},                         // EtherType
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x0800, SkipFalse: 4}, // IPv4?
		bpf.LoadAbsolute{Off: 23, Size: 1},                         // IPv4 protocol
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 6, SkipTrue: 4},       // TCP
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 3},       // ICMP
		bpf.RetConstant{Val: 0},                                    // other IPv4
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x86dd, SkipTrue: 1},  // IPv6
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x8100, SkipFalse: 1}, // 802.1Q
		bpf.RetConstant{Val: MaxRecordLength},
		bpf.RetConstant{Val: 0},
	})
}

func mustAssemble(prog []bpf.Instruction) []bpf.RawInstruction {
	raw, err := bpf.Assemble(prog)
	if err != nil {
		panic(err)
	}
	return raw
}

// FanIn reads several live inputs at once and delivers their records in
// arrival order as one Input, so that a quiet interface never holds the
// others back (Point's timestamp merge would wait for it). Each record is
// copied once, out of the interface's buffer.
type FanIn struct {
	inputs []Interface
	ch     chan fanRecord
	free   chan []byte
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	errs   []error
	mu     sync.Mutex
	last   []byte
}

type fanRecord struct {
	rec Record
	err error
}

// NewFanIn starts reading every input.
func NewFanIn(inputs []Interface) *FanIn {
	f := &FanIn{inputs: inputs, ch: make(chan fanRecord, 1024), free: make(chan []byte, 1100), done: make(chan struct{})}
	for _, in := range inputs {
		f.wg.Add(1)
		go f.pump(in)
	}
	go func() { f.wg.Wait(); close(f.ch) }()
	return f
}

func (f *FanIn) pump(in Interface) {
	defer f.wg.Done()
	var rec Record
	for {
		err := in.ReadRecord(&rec)
		select {
		case <-f.done:
			return
		default:
		}
		if err != nil {
			if err != io.EOF {
				f.mu.Lock()
				f.errs = append(f.errs, err)
				f.mu.Unlock()
			}
			return
		}
		var buf []byte
		select {
		case buf = <-f.free:
		default:
		}
		r := rec
		r.Data = append(buf[:0], rec.Data...)
		select {
		case f.ch <- fanRecord{rec: r}:
		case <-f.done:
			return
		}
	}
}

// ReadRecord returns the next record from any input; io.EOF once every
// input has stopped. Data is valid until the next call.
func (f *FanIn) ReadRecord(rec *Record) error {
	if f.last != nil {
		select {
		case f.free <- f.last:
		default:
		}
		f.last = nil
	}
	r, ok := <-f.ch
	if !ok {
		return io.EOF
	}
	*rec = r.rec
	f.last = r.rec.Data
	return nil
}

// Stop stops every input (Close on each): reads end, and ReadRecord
// drains what was already captured, then returns io.EOF.
func (f *FanIn) Stop() {
	f.once.Do(func() {
		for _, in := range f.inputs {
			in.Close()
		}
	})
}

// Close stops the inputs and discards what is left.
func (f *FanIn) Close() error {
	f.Stop()
	select {
	case <-f.done:
	default:
		close(f.done)
	}
	return nil
}

// Errors returns the errors that ended inputs other than Stop.
func (f *FanIn) Errors() []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]error(nil), f.errs...)
}

// Drops sums the kernel's counters over every input.
func (f *FanIn) Drops() (received, dropped uint64) { return SumDrops(f.inputs) }

// SumDrops sums the kernel's counters over several live inputs (the
// interfaces of a point, or the sockets of its workers).
func SumDrops(ins []Interface) (received, dropped uint64) {
	for _, in := range ins {
		r, d := in.Drops()
		received += r
		dropped += d
	}
	return
}
