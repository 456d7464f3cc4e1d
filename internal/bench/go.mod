module github.com/amkit-dev/amkit/internal/bench

go 1.26.7

require (
	github.com/amkit-dev/amkit v0.0.0
	github.com/looplab/fsm v1.0.3
	github.com/qmuntal/stateless v1.7.2
)

replace github.com/amkit-dev/amkit => ../..
