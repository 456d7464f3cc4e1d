package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// --diagrams on a live session writes both files of every machine on exit,
// marking the states active at the end.
func TestDiagramsOnExit(t *testing.T) {
	addr := freeAddr(t)
	dir := filepath.Join(t.TempDir(), "out")
	var stderr bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		done <- run(ctx, config{listen: addr, headless: true, diagrams: true, dir: dir}, io.Discard, &stderr)
	}()
	session(t, addr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, dir), []string{"child.dot", "child.mmd", "parent.dot", "parent.mmd"}; !slices.Equal(got, want) {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
	if !strings.Contains(stderr.String(), "wrote the diagrams of 2 machines to "+dir) {
		t.Errorf("stderr: %s", stderr.String())
	}
	mmd, err := os.ReadFile(filepath.Join(dir, "parent.mmd"))
	if err != nil {
		t.Fatal(err)
	}
	// the session ends with parent's Start removed and Ready canceled:
	// no state but Exception's inactive clock, so nothing is filled
	if !strings.Contains(string(mmd), "flowchart LR") || strings.Contains(string(mmd), "fill:") {
		t.Errorf("parent.mmd:\n%s", mmd)
	}
}

// A disposed machine's files are written at once, and its memory freed;
// the budget writes the least recently described machines early.
func TestDiagrammerBoundsMemory(t *testing.T) {
	dir := t.TempDir()
	d, err := newDiagrammer(dir)
	if err != nil {
		t.Fatal(err)
	}
	st := func(id string) *dbg.DbgMsgStruct {
		return &dbg.DbgMsgStruct{MachineID: id, StateNames: am.S{"Exception", "A"},
			Schema: am.Schema{"Exception": {}, "A": {}}, Clocks: am.Time{0, 1}}
	}
	d.machs.budget = 3 * st("m0").MemSize()
	d.HandleBatch(server.Peer{}, &dbg.Batch{Msgs: []dbg.DbgMsg{
		st("m0"), st("m1"), &dbg.DbgMsgDispose{MachineID: "m1", Time: time.Now()},
	}})
	if got := dirNames(t, dir); !slices.Equal(got, []string{"m1.dot", "m1.mmd"}) {
		t.Fatalf("after m1's disposal: %v", got)
	}
	for i := 2; i < 1000; i++ {
		// m0 described again stays the most recent, and stays held
		d.add(st(fmt.Sprintf("n%d", i)))
		d.add(st("m0"))
	}
	d.mu.Lock()
	held, order, size := d.machs.len(), len(d.machs.order), d.machs.size
	_, m0 := d.machs.get("m0")
	d.mu.Unlock()
	if held > 3 || size > d.machs.budget || order > 2*held+64 || !m0 {
		t.Errorf("holding %d machines in %d bytes, %d order entries, m0 held %v; budget %d", held, size, order, m0, d.machs.budget)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := len(dirNames(t, dir)), 2*(2+998); got != want {
		t.Errorf("%d files, want %d", got, want)
	}
}

// --diagrams with --import writes the diagrams of the recording's
// machines, headless and before the UI opens alike.
func TestDiagramsOfImport(t *testing.T) {
	path := recordSession(t)
	dir := filepath.Join(t.TempDir(), "diagrams")
	var stdout, stderr bytes.Buffer
	cfg := config{importFile: path, headless: true, diagrams: true, dir: dir}
	if err := run(context.Background(), cfg, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, dir), []string{"child.dot", "child.mmd", "parent.dot", "parent.mmd"}; !slices.Equal(got, want) {
		t.Fatalf("%s holds %v, want %v", dir, got, want)
	}
	if !strings.Contains(stdout.String(), "machines:") || !strings.Contains(stderr.String(), "wrote the diagrams of 2 machines") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	dot, err := os.ReadFile(filepath.Join(dir, "child.dot"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(dot), `digraph "child" {`) {
		t.Errorf("child.dot:\n%s", dot)
	}
}
