# Stoppunkt. `make test` is the whole check: formatting, vet, and every
# test with the race detector, installing what the browser tests need.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build test lint unit fuzz run clean browser-deps smoke soak soak-ci bench chaos

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/stoppunkt ./cmd/stoppunkt

run:
	$(GO) run ./cmd/stoppunkt

## test: everything CI runs.
test: lint unit fuzz smoke soak-ci

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# The browser tests get the Chromium and axe-core browser-deps installed,
# and fail rather than skip without them; the kill test in server/chaos
# runs the binary just built. The browser tests run after the others, not
# beside them: on a two-core machine the two largest packages side by side
# starve Chromium, and the run takes no longer in sequence.
unit: browser-deps build
	STOPPUNKT_BIN="$(abspath bin/stoppunkt)" \
		$(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/web/webtest$$')
	STOPPUNKT_CHROMIUM="$(CHROMIUM)" STOPPUNKT_AXE="$(abspath $(AXE_DIR))/node_modules/axe-core/axe.min.js" \
	STOPPUNKT_REQUIRE_BROWSER=1 \
		$(GO) test -race -count=1 -timeout 30m ./web/webtest/

## browser-deps: what the browser tests in web/webtest need, when missing:
## Debian's Chromium, and axe-core from the npm registry into .cache/axe
## (the tests load it from there; it never ships in the binary).
CHROMIUM ?= /usr/bin/chromium
AXE_DIR  ?= .cache/axe
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "installing chromium"; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; \
	fi
	@if [ ! -f "$(AXE_DIR)/node_modules/axe-core/axe.min.js" ]; then \
		echo "fetching axe-core into $(AXE_DIR)"; \
		mkdir -p "$(AXE_DIR)" && npm install --prefix "$(AXE_DIR)" --no-audit --no-fund --silent axe-core@4; \
	fi

## screens: the browser tests that take screenshots (every TestScreens...
## in web/webtest) write them to bin/screens/ (not committed), to be looked
## at. Same browser and axe-core as unit.
.PHONY: screens
screens: browser-deps
	mkdir -p bin/screens
	STOPPUNKT_CHROMIUM="$(CHROMIUM)" STOPPUNKT_AXE="$(abspath $(AXE_DIR))/node_modules/axe-core/axe.min.js" \
	STOPPUNKT_REQUIRE_BROWSER=1 STOPPUNKT_SHOTS="$(CURDIR)/bin/screens" \
		$(GO) test -count=1 -timeout 30m -run 'Screens' ./web/webtest/

## fuzz: a short run of every fuzz target, each of a number of executions
## that takes 5-15 seconds on a small machine (a long run for all of them:
## FUZZTIME=2000000x make fuzz). Counts, not durations: Go 1.26's fuzzing
## coordinator can fail a run of -fuzztime 10s with a spurious "context
## deadline exceeded" on a loaded machine (go.dev/issue/75804), and
## FUZZMINIMIZE bounds the minimizing of each new input by count too, so
## that a run never stalls there.
FUZZTIME     ?=
FUZZMINIMIZE ?= 100x
FUZZFLAGS     = -run '^$$' -fuzzminimizetime $(FUZZMINIMIZE)
fuzz:
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzDecode$$' -fuzztime $(or $(FUZZTIME),300000x) ./hub/wire/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzParse$$' -fuzztime $(or $(FUZZTIME),30000x) ./hub/plan/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzApply$$' -fuzztime $(or $(FUZZTIME),15000x) ./hub/room/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzDecide$$' -fuzztime $(or $(FUZZTIME),12000x) ./hub/room/
	$(GO) test $(FUZZFLAGS) -fuzz '^FuzzCheck$$' -fuzztime $(or $(FUZZTIME),30000x) ./hub/screening/

## smoke: a small load run (3 rooms x 100 phones against one instance that
## loadgen starts: step changes, votes, open answers, a breakout, churn). It
## checks correctness only (every phone got every event, every submission
## acknowledged exactly once, no errors), never timing.
smoke: build
	$(GO) run ./cmd/loadgen -scenario smoke -server-bin bin/stoppunkt -deadline 2m -q

## soak: conference generations (40 rooms x 20 phones on three instances,
## churn, every generation's rooms deleted before the next) for SOAK_FOR;
## goroutines, open files and live heap between generations must stay
## flat. Report in bin/soak/soak.json, plot in bin/soak/soak.svg (see
## docs/reliability.md). A longer soak needs a longer hard limit too:
## SOAK_FOR=8h SOAK_DEADLINE=9h make soak. soak-ci is the two-minute version make test runs.
SOAK_FOR ?= 60m
SOAK_DEADLINE ?= 90m
soak: build
	$(GO) build -o bin/loadgen ./cmd/loadgen
	mkdir -p bin/soak
	bin/loadgen -scenario soak -for $(SOAK_FOR) -server-bin bin/stoppunkt -deadline $(SOAK_DEADLINE) \
		-json bin/soak/soak.json -plot bin/soak/soak.svg

soak-ci: build
	$(GO) build -o bin/loadgen ./cmd/loadgen
	mkdir -p bin/soak
	bin/loadgen -scenario soak-ci -server-bin bin/stoppunkt -deadline 10m -q \
		-json bin/soak/soak-ci.json -plot bin/soak/soak-ci.svg

## bench: the benchmark scenarios of docs/performance.md, with the raw
## baselines, profiles in bin/bench/profiles and the report in
## bin/bench/bench.json. Not part of test; takes about 30 minutes.
BENCH ?= all
bench: build
	$(GO) build -o bin/loadgen ./cmd/loadgen
	mkdir -p bin/bench/profiles
	bin/loadgen -scenario $(BENCH) -server-bin bin/stoppunkt -deadline 60m -quiet-cpu 0.15 \
		-json bin/bench/bench.json -profile-dir bin/bench/profiles

## chaos: the heavy fault tests: real stoppunkt processes under 3,000
## phones, one killed with SIGKILL (results in docs/reliability.md). A
## small one (two processes, 300 phones) runs in unit.
chaos:
	ulimit -n 20000; $(GO) test -tags chaos -count=1 -timeout 20m -v -run . ./server/chaos/

clean:
	rm -rf bin data
