# Stoppunkt. `make test` is the whole check: formatting, vet, and every
# test with the race detector, installing what the browser tests need.

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build test lint unit fuzz run clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/stoppunkt ./cmd/stoppunkt

run:
	$(GO) run ./cmd/stoppunkt

## test: everything CI runs.
test: lint unit fuzz

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 -timeout 30m ./...

## fuzz: a short run of every fuzz target (a long run: FUZZTIME=30m make fuzz).
FUZZTIME ?= 10s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) ./hub/wire/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./hub/plan/

clean:
	rm -rf bin data
