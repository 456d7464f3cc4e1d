//go:build unix

package e2e

import "syscall"

// signalGroup sends sig to the process group led by pid (see sysProcAttr).
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if err == syscall.ESRCH {
		// The group is already gone, which is what stopping wants.
		return nil
	}
	return err
}
