//go:build !unix

package e2e

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add where process groups do not exist.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup kills the backend itself: without process groups or SIGTERM
// there is no gentler or wider way to stop it.
func signalGroup(pid int, _ syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
