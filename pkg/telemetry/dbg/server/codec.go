package server

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"net"
	"net/rpc"
	"sync"
	"sync/atomic"
	"time"
)

// deadliner is what the codec needs of a connection for timeouts; the
// fuzz test serves plain readers without it.
type deadliner interface {
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// codec is net/rpc's gob codec with limits: the frameReader bounds each
// message, requests are served one at a time (net/rpc would otherwise run
// every request of a pipelining peer in its own goroutine, each holding
// its decoded batch), reads and writes time out, and any bad input ends
// the connection instead of being answered and skipped.
type codec struct {
	rwc  io.ReadWriteCloser
	dl   deadliner
	idle time.Duration
	// born is when the connection was accepted, and firstBy when its
	// first valid batch must have arrived; proven is set once one has.
	born    time.Time
	firstBy time.Time
	proven  atomic.Bool
	// heard is when, in nanoseconds after born, the connection last sent
	// machine messages (a batch that is not a heartbeat).
	heard atomic.Int64
	// id is the connection's Peer.ID, which orders connections by age,
	// and remote its Peer.Addr.
	id     uint64
	remote string
	dec    *gob.Decoder
	enc    *gob.Encoder
	out    *bufio.Writer
	// turn holds a token from reading a request until its response is
	// written.
	turn chan struct{}
	done chan struct{}

	mu     sync.Mutex
	err    error
	closed bool
}

var _ rpc.ServerCodec = (*codec)(nil)

// newCodec serves rwc. The first valid batch must arrive within first,
// later requests each within idle.
func newCodec(rwc io.ReadWriteCloser, maxMsg int, idle, first time.Duration) *codec {
	out := bufio.NewWriter(rwc)
	now := time.Now()
	c := &codec{
		rwc:     rwc,
		idle:    idle,
		born:    now,
		firstBy: now.Add(first),
		dec:     gob.NewDecoder(newFrameReader(rwc, maxMsg)),
		enc:     gob.NewEncoder(out),
		out:     out,
		turn:    make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	c.dl, _ = rwc.(deadliner)
	return c
}

// ReadRequestHeader waits for the previous response to be written, then
// reads the next request's header.
func (c *codec) ReadRequestHeader(r *rpc.Request) error {
	select {
	case c.turn <- struct{}{}:
	case <-c.done:
		return io.EOF
	}
	if err := c.failure(); err != nil {
		<-c.turn
		return err
	}
	first := !c.proven.Load()
	if c.dl != nil {
		// the whole request must arrive within the idle timeout, and a
		// connection's first valid batch by its deadline
		deadline := time.Now().Add(c.idle)
		if first && c.firstBy.Before(deadline) {
			deadline = c.firstBy
		}
		if err := c.dl.SetReadDeadline(deadline); err != nil {
			<-c.turn
			return err
		}
	}
	if err := c.dec.Decode(r); err != nil {
		<-c.turn
		if err == io.EOF {
			// the peer closed the connection between requests
			return err
		}
		var ne net.Error
		if first && errors.As(err, &ne) && ne.Timeout() {
			err = fmt.Errorf("%w: %w", ErrNoBatch, err)
		}
		return c.fail(fmt.Errorf("read request header: %w", err))
	}
	return nil
}

// prove records that the connection has sent a valid batch: from now on
// only the idle timeout applies, and the server no longer sheds it to make
// room for a new connection.
func (c *codec) prove() { c.proven.Store(true) }

// heardFrom records that the connection sent machine messages now.
func (c *codec) heardFrom() { c.heard.Store(int64(time.Since(c.born))) }

// quietFor returns how long the connection has sent nothing but
// heartbeats: since its last machine messages, or since it connected.
// time.Since reads the monotonic clock, so a wall clock change does not
// make a connection look quiet.
func (c *codec) quietFor() time.Duration {
	return time.Since(c.born) - time.Duration(c.heard.Load())
}

// ReadRequestBody decodes the body into body. net/rpc passes a nil body to
// discard the request of an unknown method; the peer then gets its error
// and is disconnected, like one whose body fails to decode.
func (c *codec) ReadRequestBody(body any) error {
	err := c.dec.Decode(body)
	switch {
	case err != nil:
		return c.fail(fmt.Errorf("read request body: %w", err))
	case body == nil:
		c.fail(fmt.Errorf("%w: unknown method", ErrMalformed))
	}
	return nil
}

// WriteResponse writes a response and hands the turn to the next request.
func (c *codec) WriteResponse(r *rpc.Response, body any) error {
	defer func() { <-c.turn }()
	if c.dl != nil {
		if err := c.dl.SetWriteDeadline(time.Now().Add(c.idle)); err != nil {
			return c.fail(err)
		}
	}
	if err := c.enc.Encode(r); err != nil {
		return c.fail(fmt.Errorf("write response header: %w", err))
	}
	if err := c.enc.Encode(body); err != nil {
		return c.fail(fmt.Errorf("write response body: %w", err))
	}
	if err := c.out.Flush(); err != nil {
		return c.fail(fmt.Errorf("write response: %w", err))
	}
	return nil
}

// Close closes the connection, once.
func (c *codec) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	close(c.done)
	return c.rwc.Close()
}

// fail records why the connection must end, keeping the first reason, and
// returns err.
func (c *codec) fail(err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	return err
}

// failure returns why the connection must end, or nil.
func (c *codec) failure() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
