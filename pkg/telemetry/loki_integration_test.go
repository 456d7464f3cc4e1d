package amtele_test

import (
	"context"
	"fmt"
	"log"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/amkit-dev/amkit/internal/e2e"
	am "github.com/amkit-dev/amkit/pkg/machine"
	amtele "github.com/amkit-dev/amkit/pkg/telemetry"
	"github.com/amkit-dev/amkit/pkg/telemetry/loki"
)

// lokiService is the service_name of the tests' lines, new each run.
var lokiService = e2e.Unique("amtele-loki")

// newLokiClient returns a client pushing to pushURL every 50ms, closed
// when the test ends. What it logs fails the test, unless the test
// expects failures (outages), where it is only logged. Tests dispose
// their machines and flush their logger first (see lokiDone), so that
// Close finds nothing left to send.
func newLokiClient(t *testing.T, pushURL string, failuresExpected bool) *loki.Client {
	t.Helper()
	client, err := loki.New(loki.Options{
		URL:       pushURL,
		Labels:    map[string]string{"service_name": lokiService},
		BatchWait: 50 * time.Millisecond,
		ErrorLog:  log.New(testErrorWriter{t, failuresExpected}, "", 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := client.Close(ctx); err != nil {
			t.Errorf("close loki client: %v", err)
		}
	})
	return client
}

// testErrorWriter fails the test with each line written to it, or only
// logs it when failures are expected.
type testErrorWriter struct {
	t        *testing.T
	expected bool
}

func (w testErrorWriter) Write(p []byte) (int, error) {
	if w.expected {
		w.t.Logf("%s", p)
	} else {
		w.t.Errorf("%s", p)
	}
	return len(p), nil
}

// lokiLines queries the lines of a LogsQL query, oldest first.
func lokiLines(ctx context.Context, vl *e2e.VictoriaLogsBackend, logsql string) ([]string, []e2e.LogRecord, error) {
	entries, err := vl.Query(ctx, logsql)
	if err != nil {
		return nil, nil, err
	}
	lines := make([]string, len(entries))
	for i, e := range entries {
		lines[i] = e.Msg
	}
	return lines, entries, nil
}

// TestIntegrationLokiLogger sends the logs of a machine and its submachine
// through our Loki client to a real VictoriaLogs, which takes Loki's
// push API, at each of the five log levels, and reads them back with
// LogsQL: all of them, in order, by machine ID, by level, and with a
// substring filter.
func TestIntegrationLokiLogger(t *testing.T) {
	vl := e2e.StartVictoriaLogs(t)
	levels := []am.LogLevel{am.LogLevelNothing, am.LogLevelChanges, am.LogLevelOps, am.LogLevelDecisions, am.LogLevelEverything}
	for _, level := range levels {
		t.Run(level.String(), func(t *testing.T) {
			client := newLokiClient(t, vl.LokiPushURL, false)
			parent := newLokiMachine(t, "loki-"+level.String(), nil, level)
			rec := &lokiRecorder{}
			parent.AddLogSink(rec)
			logger, err := amtele.BindLokiLogger(parent, client)
			if err != nil {
				t.Fatal(err)
			}
			child := newLokiMachine(t, parent.ID()+"-child", parent, level)
			child.AddLogSink(rec)
			for round := range 3 {
				lokiWorkload(parent, round)
				lokiWorkload(child, round)
			}
			// the client pushes in order, so once the sentinel's line is
			// in VictoriaLogs, so is every line before it; and it is a positive
			// control for LogLevelNothing, where no line must arrive
			sentinel := newLokiMachine(t, parent.ID()+"-sentinel", parent, am.LogLevelChanges)
			sentinel.Log("done")
			flush(t, logger)
			if n := logger.Dropped(); n != 0 {
				t.Fatalf("%d entries dropped", n)
			}

			type check struct{ logsql, machine string }
			checks := []check{{fmt.Sprintf(`{service_name=%q, machine_id=%q}`, lokiService, sentinel.ID()), sentinel.ID()}}
			for _, id := range []string{parent.ID(), child.ID()} {
				checks = append(checks, check{fmt.Sprintf(`{service_name=%q, machine_id=%q}`, lokiService, id), id})
			}
			e2e.Eventually(t, 30*time.Second, "machine logs in VictoriaLogs", func(ctx context.Context) error {
				for _, c := range checks {
					got, _, err := lokiLines(ctx, vl, c.logsql)
					if err != nil {
						return err
					}
					if want := rec.lines(c.machine, -1); c.machine == sentinel.ID() {
						if !slices.Equal(got, []string{"done"}) {
							return fmt.Errorf("%s: %q, want the sentinel's line", c.logsql, got)
						}
					} else if !slices.Equal(got, want) {
						return fmt.Errorf("%s: got %d lines, want %d:\n%q\nwant\n%q", c.logsql, len(got), len(want), got, want)
					}
				}
				return nil
			})
			if level == am.LogLevelNothing {
				if n := len(rec.lines(parent.ID(), -1)); n != 0 {
					t.Fatalf("the machine logged %d entries at LogLevelNothing", n)
				}
				lokiDone(t, parent, logger)
				return
			}

			ctx := context.Background()
			for _, id := range []string{parent.ID(), child.ID()} {
				for _, l := range levels[1:] {
					logsql := fmt.Sprintf(`{service_name=%q, machine_id=%q, %s=%q}`, lokiService, id, amtele.LokiLabelLevel, l)
					got, entries, err := lokiLines(ctx, vl, logsql)
					if err != nil {
						t.Fatal(err)
					}
					want := rec.lines(id, l)
					switch {
					case l > level && len(want) != 0:
						t.Fatalf("the recorder saw %s entries at level %s", l, level)
					case l <= level && len(want) == 0:
						t.Fatalf("the workload made no %s entries", l)
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s:\n%q\nwant\n%q", logsql, got, want)
					}
					for _, e := range entries {
						if e.Stream["service_name"] != lokiService || e.Stream[amtele.LokiLabelMachineID] != id || e.Stream[amtele.LokiLabelLevel] != l.String() {
							t.Errorf("%s: stream %v", logsql, e.Stream)
						}
					}
				}
				// a substring filter, as dashboards use for errors
				logsql := fmt.Sprintf(`{service_name=%q, machine_id=%q} *"[error]"*`, lokiService, id)
				got, _, err := lokiLines(ctx, vl, logsql)
				if err != nil {
					t.Fatal(err)
				}
				want := []string{"[error] failure 0", "[error] failure 1", "[error] failure 2"}
				if !slices.Equal(got, want) {
					t.Errorf("%s: %q, want %q", logsql, got, want)
				}
			}
			lokiDone(t, parent, logger)
		})
	}
}

// TestIntegrationLokiOutage logs through a log backend that hangs for a
// while: the machine does not wait for a push, memory stays flat, entries
// that do not fit are counted as dropped, and once the backend is back,
// delivery resumes.
func TestIntegrationLokiOutage(t *testing.T) {
	vl := e2e.StartVictoriaLogs(t)
	gw := e2e.NewOutage(t, vl.URL)
	client := newLokiClient(t, gw.URL+"/insert"+loki.PushPath, true)
	mach := newLokiMachine(t, "loki-outage", nil, am.LogLevelChanges)
	logger, err := amtele.NewLokiLogger(mach, client, &amtele.LokiLoggerOpts{QueueSize: 256})
	if err != nil {
		t.Fatal(err)
	}

	run := func(n int) {
		for range n {
			mach.Add1("Start", nil)
			mach.Add1("Stop", nil)
		}
	}
	run(2000)
	flush(t, logger)

	gw.SetDown(true)
	droppedBefore := logger.Dropped()
	// the machine does not wait for a push: ops finish while one hangs
	gw.RunWhileHeld(t, func() { run(100) })
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	run(20000)
	runtime.GC()
	runtime.ReadMemStats(&after)

	if logger.Dropped() == droppedBefore {
		t.Errorf("the outage went unnoticed: %d pushes held, no entry dropped", gw.Held())
	}
	t.Logf("%d pushes held, %d entries dropped during the outage", gw.Held(), logger.Dropped()-droppedBefore)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
		t.Errorf("heap grew by %d bytes during 20000 ops of the outage", grew)
	}

	gw.SetDown(false)
	// the backlog drains into the client, then new entries flow again
	flush(t, logger)
	var want []string
	for i := range 20 {
		mach.Log("after the outage %d", i)
		want = append(want, fmt.Sprintf("after the outage %d", i))
	}
	flush(t, logger)
	logsql := fmt.Sprintf(`{service_name=%q, machine_id=%q} "after the outage"`, lokiService, mach.ID())
	e2e.Eventually(t, 30*time.Second, "entries logged after the outage in VictoriaLogs", func(ctx context.Context) error {
		got, _, err := lokiLines(ctx, vl, logsql)
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("%s: %q", logsql, got)
		}
		return nil
	})
	lokiDone(t, mach, logger)
}

// lokiDone disposes mach, whose disposal logs, and flushes logger, so that
// nothing uses the client when the test closes it.
func lokiDone(t *testing.T, mach *am.Machine, logger *amtele.LokiLogger) {
	t.Helper()
	mach.Dispose()
	<-mach.WhenDisposed()
	flush(t, logger)
}
