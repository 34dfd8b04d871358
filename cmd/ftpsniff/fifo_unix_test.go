//go:build unix

package main

import "golang.org/x/sys/unix"

// mkfifo makes a named pipe at path, for the test that reads a capture
// from one.
func mkfifo(path string) error { return unix.Mkfifo(path, 0o600) }
