package ui

import "github.com/amkit-dev/amkit/cmd/am-dbg/internal/store"

// rain is the state of the rain view: a cursor over every machine's
// transitions in the order they arrived. Positions are arrival numbers
// ([store.Arrival.N]), which stay put as transitions arrive and leave.
type rain struct {
	// cur is the cursor's transition and top the first row's, valid when
	// any is set.
	cur, top uint64
	any      bool
	// follow keeps the cursor on the newest transition.
	follow bool
}

// rainKeep returns the filter of the rain's rows, or nil when every
// transition shows.
func (m *Model) rainKeep() func(store.Arrival) bool {
	f := m.filter
	f.touching = ""
	if !f.on() {
		return nil
	}
	return func(a store.Arrival) bool { return f.keepKind(a.Tx) }
}

// refresh follows new transitions, and keeps the cursor on a shown one
// after transitions left or the filters changed. The caller holds the
// store's read lock.
func (r *rain) refresh(m *Model) {
	if r.follow {
		r.last(m)
		return
	}
	keep := m.rainKeep()
	if a := m.data.Arrivals(r.cur, -1, 1, keep); len(a) > 0 {
		r.cur = a[0].N
	} else {
		r.first(m)
	}
}

// last puts the cursor on the newest transition shown.
func (r *rain) last(m *Model) {
	if a := m.data.Arrivals(^uint64(0), -1, 1, m.rainKeep()); len(a) > 0 {
		r.cur, r.any = a[0].N, true
	} else {
		r.any = false
	}
}

// first puts the cursor on the oldest transition shown.
func (r *rain) first(m *Model) {
	if a := m.data.Arrivals(0, 1, 1, m.rainKeep()); len(a) > 0 {
		r.cur, r.any = a[0].N, true
	} else {
		r.any = false
	}
}

// step moves the cursor by delta shown transitions, and follows when it
// lands on the newest.
func (r *rain) step(m *Model, delta int) {
	if !r.any {
		return
	}
	keep := m.rainKeep()
	switch {
	case delta > 0:
		if a := m.data.Arrivals(r.cur+1, 1, delta, keep); len(a) > 0 {
			r.cur = a[len(a)-1].N
		}
	case delta < 0 && r.cur > 0:
		if a := m.data.Arrivals(r.cur-1, -1, -delta, keep); len(a) > 0 {
			r.cur = a[0].N
		}
	}
	r.follow = len(m.data.Arrivals(r.cur+1, 1, 1, keep)) == 0
}

// current returns the cursor's transition.
func (r *rain) current(m *Model) (store.Arrival, bool) {
	if !r.any {
		return store.Arrival{}, false
	}
	a := m.data.Arrivals(r.cur, 1, 1, m.rainKeep())
	if len(a) == 0 || a[0].N != r.cur {
		return store.Arrival{}, false
	}
	return a[0], true
}

// scroll keeps the cursor within rows visible rows.
func (r *rain) scroll(m *Model, rows int) {
	if !r.any || rows < 1 {
		return
	}
	if r.cur < r.top {
		r.top = r.cur
		return
	}
	keep := m.rainKeep()
	shown := m.data.Arrivals(r.top, 1, rows, keep)
	if len(shown) == 0 || shown[len(shown)-1].N < r.cur {
		r.top = m.data.Arrivals(r.cur, -1, rows, keep)[0].N
	}
	if len(shown) < rows {
		// the newest are on screen: fill it from above
		if newest := m.data.Arrivals(^uint64(0), -1, rows, keep); len(newest) > 0 {
			r.top = min(r.top, newest[0].N)
		}
	}
}
