package machine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Schema maps state names to their definitions.
type Schema = map[string]State

// State defines one state and its relations to others.
type State struct {
	// Auto states activate by themselves after any accepted transition, when
	// their requirements hold and they conflict with no active state.
	Auto bool
	// Multi states re-activate when added while active: their clock moves by
	// 2 and their Enter and State handlers run again.
	Multi bool
	// Require lists states that must be active while this one is.
	Require S
	// Add lists states activated together with this one.
	Add S
	// Remove lists states deactivated when this one activates.
	Remove S
	// After lists states whose handlers run before this state's handlers.
	After S
	// Tags are free-form labels, shown by the debugger.
	Tags []string
}

// clone returns a deep copy, so a caller cannot change a machine's schema
// through a map or slice it still holds.
func (s State) clone() State {
	s.Require = slices.Clone(s.Require)
	s.Add = slices.Clone(s.Add)
	s.Remove = slices.Clone(s.Remove)
	s.After = slices.Clone(s.After)
	s.Tags = slices.Clone(s.Tags)
	return s
}

// handler kinds, used to index precomputed handler names.
const (
	kindEnter = iota
	kindExit
	kindState
	kindEnd
	kindCount
)

var handlerSuffixes = [kindCount]string{"Enter", "Exit", "State", "End"}

// anyState is the prefix of the handlers that run on every transition.
const anyState = "Any"

// compiledState holds a state's relations as indexes.
type compiledState struct {
	auto, multi                 bool
	require, add, remove, after []int
	removedBy                   []int // states that list this one in Remove
	handlerNames                [kindCount]string
}

// compiled is a validated schema in the form the resolver uses. It is never
// modified after creation; a schema change builds a new one.
type compiled struct {
	schema Schema
	names  S
	index  map[string]int
	states []compiledState
	// order is the handler order: After dependencies first, then index.
	order []int
	// relations counts all relation entries (Require, Add, Remove, After).
	relations int
	// hasAuto spares machines without auto states the search for them
	// after every transition.
	hasAuto bool
	// exception is the index of Exception.
	exception int
}

// compileSchema validates schema and indexes it. prev is the index of the
// schema being replaced (its states keep their positions), order an optional
// explicit index for a new machine.
func compileSchema(schema Schema, prev S, order S) (*compiled, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: schema is nil", ErrSchema)
	}
	s := make(Schema, len(schema)+1)
	for name, st := range schema {
		s[name] = st.clone()
	}
	exc := s[Exception]
	exc.Multi = true
	s[Exception] = exc

	names, err := indexNames(s, prev, order)
	if err != nil {
		return nil, err
	}
	c := &compiled{
		schema: s,
		names:  names,
		index:  make(map[string]int, len(names)),
		states: make([]compiledState, len(names)),
	}
	for i, name := range names {
		c.index[name] = i
	}
	c.exception = c.index[Exception]
	for i, name := range names {
		if err := c.compileState(i, name, s[name]); err != nil {
			return nil, err
		}
	}
	if c.order, err = c.handlerOrder(); err != nil {
		return nil, err
	}
	return c, nil
}

// indexNames decides the state index: prev first (a schema change keeps
// indexes stable), then either the explicit order or Exception followed by
// the other states sorted by name.
func indexNames(s Schema, prev S, order S) (S, error) {
	for _, name := range slices.Sorted(maps.Keys(s)) {
		if err := checkStateName(name); err != nil {
			return nil, err
		}
	}
	if len(prev) > 0 {
		for _, name := range prev {
			if _, ok := s[name]; !ok {
				return nil, fmt.Errorf("%w: state %q cannot be removed from a running machine", ErrSchema, name)
			}
		}
		names := slices.Clone(prev)
		for _, name := range slices.Sorted(maps.Keys(s)) {
			if !slices.Contains(prev, name) {
				names = append(names, name)
			}
		}
		return names, nil
	}
	if len(order) > 0 {
		names := make(S, 0, len(s))
		seen := make(map[string]bool, len(order))
		if !slices.Contains(order, Exception) {
			names = append(names, Exception)
			seen[Exception] = true
		}
		for _, name := range order {
			if _, ok := s[name]; !ok {
				return nil, fmt.Errorf("%w: order lists %w %q", ErrSchema, ErrUnknownState, name)
			}
			if seen[name] {
				return nil, fmt.Errorf("%w: order lists %q twice", ErrSchema, name)
			}
			seen[name] = true
			names = append(names, name)
		}
		if len(names) != len(s) {
			for _, name := range slices.Sorted(maps.Keys(s)) {
				if !seen[name] {
					return nil, fmt.Errorf("%w: order misses state %q", ErrSchema, name)
				}
			}
		}
		return names, nil
	}
	names := make(S, 0, len(s))
	names = append(names, Exception)
	for _, name := range slices.Sorted(maps.Keys(s)) {
		if name != Exception {
			names = append(names, name)
		}
	}
	return names, nil
}

// checkStateName accepts names that form exported Go method names when a
// handler suffix is appended, so every state can have handlers.
func checkStateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty state name", ErrSchema)
	}
	if name == anyState {
		return fmt.Errorf("%w: state name %q is reserved for AnyEnter and AnyExit", ErrSchema, name)
	}
	if name[0] < 'A' || name[0] > 'Z' {
		return fmt.Errorf("%w: state %q must start with an upper-case ASCII letter to form handler method names", ErrSchema, name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return fmt.Errorf("%w: state %q has %q; use ASCII letters, digits and _ so it forms handler method names", ErrSchema, name, r)
		}
	}
	return nil
}

func (c *compiled) compileState(i int, name string, st State) error {
	cs := &c.states[i]
	cs.auto, cs.multi = st.Auto, st.Multi
	c.hasAuto = c.hasAuto || st.Auto
	for k, suffix := range handlerSuffixes {
		cs.handlerNames[k] = name + suffix
	}
	lists := []struct {
		relation string
		names    S
		dst      *[]int
	}{
		{"Require", st.Require, &cs.require},
		{"Add", st.Add, &cs.add},
		{"Remove", st.Remove, &cs.remove},
		{"After", st.After, &cs.after},
	}
	for _, l := range lists {
		for _, rel := range l.names {
			j, ok := c.index[rel]
			switch {
			case !ok:
				return fmt.Errorf("%w: state %q: %s lists %w %q", ErrSchema, name, l.relation, ErrUnknownState, rel)
			case j == i:
				return fmt.Errorf("%w: state %q: %s lists the state itself", ErrSchema, name, l.relation)
			case slices.Contains(*l.dst, j):
				return fmt.Errorf("%w: state %q: %s lists %q twice", ErrSchema, name, l.relation, rel)
			}
			*l.dst = append(*l.dst, j)
			c.relations++
		}
	}
	for _, j := range cs.remove {
		if slices.Contains(cs.add, j) {
			return fmt.Errorf("%w: state %q both adds and removes %q", ErrSchema, name, c.names[j])
		}
		if slices.Contains(cs.require, j) {
			return fmt.Errorf("%w: state %q both requires and removes %q", ErrSchema, name, c.names[j])
		}
		c.states[j].removedBy = append(c.states[j].removedBy, i)
	}
	return nil
}

// handlerOrder sorts states so that each comes after the states in its After
// list, ties broken by index. A cycle is a schema error.
func (c *compiled) handlerOrder() ([]int, error) {
	n := len(c.states)
	order := make([]int, 0, n)
	// 0 unvisited, 1 on the current path, 2 done
	mark := make([]uint8, n)
	var path []int
	var visit func(i int) error
	visit = func(i int) error {
		switch mark[i] {
		case 2:
			return nil
		case 1:
			start := slices.Index(path, i)
			cycle := make([]string, 0, len(path)-start+1)
			for _, j := range path[start:] {
				cycle = append(cycle, c.names[j])
			}
			cycle = append(cycle, c.names[i])
			return fmt.Errorf("%w: After relations form a cycle: %s", ErrSchema, strings.Join(cycle, " -> "))
		}
		mark[i] = 1
		path = append(path, i)
		deps := slices.Sorted(slices.Values(c.states[i].after))
		for _, j := range deps {
			if err := visit(j); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		mark[i] = 2
		order = append(order, i)
		return nil
	}
	for i := range n {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// appendIndexes appends the indexes of states to dst, dropping duplicates.
// It stops at the first unknown name and returns it.
func (c *compiled) appendIndexes(dst []int, states S) ([]int, string) {
	for _, name := range states {
		i, ok := c.index[name]
		if !ok {
			return dst, name
		}
		if !slices.Contains(dst, i) {
			dst = append(dst, i)
		}
	}
	return dst, ""
}

// cloneSchema returns a deep copy of the compiled schema's definition.
func (c *compiled) cloneSchema() Schema {
	out := make(Schema, len(c.schema))
	for name, st := range c.schema {
		out[name] = st.clone()
	}
	return out
}

// checkGroups validates [Opts.Groups] against c and returns a copy with
// each group's states deduplicated, in index order.
func checkGroups(c *compiled, groups map[string]S) (map[string]S, error) {
	if len(groups) == 0 {
		return nil, nil
	}
	out := make(map[string]S, len(groups))
	for _, name := range slices.Sorted(maps.Keys(groups)) {
		if name == "" {
			return nil, fmt.Errorf("%w: a group has an empty name", ErrSchema)
		}
		idx, unknown := c.appendIndexes(nil, groups[name])
		if unknown != "" {
			return nil, fmt.Errorf("%w: group %q lists %w %q", ErrSchema, name, ErrUnknownState, unknown)
		}
		slices.Sort(idx)
		states := make(S, len(idx))
		for k, i := range idx {
			states[k] = c.names[i]
		}
		out[name] = states
	}
	return out, nil
}
