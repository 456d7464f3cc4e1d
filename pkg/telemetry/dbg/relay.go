package dbg

import (
	"context"
	"sync"
	"unsafe"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// RelayMaxQueueBytes bounds the messages a [Relay] holds queued, by an
// estimate of their memory. A server slower than what the relay is given
// makes it drop messages past this, and count them, instead of holding
// them: 4096 large transitions could otherwise hold gigabytes.
const RelayMaxQueueBytes = 64 << 20

// RelayMaxStructBytes bounds the struct messages a [Relay] holds to send
// again on each new connection, by [DbgMsgStruct.MemSize]. Past it, the
// machines described first are forgotten: their later messages still go
// on, without their struct message on a new connection.
const RelayMaxStructBytes = 16 << 20

// Relay sends messages that came from elsewhere on to a server, the way a
// [Tracer] sends its machines': a goroutine batches them, reconnects with
// backoff, and sends the struct message of every machine it holds again
// on each new connection, so a server started late still learns every
// schema. Sending never blocks: what does not fit the queue is dropped
// and counted ([Relay.Dropped]). am-dbg's --fwd relays what it receives
// to other debuggers.
//
// Batches carry the relay's own client ID, which starts with
// [RelayClientIDPrefix], and its drop count; the original clients' are
// not passed on. A machine ID sent by two clients is one machine to the
// relay. A debugger relaying what it receives should skip batches of
// relayed client IDs, so that debuggers relaying to each other make no
// loop.
type Relay struct {
	t *Tracer

	// mu serializes Send, so a machine's messages keep their order.
	mu sync.Mutex
	// held are the machines whose struct messages the relay holds, with
	// their sizes; order lists them as first described.
	held  map[string]int
	order []string
	size  int
}

// RelayClientIDPrefix starts the client ID of every [Relay].
const RelayClientIDPrefix = "relay-"

// NewRelay returns a relay sending to the server at addr ("" means
// [DefaultAddr]). opts may be nil; [Opts.MaxLogsBefore] does not apply.
// Nothing is dialed until there is something to send.
func NewRelay(addr string, opts *Opts) *Relay {
	t := NewTracer(addr, opts)
	t.persistent = true
	t.clientID = RelayClientIDPrefix + t.clientID
	return &Relay{t: t, held: map[string]int{}}
}

// Addr returns the server address the relay sends to.
func (r *Relay) Addr() string { return r.t.addr }

// Dropped returns how many messages other than struct messages never
// reached the server, as [Tracer.Dropped] counts them.
func (r *Relay) Dropped() uint64 { return r.t.Dropped() }

// Send queues msgs, in order, and returns at once. A message is kept until
// it is sent; its sender must not change it afterwards.
func (r *Relay) Send(msgs ...DbgMsg) {
	if r.t.closed.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		switch m := m.(type) {
		case *DbgMsgStruct:
			r.describe(m)
		case *DbgMsgDispose:
			r.forget(m.MachineID)
			r.enqueue(m, r.t.state(m.MachineID))
			r.t.machs.Delete(m.MachineID)
		default:
			r.enqueue(m, r.t.state(m.MachID()))
		}
	}
	r.t.notify()
}

// describe holds m as its machine's latest struct message, for the next
// message of the machine and for every new connection.
func (r *Relay) describe(m *DbgMsgStruct) {
	t := r.t
	ms := t.state(m.MachineID)
	fresh := ms == nil
	if fresh {
		ms = &machState{seen: t.seen.Add(1)}
		t.machs.Store(m.MachineID, ms)
	}
	ms.st.Store(m)
	r.size -= r.held[m.MachineID]
	if _, ok := r.held[m.MachineID]; !ok {
		r.order = append(r.order, m.MachineID)
	}
	r.held[m.MachineID] = m.MemSize()
	r.size += r.held[m.MachineID]
	t.mu.Lock()
	if fresh {
		t.live++
	}
	t.dirty[ms] = struct{}{}
	t.startLocked()
	t.mu.Unlock()
	for r.size > RelayMaxStructBytes && len(r.order) > 1 {
		id := r.order[0]
		r.order = r.order[1:]
		if id != m.MachineID {
			r.forget(id)
			t.machs.Delete(id)
		}
	}
}

// forget stops holding the machine's struct message.
func (r *Relay) forget(id string) {
	size, ok := r.held[id]
	if !ok {
		return
	}
	delete(r.held, id)
	r.size -= size
	ms := r.t.state(id)
	if ms == nil {
		return
	}
	r.t.mu.Lock()
	r.t.live--
	delete(r.t.dirty, ms)
	r.t.mu.Unlock()
}

// enqueue queues a message of the machine ms, which may be nil, within
// RelayMaxQueueBytes.
func (r *Relay) enqueue(m DbgMsg, ms *machState) {
	it := item{msg: m, size: msgMemSize(m)}
	if ms != nil {
		it.st = ms.st.Load()
	}
	if r.t.queuedBytes.Add(int64(it.size)) > RelayMaxQueueBytes {
		r.t.queuedBytes.Add(-int64(it.size))
		r.t.dropped.Add(1)
		return
	}
	if !r.t.enqueue(it) {
		r.t.queuedBytes.Add(-int64(it.size))
	}
	r.t.mu.Lock()
	r.t.startLocked()
	r.t.mu.Unlock()
}

// Flush waits until every message queued before the call has reached the
// server or was dropped, as [Tracer.Flush].
func (r *Relay) Flush(ctx context.Context) error { return r.t.Flush(ctx) }

// Close flushes, then stops the relay's goroutine, as [Tracer.Close]:
// messages still queued when ctx ends are dropped.
func (r *Relay) Close(ctx context.Context) error { return r.t.Close(ctx) }

// msgMemSize approximates the memory of a message, for
// RelayMaxQueueBytes.
func msgMemSize(m DbgMsg) int {
	const str = int(unsafe.Sizeof(""))
	switch m := m.(type) {
	case *DbgMsgTx:
		n := int(unsafe.Sizeof(*m)) + len(m.MachineID) + len(m.Err) + len(m.Source.MachineID) +
			8*len(m.Clocks) + 8*len(m.Called) + int(unsafe.Sizeof(am.Step{}))*len(m.Steps)
		for k, v := range m.Args {
			n += 2*str + len(k) + len(v) + 16
		}
		for _, s := range m.Steps {
			n += len(s.Handler)
		}
		for _, logs := range [...][]am.LogEntry{m.LogsBefore, m.Logs} {
			for _, e := range logs {
				n += int(unsafe.Sizeof(e)) + len(e.Text) + len(e.MachineID) + str*len(e.States)
			}
		}
		return n
	case *DbgMsgHandlerTimeout:
		return int(unsafe.Sizeof(*m)) + len(m.MachineID) + len(m.Handler)
	case *DbgMsgDispose:
		return int(unsafe.Sizeof(*m)) + len(m.MachineID)
	case *DbgMsgStruct:
		return m.MemSize()
	}
	return 0
}

// MemSize approximates the memory m holds, in bytes, for budgets over
// struct messages such as [RelayMaxStructBytes].
func (m *DbgMsgStruct) MemSize() int {
	const str = int(unsafe.Sizeof(""))
	n := int(unsafe.Sizeof(*m)) + len(m.MachineID) + len(m.ParentID) + 8*len(m.Clocks)
	strs := func(ss []string) {
		for _, s := range ss {
			n += str + len(s)
		}
	}
	strs(m.Tags)
	strs(m.StateNames)
	for name, st := range m.Schema {
		n += str + len(name) + int(unsafe.Sizeof(am.State{})) + 16
		for _, rel := range [...]am.S{st.Require, st.Add, st.Remove, st.After, st.Tags} {
			strs(rel)
		}
	}
	for name, ss := range m.Groups {
		n += 2*str + len(name) + 16
		strs(ss)
	}
	return n
}
