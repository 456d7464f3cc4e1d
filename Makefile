# amkit developer tasks. `make test` is what CI runs.

GO      ?= go

.PHONY: test unit vet fmt-check fuzz-smoke bench bench-peers-smoke e2e-deps stack web-screenshot

## test: everything CI checks: backends, vet, gofmt, race tests, short fuzzing.
test: e2e-deps vet fmt-check bench-peers-smoke
	$(GO) test -race -count=1 ./...
	$(MAKE) fuzz-smoke

## unit: the race tests without installing backends (integration tests skip).
unit: vet fmt-check
	$(GO) test -race ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## fuzz-smoke: each fuzz target for a fixed number of executions, about five
## seconds each on two cores from an empty fuzz cache, as CI starts (a cache
## grown by earlier runs holds longer inputs, which run slower). A count, not a duration: with a duration,
## go1.26's fuzzing coordinator can fail a clean run with "context deadline
## exceeded" as the time runs out (golang/go#75804, fixed in go1.27).
## Minimizing is bounded as well: an input that finds new coverage is
## otherwise minimized for up to a minute, during which that worker fuzzes
## nothing. Fuzz longer by hand with FUZZTIME=5m, which applies to every
## target (a duration: a failure saying only "context deadline exceeded" is
## that race, not a finding).
FUZZMINIMIZE ?= 500x
fuzz = $(GO) test -run '^$$' -fuzz '^$(1)$$' -fuzztime $(or $(FUZZTIME),$(3)) \
	-fuzzminimizetime $(FUZZMINIMIZE) $(2)
fuzz-smoke:
	$(call fuzz,FuzzSchema,./pkg/machine/,300000x)
	$(call fuzz,FuzzMutations,./pkg/machine/,100000x)
	$(call fuzz,FuzzSnapshotBinary,./pkg/machine/,400000x)
	$(call fuzz,FuzzDecode,./pkg/telemetry/dbg/,120000x)
	$(call fuzz,FuzzServeConn,./pkg/telemetry/dbg/server/,100000x)
	$(call fuzz,FuzzReader,./pkg/telemetry/dbg/recording/,200000x)

## bench: the machine's benchmarks and every exporter's, each next to the same
## BenchmarkMutations op; compare runs with benchstat.
BENCH_PKGS = ./pkg/machine/ ./pkg/telemetry/ ./pkg/telemetry/prometheus/ \
	./pkg/telemetry/dbg/ ./pkg/telemetry/loki/ ./cmd/am-dbg/internal/ui/ ./cmd/am-dbg/internal/web/
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 $(BENCH_PKGS)

## bench-peers-smoke: internal/bench, the comparison with peer libraries, is
## a module of its own, outside ./...: vet it and run each benchmark once,
## so that it keeps building and its checks keep passing.
bench-peers-smoke:
	cd internal/bench && $(GO) vet ./... && $(GO) test -count=1 -run '^$$' -bench . -benchtime 1x ./...

## e2e-deps: installs the real backends used by integration tests (see internal/e2e).
## First run ~6 min (builds Jaeger and VictoriaLogs); later runs take about a second.
e2e-deps:
	@internal/e2e/deps.sh

## stack: the demo against real Jaeger, Prometheus, Pushgateway and VictoriaLogs
## on loopback, with its Grafana dashboard; prints the URLs, Ctrl-C stops it all.
## Built, then run: `go run` would exit with status 1 after Ctrl-C.
stack: e2e-deps
	@$(GO) build -o bin/amkit-stack ./examples/demo/stack
	@bin/amkit-stack

## web-screenshot: regenerates assets/am-dbg-web.png, the README's picture of
## am-dbg's web inspector, from its browser test (needs chromium: make e2e-deps).
web-screenshot:
	AMDBG_WEB_SCREENSHOT=$(CURDIR)/assets/am-dbg-web.png $(GO) test -count=1 -run '^TestIntegrationWeb$$' ./cmd/am-dbg/
