package capture

import "sync"

// Lender lends the Files of a Point the buffers they read into, so that
// the records read stay where they are until the buffers are given back,
// however many reads later: the packets of a capture file can then be
// analysed on another goroutine than the one reading it without copying
// their payloads (pipeline's read-ahead). Without one, a File reuses its
// buffers in place, and a record is valid only until the next read (or
// the fill after next, for duplicate detection).
//
// A File that borrows from a Lender takes a buffer for each fill of its
// window and keeps the one before (duplicate detection compares a record
// with those of the previous fill); the one before that it retires. The
// reader collects the buffers retired (Retired) and, once nothing uses
// the records read before them, gives them back (GiveBack). Memory is
// bounded by the buffers not yet given back, plus at most maxLent free.
//
// Retired and the Files' reads must be on one goroutine; GiveBack may be
// called from another.
type Lender struct {
	mu      sync.Mutex
	free    [][]byte
	retired [][]byte
}

// maxLent bounds the free buffers a Lender keeps.
const maxLent = 8

// get returns a buffer of at least size bytes (its contents undefined).
func (l *Lender) get(size int) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.free) - 1; i >= 0; i-- {
		if b := l.free[i]; len(b) >= size {
			l.free[i] = l.free[len(l.free)-1]
			l.free[len(l.free)-1] = nil
			l.free = l.free[:len(l.free)-1]
			return b
		}
	}
	return make([]byte, size)
}

// retire notes a buffer a window no longer reads into nor keeps.
func (l *Lender) retire(b []byte) { l.retired = append(l.retired, b) }

// Retired appends to dst the buffers retired since the last call, and
// forgets them: the caller gives them back once it no longer uses any
// record read before this call.
func (l *Lender) Retired(dst [][]byte) [][]byte {
	dst = append(dst, l.retired...)
	clear(l.retired)
	l.retired = l.retired[:0]
	return dst
}

// GiveBack returns buffers Retired handed out, for later fills.
func (l *Lender) GiveBack(bufs [][]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range bufs {
		if len(l.free) < maxLent {
			l.free = append(l.free, b)
		}
	}
}

// LendBuffers makes every File input of pt read into buffers borrowed
// from l (see Lender), from its next fill on. Call it before reading.
func (pt *Point) LendBuffers(l *Lender) {
	for _, in := range pt.inputs {
		if f, ok := in.(*File); ok {
			f.src.borrow(l)
		}
	}
}

// Lends reports whether every input of pt is a File, whose records
// LendBuffers keeps intact until their buffers are given back.
func (pt *Point) Lends() bool {
	for _, in := range pt.inputs {
		if _, ok := in.(*File); !ok {
			return false
		}
	}
	return len(pt.inputs) > 0
}
