package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
)

// Session runs backends outside of tests, for as long as a person wants to
// look at them: the local stack of examples/demo/stack uses it. Its Start
// methods run the same processes with the same configs as the Start
// functions, but return errors instead of failing a test, and the processes
// run until Close. Its methods are safe for concurrent use, so backends can
// start in parallel.
type Session struct {
	dir   string
	notef func(format string, args ...any)

	mu     sync.Mutex
	procs  []*process // in start order
	closed bool
}

// NewSession returns a session that keeps the data directories and logs of
// its processes in dir, which must exist. logf, if not nil, receives
// progress notes such as a start retried after a port race.
func NewSession(dir string, logf func(format string, args ...any)) *Session {
	return &Session{dir: dir, notef: logf}
}

// StartPrometheus is StartPrometheus for the session; ctx bounds the wait
// until Prometheus is ready.
func (s *Session) StartPrometheus(ctx context.Context, opts PrometheusOptions) (*PrometheusBackend, error) {
	return startPrometheus(ctx, s, opts)
}

// StartPushgateway is StartPushgateway for the session; ctx bounds the wait
// until the Pushgateway is ready.
func (s *Session) StartPushgateway(ctx context.Context) (*PushgatewayBackend, error) {
	return startPushgateway(ctx, s)
}

// StartJaeger is StartJaeger for the session; ctx bounds the wait until
// Jaeger is ready.
func (s *Session) StartJaeger(ctx context.Context) (*JaegerBackend, error) {
	return startJaeger(ctx, s)
}

// StartVictoriaLogs is StartVictoriaLogs for the session; ctx bounds the
// wait until VictoriaLogs is ready.
func (s *Session) StartVictoriaLogs(ctx context.Context) (*VictoriaLogsBackend, error) {
	return startVictoriaLogs(ctx, s)
}

// StartCollector is StartCollector for the session; ctx bounds the wait
// until the Collector is ready.
func (s *Session) StartCollector(ctx context.Context, opts CollectorOptions) (*CollectorBackend, error) {
	return startCollector(ctx, s, opts)
}

// Command is a program that a Session runs next to its backends.
type Command struct {
	// Name names the program in errors and its log file.
	Name string
	// Path is the executable.
	Path string
	// Args are the program's arguments.
	Args []string
	// Env is added to this process's environment.
	Env []string
	// Ready returns nil once the program serves. Nil means that a started
	// program is ready.
	Ready func(ctx context.Context) error
}

// Program is a Command started by Session.Start.
type Program struct{ p *process }

// LogPath returns the file that holds the program's standard output and
// standard error.
func (p *Program) LogPath() string { return p.p.logPath }

// Exited returns a channel that is closed when the program has exited.
func (p *Program) Exited() <-chan struct{} { return p.p.exited }

// Err returns how the program exited, once Exited is closed: nil for a
// zero exit status.
func (p *Program) Err() error { return p.p.waitErr }

// LogTail returns the last n lines of the program's output.
func (p *Program) LogTail(n int) string { return p.p.logTail(n) }

// Start runs c in a directory of its own, which also holds its log, and
// waits until it is ready or ctx ends. Close stops it the way it stops the
// backends: SIGTERM to its process group, SIGKILL if it is still running
// after 10 seconds.
func (s *Session) Start(ctx context.Context, c Command) (*Program, error) {
	dir, err := s.dataDir(c.Name)
	if err != nil {
		return nil, fmt.Errorf("creating %s dir: %w", c.Name, err)
	}
	ready := c.Ready
	if ready == nil {
		ready = func(context.Context) error { return nil }
	}
	p, err := launch(ctx, launchSpec{
		name:  c.Name,
		bin:   c.Path,
		args:  c.Args,
		dir:   dir,
		env:   append(os.Environ(), c.Env...),
		ready: ready,
	})
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", c.Name, err)
	}
	if err := s.adopt(p); err != nil {
		return nil, err
	}
	return &Program{p: p}, nil
}

// Close stops every process of the session, the last started first, so that
// a program stops before the backends it sends to. It returns the errors of
// processes that had to be killed. Starting a process after Close fails.
func (s *Session) Close() error {
	s.mu.Lock()
	procs := slices.Clone(s.procs)
	s.procs, s.closed = nil, true
	s.mu.Unlock()
	var errs []error
	for _, p := range slices.Backward(procs) {
		if err := p.stop(); err != nil {
			errs = append(errs, fmt.Errorf("stopping %s: %w", p.name, err))
		}
	}
	return errors.Join(errs...)
}

// errSessionClosed reports a process that became ready after Close.
var errSessionClosed = errors.New("e2e: session closed")

func (s *Session) dataDir(name string) (string, error) {
	return os.MkdirTemp(s.dir, name+"-")
}

func (s *Session) adopt(p *process) error {
	s.mu.Lock()
	closed := s.closed
	if !closed {
		s.procs = append(s.procs, p)
	}
	s.mu.Unlock()
	if closed {
		return errors.Join(fmt.Errorf("%s: %w", p.name, errSessionClosed), p.stop())
	}
	return nil
}

func (s *Session) logf(format string, args ...any) {
	if s.notef != nil {
		s.notef(format, args...)
	}
}

// FreeAddr returns a free 127.0.0.1 address, for a program that a backend
// must know before the program starts, such as a scrape target of
// Prometheus. Like the backends' own ports, it is free when returned, and
// another process may still take it first.
func FreeAddr() (string, error) {
	ports, err := freePorts(1)
	if err != nil {
		return "", err
	}
	return hostPort(ports[0]), nil
}
