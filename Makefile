# amkit developer tasks. `make test` is what CI runs.

GO      ?= go
FUZZTIME ?= 5s

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

## fuzz-smoke: each fuzz target for $(FUZZTIME); run longer by hand with FUZZTIME=5m.
fuzz-smoke:
	$(GO) test -run '^$$' -fuzz '^FuzzSchema$$' -fuzztime $(FUZZTIME) ./pkg/machine/
	$(GO) test -run '^$$' -fuzz '^FuzzMutations$$' -fuzztime $(FUZZTIME) ./pkg/machine/
	$(GO) test -run '^$$' -fuzz '^FuzzSnapshotBinary$$' -fuzztime $(FUZZTIME) ./pkg/machine/
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./pkg/telemetry/dbg/
	$(GO) test -run '^$$' -fuzz '^FuzzServeConn$$' -fuzztime $(FUZZTIME) ./pkg/telemetry/dbg/server/
	$(GO) test -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME) ./pkg/telemetry/dbg/recording/

## bench: the machine's benchmarks and every exporter's, each next to the same
## BenchmarkMutations op; compare runs with benchstat.
BENCH_PKGS = ./pkg/machine/ ./pkg/telemetry/ ./pkg/telemetry/prometheus/ \
	./pkg/telemetry/dbg/ ./cmd/am-dbg/internal/ui/ ./cmd/am-dbg/internal/web/
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
