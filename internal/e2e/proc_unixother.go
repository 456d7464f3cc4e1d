//go:build unix && !linux

package e2e

import "syscall"

// sysProcAttr puts the backend in its own process group, so stop can signal
// everything it forked. Pdeathsig is set only on Linux, so elsewhere a
// crashed test binary can leave a backend behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
