//go:build unix

package lab_test

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd in its own process group and makes its
// cancellation send SIGTERM to the whole group (lab.sh's trap then tears
// its lab down).
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
}
