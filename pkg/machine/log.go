package machine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// LogLevel selects how much a machine logs. Each level includes the ones
// below it. Entries above the machine's level are never formatted.
type LogLevel int32

const (
	// LogLevelNothing disables logging.
	LogLevelNothing LogLevel = iota
	// LogLevelChanges logs state changes, errors and the user's own lines
	// from [Machine.Log].
	LogLevelChanges
	// LogLevelOps adds mutations and cancellations.
	LogLevelOps
	// LogLevelDecisions adds every relation step of the resolution.
	LogLevelDecisions
	// LogLevelEverything adds handler calls and queue activity.
	LogLevelEverything
)

// String returns the level's short name ("changes", "ops", ...).
func (l LogLevel) String() string {
	switch l {
	case LogLevelNothing:
		return "nothing"
	case LogLevelChanges:
		return "changes"
	case LogLevelOps:
		return "ops"
	case LogLevelDecisions:
		return "decisions"
	case LogLevelEverything:
		return "everything"
	}
	return fmt.Sprintf("level(%d)", int32(l))
}

// LogEntry is one structured log line of a machine.
type LogEntry struct {
	// Time is when the entry was made.
	Time time.Time
	// Level is the level the entry was logged at.
	Level LogLevel
	// Text is the formatted message, for example "[state] +Foo -Bar".
	Text string
	// MachineID is the ID of the machine that logged the entry.
	MachineID string
	// TxID is the ID of the transition running when the entry was made, or
	// 0 outside of transitions.
	TxID uint64
	// States are the states the entry is about, if any.
	States S
	// Err is the error the entry reports, for errors that no call can
	// return: a handler past its deadline, a panic while [Exception] is
	// handled. Such entries reach the sinks whatever the log level, and
	// [NewSlogSink] logs them at [slog.LevelError].
	Err error
}

// LogSink receives a machine's log entries. It is called synchronously by the
// goroutine that logged, so it must be fast and must not block; exporters
// that do I/O queue the entry and return.
type LogSink interface {
	LogEntry(e *LogEntry)
}

// LogSinkFunc adapts a function to [LogSink].
type LogSinkFunc func(e *LogEntry)

// LogEntry calls f(e).
func (f LogSinkFunc) LogEntry(e *LogEntry) { f(e) }

// NewTextSink returns a sink that writes one line per entry to w, in the form
// "[machineID] text". Writes are serialized, so one writer can be shared by
// many machines.
func NewTextSink(w io.Writer) LogSink {
	return &textSink{w: w}
}

type textSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *textSink) LogEntry(e *LogEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(s.w, "[%s] %s\n", e.MachineID, e.Text)
}

// NewSlogSink returns a sink that forwards entries to an [slog.Logger], with
// the machine ID, transition ID and states as attributes. Changes and ops map
// to Info, decisions to Debug and everything to Debug-4; entries with
// [LogEntry.Err] set to Error.
func NewSlogSink(logger *slog.Logger) LogSink {
	return &slogSink{logger: logger}
}

type slogSink struct{ logger *slog.Logger }

func (s *slogSink) LogEntry(e *LogEntry) {
	level := SlogLevel(e.Level)
	if e.Err != nil {
		level = slog.LevelError
	}
	ctx := context.Background()
	if !s.logger.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{slog.String("machine", e.MachineID)}
	if e.TxID != 0 {
		attrs = append(attrs, slog.Uint64("tx", e.TxID))
	}
	if len(e.States) > 0 {
		attrs = append(attrs, slog.String("states", strings.Join(e.States, " ")))
	}
	s.logger.LogAttrs(ctx, level, e.Text, attrs...)
}

// SlogLevel maps a machine log level to the [slog.Level] used by
// [NewSlogSink].
func SlogLevel(l LogLevel) slog.Level {
	switch {
	case l <= LogLevelOps:
		return slog.LevelInfo
	case l == LogLevelDecisions:
		return slog.LevelDebug
	default:
		return slog.LevelDebug - 4
	}
}

// stderrSink is the output of a machine without [Opts.Logger], so that
// SetLogLevel alone is enough to see a machine's logs.
var stderrSink LogSink = NewTextSink(stderrWriter{})

// DiscardLogs is a sink that drops every entry. As [Opts.Logger], it keeps
// a machine's logs off standard error while exporters still receive them.
var DiscardLogs LogSink = LogSinkFunc(func(*LogEntry) {})

// stderrWriter looks up os.Stderr at write time, so tests that swap it work.
type stderrWriter struct{}

func (stderrWriter) Write(p []byte) (int, error) { return os.Stderr.Write(p) }

// SetLogLevel changes how much the machine logs.
func (m *Machine) SetLogLevel(level LogLevel) { m.logLevel.Store(int32(level)) }

// LogLevel returns the machine's log level.
func (m *Machine) LogLevel() LogLevel { return LogLevel(m.logLevel.Load()) }

// AddLogSink adds a sink next to [Opts.Logger] and the other sinks, and
// returns a function that removes it. Sinks only receive entries at or below
// the machine's log level.
func (m *Machine) AddLogSink(sink LogSink) (remove func()) {
	m.mu.Lock()
	m.sinks = append(slices.Clip(m.sinks), sink)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		// index 0 is the machine's own output, never removed from here
		for i := len(m.sinks) - 1; i > 0; i-- {
			if sameSink(m.sinks[i], sink) {
				m.sinks = slices.Delete(slices.Clone(m.sinks), i, i+1)
				return
			}
		}
	}
}

// Log logs a line of the user's own at [LogLevelChanges], so it reaches
// every sink whenever logging is on. The format is not evaluated when the
// level is off.
func (m *Machine) Log(format string, args ...any) {
	if m.logEnabled(LogLevelChanges) {
		m.deliver(LogLevelChanges, fmt.Sprintf(format, args...), nil)
	}
}

func (m *Machine) logEnabled(level LogLevel) bool {
	return LogLevel(m.logLevel.Load()) >= level
}

// log formats and delivers an entry. Hot paths check logEnabled first, so
// that a disabled level does not even box the arguments.
func (m *Machine) log(level LogLevel, format string, args ...any) {
	if m.logEnabled(level) {
		m.deliver(level, fmt.Sprintf(format, args...), nil)
	}
}

// logTx logs an entry about tx, with its called states.
func (m *Machine) logTx(level LogLevel, tx *Transition, text string) {
	m.deliver(level, text, tx.CalledStates())
}

// deliver sends an entry to the sinks right away, and records it on the
// running transition, if any. The caller must not hold mu.
func (m *Machine) deliver(level LogLevel, text string, states S) {
	e := LogEntry{Time: time.Now(), Level: level, Text: text, MachineID: m.id, States: states}
	m.mu.Lock()
	sinks := m.sinks
	if tx := m.current; tx != nil {
		e.TxID = tx.ID
		tx.Logs = append(tx.Logs, e)
	}
	m.mu.Unlock()
	for _, s := range sinks {
		s.LogEntry(&e)
	}
}

// deliverErr sends an entry reporting err to the sinks, whatever the log
// level, at [LogLevelChanges]. Only the runner may record it on the running
// transition (record): another goroutine would race with the tracers that
// read the transition's logs.
func (m *Machine) deliverErr(err error, txID uint64, record bool) {
	e := LogEntry{Time: time.Now(), Level: LogLevelChanges, Text: "[error] " + err.Error(), MachineID: m.id, TxID: txID, Err: err}
	m.mu.Lock()
	sinks := m.sinks
	if tx := m.current; record && tx != nil {
		tx.Logs = append(tx.Logs, e)
	}
	m.mu.Unlock()
	for _, s := range sinks {
		s.LogEntry(&e)
	}
}

// maxArgLen bounds an exported arg value, so a large value marked loggable
// cannot flood logs and spans.
const maxArgLen = 256

// LoggableArgs returns the args listed in [Opts.LoggableArgs], formatted with
// fmt and cut to 256 bytes, or nil when there are none. Exporters use it;
// other args never leave the process.
func (m *Machine) LoggableArgs(args A) map[string]string {
	var out map[string]string
	for _, name := range m.loggableArgs {
		v, ok := args[name]
		if !ok {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(m.loggableArgs))
		}
		s := fmt.Sprint(v)
		if len(s) > maxArgLen {
			s = s[:maxArgLen] + "…"
		}
		out[name] = s
	}
	return out
}

// sameSink compares sinks by identity: pointers and funcs by address, so
// that sinks built from func values can be removed too.
func sameSink(a, b LogSink) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Func, reflect.Pointer, reflect.Map, reflect.Chan:
		return va.Pointer() == vb.Pointer()
	}
	return a == b
}
