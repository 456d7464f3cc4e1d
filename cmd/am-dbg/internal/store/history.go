package store

// History is a machine's kept transitions, oldest first, in a ring that
// grows to at most the store's history limit and shrinks as the memory
// budget evicts from its front. Its methods need the store's read lock.
type History struct {
	limit int
	// ring holds the transitions from head on, wrapping around.
	ring []*Tx
	// head is the ring position of the oldest transition.
	head int
	// first is the seq of the oldest transition kept; next the seq the
	// next transition gets. next-first transitions are kept.
	first, next uint64
}

// Len returns how many transitions are kept.
func (h *History) Len() int { return int(h.next - h.first) }

// First returns the seq of the oldest kept transition: how many of the
// machine's transitions were evicted.
func (h *History) First() uint64 { return h.first }

// Next returns the seq the next transition will get: how many
// transitions the machine ran, evicted ones included.
func (h *History) Next() uint64 { return h.next }

// At returns the transition with the given seq, or nil when it was
// evicted or has not happened.
func (h *History) At(seq uint64) *Tx {
	if seq < h.first || seq >= h.next {
		return nil
	}
	return h.ring[(h.head+int(seq-h.first))%len(h.ring)]
}

// push appends t, giving it the next seq. It returns the transition
// evicted to stay within the limit, or nil.
func (h *History) push(t *Tx) (evicted *Tx) {
	if h.Len() == h.limit {
		evicted = h.popFront()
	}
	n := h.Len()
	if n == len(h.ring) {
		// grow as append would, but never past the limit
		h.resize(min(max(2*len(h.ring), 8), h.limit))
	}
	t.Seq = h.next
	h.ring[(h.head+n)%len(h.ring)] = t
	h.next++
	return evicted
}

// popFront removes the oldest transition and returns it. The caller makes
// sure there is one.
func (h *History) popFront() *Tx {
	t := h.ring[h.head]
	h.ring[h.head] = nil
	h.head = (h.head + 1) % len(h.ring)
	h.first++
	return t
}

// shrink halves the ring while a quarter or less of it is in use, so a
// history the budget emptied does not keep its slots.
func (h *History) shrink() {
	for len(h.ring) > 8 && h.Len() <= len(h.ring)/4 {
		h.resize(len(h.ring) / 2)
	}
}

// clear drops every transition, keeping the seqs.
func (h *History) clear() {
	h.ring, h.head, h.first = nil, 0, h.next
}

// resize moves the kept transitions to a ring of n slots, oldest first.
func (h *History) resize(n int) {
	ring := make([]*Tx, n)
	for i := range h.Len() {
		ring[i] = h.ring[(h.head+i)%len(h.ring)]
	}
	h.ring, h.head = ring, 0
}
