//go:build !linux

package capture

import (
	"fmt"
	"runtime"
)

// OpenInterface is not implemented on this system: live capture uses
// Linux's AF_PACKET sockets. Capture with tcpdump and read the file.
func OpenInterface(name string, o LiveOptions) (Interface, error) {
	return nil, fmt.Errorf("live capture is not implemented on %s: capture with tcpdump -w and give ftpsniff the file", runtime.GOOS)
}

// OpenWorkers is not implemented on this system either.
func OpenWorkers(name string, n int, o LiveOptions) ([]Interface, error) {
	_, err := OpenInterface(name, o)
	return nil, err
}

// DropPrivileges is not implemented on this system.
func DropPrivileges(name string) error {
	return fmt.Errorf("not implemented on %s", runtime.GOOS)
}
