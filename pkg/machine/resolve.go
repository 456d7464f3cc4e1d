package machine

import (
	"fmt"
	"slices"
)

// Priorities decide who wins when relations disagree: what the caller asked
// for beats what relations implied, which beats what was already active.
const (
	prioNone uint8 = iota
	prioActive
	prioImplied
	prioCalled
)

// resolver turns a mutation into the target set of active states. Its
// buffers are reused between transitions; only the runner uses it.
type resolver struct {
	target   []bool
	prio     []uint8
	excluded []bool
	bfs      []int
}

// resolve fills r.target for mut, starting from the clocks in before, and
// appends every decision to tx.Steps. It returns why the transition must be
// canceled, or nil.
//
// Resolution runs in passes. An implied state that cannot stay (a missing
// requirement, or it lost a Remove conflict) is excluded and the pass starts
// over, so that what it alone implied is withdrawn with it. Each restart
// excludes one more state, so there are at most n+1 passes.
func (r *resolver) resolve(c *compiled, before Time, mut *Mutation, tx *Transition) error {
	n := len(c.states)
	if cap(r.target) < n {
		r.target, r.prio, r.excluded = make([]bool, n), make([]uint8, n), make([]bool, n)
	}
	r.target, r.prio, r.excluded = r.target[:n], r.prio[:n], r.excluded[:n]
	clear(r.excluded)
	for _, i := range mut.Called {
		tx.Steps = append(tx.Steps, Step{Type: StepRequested, State: i, Related: -1})
	}
	base := len(tx.Steps)
	for {
		tx.Steps = tx.Steps[:base]
		keep, restart, err := r.pass(c, before, mut, tx)
		if err != nil || !restart {
			return err
		}
		tx.Steps = append(tx.Steps[:base], keep)
		base++
	}
}

// pass resolves once. It returns a step to keep and restart when an implied
// state was excluded and the resolution must restart.
func (r *resolver) pass(c *compiled, before Time, mut *Mutation, tx *Transition) (keep Step, restart bool, err error) {
	target, prio := r.target, r.prio
	for i := range target {
		active := before[i]%2 == 1 && mut.Type != MutationSet
		target[i] = active
		prio[i] = prioNone
		if active {
			prio[i] = prioActive
		}
	}
	if mut.Type == MutationRemove {
		for _, i := range mut.Called {
			target[i], prio[i] = false, prioNone
		}
		return r.requirements(c, tx)
	}

	// The auto states of an auto transition are called with the priority
	// of implied states: one that cannot be active is dropped, and the
	// others still activate. An auto transition only adds, so what is
	// already active outranks all it brings in: neither an auto state nor a
	// state it implies displaces an active one.
	calledPrio := prioCalled
	if mut.Auto {
		calledPrio = prioImplied
		for i := range target {
			if target[i] {
				prio[i] = prioCalled
			}
		}
	}
	r.bfs = r.bfs[:0]
	for _, i := range mut.Called {
		if r.excluded[i] {
			continue
		}
		target[i], prio[i] = true, calledPrio
		r.bfs = append(r.bfs, i)
	}
	// Add relations, breadth first from the called states. Only states that
	// are being activated imply others.
	for k := 0; k < len(r.bfs); k++ {
		x := r.bfs[k]
		for _, y := range c.states[x].add {
			if r.excluded[y] || prio[y] >= prioImplied {
				continue
			}
			prio[y] = prioImplied
			if !target[y] {
				target[y] = true
				tx.Steps = append(tx.Steps, Step{Type: StepImplied, State: y, Related: x})
				r.bfs = append(r.bfs, y)
			}
		}
	}

	// Remove relations. The higher priority wins; on a tie the state that
	// declares the relation wins. Two called states cancel.
	for x := range target {
		if !target[x] {
			continue
		}
		for _, y := range c.states[x].remove {
			if !target[y] {
				continue
			}
			if prio[x] == prioCalled && prio[y] == prioCalled {
				tx.Steps = append(tx.Steps, Step{Type: StepConflict, State: y, Related: x})
				return Step{}, false, fmt.Errorf("%w: %s removes %s", ErrConflict, c.names[x], c.names[y])
			}
			winner, loser := x, y
			if prio[y] > prio[x] {
				winner, loser = y, x
			}
			target[loser] = false
			step := Step{Type: StepRemoved, State: loser, Related: winner}
			if prio[loser] == prioImplied {
				r.excluded[loser] = true
				return step, true, nil
			}
			tx.Steps = append(tx.Steps, step)
			if loser == x {
				break
			}
		}
	}
	return r.requirements(c, tx)
}

// requirements removes active states whose requirements are going away,
// until nothing changes. An implied state with a missing requirement is
// excluded (restart); a called one cancels the transition.
func (r *resolver) requirements(c *compiled, tx *Transition) (keep Step, restart bool, err error) {
	target, prio := r.target, r.prio
	for changed := true; changed; {
		changed = false
		for x := range target {
			if !target[x] {
				continue
			}
			for _, req := range c.states[x].require {
				if target[req] {
					continue
				}
				switch prio[x] {
				case prioCalled:
					tx.Steps = append(tx.Steps, Step{Type: StepMissingRequirement, State: x, Related: req})
					return Step{}, false, fmt.Errorf("%w: %s requires %s", ErrRequirement, c.names[x], c.names[req])
				case prioImplied:
					r.excluded[x] = true
					return Step{Type: StepDropped, State: x, Related: req}, true, nil
				}
				target[x] = false
				changed = true
				tx.Steps = append(tx.Steps, Step{Type: StepRequirementLost, State: x, Related: req})
				break
			}
		}
	}
	return Step{}, false, nil
}

// entering reports whether state i activates (or, for a called active Multi
// state, re-activates) in the resolved transition.
func (r *resolver) entering(c *compiled, before Time, mut *Mutation, i int) bool {
	if !r.target[i] {
		return false
	}
	if before[i]%2 == 0 {
		return true
	}
	return c.states[i].multi && mut.Type != MutationRemove && slices.Contains(mut.Called, i)
}

// exiting reports whether state i deactivates in the resolved transition.
func (r *resolver) exiting(before Time, i int) bool {
	return before[i]%2 == 1 && !r.target[i]
}
