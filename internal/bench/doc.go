// Package bench compares amkit with two single-state FSM libraries,
// github.com/qmuntal/stateless (BSD-2-Clause) and github.com/looplab/fsm
// (Apache-2.0), on the same toggle, in one benchmark binary. It is a module
// of its own, so that the library's go.mod does not depend on them. Run it
// from this directory:
//
//	go test -bench . -benchmem -count 6
package bench
