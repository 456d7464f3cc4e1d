package dbg

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// Tracer is an [am.Tracer] that sends machines and their transitions to a
// debugger server. It is inheritable: submachines created with
// [am.Opts.Parent] report through the same tracer and connection. Create it
// with [NewTracer], or bind it in one call with [TransitionsToDbg] or
// [BindEnv]. Those two make a tracer per call; a program with many root
// machines can bind one tracer to each instead ([am.Machine.BindTracer],
// [am.Opts.Tracers]), so that they share its connection and the one slot
// it takes on the server.
//
// Besides the tracer hooks, it adds a log sink to each machine, to catch the
// entries made between transitions ([DbgMsgTx.LogsBefore]), next to the
// machine's own log output.
//
// The tracer's goroutine runs while it observes at least one machine, and
// stops by itself after flushing once they are all disposed.
type Tracer struct {
	am.NoOpTracer

	addr     string
	opts     Opts
	clientID string
	// persistent keeps the sender running and retrying with no machine
	// left, until Close: a Relay's.
	persistent bool

	queue chan item
	wake  chan struct{}
	// stopped ends when Close gives up on the sender; it interrupts a
	// dial or a call in progress, so Close keeps to its context.
	stopped  context.Context
	stop     context.CancelFunc
	dropped  dropCounter
	enqueued atomic.Uint64
	// queuedBytes are the sizes of the relayed messages queued or pending.
	queuedBytes atomic.Int64
	closed      atomic.Bool
	// connected is set while the sender has a connection: handlers are
	// timed only then ([DbgMsgTx.HandlerDurations]).
	connected atomic.Bool
	// bufs holds the buffers of encoded transitions (*[]byte), which go
	// back once sent or dropped.
	bufs sync.Pool
	// machs maps machine IDs to *machState, for the hot path's lookup.
	machs sync.Map
	// seen numbers the machines as the tracer first saw them.
	seen atomic.Uint64
	wg   sync.WaitGroup

	// mu guards the fields below, which decide when the sender runs.
	mu       sync.Mutex
	live     int
	running  bool
	dirty    map[*machState]struct{}
	flushers []*flusher
}

// machState is what the tracer keeps per machine.
type machState struct {
	mach       *am.Machine
	st         atomic.Pointer[DbgMsgStruct]
	queueTick  atomic.Uint64
	logs       logBuffer
	removeSink func()
	// handlerStart and durations time the handlers of the running
	// transition. The machine calls HandlerStart, HandlerEnd and an
	// on-queue TransitionEnd one at a time, so only they touch them.
	handlerStart time.Time
	durations    []time.Duration
	// seen orders the machines' struct messages on a new connection as
	// the tracer first saw the machines: parents before their children,
	// and a debugger lists the machines in the order they were made.
	seen uint64
}

// item is one message on its way to the sender: a transition, encoded
// as the hook ran, or a message that comes made.
type item struct {
	// enc is a transition message as [AppendMsg] frames it, in a buffer
	// of the tracer's pool. Machines reuse their records for the tracer
	// ([am.TransitionBorrower]), so the hook copies what it sends into
	// its own compact form, and nothing of the record stays behind.
	enc *[]byte
	// machID is the machine of enc.
	machID string
	// msg is a message that comes made: a disposal, a handler timeout, or
	// a relayed message ([Relay]).
	msg DbgMsg
	// st is the machine's struct message, or nil for a relayed message
	// of a machine whose struct message the relay does not hold.
	st *DbgMsgStruct
	// size is what a relayed message costs the relay's byte budget, 0
	// otherwise.
	size int
}

// flusher is a [Tracer.Flush] call waiting for the sender.
type flusher struct {
	target uint64
	done   chan struct{}
}

var _ am.Tracer = (*Tracer)(nil)

// NewTracer returns a tracer that sends to the server at addr ("" means
// [DefaultAddr]). opts may be nil. Nothing is dialed until a machine binds
// it.
func NewTracer(addr string, opts *Opts) *Tracer {
	if addr == "" {
		addr = DefaultAddr
	}
	o := opts.withDefaults()
	stopped, stop := context.WithCancel(context.Background())
	return &Tracer{
		addr:     addr,
		opts:     o,
		clientID: fmt.Sprintf("%016x", rand.Uint64()),
		queue:    make(chan item, o.QueueSize),
		wake:     make(chan struct{}, 1),
		stopped:  stopped,
		stop:     stop,
		dirty:    map[*machState]struct{}{},
	}
}

// TransitionsToDbg binds a new [Tracer] sending to addr ("" means
// [DefaultAddr]) to mach and, through inheritance, to its future
// submachines.
func TransitionsToDbg(mach *am.Machine, addr string) (*Tracer, error) {
	t := NewTracer(addr, nil)
	if err := mach.BindTracer(t); err != nil {
		return nil, fmt.Errorf("bind dbg tracer to %s: %w", mach.ID(), err)
	}
	return t, nil
}

// Addr returns the server address the tracer sends to.
func (t *Tracer) Addr() string { return t.addr }

// ClientID returns the ID the tracer sends as [Batch.ClientID].
func (t *Tracer) ClientID() string { return t.clientID }

// Dropped returns how many transition, dispose and handler timeout
// messages never reached a server: the queue was full, a call failed
// after the batch was sent, or the tracer stopped with messages left.
func (t *Tracer) Dropped() uint64 { return t.dropped.Load() }

// TracerID returns "dbg".
func (t *Tracer) TracerID() string { return "dbg" }

// Inheritable returns true: submachines report to the same server.
func (t *Tracer) Inheritable() bool { return true }

// MachineInit starts observing m and queues its struct message.
func (t *Tracer) MachineInit(m *am.Machine) {
	if t.closed.Load() {
		return
	}
	ms := &machState{mach: m, seen: t.seen.Add(1)}
	ms.logs.max = t.opts.MaxLogsBefore
	ms.st.Store(newStruct(m))
	ms.removeSink = m.AddLogSink(&ms.logs)
	// a machine reusing a live machine's ID takes its place
	prev, replaced := t.machs.Swap(m.ID(), ms)
	if replaced {
		prev.(*machState).removeSink()
	}

	t.mu.Lock()
	if replaced {
		delete(t.dirty, prev.(*machState))
	} else {
		t.live++
	}
	t.dirty[ms] = struct{}{}
	t.startLocked()
	t.mu.Unlock()
	t.notify()
}

// SchemaChange queues m's new struct message.
func (t *Tracer) SchemaChange(m *am.Machine, _ am.Schema) {
	ms := t.state(m.ID())
	if ms == nil {
		return
	}
	ms.st.Store(newStruct(m))
	t.mu.Lock()
	t.dirty[ms] = struct{}{}
	t.mu.Unlock()
	t.notify()
}

// MachineDispose queues the machine's [DbgMsgDispose], or counts it as
// dropped when the queue is full, and stops observing the machine. Its
// transitions already queued are still sent, before the disposal: the
// machine calls this hook after its last TransitionEnd, and both use the
// same queue.
func (t *Tracer) MachineDispose(machineID string) {
	v, ok := t.machs.LoadAndDelete(machineID)
	if !ok {
		return
	}
	ms := v.(*machState)
	if !t.closed.Load() {
		// queued before the machine stops counting as live, so the sender
		// cannot go idle in between and leave the message behind
		t.enqueue(item{
			msg: &DbgMsgDispose{MachineID: machineID, Time: time.Now()},
			st:  ms.st.Load(),
		})
	}
	t.mu.Lock()
	t.live--
	delete(t.dirty, ms)
	t.mu.Unlock()
	t.notify()
}

// MutationQueued counts the mutation for [DbgMsgTx.QueueTick].
func (t *Tracer) MutationQueued(m *am.Machine, _ *am.Mutation, _ int) {
	if ms := t.state(m.ID()); ms != nil {
		ms.queueTick.Add(1)
	}
}

// BorrowsTransitions returns true: TransitionEnd encodes what it sends and
// keeps nothing of the record, so machines may reuse their records
// ([am.TransitionBorrower]).
func (t *Tracer) BorrowsTransitions() bool { return true }

// TracerHooks returns the hot path's hooks the tracer implements, so that
// machines skip the others ([am.HookFilter]).
func (t *Tracer) TracerHooks() am.TracerHooks {
	return am.HookTransitionEnd | am.HookMutationQueued | am.HookHandlerStart | am.HookHandlerEnd
}

// HandlerStart notes when the handler started, while a debugger is
// connected: with none, it costs the machine no clock read.
func (t *Tracer) HandlerStart(tx *am.Transition, _ string) {
	if !t.connected.Load() {
		return
	}
	if ms := t.state(tx.MachineID); ms != nil {
		ms.handlerStart = time.Now()
	}
}

// HandlerEnd records how long the handler ran, when HandlerStart timed it.
func (t *Tracer) HandlerEnd(tx *am.Transition, _ string) {
	if !t.connected.Load() {
		return
	}
	if ms := t.state(tx.MachineID); ms != nil && !ms.handlerStart.IsZero() {
		ms.durations = append(ms.durations, time.Since(ms.handlerStart))
		ms.handlerStart = time.Time{}
	}
}

// takeDurations returns the handler durations of the transition that
// ended, when every one of its n handlers was timed, and starts over for
// the next transition. The result is valid until the next handler ends.
func (ms *machState) takeDurations(n int) []time.Duration {
	d := ms.durations
	ms.durations, ms.handlerStart = ms.durations[:0], time.Time{}
	if len(d) != n || n == 0 {
		// a debugger connected or went away while the transition ran
		return nil
	}
	return d
}

// TransitionEnd encodes the transition's message and queues it, or counts
// it as dropped when the queue is full. It never blocks. A full queue is
// seen before encoding, so a tracer with no server to drain it (none
// started yet, or gone) costs little more than the count.
func (t *Tracer) TransitionEnd(tx *am.Transition) {
	ms := t.state(tx.MachineID)
	if ms == nil || t.closed.Load() {
		return
	}
	// a dry run or a refused mutation may end in any goroutine, between
	// or during transitions; the entries logged meanwhile belong to the
	// next transition that runs. Those of a dropped transition go with it.
	var before []am.LogEntry
	var durations []time.Duration
	if !tx.OffQueue() {
		before = ms.logs.take()
		durations = ms.takeDurations(tx.Handlers)
	}
	if len(t.queue) == cap(t.queue) {
		t.dropped.Add(1)
		return
	}
	msg := DbgMsgTx{
		MachineID:  tx.MachineID,
		ID:         tx.ID,
		Clocks:     tx.TimeAfter,
		QueueTick:  ms.queueTick.Load(),
		QueueLen:   tx.QueueLen,
		Type:       tx.Mutation.Type,
		Called:     tx.Mutation.Called,
		Auto:       tx.Mutation.Auto,
		CheckOnly:  tx.CheckOnly,
		Source:     tx.Mutation.Source,
		Steps:      tx.Steps,
		LogsBefore: before,
		Logs:       tx.Logs,
		Accepted:   tx.Accepted,
		Start:      tx.Start,
		End:        tx.End,
		// encoded below, before the next handler reuses the slice
		HandlerDurations: durations,
	}
	if len(tx.Mutation.Args) > 0 {
		msg.Args = tx.Machine.LoggableArgs(tx.Mutation.Args)
	}
	if tx.Err != nil {
		msg.Err = tx.Err.Error()
	}
	enc := t.getBuf()
	*enc = appendTxMsg((*enc)[:0], &msg)
	if !t.enqueue(item{enc: enc, machID: tx.MachineID, st: ms.st.Load()}) {
		t.release(enc)
	}
}

// startLocked starts the sender unless it runs or the tracer is closed.
func (t *Tracer) startLocked() {
	if !t.running && !t.closed.Load() {
		t.running = true
		t.wg.Go(t.run)
	}
}

// HandlerTimeout queues a [DbgMsgHandlerTimeout], or counts it as dropped
// when the queue is full. It runs in the machine's watchdog goroutine
// while the handler still runs, and reads only what the machine allows
// then: tx's ID and MachineID.
func (t *Tracer) HandlerTimeout(tx *am.Transition, handler string, elapsed time.Duration) {
	ms := t.state(tx.MachineID)
	if ms == nil || t.closed.Load() {
		return
	}
	t.enqueue(item{
		msg: &DbgMsgHandlerTimeout{
			MachineID: tx.MachineID, TxID: tx.ID, Handler: handler, Elapsed: elapsed, Time: time.Now(),
		},
		st: ms.st.Load(),
	})
}

// enqueue hands it to the sender, or counts it as dropped when the queue
// is full. It never blocks.
func (t *Tracer) enqueue(it item) bool {
	select {
	case t.queue <- it:
		t.enqueued.Add(1)
		return true
	default:
		t.dropped.Add(1)
		return false
	}
}

// maxPooledBuf bounds the buffers the pool keeps: a rare transition with
// large log entries should not hold its buffer for good.
const maxPooledBuf = 64 << 10

// getBuf returns an empty buffer for an encoded transition.
func (t *Tracer) getBuf() *[]byte {
	if b, ok := t.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

// release gives back the buffer of a transition that was sent or
// dropped; nil, for a message that came made, is ignored.
func (t *Tracer) release(b *[]byte) {
	if b != nil && cap(*b) <= maxPooledBuf {
		*b = (*b)[:0]
		t.bufs.Put(b)
	}
}

// Flush waits until every transition and dispose message queued before
// the call has reached the server or was dropped, and every machine's latest struct message has
// reached the server. With no server reachable it waits until ctx ends and
// returns ctx's error.
func (t *Tracer) Flush(ctx context.Context) error {
	f := &flusher{target: t.enqueued.Load(), done: make(chan struct{})}
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		return nil
	}
	t.flushers = append(t.flushers, f)
	t.mu.Unlock()
	t.notify()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("flush dbg messages to %s: %w", t.addr, ctx.Err())
	}
}

// Close flushes (see [Tracer.Flush]), detaches the tracer from every
// machine it observes and stops its goroutine. Messages still queued when
// ctx ends are dropped, so give ctx a deadline when the server may be
// gone or hang: Close then returns soon after the deadline, with ctx's
// error, closing the connection under a call still waiting for its
// answer. Close is idempotent. Disposing every observed machine stops the
// goroutine as well, without Close.
func (t *Tracer) Close(ctx context.Context) error {
	if t.closed.Swap(true) {
		return nil
	}
	err := t.Flush(ctx)
	t.machs.Range(func(id, v any) bool {
		ms := v.(*machState)
		if ms.mach != nil {
			// the machine may be disposed meanwhile, which detaches as well
			_ = ms.mach.DetachTracer(t)
			ms.removeSink()
		}
		t.machs.Delete(id)
		return true
	})
	t.stop()
	t.wg.Wait()
	return err
}

func (t *Tracer) state(machineID string) *machState {
	v, ok := t.machs.Load(machineID)
	if !ok {
		return nil
	}
	return v.(*machState)
}

// notify wakes the sender without blocking; one pending wake is enough.
func (t *Tracer) notify() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// newStruct describes m as it is now. It runs in the machine's goroutine,
// between transitions, so the clocks match the schema.
func newStruct(m *am.Machine) *DbgMsgStruct {
	msg := &DbgMsgStruct{
		MachineID:  m.ID(),
		ParentID:   m.ParentID(),
		Tags:       m.Tags(),
		StateNames: m.StateNames(),
		Schema:     m.Schema(),
		Clocks:     m.Time(nil),
	}
	if groups := m.Groups(); len(groups) > 0 {
		msg.Groups = groups
	}
	return msg
}
