package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// memoryLimit is the collector's memory limit, left unchanged.
func memoryLimit() int64 { return debug.SetMemoryLimit(-1) }

// gcPercentNow is the collector's GOGC, left unchanged.
func gcPercentNow() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// waitForLimit runs collections until the memory limit satisfies ok (the
// pacer sets it from a finalizer, after the collection).
func waitForLimit(t *testing.T, what string, ok func(int64) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(memoryLimit()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: memory limit %d MiB", what, memoryLimit()>>20)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFilePacing: while files are read the collector is off until the
// runtime holds fileHeapFloor; a larger live heap raises the limit to
// what is live plus gcPercent, a smaller one brings it back to the floor;
// live capture's GOGC lifts the limit, and no later collection sets it
// again.
func TestFilePacing(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	paceForFiles()
	defer filePacing.stop()

	if p := gcPercentNow(); p != -1 {
		t.Errorf("GOGC while files are read = %d, want off (-1)", p)
	}
	if l := memoryLimit(); l < fileHeapFloor {
		t.Errorf("memory limit %d, want at least the floor %d", l, fileHeapFloor)
	}

	const big = 96 << 20
	live := make([]byte, big)
	waitForLimit(t, "96 MiB live", func(l int64) bool { return l >= big+big*gcPercent/100 })
	if l := memoryLimit(); l > 2*big {
		t.Errorf("96 MiB live: memory limit %d MiB, want about 120", l>>20)
	}
	runtime.KeepAlive(live)
	live = nil
	waitForLimit(t, "96 MiB let go", func(l int64) bool { return l == fileHeapFloor })

	setGCPercent(liveGCPercent)
	if p := gcPercentNow(); p != liveGCPercent {
		t.Errorf("GOGC in live capture = %d, want %d", p, liveGCPercent)
	}
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if l := memoryLimit(); l != math.MaxInt64 {
		t.Errorf("memory limit in live capture = %d MiB, want none", l>>20)
	}
}
