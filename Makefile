# The verbs a newcomer looks for. `make demo` and `make test` each work on a
# fresh Debian machine as root: both install what is missing first.
SWIFT ?= $(shell command -v swift || echo /opt/swift/usr/bin/swift)
# SwiftPM holds the import arrows of ../shared/DESIGN.md for us.
SWIFTFLAGS := --explicit-target-dependency-import-check error

.PHONY: setup build release dist test demo bench busybox-image fmt check clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build $(SWIFTFLAGS)

release: setup
	$(SWIFT) build -c release $(SWIFTFLAGS)

# The berth CLI as one static file, the way a release ships it: nothing to
# load or relocate at start-up, about 2 ms less for every command.
# Prints the binary's path.
dist: setup
	@$(SWIFT) build -c release $(SWIFTFLAGS) --product berth --scratch-path .build-dist -Xswiftc -static-executable >&2
	@$(SWIFT) build -c release $(SWIFTFLAGS) --product berth --scratch-path .build-dist -Xswiftc -static-executable --show-bin-path | sed 's|$$|/berth|'

test: setup
	$(SWIFT) test $(SWIFTFLAGS)

# Installs what is missing, builds, makes the busybox image and brings the
# demo stack up with `berth up --wait` (berth starts berthd itself).
demo: build busybox-image
	@scripts/demo.sh

# The small base image of the demo and the tests, from Debian's busybox-static (no network).
busybox-image: setup
	@mkdir -p .build
	@scripts/make-busybox-image.sh .build/busybox-oci.tar

# Every benchmark in turn, as root (most make namespaces and bridges); each
# builds what it runs, and the executables live in the Benchmarks package, so
# `make build` never compiles them. A missed target does not stop the rest;
# the list of those that failed ends the run.
BENCHES := config up-down dns port-proxy netattach crun-true health pull build exec
bench: setup
	@failed=; for name in $(BENCHES); do \
	  echo "== scripts/bench/$$name.sh" >&2; scripts/bench/$$name.sh || failed="$$failed $$name"; \
	done; [ -z "$$failed" ] || { echo "bench: failed or missed a target:$$failed" >&2; exit 1; }

fmt:
	$(SWIFT) format --in-place --recursive --parallel Sources Tests Package.swift Benchmarks

# Lints with the committed .swift-format; a warning fails it, as in CI.
check:
	$(SWIFT) format lint --strict --recursive --parallel Sources Tests Package.swift Benchmarks

clean:
	rm -rf .build
