package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/dbg"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/recording"
	"github.com/amkit-dev/amkit/pkg/telemetry/dbg/server"
)

// flushEvery bounds what a crash can lose of a recording.
const flushEvery = time.Second

// recorder writes every message to a recording, flushing it every
// flushEvery so that a crash loses at most that much.
type recorder struct {
	stderr io.Writer
	stop   chan struct{}
	done   chan struct{}

	mu  sync.Mutex
	w   *recording.Writer
	err error
}

func newRecorder(path string, stderr io.Writer) (*recorder, error) {
	w, err := recording.Create(path)
	if err != nil {
		return nil, err
	}
	r := &recorder{w: w, stderr: stderr, stop: make(chan struct{}), done: make(chan struct{})}
	go r.flushLoop()
	return r, nil
}

// HandleBatch appends the batch's messages. After a write error the
// recorder stops writing; the error is reported at once and by Close.
func (r *recorder) HandleBatch(p server.Peer, b *dbg.Batch) {
	received := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range b.Msgs {
		if r.err != nil {
			return
		}
		r.fail(r.w.Write(&recording.Record{
			Received: received, ClientID: b.ClientID, Conn: p.ID, Dropped: b.Dropped, Msg: m,
		}))
	}
}

func (r *recorder) flushLoop() {
	defer close(r.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			r.mu.Lock()
			if r.err == nil {
				r.fail(r.w.Flush())
			}
			r.mu.Unlock()
		case <-r.stop:
			return
		}
	}
}

// fail keeps the first error and reports it. The caller holds mu.
func (r *recorder) fail(err error) {
	if err != nil && r.err == nil {
		r.err = err
		fmt.Fprintf(r.stderr, "am-dbg: recording stopped: %v\n", err)
	}
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.w.Count()
}

// Close flushes and closes the recording, returning the first error of
// its life.
func (r *recorder) Close() error {
	close(r.stop)
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.w.Close(); r.err == nil {
		r.err = err
	}
	return r.err
}
