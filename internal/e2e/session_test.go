//go:build unix

package e2e_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
)

// pidCommand is a program that writes its pid to a file and then runs until
// it is signalled, like a demo that serves until Ctrl-C.
func pidCommand(t *testing.T, ready func(ctx context.Context) error) (e2e.Command, string) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pid")
	return e2e.Command{
		Name:  "sleeper",
		Path:  "/bin/sh",
		Args:  []string{"-c", `echo $$ > "$PID_FILE"; echo started; exec sleep 300`},
		Env:   []string{"PID_FILE=" + pidFile},
		Ready: ready,
	}, pidFile
}

// readPid waits for the pid file of pidCommand.
func readPid(t *testing.T, path string) int {
	t.Helper()
	var pid int
	e2e.Eventually(t, 10*time.Second, "pid file written", func(context.Context) error {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	})
	return pid
}

// gone reports whether no process has pid: stopping reaps what it stops, so
// a stopped program leaves no zombie behind either.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func TestSessionCommandRunsUntilClose(t *testing.T) {
	s := e2e.NewSession(t.TempDir(), t.Logf)
	cmd, pidFile := pidCommand(t, nil)
	prog, err := s.Start(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	pid := readPid(t, pidFile)
	select {
	case <-prog.Exited():
		t.Fatalf("program exited before Close: %v", prog.Err())
	default:
	}
	if gone(pid) {
		t.Fatalf("pid %d is not running before Close", pid)
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case <-prog.Exited():
	default:
		t.Fatal("Close returned before the program exited")
	}
	if !gone(pid) {
		t.Errorf("pid %d still runs after Close", pid)
	}
	if prog.Err() == nil {
		t.Error("Err() = nil for a program stopped by a signal")
	}
	if tail := prog.LogTail(5); !strings.Contains(tail, "started") {
		t.Errorf("log %s holds %q, want the program's output", prog.LogPath(), tail)
	}

	if _, err := s.Start(context.Background(), cmd); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestSessionStartCanceledStopsProgram(t *testing.T) {
	s := e2e.NewSession(t.TempDir(), t.Logf)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	notReady := errors.New("never ready")
	cmd, pidFile := pidCommand(t, func(context.Context) error { return notReady })
	started := make(chan error, 1)
	go func() {
		_, err := s.Start(ctx, cmd)
		started <- err
	}()
	pid := readPid(t, pidFile)
	cancel()
	err := <-started
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Start = %v, want an error wrapping context.Canceled", err)
	}
	if !gone(pid) {
		t.Errorf("pid %d still runs after its start was canceled", pid)
	}
}
