package machine

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Event is what a handler receives.
type Event struct {
	// Machine is the machine running the handler.
	Machine *Machine
	// Name is the handler's state, or "Any" for AnyEnter and AnyExit.
	Name string
	// Args are the mutation's arguments. Handlers must not modify them.
	Args A

	tx   *Transition
	src  Source
	call uint64
}

// Transition returns the transition that runs the handler. It is valid
// until the handler returns: the machine may reuse the record for its next
// transition (see [TransitionBorrower]), so a goroutine the handler starts
// copies what it needs first, or keeps [Transition.Clone].
func (e *Event) Transition() *Transition { return e.tx }

// Ctx returns the handler's context. It is canceled when the handler
// returns, when the machine is disposed, and at the handler's deadline
// ([Opts.HandlerTimeout]), with [ErrHandlerTimeout] as its
// [context.Cause]. Pass it to blocking calls a handler cannot avoid; work
// that outlives the handler uses [Machine.NewStateCtx] instead. The first
// call makes the context, so handlers that do not ask pay nothing.
func (e *Event) Ctx() context.Context {
	if e == nil || e.Machine == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx
	}
	return e.Machine.handlerCtx(e.call)
}

// source links a mutation issued from this handler to its transition.
func (e *Event) source() Source {
	if e == nil {
		return Source{}
	}
	return e.src
}

func (m *Machine) newEvent(tx *Transition, state int, call uint64) *Event {
	name := anyState
	if state >= 0 {
		name = tx.index[state]
	}
	return &Event{Machine: m, Name: name, Args: tx.Mutation.Args, tx: tx, call: call,
		src: Source{MachineID: tx.MachineID, TxID: tx.ID}}
}

// handlerSet holds the handlers of one bound struct, by state index. The
// methods were resolved to typed funcs at bind time, so a call costs no
// reflection.
type handlerSet struct {
	enter, exit []func(*Event) bool
	state, end  []func(*Event)
	anyEnter    func(*Event) bool
	anyExit     func(*Event) bool
}

func (h *handlerSet) negotiation(kind, i int) func(*Event) bool {
	fns := h.enter
	if kind == kindExit {
		fns = h.exit
	}
	if i < len(fns) {
		return fns[i]
	}
	return nil
}

func (h *handlerSet) final(kind, i int) func(*Event) {
	fns := h.state
	if kind == kindEnd {
		fns = h.end
	}
	if i < len(fns) {
		return fns[i]
	}
	return nil
}

// BindHandlers binds the handler methods of structPtr, a non-nil pointer:
//
//	FooEnter(*Event) bool  negotiation: Foo is activating; false cancels
//	FooExit(*Event) bool   negotiation: Foo is deactivating; false cancels
//	FooState(*Event)       final: Foo activated
//	FooEnd(*Event)         final: Foo deactivated
//	AnyEnter(*Event) bool  negotiation, every transition, before enters
//	AnyExit(*Event) bool   negotiation, every transition, before exits
//
// Every exported method whose name ends in Enter, Exit, State or End must be
// one of these for a state of the schema: a wrong signature or an unknown
// state is an error, and nothing is bound. Several structs can be bound;
// their handlers run in bind order. Binding during a transition takes effect
// after it.
func (m *Machine) BindHandlers(structPtr any) error {
	v := reflect.ValueOf(structPtr)
	if !v.IsValid() || v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("%w: want a non-nil pointer, got %T", ErrHandlers, structPtr)
	}
	m.mu.Lock()
	c := m.schema
	disposing := m.disposing
	m.mu.Unlock()
	if disposing {
		return fmt.Errorf("bind handlers %T to %s: %w", structPtr, m.id, ErrDisposed)
	}
	n := len(c.names)
	h := &handlerSet{
		enter: make([]func(*Event) bool, n), exit: make([]func(*Event) bool, n),
		state: make([]func(*Event), n), end: make([]func(*Event), n),
	}
	t := v.Type()
	for k := range t.NumMethod() {
		method := t.Method(k).Name
		kind, state, ok := splitHandlerName(method)
		if !ok {
			continue
		}
		fn := v.Method(k).Interface()
		if state == anyState && (kind == kindEnter || kind == kindExit) {
			neg, ok := fn.(func(*Event) bool)
			if !ok {
				return badSignature(structPtr, method, fn, "func(*machine.Event) bool")
			}
			if kind == kindEnter {
				h.anyEnter = neg
			} else {
				h.anyExit = neg
			}
			continue
		}
		i, known := c.index[state]
		if !known {
			return fmt.Errorf("%w: %T.%s: %w %q", ErrHandlers, structPtr, method, ErrUnknownState, state)
		}
		switch kind {
		case kindEnter, kindExit:
			neg, ok := fn.(func(*Event) bool)
			if !ok {
				return badSignature(structPtr, method, fn, "func(*machine.Event) bool")
			}
			if kind == kindEnter {
				h.enter[i] = neg
			} else {
				h.exit[i] = neg
			}
		default:
			final, ok := fn.(func(*Event))
			if !ok {
				return badSignature(structPtr, method, fn, "func(*machine.Event)")
			}
			if kind == kindState {
				h.state[i] = final
			} else {
				h.end[i] = final
			}
		}
	}
	m.serialize(func() {
		m.mu.Lock()
		m.handlers = append(slices.Clip(m.handlers), h)
		m.mu.Unlock()
	})
	return nil
}

func badSignature(structPtr any, method string, fn any, want string) error {
	return fmt.Errorf("%w: %T.%s has signature %T, want %s", ErrHandlers, structPtr, method, fn, want)
}

// splitHandlerName splits "FooEnter" into kindEnter and "Foo". It reports
// false for names that are not handler names.
func splitHandlerName(method string) (kind int, state string, ok bool) {
	for k, suffix := range handlerSuffixes {
		if prefix, found := strings.CutSuffix(method, suffix); found {
			return k, prefix, true
		}
	}
	return 0, "", false
}
