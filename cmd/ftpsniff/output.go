package main

import (
	"fmt"
	"os"
	"sync"
)

// outputFile is -o FILE during a live capture: a file that SIGHUP reopens,
// so that logrotate can rename it and ftpsniff goes on in a new FILE.
//
// Records are lines, written by several goroutines (the stream of verdicts,
// the session writer, the final report). Each Write holds the lock, and a
// reopen happens only between lines: asked for in the middle of one (a
// buffered writer flushed part of a record), it waits for the write that
// ends the line. While the final report is written (Hold), a reopen waits
// for its end, so that a table or a page is never cut in two. A reopen
// that fails leaves the old file in use: nothing is lost.
type outputFile struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	midLine bool        // the last write did not end a line
	held    bool        // the final report is being written
	pending bool        // a reopen waits for the end of a line or of the report
	warn    func(error) // says that a reopen failed
}

// openOutputFile opens path for writing, emptying it unless appendTo.
// Writes append (O_APPEND), so that a FILE emptied by another program
// (logrotate's copytruncate) is written from its start again, not after
// a hole.
func openOutputFile(path string, appendTo bool, warn func(error)) (*outputFile, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if !appendTo {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o666)
	if err != nil {
		return nil, err
	}
	return &outputFile{path: path, f: f, warn: warn}, nil
}

// Write writes p to the current file; a reopen that waited for the end of
// a line happens after the write that ends it.
func (o *outputFile) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return 0, os.ErrClosed
	}
	n, err := o.f.Write(p)
	if n > 0 {
		o.midLine = p[n-1] != '\n'
	}
	if o.pending && !o.midLine && !o.held {
		o.reopen()
	}
	return n, err
}

// Reopen opens the file's path anew (creating it: logrotate renamed the
// old one) and closes the old file, now, or once the line or the final
// report being written is done.
func (o *outputFile) Reopen() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return
	}
	if o.midLine || o.held {
		o.pending = true
		return
	}
	o.reopen()
}

// reopen switches to a new open of the path; o.mu is held. New content is
// appended: a SIGHUP with no rotation before it empties nothing.
func (o *outputFile) reopen() {
	o.pending = false
	f, err := os.OpenFile(o.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o666)
	if err != nil {
		if o.warn != nil {
			o.warn(fmt.Errorf("SIGHUP: reopening the output, still writing to the old file: %w", err))
		}
		return
	}
	o.f.Close()
	o.f = f
}

// Hold makes reopens wait until Release: the final report goes whole to
// one file.
func (o *outputFile) Hold() {
	o.mu.Lock()
	o.held = true
	o.mu.Unlock()
}

// Release ends Hold, and reopens if a SIGHUP came meanwhile.
func (o *outputFile) Release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.held = false
	if o.pending && !o.midLine && o.f != nil {
		o.reopen()
	}
}

// Close closes the current file; later writes fail, reopens do nothing.
func (o *outputFile) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return os.ErrClosed
	}
	err := o.f.Close()
	o.f = nil
	return err
}
