//go:build !unix

package lab_test

import "os/exec"

// ownProcessGroup: no process groups outside Unix; cancellation kills the
// process alone (the lab itself runs only on Linux and skips elsewhere).
func ownProcessGroup(*exec.Cmd) {}
