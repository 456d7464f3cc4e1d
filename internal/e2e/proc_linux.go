package e2e

import "syscall"

// sysProcAttr puts the backend in its own process group, so stop can signal
// everything it forked, and has the kernel SIGKILL it if the test binary dies
// without running its cleanups (e.g. a panic or `go test -timeout`). The
// kernel ties Pdeathsig to the starting OS thread, which the Go runtime keeps
// alive unless a goroutine exits while locked to it (runtime.LockOSThread).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
