package ui

// history is a machine's transitions, the newest limit of them, in a ring
// that never grows past limit: memory per machine stays bounded however
// long it runs.
type history struct {
	limit int
	ring  []*tx
	// head is the ring position of the oldest transition.
	head int
	// first is the seq of the oldest transition kept; next the seq the
	// next transition gets. next-first transitions are kept.
	first, next uint64
}

// push appends t, giving it the next seq, and evicts the oldest
// transition when the history is full.
func (h *history) push(t *tx) {
	t.seq = h.next
	h.next++
	if len(h.ring) < h.limit {
		if len(h.ring) == cap(h.ring) {
			// grow as append would, but never past the limit
			grown := make([]*tx, len(h.ring), min(max(2*cap(h.ring), 8), h.limit))
			copy(grown, h.ring)
			h.ring = grown
		}
		h.ring = append(h.ring, t)
		return
	}
	h.ring[h.head] = t
	h.head = (h.head + 1) % len(h.ring)
	h.first++
}

// len returns how many transitions are kept.
func (h *history) len() int { return int(h.next - h.first) }

// at returns the transition with the given seq, or nil when it was
// evicted or has not happened.
func (h *history) at(seq uint64) *tx {
	if seq < h.first || seq >= h.next {
		return nil
	}
	return h.ring[(h.head+int(seq-h.first))%len(h.ring)]
}
