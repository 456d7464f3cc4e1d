package store

import "time"

// closedChan is returned to readers already behind.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Revision counts the changes applied to the store: it grows whenever
// what readers see may have changed. It needs no lock.
func (s *Store) Revision() uint64 { return s.rev.Load() }

// Changed returns a channel closed once [Store.Revision] is past rev: a
// reader that drew revision rev waits on it to redraw. It needs no lock.
//
//	for rev := st.Revision(); ; rev = st.Revision() {
//		st.RLock()
//		// read
//		st.RUnlock()
//		<-st.Changed(rev)
//	}
func (s *Store) Changed(rev uint64) <-chan struct{} {
	s.notifyMu.Lock()
	defer s.notifyMu.Unlock()
	if s.rev.Load() > rev {
		return closedChan
	}
	if s.changed == nil {
		s.changed = make(chan struct{})
	}
	return s.changed
}

// bump makes a new revision and wakes the readers waiting for one. The
// caller does not hold the write lock, so woken readers can read.
func (s *Store) bump() {
	s.notifyMu.Lock()
	s.rev.Add(1)
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	s.notifyMu.Unlock()
}

// Drain moves everything the inbox received so far into the store, and
// reports whether there was anything.
func (s *Store) Drain(in *Inbox) bool {
	events, lost, conns := in.take()
	s.mu.Lock()
	changed := len(events) > 0 || lost != s.lost || conns != s.conns
	s.lost, s.conns = lost, conns
	for _, e := range events {
		if e.closed {
			s.connClosed(e.src.conn)
			continue
		}
		for i, m := range e.msgs {
			s.add(e.src, m, e.sizes[i])
		}
	}
	s.mu.Unlock()
	if changed {
		s.bump()
	}
	return changed
}

// Pump drains the inbox into the store as messages come, at most once
// per minGap, until the inbox is closed. One goroutine runs it for a live
// store; readers follow with [Store.Changed].
func (s *Store) Pump(in *Inbox, minGap time.Duration) {
	for in.wait(minGap) {
		s.Drain(in)
	}
	// what came before the close
	s.Drain(in)
}
