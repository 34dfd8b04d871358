//go:build !unix

package main

import (
	"fmt"
	"runtime"
)

// mkfifo: no mkfifo outside Unix (Windows has named pipes, not FIFOs in
// the file system); the test that needs one skips.
func mkfifo(string) error { return fmt.Errorf("not available on %s", runtime.GOOS) }
