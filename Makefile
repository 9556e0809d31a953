# guestrun build and test entry points. See README.md.

GO ?= go
export PATH := $(PATH):/usr/local/go/bin
# Generous bound for the unit tests under the race detector on 2 cores.
UNIT_TIMEOUT ?= 15m
GUEST_TIMEOUT ?= 45m
# Fuzz targets, as package:target:executions. Counts, not durations: with a
# duration, Go's fuzzing coordinator can fail a run with a bare "context
# deadline exceeded" when a busy worker misses the deadline (golang/go
# #75804). The counts take 15 to 25 s each on 2 cores.
FUZZ_TARGETS := ./emu/loader:FuzzParseELF:1000000 ./emu/loader:FuzzLoad:50000 \
	./emu/cpu:FuzzExec:30000 ./emu/syscall:FuzzSyscall:20000

.PHONY: all build deps test vet fmt-check unit fuzz check-guest guest-programs bench clean

all: build

deps:
	@scripts/deps.sh

build: deps
	@# Static, without cgo: guestrun starts again for every fork and execve.
	@# The entry point grows the fd table before the runtime's threads
	@# start (cmd/guestrun/entry_amd64.s).
	CGO_ENABLED=0 $(GO) build -ldflags=-E=main.rt0 -o bin/guestrun ./cmd/guestrun
	$(GO) build -o bin/lockstep ./cmd/lockstep

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l .); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# The unit tests run the fuzz targets' seed corpora, and the bad-ELF test
# runs bin/guestrun.
unit: build
	GUESTRUN_BIN=$(CURDIR)/bin/guestrun $(GO) test -race -timeout $(UNIT_TIMEOUT) ./emu/... ./cmd/...

# Each fuzz target for its number of executions, one after the other. New
# crashers land in the package's testdata/fuzz/<target>/.
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*} rest=$${t#*:}; name=$${rest%%:*} n=$${rest#*:}; \
		echo "$(GO) test -run '^$$' -fuzz '^$$name$$' -fuzztime $${n}x -fuzzminimizetime 10s $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $${n}x -fuzzminimizetime 10s $$pkg; \
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
