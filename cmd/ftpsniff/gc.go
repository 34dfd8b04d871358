package main

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcPercent is how far the heap may grow past what was live at the last
// collection while files are read, once it is past fileHeapFloor. Its
// live heap is a few MB (sessions are reported and freed as they end).
const gcPercent = 25

// fileHeapFloor is the memory the Go runtime may hold (heap, stacks and
// its own metadata) before the collector runs, while files are read.
//
// Go paces the collector by the live heap plus the global variables, and
// gopacket's layer tables make those about 5 MB: at the default GOGC=100
// the heap grew to over twice what is live before each collection, and
// peak RSS with it (256 MiB: 19.8, 1 GiB: 26.0 MiB). At GOGC=25 the peak
// was flat, but with 5-10 MB live that is a collection every 2.5 MB
// allocated: 18-21 on the all-FTP benchmark capture. A floor of 21 MiB
// keeps the peak under 30 MiB (29.2 there, 26.9 on the mixed 1 GiB
// capture) with 6 collections; past it (a capture with many sessions open
// at once) the heap grows by gcPercent of what is live, as before.
const fileHeapFloor = 21 << 20

// liveGCPercent is the target during live capture. There the heap stays
// small by itself (finished sessions are let go) but is allocated fast:
// at 25 a capture of thousands of sessions a second ran a collection every
// few milliseconds and the kernel dropped more packets (bench/live.sh).
const liveGCPercent = 100

func init() {
	// No heap profile is ever written: sampling for one costs 1.5 MB of
	// buckets, which the collector's pacing would count against the heap.
	runtime.MemProfileRate = 0
	paceForFiles()
}

// userPaced reports whether the user set the collector's pacing.
func userPaced() bool { return os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" }

// paceForFiles leaves the collector off until the runtime holds
// fileHeapFloor, and after each collection sets the memory limit to the
// larger of that floor and what was live plus gcPercent, unless the user
// set GOGC or GOMEMLIMIT. setGCPercent ends it.
func paceForFiles() {
	if userPaced() {
		return
	}
	if filePacing != nil {
		filePacing.stop()
	}
	debug.SetGCPercent(-1)
	filePacing = &filePacer{samples: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}}
	filePacing.adjust()
	filePacing.arm()
}

// filePacing is paceForFiles' pacer, nil when it was not started.
var filePacing *filePacer

// setGCPercent sets the collector's target, ending paceForFiles' pacing
// and lifting its memory limit, unless the user set GOGC or GOMEMLIMIT.
func setGCPercent(p int) {
	if userPaced() {
		return
	}
	if filePacing != nil {
		filePacing.stop()
	}
	debug.SetGCPercent(p)
}

// filePacer sets the memory limit after each collection.
type filePacer struct {
	mu      sync.Mutex
	stopped bool
	samples []metrics.Sample
}

// pacerTick is freed by every collection, which runs its finalizer: the
// pacer's hook after each cycle.
type pacerTick struct{ p *filePacer }

func (p *filePacer) arm() {
	runtime.SetFinalizer(&pacerTick{p}, func(t *pacerTick) {
		if t.p.adjust() {
			t.p.arm()
		}
	})
}

// adjust sets the memory limit from what the last collection found live;
// false once stopped.
func (p *filePacer) adjust() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	metrics.Read(p.samples)
	live := int64(p.samples[0].Value.Uint64())
	total := int64(p.samples[1].Value.Uint64())
	objects := int64(p.samples[2].Value.Uint64())
	released := int64(p.samples[3].Value.Uint64())
	free := int64(p.samples[4].Value.Uint64())
	// What the runtime holds besides the heap's objects and its free
	// pages: stacks, metadata, the unused ends of spans.
	rest := total - objects - released - free
	debug.SetMemoryLimit(max(fileHeapFloor, rest+live+live*gcPercent/100))
	return true
}

// stop lifts the memory limit for good.
func (p *filePacer) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	debug.SetMemoryLimit(math.MaxInt64)
}
