// Package machine is a clock-based, multi-state, relational state machine.
// Import it as am:
//
//	import am "github.com/amkit-dev/amkit/pkg/machine"
//
// # Model
//
// A [Machine] holds a fixed set of named states (a [Schema]); many can be
// active at once. Each state has a clock that ticks on every activation and
// deactivation: odd means active. A mutation ([Machine.Add], [Machine.Remove],
// [Machine.Set]) is resolved against the relations into a [Transition]:
//
//  1. Resolution: the target set of states is computed and every decision
//     is recorded as a [Step].
//  2. Negotiation: AnyExit, the FooExit handlers of deactivating states,
//     AnyEnter, then the FooEnter handlers of activating states. Any of
//     them can cancel by returning false.
//  3. Commit: clocks tick, waiters and state contexts are released.
//  4. Final handlers: FooEnd of deactivated states, then FooState of
//     activated ones.
//
// Within a phase, handlers run in After order, then index order. The index
// is [Exception] first and the other states sorted by name, unless
// [Opts.Order] gives one.
//
// # Relations
//
//   - Add: activating X activates X.Add, transitively.
//   - Remove: activating X deactivates X.Remove.
//   - Require: X is only active while all of X.Require are.
//   - After: X's handlers run after those of X.After; nothing else.
//   - Auto: an inactive auto state activates by itself after any accepted
//     transition, in a follow-up transition marked auto, when its
//     requirements are active and no Remove relation links it to an active
//     state. Conflicting auto states: the lower index wins. An auto
//     transition never deactivates a state: a state it implies that would
//     remove an active one is dropped, and the auto state with it only if
//     it requires that state. In the auto transition, an auto state that
//     cannot be active (a requirement that fails, a lost Remove conflict)
//     is dropped like an implied state, and
//     one whose handler vetoes is left out and the others are tried again
//     in a new auto transition: the ready auto states that can activate
//     do. A vetoed auto state is tried again after the next accepted
//     transition. The caller's result and [Machine.LastCancel] describe
//     the caller's own transition; auto transitions are observable on their
//     own, through tracers and their steps. At most 10 accepted auto
//     transitions follow each other.
//   - Multi: adding an active multi state re-activates it: its clock moves
//     by 2 and its Enter and State handlers run again. Exception is multi.
//
// When relations disagree, what the mutation called beats what relations
// implied, which beats what was already active; between equals, the state
// that declares the Remove wins. So adding X deactivates an active Y that
// lists X in its Remove, too. Two called states that remove each other
// cancel the transition. An implied state that cannot be active (a missing
// requirement, a lost conflict) is dropped together with what it alone
// implied; a called state that cannot be active cancels the whole
// transition: a mutation is all or nothing. Removing a state also removes
// the active states that require it.
//
// # Queue
//
// One goroutine at a time runs a machine's transitions, so handlers never
// run concurrently. A mutation on an idle machine runs in the caller's
// goroutine and returns [Executed] or [Canceled]. A mutation made while a
// transition runs (from a handler, or from another goroutine) is queued in
// FIFO order and returns [Queued]; the goroutine running the queue drains
// it before returning. Auto transitions run right after the transition
// that enabled them, before queued mutations. Wait for queued work with
// [Machine.WhenQueueDone], [Machine.When] or [Machine.WhenTicks];
// [Machine.Eval] runs a function on the queue.
//
// Every wait ends no later than dispose or its ctx. A wait on a state the
// schema lacks ends at once and logs an error entry: its condition can
// never change (an unknown state is never active, so [Machine.WhenNot]
// holds, and [Machine.When] never would), and a channel that never closes
// would leak its reader.
//
// # Dry runs
//
// [Machine.CanAdd], [Machine.CanRemove] and [Machine.CanSet] resolve a
// mutation against the relations without running handlers, moving clocks
// or queueing; [Machine.Check] returns the reason a mutation would be
// canceled. Tracers see a check as a [Transition] with CheckOnly set.
//
// # Guards
//
// A handler that does not return blocks its machine, since Go cannot
// preempt it. Past [Opts.HandlerTimeout] ([DefaultHandlerTimeout] by
// default) the machine reports it while it hangs: an error [LogEntry]
// naming the machine, the transition and the handler, and
// [Tracer.HandlerTimeout]; its [Event.Ctx] is canceled. When it returns, a
// negotiation handler cancels its transition and a final handler adds
// [Exception], with errors wrapping [ErrHandlerTimeout]. One watchdog
// goroutine per machine does this, parked while no handler runs; a handler
// call costs a few atomic operations, no timer and no goroutine.
//
// The queue holds at most [Opts.QueueLimit] entries ([DefaultQueueLimit] by
// default). A mutation that finds it full is [Canceled] with [ErrQueueFull]
// at once, without blocking, and observable like any cancel:
// [Machine.LastCancel], the log, and a canceled record for tracers.
//
// # Errors
//
// Errors are a state: [Machine.AddErr] activates [Exception] with the error
// in its args, and a panic in a final handler does the same. A panic in a
// negotiation handler cancels the transition. A panic in a final handler
// of a transition that activates Exception is reported as an error
// [LogEntry], recorded on the transition, and not raised again, so a
// failing Exception handler cannot livelock the machine. Unknown states
// and mutations of a disposed machine cancel with an error wrapping
// [ErrUnknownState] or [ErrDisposed], reachable through
// [Machine.LastCancel], the transition's Err, and the log; nothing panics.
//
// # Observability
//
// A [Tracer] sees machines, transitions, handlers and the queue; telemetry
// exporters are tracers. Steps are always recorded, whatever the log level.
// Logs are structured [LogEntry] values sent to any number of [LogSink]s
// ([NewTextSink], [NewSlogSink], exporters). A machine's own output is
// [Opts.Logger], standard error by default; exporters add sinks next to it.
// Args reach logs and telemetry only when named in [Opts.LoggableArgs].
// Mutations made with the Ev* methods (for example [Machine.EvAdd]) record
// their source transition, to link cause and effect across machines.
// [Opts.Groups] name sets of states for debuggers and telemetry filters.
//
// # Cost
//
// Machines created from identical schemas (and index orders) share one
// compiled, immutable form of the schema, so an idle machine holds little
// more than its clocks. A transition allocates nothing while no tracer is
// bound or every bound tracer is a [TransitionBorrower]; mutations queue
// without allocating beyond their called states. A tracer that is a
// [HookFilter] gets only the hooks it implements: an exporter that needs
// TransitionEnd alone costs the machine one call per transition.
//
// # Submachines
//
// A machine created with [Opts.Parent] is a submachine: it inherits the
// parent's inheritable tracers, the parent's tracers see it through
// [Tracer.NewSubmachine], and it is disposed with its parent.
package machine
