package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// StartTimeout bounds how long a Start function waits for its backend to
// report ready. Generous because -race test binaries and a first Prometheus
// TSDB open on a busy 2-core machine can take several seconds.
var StartTimeout = 60 * time.Second

// stopTimeout is how long a backend gets to exit after SIGTERM before its
// whole process group is killed.
const stopTimeout = 10 * time.Second

// startAttempts covers the window between freePorts closing its listeners
// and the backend binding them, in which another process may take a port.
const startAttempts = 3

// process is one running backend.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once cmd.Wait returns
	waitErr error         // valid after exited is closed
}

// launchSpec says how to start a backend once its ports are chosen.
type launchSpec struct {
	name string
	bin  string
	args []string
	dir  string   // working and log directory, inside the host's data dir
	env  []string // the process environment; nil means this process's
	// ready returns nil once the backend serves requests.
	ready func(ctx context.Context) error
}

// startBackend runs prepare (which picks ports and writes configs) and
// launches the result, retrying with fresh ports if the backend dies because
// a port was taken in the meantime. Once the backend is ready, h takes over
// stopping it.
func startBackend(ctx context.Context, h host, name string, prepare func(attemptDir string) (launchSpec, error)) (*process, error) {
	bin, _, err := BinaryPath(name)
	if err != nil {
		return nil, err
	}
	root, err := h.dataDir(name)
	if err != nil {
		return nil, fmt.Errorf("creating %s data dir: %w", name, err)
	}
	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		dir := filepath.Join(root, fmt.Sprintf("attempt-%d", attempt))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s data dir: %w", name, err)
		}
		spec, err := prepare(dir)
		if err != nil {
			return nil, fmt.Errorf("preparing %s: %w", name, err)
		}
		spec.name, spec.bin, spec.dir = name, bin, dir
		p, err := launch(ctx, spec)
		if err == nil {
			if err := h.adopt(p); err != nil {
				return nil, err
			}
			return p, nil
		}
		lastErr = err
		if !errors.Is(err, errPortTaken) {
			break
		}
		h.logf("e2e: %s lost a port race, retrying with new ports: %v", name, err)
	}
	return nil, fmt.Errorf("starting %s: %w", name, lastErr)
}

// errPortTaken marks a start that failed only because a port was in use.
var errPortTaken = errors.New("port already in use")

// launch starts spec's process and waits for it to be ready. On failure the
// process is already stopped.
func launch(ctx context.Context, spec launchSpec) (*process, error) {
	logPath := filepath.Join(spec.dir, spec.name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating %s log file: %w", spec.name, err)
	}
	cmd := exec.Command(spec.bin, spec.args...)
	cmd.Dir = spec.dir
	cmd.Env = spec.env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("running %s: %w", spec.bin, err)
	}
	p := &process{name: spec.name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()

	if err := p.waitReady(ctx, spec.ready); err != nil {
		p.stop()
		tail := p.logTail(40)
		if strings.Contains(tail, "address already in use") {
			return nil, fmt.Errorf("%w: %v\n%s", errPortTaken, err, tail)
		}
		return nil, fmt.Errorf("%s not ready: %w\n--- %s ---\n%s", spec.name, err, logPath, tail)
	}
	return p, nil
}

// waitReady polls ready until it succeeds, the process exits, ctx ends, or
// StartTimeout passes.
func (p *process) waitReady(ctx context.Context, ready func(ctx context.Context) error) error {
	limit, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastErr error
	for {
		probeCtx, probeCancel := context.WithTimeout(limit, 2*time.Second)
		lastErr = ready(probeCtx)
		probeCancel()
		if lastErr == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited early (%v); last probe: %w", p.name, p.waitErr, lastErr)
		case <-limit.Done():
			if ctx.Err() != nil {
				return fmt.Errorf("%s not ready: %w", p.name, ctx.Err())
			}
			return fmt.Errorf("%s not ready after %v: %w", p.name, StartTimeout, lastErr)
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM to the backend's process group, and SIGKILL if it has
// not exited after stopTimeout. Signalling the group, not just the pid, makes
// sure no helper process the backend forked outlives the test.
func (p *process) stop() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	pid := p.cmd.Process.Pid
	if err := signalGroup(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("sending SIGTERM to %s (pid %d): %w", p.name, pid, err)
	}
	select {
	case <-p.exited:
		// The leader is gone; sweep up anything left in its group.
		_ = signalGroup(pid, syscall.SIGKILL)
		return nil
	case <-time.After(stopTimeout):
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("sending SIGKILL to %s (pid %d): %w", p.name, pid, err)
	}
	<-p.exited
	return fmt.Errorf("%s ignored SIGTERM for %v and was killed", p.name, stopTimeout)
}

// logTail returns the last n lines of the backend's output, for failure
// messages.
func (p *process) logTail(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.logPath, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
