# guestrun build and test entry points. See README.md.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin
# Generous bound for the unit tests under the race detector on 2 cores.
UNIT_TIMEOUT ?= 15m
GUEST_TIMEOUT ?= 20m

.PHONY: all build deps test vet fmt-check unit check-guest guest-programs bench clean

all: build

deps:
	@scripts/deps.sh

build: deps
	$(GO) build -o bin/guestrun ./cmd/guestrun
	@# cmd/lockstep is being written; build it once it exists.
	@if [ -d cmd/lockstep ]; then echo "$(GO) build -o bin/lockstep ./cmd/lockstep"; $(GO) build -o bin/lockstep ./cmd/lockstep; fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -timeout $(UNIT_TIMEOUT) ./emu/... ./cmd/...

test: deps vet fmt-check unit check-guest

guest-programs:
	$(MAKE) -C tests/guest

check-guest: build guest-programs
	GUESTRUN_BIN=$(CURDIR)/bin/guestrun $(GO) test -timeout $(GUEST_TIMEOUT) -count=1 -v ./tests/guest/

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 2s ./emu/cpu/
	scripts/bench.sh

clean:
	rm -rf bin
	$(MAKE) -C tests/guest clean
