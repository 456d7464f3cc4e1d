package amtele

import (
	"context"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	am "github.com/amkit-dev/amkit/pkg/machine"
)

// stableTxNames are the transition span names of
// [OtelMachTracerOpts.StableNames], by am.MutationType.
var stableTxNames = [...]string{
	am.MutationAdd:    "[" + am.MutationAdd.String() + "]",
	am.MutationRemove: "[" + am.MutationRemove.String() + "]",
	am.MutationSet:    "[" + am.MutationSet.String() + "]",
}

// mutationAttrs are the mutation type attributes, by am.MutationType.
var mutationAttrs = [...]attribute.KeyValue{
	am.MutationAdd:    AttrMutation.String(am.MutationAdd.String()),
	am.MutationRemove: AttrMutation.String(am.MutationRemove.String()),
	am.MutationSet:    AttrMutation.String(am.MutationSet.String()),
}

// runningTx is the transition between its TransitionInit and
// TransitionEnd hooks.
type runningTx struct {
	// id is the transition's ID: its record may be reused by the next one.
	id uint64
	// mg is the generation the transition began in, which gets its span
	// and the activations it begins.
	mg *machGen
	// span is nil when the transition is not traced; ctx parents its
	// handler spans.
	span trace.Span
	ctx  context.Context
	name txName
}

// transitionInit counts the transition and starts its span, unless a
// filter that needs no outcome leaves it out. The span starts now rather
// than when the outcome is known, so that other exporters can name it while
// the transition runs (see [TransitionSpanner]); a filter that decides on
// the outcome drops it at the end by never ending it.
//
// Links are given at start, where samplers see them. Attributes are set at
// the end, when they are known; the SDK copies start attributes twice
// anyway, and sampling decisions are made on the root mach:ID spans, which
// get theirs at start.
func (ms *machState) transitionInit(tx *am.Transition) {
	ms.tree.countTx(tx.Start, time.Now())
	ms.run = runningTx{id: tx.ID, mg: ms.current()}
	if !ms.tracedAtInit(tx) {
		return
	}
	name := ms.txName(tx)
	links := ms.sourceLink(tx.Mutation.Source, ms.links[:0])
	ctx, span := ms.startAt(ms.run.mg.transitions, name.name, tx.Start, links)
	ms.links = links[:0]
	ms.run.span, ms.run.ctx, ms.run.name = span, ctx, name
	ms.linkMu.Lock()
	ms.running = txRef{id: tx.ID, sc: span.SpanContext()}
	ms.linkMu.Unlock()
}

// transitionEnd ends the span of a transition that just ended, with its
// handlers, or drops it when a filter leaves the transition out, and emits
// the activations the transition ended.
func (ms *machState) transitionEnd(tx *am.Transition) {
	if ms.run.id != tx.ID {
		// a tracer bound while tx ran missed its TransitionInit
		ms.transitionInit(tx)
	}
	run := ms.run
	ms.run = runningTx{}
	var sc trace.SpanContext
	if run.span != nil && ms.keptAtEnd(tx) {
		ms.endTransition(&run, tx)
		sc = run.span.SpanContext()
	}
	ms.linkMu.Lock()
	ms.endedLocked(tx.ID, sc)
	ms.linkMu.Unlock()
	ms.handlersTx = 0
	if tx.Accepted {
		ms.updateActivations(run.mg, tx)
	}
}

// tracedAtInit reports whether the options that need no outcome let tx
// have a span.
func (ms *machState) tracedAtInit(tx *am.Transition) bool {
	switch {
	case ms.t.opts.SkipTransitions:
		return false
	case ms.skipsStates && len(tx.Mutation.Called) > 0:
		// a mutation of skipped states only is as noisy as they are
		return slices.ContainsFunc(tx.Mutation.Called, func(i int) bool {
			return i < len(ms.states) && !ms.states[i].skip
		})
	}
	return true
}

// keptAtEnd reports whether the options that need the outcome keep the
// span of tx.
func (ms *machState) keptAtEnd(tx *am.Transition) bool {
	o := &ms.t.opts
	switch {
	case o.SkipCanceled && !tx.Accepted:
		return false
	case o.SkipEmpty && tx.Accepted && !changedClocks(tx):
		return false
	}
	return true
}

func changedClocks(tx *am.Transition) bool {
	for i, c := range tx.TimeAfter {
		if c != tx.TimeBefore[i] {
			return true
		}
	}
	return false
}

// endTransition sets the attributes and status of the transition span,
// emits its handler spans and ends it.
func (ms *machState) endTransition(run *runningTx, tx *am.Transition) {
	span := run.span
	span.SetAttributes(ms.txAttrs(tx, run.name)...)
	if code, desc, typ := ms.txStatus(tx); code != codes.Unset {
		span.SetStatus(code, desc)
		span.SetAttributes(typ)
	}
	for _, h := range ms.txHandlers(tx) {
		if ms.skippedHandlers[h.name] {
			continue
		}
		_, hs := ms.startAt(run.ctx, h.name, h.start, nil)
		if h.canceled {
			hs.SetAttributes(ms.canceledAttrs...)
		} else {
			hs.SetAttributes(ms.idAttrs...)
		}
		switch {
		case h.panicked:
			hs.SetStatus(codes.Error, "handler panicked")
			hs.SetAttributes(errTypeHandlerPanic)
		case h.timedOut:
			hs.SetStatus(codes.Error, "handler timed out")
			hs.SetAttributes(errTypeHandlerTimeout)
		}
		ms.endAt(hs, h.end)
	}
	ms.endAt(span, tx.End)
}

// sourceLink appends a link to the span of the transition that issued the
// mutation, running or ended, if it has one. A running source that a filter
// drops at its end leaves the link pointing at a span never exported.
func (ms *machState) sourceLink(src am.Source, links []trace.Link) []trace.Link {
	if src.IsZero() {
		return links
	}
	srcState := ms
	if src.MachineID != ms.id {
		if srcState = ms.t.byMachineID(src.MachineID); srcState == nil {
			return links
		}
	}
	if sc, ok := srcState.txSpan(src.TxID); ok {
		links = append(links, trace.Link{SpanContext: sc, Attributes: linkSourceAttrs})
	}
	return links
}

// txAttrs builds the transition span's attributes into a scratch buffer,
// which the span copies when it starts.
func (ms *machState) txAttrs(tx *am.Transition, name txName) []attribute.KeyValue {
	mut := &tx.Mutation
	attrs := append(ms.attrs[:0],
		ms.idAttr,
		AttrTxID.Int64(int64(tx.ID)),
		name.called,
		AttrQueueLen.Int(tx.QueueLen),
	)
	if int(mut.Type) < len(mutationAttrs) {
		attrs = append(attrs, mutationAttrs[mut.Type])
	}
	if tx.Accepted {
		attrs = append(attrs, acceptedAttr)
	} else {
		attrs = append(attrs, canceledAttr)
		if tx.Err != nil {
			attrs = append(attrs, AttrCancelReason.String(tx.Err.Error()))
		}
	}
	if mut.Auto {
		attrs = append(attrs, autoAttr)
	}
	if !mut.Source.IsZero() {
		attrs = append(attrs,
			AttrSourceMachineID.String(mut.Source.MachineID),
			AttrSourceTxID.Int64(int64(mut.Source.TxID)))
	}
	if len(mut.Args) > 0 {
		for k, v := range tx.Machine.LoggableArgs(mut.Args) {
			attrs = append(attrs, ms.argKey(k).String(v))
		}
	}
	if clocks := ms.clocksText(tx); clocks != "" {
		attrs = append(attrs, AttrClocks.String(clocks))
	}
	ms.attrs = attrs[:0]
	return attrs
}

// clocksText formats the clocks of the states tx touched, as AttrClocks
// shows them.
func (ms *machState) clocksText(tx *am.Transition) string {
	buf := ms.clocks[:0]
	for i := range min(len(ms.states), len(tx.TimeAfter)) {
		if ms.states[i].skip || !tx.IsTouched(i) {
			continue
		}
		if len(buf) > 0 {
			buf = append(buf, ' ')
		}
		buf = append(buf, ms.states[i].name...)
		buf = append(buf, '=')
		buf = strconv.AppendUint(buf, tx.TimeAfter[i], 10)
	}
	ms.clocks = buf
	return string(buf)
}

func (ms *machState) argKey(name string) attribute.Key {
	k, ok := ms.argKeys[name]
	if !ok {
		k = attribute.Key(AttrArgPrefix + name)
		ms.argKeys[name] = k
	}
	return k
}

// updateActivations ends the activations that tx ended (deactivations and
// Multi re-activations) and opens the ones it began in generation mg. Both
// ends are stamped with the transition's start.
func (ms *machState) updateActivations(mg *machGen, tx *am.Transition) {
	for i := range min(len(ms.states), len(tx.TimeAfter)) {
		before, after := tx.TimeBefore[i], tx.TimeAfter[i]
		st := &ms.states[i]
		if before == after || st.skip {
			continue
		}
		if st.act.open {
			ms.endActivation(i, tx.Start)
		}
		if after%2 == 1 {
			st.act = activation{open: true, gen: mg, start: tx.Start, tick: after}
			if i == ms.exception {
				st.act.err, st.act.errType = exceptionError(tx)
			}
		}
	}
}

// endActivation emits the open activation of state i, ended at end.
//
// An activation carries only the machine ID and its tick: its name is the
// state, and it starts and ends with the starts of its transitions, which
// sit next to it in the trace. Links or more attributes would cost more
// than the rest of the span.
func (ms *machState) endActivation(i int, end time.Time) {
	st := &ms.states[i]
	a := st.act
	st.act = activation{}

	_, span := ms.startAt(a.gen.group(ms, i), st.name, a.start, nil)
	attrs := append(ms.attrs[:0], ms.idAttr, AttrTick.Int64(int64(a.tick)))
	span.SetAttributes(attrs...)
	ms.attrs = attrs[:0]
	if i == ms.exception {
		span.SetStatus(codes.Error, a.err)
		span.SetAttributes(a.errType)
	}
	ms.endAt(span, end)
}

// txNameKey identifies a mutation's span name without building it: the
// type and up to four called states cover nearly every mutation.
type txNameKey struct {
	typ    am.MutationType
	n      uint8
	called [4]uint16
}

// txName is a cached transition span name with its called-states attribute.
type txName struct {
	name   string
	called attribute.KeyValue
}

// maxTxNames bounds the name cache of a machine whose mutations call many
// different combinations of states.
const maxTxNames = 256

// txName returns the span name, such as "[add] Foo Bar", and the called
// states attribute, from a cache when the mutation is a common one.
func (ms *machState) txName(tx *am.Transition) txName {
	mut := &tx.Mutation
	key, cacheable := txNameKey{typ: mut.Type, n: uint8(len(mut.Called))}, len(mut.Called) <= 4
	if cacheable {
		for k, i := range mut.Called {
			if i > 0xffff {
				cacheable = false
				break
			}
			key.called[k] = uint16(i)
		}
	}
	if cacheable {
		if n, ok := ms.txNames[key]; ok {
			return n
		}
	}
	n := txName{called: AttrCalled.StringSlice(tx.CalledStates())}
	if ms.t.opts.StableNames && int(mut.Type) < len(stableTxNames) && stableTxNames[mut.Type] != "" {
		n.name = stableTxNames[mut.Type]
	} else {
		n.name = mut.String(tx.StateNames())
	}
	if cacheable && len(ms.txNames) < maxTxNames {
		ms.txNames[key] = n
	}
	return n
}
