package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
)

// maxImportRSS is the peak resident memory --import --print may reach on
// any crafted recording.
const maxImportRSS = 256 << 20

// craftEnv, set to a directory, makes the test binary write the crafted
// recordings of TestImportBoundedMemory there and exit. The test runs it
// as a process of its own: the measured am-dbg starts as a vfork of the
// test process, so its peak RSS counts the test process's peak, which
// building the files in it would raise.
const craftEnv = "AMDBG_CRAFT_RECORDINGS"

func TestMain(m *testing.M) {
	if dir := os.Getenv(craftEnv); dir != "" {
		if err := craftRecordings(dir); err != nil {
			fmt.Fprintln(os.Stderr, "craft recordings:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writeRecording writes a recording of n records made by rec.
func writeRecording(path string, n int, rec func(i int) *recording.Record) error {
	w, err := recording.Create(path)
	if err != nil {
		return err
	}
	for i := range n {
		if err := w.Write(rec(i)); err != nil {
			return err
		}
	}
	return w.Close()
}

// rawRecording writes a recording whose record stream is given as is.
func rawRecording(path string, stream []byte) error {
	var buf bytes.Buffer
	buf.WriteString(recording.Magic)
	buf.Write(binary.BigEndian.AppendUint16(nil, recording.Version))
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(stream); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// logBomb returns a record, length prefix included, holding a transition
// of n empty log entries: six zero bytes each, which compress to almost
// nothing and decode to a whole am.LogEntry each.
func logBomb(n int) []byte {
	body := []byte{0, 1, 'c', 1, 0} // received, client ID "c", conn 1, dropped 0
	// MachineID "m", ID 1, no clocks, queue tick and length 0, add, no
	// called states or args, accepted, no source, steps or logs before
	tx := []byte{1, 'm', 1, 0, 0, 0, byte(am.MutationAdd), 0, 0, 4, 0, 0, 0, 0}
	tx = binary.AppendUvarint(tx, uint64(n))
	tx = append(tx, make([]byte, 6*n)...)
	tx = append(tx, 0, 0, 0) // no error, zero start and end
	body = append(body, 2)   // a transition
	body = binary.AppendUvarint(body, uint64(len(tx)))
	body = append(body, tx...)
	return append(binary.AppendUvarint(nil, uint64(len(body))), body...)
}

// crafted names the recordings craftRecordings writes, and whether
// am-dbg must refuse them.
var crafted = map[string]bool{
	"new-machines":         false,
	"wide-schemas":         false,
	"long-client-ids":      false,
	"log-bombs":            false,
	"record-past-limit":    true,
	"huge-declared-length": true,
}

// craftRecordings writes the attacks on --import --print of the issue
// into dir, each a file of a few KB to a few hundred KB that would cost
// hundreds of MB to gigabytes if the debugger kept what it decodes.
func craftRecordings(dir string) error {
	states := make(am.S, 20)
	schema := am.Schema{}
	for i := range states {
		states[i] = fmt.Sprintf("S%d", i)
	}
	for i, s := range states {
		schema[s] = am.State{Require: am.S{states[(i+1)%20]}, Remove: am.S{states[(i+2)%20]}}
	}
	// a million empty state names and clocks fit one record, and decode
	// to 16 and 8 bytes each
	wide := make(am.S, 1_000_000)
	wideClocks := make(am.Time, 900_000)
	bigID := strings.Repeat("c", 1<<20)
	logs := make([]am.LogEntry, 250_000)
	path := func(name string) string { return filepath.Join(dir, name+".amdbg") }

	var tail []byte
	for range 3 {
		tail = append(tail, logBomb(recording.MaxRecordBytes/6-16)...)
	}
	tail = binary.AppendUvarint(tail, 1<<62)
	tail = append(tail, make([]byte, 1<<20)...)
	return errors.Join(
		// struct messages for ever new machines
		writeRecording(path("new-machines"), 200_000, func(i int) *recording.Record {
			return &recording.Record{ClientID: "c", Conn: 1, Msg: &dbg.DbgMsgStruct{
				MachineID: fmt.Sprintf("m%07d", i), StateNames: states, Schema: schema, Clocks: make(am.Time, 20),
			}}
		}),
		// schemas of a million states, each for a new machine
		writeRecording(path("wide-schemas"), 40, func(i int) *recording.Record {
			return &recording.Record{ClientID: "c", Conn: 1, Msg: &dbg.DbgMsgStruct{
				MachineID: fmt.Sprintf("wide%d", i), StateNames: wide, Clocks: wideClocks,
			}}
		}),
		// a new client of a 1 MiB ID in every record
		writeRecording(path("long-client-ids"), 300, func(i int) *recording.Record {
			return &recording.Record{ClientID: fmt.Sprint(i) + bigID, Conn: uint64(i), Dropped: uint64(i + 1),
				Msg: &dbg.DbgMsgDispose{MachineID: fmt.Sprint(i) + bigID[:1000]}}
		}),
		// records of the largest size, full of log entries
		writeRecording(path("log-bombs"), 60, func(i int) *recording.Record {
			return &recording.Record{ClientID: "c", Conn: 1, Msg: &dbg.DbgMsgTx{
				MachineID: "m", ID: uint64(i + 1), Logs: logs, Accepted: true,
			}}
		}),
		// a valid record of 15 MiB, a transition of 2.6 million empty log
		// entries, that would decode to about 300 MB
		rawRecording(path("record-past-limit"), logBomb(15<<20/6)),
		// records at the limit, then a length of 2^62
		rawRecording(path("huge-declared-length"), tail),
	)
}

// procHWM returns this process's peak resident memory, from /proc.
func procHWM() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return err.Error()
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.Join(strings.Fields(line), " ")
		}
	}
	return "VmHWM unknown"
}

// The real binary reads each crafted recording with --import --print,
// and its peak RSS stays under 256 MiB.
func TestImportBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and decodes hundreds of MB")
	}
	if runtime.GOOS != "linux" {
		t.Skip("reads the peak RSS from Linux's rusage")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "am-dbg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	craft := exec.Command(os.Args[0])
	craft.Env = append(os.Environ(), craftEnv+"="+dir)
	if out, err := craft.CombinedOutput(); err != nil {
		t.Fatalf("crafting the recordings: %v\n%s", err, out)
	}
	// the figures below are upper bounds: at least this, inherited
	t.Logf("test process peak: %s", procHWM())
	for name, refused := range crafted {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".amdbg")
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "--headless", "--import", path, "--print")
			var stderr bytes.Buffer
			// the lines go to /dev/null, not kept, as a terminal would not
			// keep them
			cmd.Stderr = &stderr
			err = cmd.Run()
			switch {
			case refused && (err == nil || !strings.Contains(stderr.String(), "not a readable am-dbg recording")):
				t.Errorf("am-dbg: %v, stderr %s; want the file refused", err, stderr.String())
			case !refused && err != nil:
				t.Fatalf("am-dbg: %v\n%s", err, stderr.String())
			}
			peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("%d-byte file: peak RSS %d MiB", fi.Size(), peak>>20)
			if peak > maxImportRSS {
				t.Errorf("peak RSS %d MiB, over %d MiB", peak>>20, maxImportRSS>>20)
			}
		})
	}
}
