# guestrun build and test entry points. See README.md.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin
# Generous bound for the unit tests under the race detector on 2 cores.
UNIT_TIMEOUT ?= 15m
GUEST_TIMEOUT ?= 45m
# How long `make fuzz` runs each fuzz target.
FUZZTIME ?= 20s
# Fuzz targets, as package:target.
FUZZ_TARGETS := ./emu/loader:FuzzParseELF ./emu/loader:FuzzLoad ./emu/cpu:FuzzExec ./emu/syscall:FuzzSyscall

.PHONY: all build deps test vet fmt-check unit fuzz check-guest guest-programs bench clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@# Static, without cgo: guestrun starts again for every fork and execve.
	CGO_ENABLED=0 $(GO) build -o bin/guestrun ./cmd/guestrun
	@# cmd/lockstep is being written; build it once it exists.
	@if [ -d cmd/lockstep ]; then echo "$(GO) build -o bin/lockstep ./cmd/lockstep"; $(GO) build -o bin/lockstep ./cmd/lockstep; fi

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The unit tests run the fuzz targets' seed corpora, and the bad-ELF test
# runs bin/guestrun.
unit: build
	GUESTRUN_BIN=$(CURDIR)/bin/guestrun $(GO) test -race -timeout $(UNIT_TIMEOUT) ./emu/... ./cmd/...

# Each fuzz target for FUZZTIME, one after the other. New crashers land in
# the package's testdata/fuzz/<target>/.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*} name=$${t#*:}; \
		echo "$(GO) test -run '^$$' -fuzz '^$$name$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s $$pkg; \
	done

test: deps vet fmt-check unit fuzz check-guest

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
