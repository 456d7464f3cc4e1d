package main

// budgetMap holds values by machine ID within a byte budget. Setting a
// value past the budget forgets the least recently set ones first, through
// onEvict, so what a peer can make the debugger hold stays bounded however
// many machines it invents. The value set last is always kept, even alone
// over the budget. It is not safe for concurrent use.
type budgetMap[V any] struct {
	budget int
	// onEvict is called for each value forgotten to make room.
	onEvict func(id string, v V)

	items map[string]*budgetItem[V]
	// order lists the values set, least recent first; an entry whose
	// item was deleted or set again since is stale.
	order []budgetEntry
	seq   uint64
	size  int
}

type budgetItem[V any] struct {
	v    V
	size int
	seq  uint64
}

type budgetEntry struct {
	id  string
	seq uint64
}

func newBudgetMap[V any](budget int, onEvict func(id string, v V)) *budgetMap[V] {
	return &budgetMap[V]{budget: budget, onEvict: onEvict, items: map[string]*budgetItem[V]{}}
}

// get returns the value held for id.
func (b *budgetMap[V]) get(id string) (V, bool) {
	it := b.items[id]
	if it == nil {
		var zero V
		return zero, false
	}
	return it.v, true
}

// set holds v for id, costing size bytes, then evicts what the budget
// needs.
func (b *budgetMap[V]) set(id string, v V, size int) {
	b.delete(id)
	b.seq++
	b.items[id] = &budgetItem[V]{v: v, size: size, seq: b.seq}
	b.order = append(b.order, budgetEntry{id: id, seq: b.seq})
	b.size += size
	for b.size > b.budget && len(b.items) > 1 {
		e := b.order[0]
		b.order = b.order[1:]
		if it := b.items[e.id]; it != nil && it.seq == e.seq {
			b.delete(e.id)
			if b.onEvict != nil {
				b.onEvict(e.id, it.v)
			}
		}
	}
	b.compact()
}

// resize changes the cost of id's value, without evicting.
func (b *budgetMap[V]) resize(id string, size int) {
	if it := b.items[id]; it != nil {
		b.size += size - it.size
		it.size = size
	}
}

// delete forgets id's value, and reports whether there was one.
func (b *budgetMap[V]) delete(id string) (V, bool) {
	it := b.items[id]
	if it == nil {
		var zero V
		return zero, false
	}
	delete(b.items, id)
	b.size -= it.size
	return it.v, true
}

// each calls f for every value held, least recently set first.
func (b *budgetMap[V]) each(f func(id string, v V)) {
	for _, e := range b.order {
		if it := b.items[e.id]; it != nil && it.seq == e.seq {
			f(e.id, it.v)
		}
	}
}

// len returns how many values are held.
func (b *budgetMap[V]) len() int { return len(b.items) }

// compact drops stale order entries once they outnumber the current ones,
// so order stays proportional to what is held.
func (b *budgetMap[V]) compact() {
	if len(b.order) < 2*len(b.items)+64 {
		return
	}
	kept := make([]budgetEntry, 0, len(b.items))
	for _, e := range b.order {
		if it := b.items[e.id]; it != nil && it.seq == e.seq {
			kept = append(kept, e)
		}
	}
	b.order = kept
}
