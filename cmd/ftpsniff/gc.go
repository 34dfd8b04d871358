package main

import (
	"os"
	"runtime/debug"
)

// gcPercent is the collector's target for ftpsniff. Its live heap is a few
// MB (sessions are reported and freed as they end), but Go paces the
// collector by the live heap plus the global variables, and gopacket's
// layer tables make those about 5 MB: at the default GOGC=100 the heap
// grows to over twice what is live before a collection, so a capture that
// ends before the first collections peaks lower than a long one. At 25 the
// peak is nearly the same for 256 MiB and for 1 GiB (bench/run.sh), for a
// few more collections of a small heap, run on the other core.
const gcPercent = 25

// liveGCPercent is the target during live capture. There the heap stays
// small by itself (finished sessions are let go) but is allocated fast:
// at 25 a capture of thousands of sessions a second ran a collection every
// few milliseconds and the kernel dropped more packets (bench/live.sh).
const liveGCPercent = 100

func init() { setGCPercent(gcPercent) }

// setGCPercent sets the collector's target unless the user set GOGC.
func setGCPercent(p int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(p)
	}
}
