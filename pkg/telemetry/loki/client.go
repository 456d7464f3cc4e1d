package loki

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// ErrClosed is returned by [Client.Flush] and [Client.Close] on a closed
// client.
var ErrClosed = errors.New("loki: client closed")

// LostError says how many entries [Client.Flush] or [Client.Close] could
// not deliver, and why.
type LostError struct {
	// Entries is the number of entries given up.
	Entries uint64
	// Err is the last push failure, or the context's error when the
	// caller stopped waiting.
	Err error
}

// Error returns "loki: N entries lost: <Err>".
func (e *LostError) Error() string {
	return fmt.Sprintf("loki: %d entries lost: %v", e.Entries, e.Err)
}

// Unwrap returns e.Err.
func (e *LostError) Unwrap() error { return e.Err }

// Stats are the counts of a client's entries since [New].
type Stats struct {
	// Sent counts entries the server accepted.
	Sent uint64
	// Dropped counts entries [Client.Push] refused: the queue was full,
	// or the client closed.
	Dropped uint64
	// Failed counts entries that were queued but given up: the server
	// refused them, the retries ran out, or Close stopped waiting.
	Failed uint64
	// Retried counts entries sent again, once per retry.
	Retried uint64
}

// Client pushes entries to Loki. Create it with [New]; it is safe for
// concurrent use.
type Client struct {
	cfg   *config
	queue chan Entry

	// mu orders Push against Close: once closed is set, no entry enters
	// the queue, so the final drain sees them all
	mu     sync.RWMutex
	closed bool

	flushes chan chan error
	closing chan struct{} // closed by Close
	done    chan struct{} // closed when run returns
	// ctx is canceled when Close stops waiting, to end the request or
	// backoff in progress
	ctx    context.Context
	cancel context.CancelFunc

	sent, dropped, failed, retried atomic.Uint64
	// unregisterDrops ends the client's count in package drops, which
	// keeps its final value
	unregisterDrops func()

	// owned by run, and read by Close once run returned
	batch   *batch
	enc     encoder
	report  reporter
	lastErr error
	// reported is c.failed when Flush or Close last reported losses
	reported uint64
}

// New returns a client for opts, with its goroutine started; [Client.Close]
// stops it.
func New(opts Options) (*Client, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:     cfg,
		queue:   make(chan Entry, cfg.QueueSize),
		flushes: make(chan chan error),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
		batch:   newBatch(),
		report:  reporter{log: cfg.ErrorLog, every: cfg.ErrorLogInterval},
	}
	c.unregisterDrops = drops.Register(drops.Loki, c.lostCount)
	go c.run()
	return c, nil
}

// lostCount counts the entries dropped or given up, for package drops.
func (c *Client) lostCount() uint64 { return c.dropped.Load() + c.failed.Load() }

// Push queues e for sending and returns true, or drops it and returns
// false when the queue is full or the client closed. It never blocks.
// A zero e.Time is set to the current time.
func (c *Client) Push(e Entry) bool {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.closed {
		select {
		case c.queue <- e:
			return true
		default:
		}
	}
	c.dropped.Add(1)
	return false
}

// Stats returns the client's counts.
func (c *Client) Stats() Stats {
	return Stats{
		Sent:    c.sent.Load(),
		Dropped: c.dropped.Load(),
		Failed:  c.failed.Load(),
		Retried: c.retried.Load(),
	}
}

// Flush sends every entry queued before the call and returns when the
// server answered. It returns a [*LostError] when entries were given up
// since the previous Flush or since New, and ctx's error when ctx ends
// first (sending goes on).
func (c *Client) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case c.flushes <- reply:
	case <-c.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("loki: flush: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("loki: flush: %w", ctx.Err())
	}
}

// Close stops taking entries, sends those queued, and stops the client's
// goroutine. When ctx ends first, the request in progress is canceled and
// what was not sent is lost. Close returns a [*LostError] when entries
// were given up since the last Flush, including those. A second Close
// returns [ErrClosed].
func (c *Client) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.closed = true
	c.mu.Unlock()

	close(c.closing)
	defer c.unregisterDrops()
	var cause error
	select {
	case <-c.done:
	case <-ctx.Done():
		cause = ctx.Err()
		c.cancel()
		<-c.done
	}
	c.cancel()
	if err := c.lost(); err != nil {
		if cause != nil {
			err.Err = cause
		}
		return err
	}
	return nil
}

// lost returns the entries given up since the last call, if any, with
// the last failure. Only run calls it, and Close once run returned.
func (c *Client) lost() *LostError {
	failed := c.failed.Load()
	n := failed - c.reported
	c.reported = failed
	if n == 0 {
		return nil
	}
	return &LostError{Entries: n, Err: c.lastErr}
}

// run batches queued entries and sends them, until Close.
func (c *Client) run() {
	defer close(c.done)
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	defer wait.Stop()
	for {
		select {
		case e := <-c.queue:
			if c.add(&e) && c.batch.entries == 1 {
				wait.Reset(c.cfg.BatchWait)
			}
		case <-wait.C:
			c.send()
		case reply := <-c.flushes:
			for range len(c.queue) {
				e := <-c.queue
				c.add(&e)
			}
			c.send()
			wait.Stop()
			if err := c.lost(); err != nil {
				reply <- err
			} else {
				reply <- nil
			}
		case <-c.closing:
			c.drain()
			return
		}
	}
}

// drain sends what is queued, for Close: Push no longer queues, so this
// is the last of it.
func (c *Client) drain() {
	for {
		select {
		case e := <-c.queue:
			c.add(&e)
		default:
			c.send()
			c.report.flush(c.Stats())
			return
		}
	}
}

// add puts e in the batch and sends the batch when it is full. It reports
// whether e was added; an entry with labels Loki rejects fails alone.
func (c *Client) add(e *Entry) bool {
	if err := c.batch.add(c.cfg.labels, e); err != nil {
		c.giveUp(1, err)
		return false
	}
	if c.batch.entries >= c.cfg.BatchEntries || c.batch.bytes >= c.cfg.BatchBytes {
		c.send()
	}
	return true
}
