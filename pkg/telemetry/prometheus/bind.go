package amprom

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"

	am "github.com/amkit-dev/amkit/pkg/machine"
	"github.com/amkit-dev/amkit/pkg/telemetry/drops"
)

// maxPushTimeout bounds one push, so that a Pushgateway that accepts
// connections but never answers cannot hold the push loop for a whole
// (possibly long) interval.
const maxPushTimeout = 10 * time.Second

// binding is a destination of the series sets: a registry or a pusher.
// Metrics calls it with its lock held.
type binding interface {
	// register adds a new series set.
	register(g *group) error
	// unregister removes the series set of a disposed machine.
	unregister(g *group)
	// end removes every series set: the metrics have ended.
	end(groups []*group)
}

// BindToRegistry registers the series of every observed machine in reg,
// and keeps registering those of submachines created later. It returns an
// error, and registers nothing, when reg rejects a series set: typically
// a [prometheus.AlreadyRegisteredError] because another machine with the
// same ID is registered already. A submachine rejected later is reported
// to [Opts.ErrorHandler].
func (m *Metrics) BindToRegistry(reg prometheus.Registerer) error {
	if reg == nil {
		return errors.New("amprom: bind to a nil registry")
	}
	if err := m.bind(&registryBinding{reg: reg}); err != nil {
		return err
	}
	if err := registerDropped(reg); err != nil {
		return fmt.Errorf("amprom: register %s: %w", MetricDropped, err)
	}
	return nil
}

// BindToPusher pushes the series of every observed machine with p once per
// interval, replacing what p's grouping key held (HTTP PUT), until the
// observed machine is disposed; a last push then delivers the final values,
// which the Pushgateway keeps. A machine disposed earlier is pushed once
// more, then dropped. Failed pushes are counted (see
// [Metrics.PushFailures], and [MetricDropped] with exporter="pushgateway")
// and reported to [Opts.ErrorHandler]; nothing queues up while the
// Pushgateway is down. p must not be bound twice. Make p with [NewPusher],
// whose HTTP client bounds what a misbehaving gateway can cost.
//
// The pushed registry also holds [MetricDropped].
func (m *Metrics) BindToPusher(p *push.Pusher) error {
	if p == nil {
		return errors.New("amprom: bind to a nil pusher")
	}
	b := &pushBinding{
		m:       m,
		reg:     prometheus.NewRegistry(),
		pusher:  p,
		timeout: min(m.opts.Interval, maxPushTimeout),
		stop:    make(chan struct{}),
	}
	if err := m.bind(b); err != nil {
		return err
	}
	if err := registerDropped(b.reg); err != nil {
		return fmt.Errorf("amprom: register %s: %w", MetricDropped, err)
	}
	b.unregisterDrops = drops.Register(drops.Pushgateway, b.failures.Load)
	p.Gatherer(b.reg)
	go b.run()
	return nil
}

func (m *Metrics) bind(b binding) error {
	if m.err != nil {
		return m.err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ended {
		return fmt.Errorf("amprom: bind metrics of %s: %w", m.root.ID(), am.ErrDisposed)
	}
	groups := make([]*group, 0, len(m.groups))
	for _, g := range m.groups {
		groups = append(groups, g)
	}
	// a stable order, so that the same conflict always gives the same error
	slices.SortFunc(groups, func(a, b *group) int { return cmp.Compare(a.label, b.label) })
	for i, g := range groups {
		if err := b.register(g); err != nil {
			for _, done := range groups[:i] {
				b.unregister(done)
			}
			return fmt.Errorf("amprom: register series of %s=%q: %w", g.labelName, g.label, err)
		}
	}
	m.bindings = append(m.bindings, b)
	return nil
}

type registryBinding struct{ reg prometheus.Registerer }

func (r *registryBinding) register(g *group) error { return r.reg.Register(g) }

func (r *registryBinding) unregister(g *group) { r.reg.Unregister(g) }

func (r *registryBinding) end(groups []*group) {
	for _, g := range groups {
		r.reg.Unregister(g)
	}
}

// pushBinding pushes a registry of its own, which holds the series sets of
// the metrics.
type pushBinding struct {
	m       *Metrics
	reg     *prometheus.Registry
	pusher  *push.Pusher
	timeout time.Duration
	stop    chan struct{}
	// failures counts this pusher's failed pushes, in package drops until
	// unregisterDrops.
	failures        atomic.Uint64
	unregisterDrops func()

	mu sync.Mutex
	// removed are sets of disposed machines, unregistered after the next
	// push so that their final values get delivered.
	removed []*group
}

func (p *pushBinding) register(g *group) error {
	p.mu.Lock()
	// a new machine may reuse the ID of one whose set waits for its last
	// push; the new one takes over
	p.removed = slices.DeleteFunc(p.removed, func(old *group) bool {
		if old.key() != g.key() {
			return false
		}
		p.reg.Unregister(old)
		return true
	})
	p.mu.Unlock()
	return p.reg.Register(g)
}

func (p *pushBinding) unregister(g *group) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.removed = append(p.removed, g)
}

func (p *pushBinding) end([]*group) { close(p.stop) }

// run pushes once per interval until the metrics end, then pushes once more.
func (p *pushBinding) run() {
	t := time.NewTicker(p.m.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.push()
		case <-p.stop:
			p.push()
			p.unregisterDrops()
			return
		}
	}
}

func (p *pushBinding) push() {
	p.mu.Lock()
	removed := p.removed
	p.removed = nil
	p.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	err := p.pusher.PushContext(ctx)
	cancel()
	if err != nil {
		p.m.pushFailures.Add(1)
		p.failures.Add(1)
		p.m.report(fmt.Errorf("amprom: push metrics of %s: %w", p.m.root.ID(), err))
	}
	// dropped even when the push failed: holding them for a Pushgateway
	// that stays down would grow without bound with machines that come
	// and go
	for _, g := range removed {
		p.reg.Unregister(g)
	}
}
