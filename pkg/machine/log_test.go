package machine_test

import (
	"bytes"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// entries is a log sink that keeps what it gets.
type entries struct {
	mu  sync.Mutex
	all []am.LogEntry
}

func (s *entries) LogEntry(e *am.LogEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, *e)
}

func (s *entries) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.all {
		out = append(out, e.Text)
	}
	return out
}

func TestLogLevels(t *testing.T) {
	schema := abcde(map[string]am.State{"A": {Add: am.S{"B"}}})
	cases := []struct {
		level am.LogLevel
		want  []string
	}{
		{am.LogLevelNothing, nil},
		{am.LogLevelChanges, []string{"[state] +A +B", "user line 1"}},
		{am.LogLevelOps, []string{"[add] A", "[state] +A +B", "user line 1"}},
		{am.LogLevelDecisions, []string{"[add] A", "[step] A requested", "[step] B added by A (Add)", "[state] +A +B", "user line 1"}},
		{am.LogLevelEverything, []string{"[add] A", "[step] A requested", "[step] B added by A (Add)", "[state] +A +B", "[handler] AState", "user line 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.level.String(), func(t *testing.T) {
			sink := &entries{}
			mach, _ := newMach(t, schema, &am.Opts{ID: "log", LogLevel: tc.level, Logger: sink})
			if err := mach.BindHandlers(&onlyAState{}); err != nil {
				t.Fatal(err)
			}
			mach.Add1("A", nil)
			mach.Log("user line %d", 1)
			if got := sink.texts(); !slices.Equal(got, tc.want) {
				t.Errorf("logs:\n got  %q\n want %q", got, tc.want)
			}
		})
	}
}

type onlyAState struct{}

func (onlyAState) AState(*am.Event) {}

func TestLogEntriesAreStructuredAndReachEverySink(t *testing.T) {
	first, second := &entries{}, &entries{}
	mach, inv := newMach(t, abcde(nil), &am.Opts{ID: "m", LogLevel: am.LogLevelOps, Logger: first})
	remove := mach.AddLogSink(second)
	mach.Add(am.S{"A", "B"}, nil)
	mach.Log("outside a transition")

	for _, sink := range []*entries{first, second} {
		if got := sink.texts(); !slices.Equal(got, []string{"[add] A B", "[state] +A +B", "outside a transition"}) {
			t.Errorf("sink got %q", got)
		}
	}
	e := first.all[1]
	if e.MachineID != "m" || e.TxID != 1 || !slices.Equal(e.States, am.S{"A", "B"}) || e.Level != am.LogLevelChanges || e.Time.IsZero() {
		t.Errorf("entry = %+v", e)
	}
	if first.all[2].TxID != 0 {
		t.Error("an entry outside a transition has a transition ID")
	}
	if tx := inv.all()[0]; len(tx.Logs) != 2 {
		t.Errorf("transition holds %d log entries, want 2", len(tx.Logs))
	}

	remove()
	mach.Log("after remove")
	if n := len(second.texts()); n != 3 {
		t.Errorf("a removed sink got entries: %d", n)
	}
	if got := first.texts(); got[len(got)-1] != "after remove" {
		t.Errorf("the remaining sink lost an entry: %q", got)
	}
}

func TestSlogSink(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	mach, _ := newMach(t, abcde(nil), &am.Opts{ID: "sl", LogLevel: am.LogLevelDecisions, Logger: am.NewSlogSink(logger)})
	mach.Add1("A", nil)
	out := buf.String()
	if !strings.Contains(out, `msg="[state] +A" machine=sl tx=1 states=A`) {
		t.Errorf("slog output lacks the change entry:\n%s", out)
	}
	if strings.Contains(out, "[step]") {
		t.Errorf("decisions reached an Info logger:\n%s", out)
	}
	if am.SlogLevel(am.LogLevelEverything) >= am.SlogLevel(am.LogLevelDecisions) {
		t.Error("everything does not map below decisions")
	}
}

func TestTextSink(t *testing.T) {
	var buf bytes.Buffer
	mach, _ := newMach(t, abcde(nil), &am.Opts{ID: "tx", LogLevel: am.LogLevelChanges, Logger: am.NewTextSink(&buf)})
	mach.Add1("A", nil)
	if got := buf.String(); got != "[tx] [state] +A\n" {
		t.Errorf("text sink wrote %q", got)
	}
}

func TestLoggableArgs(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), &am.Opts{LoggableArgs: []string{"id", "big"}})
	got := mach.LoggableArgs(am.A{"id": 42, "password": "secret", "big": strings.Repeat("x", 1000)})
	if got["id"] != "42" {
		t.Errorf("id = %q", got["id"])
	}
	if _, ok := got["password"]; ok {
		t.Error("an arg not marked loggable was exported")
	}
	if len(got["big"]) > 260 {
		t.Errorf("a large arg was not cut: %d bytes", len(got["big"]))
	}
	if mach.LoggableArgs(am.A{"other": 1}) != nil {
		t.Error("no loggable args should give nil")
	}
}

// TestDisabledLogsCostNothing checks that a machine without logging does
// not format log lines: a fmt.Stringer arg would be called otherwise.
func TestDisabledLogsCostNothing(t *testing.T) {
	mach, _ := newMach(t, abcde(nil), nil)
	var s countingStringer
	mach.Log("%v", &s)
	if s.calls != 0 {
		t.Errorf("Log formatted its args %d times at LogLevelNothing", s.calls)
	}
	allocs := testing.AllocsPerRun(100, func() { mach.Log("x %d", 1) })
	if allocs > 1 {
		t.Errorf("a disabled Log allocates %.0f times", allocs)
	}
}

type countingStringer struct{ calls int }

func (c *countingStringer) String() string { c.calls++; return "" }

// TestExportersDoNotSilenceStderr checks that a sink added by an exporter
// goes next to the default standard error output, and that DiscardLogs
// keeps entries off it.
func TestExportersDoNotSilenceStderr(t *testing.T) {
	stderr := captureStderr(t)
	mach, _ := newMach(t, abcde(nil), &am.Opts{ID: "se", LogLevel: am.LogLevelChanges})
	exporter := &entries{}
	mach.AddLogSink(exporter)
	mach.Add1("A", nil)
	if got := stderr(); got != "[se] [state] +A\n" {
		t.Errorf("stderr got %q", got)
	}
	if got := exporter.texts(); !slices.Equal(got, []string{"[state] +A"}) {
		t.Errorf("exporter got %q", got)
	}

	quiet, _ := newMach(t, abcde(nil), &am.Opts{ID: "q", LogLevel: am.LogLevelChanges, Logger: am.DiscardLogs})
	quiet.AddLogSink(exporter)
	quiet.Add1("A", nil)
	if got := stderr(); got != "[se] [state] +A\n" {
		t.Errorf("DiscardLogs let %q through to stderr", got)
	}
	if n := len(exporter.texts()); n != 2 {
		t.Errorf("exporter got %d entries, want 2", n)
	}
}

// captureStderr redirects os.Stderr to a file until the test ends and
// returns a function that reads what was written so far.
func captureStderr(t *testing.T) func() string {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stderr
	os.Stderr = f
	t.Cleanup(func() { os.Stderr = orig; f.Close() })
	return func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}
