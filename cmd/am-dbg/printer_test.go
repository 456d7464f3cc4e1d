package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// hostileMsgs are messages whose every peer-supplied text tries to reach
// the terminal: clear the screen, retitle the window, start a C1 CSI,
// reverse the text, or break the line.
func hostileMsgs() []dbg.DbgMsg {
	id := "m\x1b[2J\x1b[H"
	t := time.Unix(1, 0)
	return []dbg.DbgMsg{
		&dbg.DbgMsgStruct{
			MachineID:  id,
			ParentID:   "p\x1b]0;pwned\x07",
			Tags:       []string{"t\u009b31m", "ok"},
			StateNames: am.S{"Exception", "S\x1b[31m", "R\u202eevil", "N\nfake line"},
			Clocks:     am.Time{0, 1, 0, 1},
		},
		&dbg.DbgMsgTx{
			MachineID: id, ID: 1, Type: am.MutationAdd, Called: []int{1, 2},
			Args:     map[string]string{"k\x1b[8m": "v\r\x1bc"},
			Clocks:   am.Time{0, 1, 1, 2},
			Accepted: true, End: t,
		},
		&dbg.DbgMsgTx{
			MachineID: id, ID: 2, Type: am.MutationRemove, Called: []int{3},
			Clocks: am.Time{0, 1, 1, 2}, Err: "no\x1b[1A\x1b[2K", End: t,
		},
		&dbg.DbgMsgDispose{MachineID: id, Time: t},
	}
}

// assertTerminalSafe fails on any character a terminal would act on,
// other than the newlines that end lines.
func assertTerminalSafe(t *testing.T, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("output is not valid UTF-8: %q", out)
	}
	for i, r := range out {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e {
			t.Errorf("control character %U at byte %d of:\n%q", r, i, out)
			return
		}
	}
}

func TestPrinterEscapesControls(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&out)
	p.HandleBatch(server.Peer{ID: 1}, &dbg.Batch{ClientID: "c\x1b[5m", Dropped: 3, Msgs: hostileMsgs()})
	got := timePrefix.ReplaceAllString(out.String(), "")
	assertTerminalSafe(t, got)
	want := `client c\x1b[5m: 3 messages dropped so far
machine m\x1b[2J\x1b[H (parent p\x1b]0;pwned\x07, tags t\u009b31m,ok): 4 states, active: S\x1b[31m N\x0afake line
m\x1b[2J\x1b[H #1 [add] S\x1b[31m R\u202eevil k\x1b[8m=v\x0d\x1bc -> +R\u202eevil -N\x0afake line
m\x1b[2J\x1b[H #2 [remove] N\x0afake line canceled: no\x1b[1A\x1b[2K
m\x1b[2J\x1b[H disposed
`
	if got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
}

// The summary of an import names machines as the printer does.
func TestImportEscapesControls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hostile.amdbg")
	w, err := recording.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range hostileMsgs() {
		if err := w.Write(&recording.Record{ClientID: "c", Conn: 1, Msg: m}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := importRecording(path, true, &out, nil); err != nil {
		t.Fatal(err)
	}
	assertTerminalSafe(t, out.String())
	if !strings.Contains(out.String(), `m\x1b[2J\x1b[H  2 transitions  4 states, parent p\x1b]0;pwned\x07, disposed`) {
		t.Errorf("summary does not name the machine escaped:\n%s", out.String())
	}
}

// Dry runs print as checks, without an ID and without moving the clocks
// the next transition is diffed against; handler timeouts name the
// transition and the handler; the summary counts both.
func TestPrintChecksAndTimeouts(t *testing.T) {
	at := time.Unix(1, 0)
	msgs := []dbg.DbgMsg{
		&dbg.DbgMsgStruct{MachineID: "m", StateNames: am.S{"Exception", "A", "B"}, Clocks: am.Time{0, 0, 0}},
		&dbg.DbgMsgTx{MachineID: "m", CheckOnly: true, Type: am.MutationAdd, Called: []int{1},
			Clocks: am.Time{0, 0, 0}, Accepted: true, End: at},
		&dbg.DbgMsgTx{MachineID: "m", CheckOnly: true, Type: am.MutationAdd, Called: []int{2},
			Clocks: am.Time{0, 0, 0}, Err: "B requires A", End: at},
		&dbg.DbgMsgHandlerTimeout{MachineID: "m", TxID: 1, Handler: "AState", Elapsed: 5001 * time.Millisecond, Time: at},
		&dbg.DbgMsgTx{MachineID: "m", ID: 1, Type: am.MutationAdd, Called: []int{1},
			Clocks: am.Time{0, 1, 0}, Accepted: true, End: at},
	}
	var out bytes.Buffer
	newPrinter(&out).HandleBatch(server.Peer{ID: 1}, &dbg.Batch{ClientID: "c", Msgs: msgs})
	want := `machine m: 3 states
m check [add] A would be accepted
m check [add] B canceled: B requires A
m #1 handler AState still running after 5.001s
m #1 [add] A -> +A
`
	if got := timePrefix.ReplaceAllString(out.String(), ""); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}

	path := filepath.Join(t.TempDir(), "checks.amdbg")
	w, err := recording.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := w.Write(&recording.Record{ClientID: "c", Conn: 1, Msg: m}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var sum bytes.Buffer
	if err := importRecording(path, false, &sum, nil); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"transitions: 1 (1 accepted, 0 canceled)", "checks: 2", "handler timeouts: 1", "m 1 transitions 3 states"} {
		if !strings.Contains(oneSpace(sum.String()), line) {
			t.Errorf("summary lacks %q:\n%s", line, sum.String())
		}
	}
}

// Past its budget the printer forgets the machine described first, says
// so, and prints that machine's states by index from then on.
func TestPrinterForgetsPastBudget(t *testing.T) {
	var out bytes.Buffer
	p := newPrinter(&out)
	st := func(id string) *dbg.DbgMsgStruct {
		return &dbg.DbgMsgStruct{MachineID: id, StateNames: am.S{"Exception", "A"}, Clocks: am.Time{0, 0}}
	}
	v := &machView{names: st("m0").StateNames}
	p.machs.budget = 2 * v.size("m0")
	tx := &dbg.DbgMsgTx{MachineID: "m0", ID: 1, Type: am.MutationAdd, Called: []int{1}, Clocks: am.Time{0, 1}, Accepted: true}
	p.HandleBatch(server.Peer{}, &dbg.Batch{Msgs: []dbg.DbgMsg{st("m0"), st("m1"), st("m2"), tx}})
	got := timePrefix.ReplaceAllString(out.String(), "")
	if !strings.Contains(got, "machine m0 forgotten: --print keeps 16 MiB of machine descriptions") ||
		!strings.Contains(got, "m0 #1 [add] #1 -> +#1\n") {
		t.Errorf("printed:\n%s", got)
	}
	if n := p.machs.len(); n > 2 {
		t.Errorf("holding %d machines, budget for 2", n)
	}
}
