package store

import "sort"

// Arrival is a kept transition, placed among all machines' transitions
// in the order they arrived.
type Arrival struct {
	// N numbers the transitions as they arrived in the store, from 0,
	// counting evicted ones too.
	N       uint64
	Machine *Machine
	Tx      *Tx
}

// Arrived returns how many transitions ever arrived: the N the next one
// gets. It needs the read lock.
func (s *Store) Arrived() uint64 { return s.arrived }

// Arrivals returns up to max kept transitions of all machines for which
// keep reports true (keep nil keeps all), oldest first: with dir 1 those
// numbered from on, with dir -1 those numbered up to from, the ones
// nearest from. Work is proportional to the transitions it passes. It
// needs the read lock.
func (s *Store) Arrivals(from uint64, dir, max int, keep func(Arrival) bool) []Arrival {
	live := s.arrivals[s.arrHead:]
	// i is the first entry numbered from or later
	i := sort.Search(len(live), func(i int) bool { return live[i].n >= from })
	var out []Arrival
	take := func(a arrival) {
		if a.m.evicted || a.seq < a.m.hist.first {
			return
		}
		arr := Arrival{N: a.n, Machine: a.m, Tx: a.m.hist.At(a.seq)}
		if keep == nil || keep(arr) {
			out = append(out, arr)
		}
	}
	if dir >= 0 {
		for ; i < len(live) && len(out) < max; i++ {
			take(live[i])
		}
		return out
	}
	if i < len(live) && live[i].n == from {
		i++
	}
	for i--; i >= 0 && len(out) < max; i-- {
		take(live[i])
	}
	for l, r := 0, len(out)-1; l < r; l, r = l+1, r-1 {
		out[l], out[r] = out[r], out[l]
	}
	return out
}
