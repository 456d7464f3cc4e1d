package store

// budget accounts the store's memory and evicts to stay within it. A
// message is accounted once, when it arrives, by an estimate of what it
// and the store's records of it take on the heap (see size.go); the
// estimate errs on the large side.
//
// Over the budget, the store evicts, first to last:
//   - disposed machines, those disposed first going first: nothing more
//     will come of them;
//   - the oldest transitions, across all machines, in the order they
//     arrived;
//   - machines, the first heard of going first, once no transitions are
//     left: so the number of machines is bounded too.
type budget struct {
	bytes int64
	txs   int
	// arrivals lists the kept transitions in the order they arrived, from
	// arrHead on. Entries of transitions that left otherwise (the history
	// limit, a machine's eviction) are stale, and skipped; stale counts
	// them, so the list is compacted before they dominate it.
	arrivals []arrival
	arrHead  int
	stale    int
	// arrived counts the transitions that ever arrived.
	arrived uint64
	// disposedQ lists machines in the order they were disposed, from
	// dispHead on, each at most once; entries of machines reused since
	// are skipped.
	disposedQ []*Machine
	dispHead  int

	evictedTxs, evictedMachines, trimmedTxs uint64
}

// arrival is a transition in arrival order: the n-th to arrive in the
// store, seq in its machine's history.
type arrival struct {
	m   *Machine
	seq uint64
	n   uint64
}

// Stats describe the store's memory and what it evicted.
type Stats struct {
	// Bytes is the memory accounted now; MaxBytes the budget.
	Bytes, MaxBytes int64
	// Machines and Transitions are what the store keeps now.
	Machines, Transitions int
	// EvictedTransitions and EvictedMachines count what the budget
	// evicted.
	EvictedTransitions, EvictedMachines uint64
	// TrimmedTransitions counts transitions that left because their
	// machine reached the history limit.
	TrimmedTransitions uint64
}

// Stats returns the store's memory figures. It needs the read lock.
func (s *Store) Stats() Stats {
	return Stats{
		Bytes: s.bytes, MaxBytes: s.max, Machines: len(s.machs), Transitions: s.txs,
		EvictedTransitions: s.evictedTxs, EvictedMachines: s.evictedMachines, TrimmedTransitions: s.trimmedTxs,
	}
}

// resizeMachine accounts the machine's own data again after it changed.
func (s *Store) resizeMachine(m *Machine) {
	if m.evicted {
		return
	}
	n := machineBytes(m)
	s.bytes += n - m.size
	m.size = n
}

// replaceSchema makes sch the machine's current schema. The old version
// lives on while a kept transition refers to it, the newest doing so
// last: its size moves to that transition, and leaves with it.
func (s *Store) replaceSchema(m *Machine, sch *Schema) {
	old := m.sch
	m.sch = sch
	if h := &m.hist; h.Len() > 0 {
		if t := h.At(h.next - 1); t.Schema == old || t.BeforeSchema == old {
			t.size += old.size
			m.size -= old.size
		}
	}
	s.resizeMachine(m)
}

// pushTx appends t to m's history.
func (s *Store) pushTx(m *Machine, t *Tx) {
	if old := m.hist.push(t); old != nil {
		s.bytes -= old.size
		s.txs--
		s.stale++
		s.trimmedTxs++
	}
	s.bytes += t.size
	s.txs++
	s.arrivals = append(s.arrivals, arrival{m: m, seq: t.Seq, n: s.arrived})
	s.arrived++
	s.compactArrivals()
}

// enforce evicts until the store is within its budget.
func (s *Store) enforce() {
	for s.bytes > s.max && s.evictOne() {
	}
}

// evictOne evicts the next thing in the order the budget gives, and
// reports whether there was anything left to evict.
func (s *Store) evictOne() bool {
	for s.dispHead < len(s.disposedQ) {
		m := s.disposedQ[s.dispHead]
		s.disposedQ[s.dispHead] = nil
		s.dispHead++
		if s.dispHead == len(s.disposedQ) {
			s.disposedQ, s.dispHead = s.disposedQ[:0], 0
		}
		m.queued = false
		if m.disposed && !m.evicted {
			s.evictMachine(m)
			return true
		}
	}
	for s.arrHead < len(s.arrivals) {
		a := s.arrivals[s.arrHead]
		s.arrivals[s.arrHead] = arrival{}
		s.arrHead++
		if a.m.evicted || a.seq < a.m.hist.first {
			s.stale--
			continue
		}
		t := a.m.hist.popFront()
		a.m.hist.shrink()
		s.bytes -= t.size
		s.txs--
		s.evictedTxs++
		s.resizeMachine(a.m)
		s.compactArrivals()
		return true
	}
	for s.front < len(s.order) {
		if m := s.order[s.front]; m != nil {
			s.evictMachine(m)
			return true
		}
		s.front++
	}
	return false
}

// evictMachine removes m and its transitions.
func (s *Store) evictMachine(m *Machine) {
	h := &m.hist
	for seq := h.first; seq < h.next; seq++ {
		s.bytes -= h.At(seq).size
	}
	s.txs -= h.Len()
	s.stale += h.Len()
	h.clear()
	s.bytes -= m.size
	m.size = 0
	m.evicted = true
	m.live = false
	s.evictedMachines++

	delete(s.machs, m.id)
	s.deleted++
	if s.deleted > 1024 && s.deleted > len(s.machs) {
		// maps never shrink: copy the survivors to a map of their size
		machs := make(map[string]*Machine, len(s.machs))
		for id, mm := range s.machs {
			machs[id] = mm
		}
		s.machs, s.deleted = machs, 0
	}
	s.order[m.orderIdx] = nil
	s.holes++
	for s.front < len(s.order) && s.order[s.front] == nil {
		s.front++
	}
	if s.holes > 64 && s.holes > len(s.order)/2 {
		order := make([]*Machine, 0, len(s.machs))
		for _, mm := range s.order[s.front:] {
			if mm != nil {
				mm.orderIdx = len(order)
				order = append(order, mm)
			}
		}
		s.order, s.front, s.holes = order, 0, 0
	}
	s.treeRev++
	s.compactArrivals()
}

// compactArrivals drops the consumed front of arrivals, and its stale
// entries, once they would take more than half of it.
func (s *Store) compactArrivals() {
	n := len(s.arrivals) - s.arrHead
	if s.arrHead > 1024 && s.arrHead > n {
		s.arrivals = append(s.arrivals[:0], s.arrivals[s.arrHead:]...)
		s.arrHead = 0
	}
	if s.stale > 1024 && s.stale > n-s.stale {
		kept := s.arrivals[:0]
		for _, a := range s.arrivals[s.arrHead:] {
			if !a.m.evicted && a.seq >= a.m.hist.first {
				kept = append(kept, a)
			}
		}
		clear(s.arrivals[len(kept):])
		s.arrivals, s.arrHead, s.stale = kept, 0, 0
	}
}
