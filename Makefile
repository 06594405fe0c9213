# The commands the README gives. `make test` is what CI runs, and all a newcomer runs.
.PHONY: build release test test-fast format deps run demo bench clean-data

PYTHON := .venv/bin/python

build:
	swift build

# The release build too: Swift 6.3.1's optimiser has crashed on code the debug build accepts,
# and deployments and the benchmarks run the release binary.
release:
	swift build -c release --product guatan

# What the tests need and the machine lacks: Debian's packages (as root) and .venv/.
deps:
	tests/setup.sh

# Unit, store and HTTP tests (Swift), the seed and OpenAPI checks, then the end-to-end
# tests that start the real binary and validate its answers against openapi.yaml.
test: deps build release
	tools/format-check.sh
	GUATAN_TEST_POSTGRES=$$(tests/postgres.sh start) swift test
	$(PYTHON) seed/generate.py --check
	$(PYTHON) -m openapi_spec_validator public/openapi.yaml
	$(PYTHON) -m pytest -q tests/e2e

# The edit-compile loop: the Swift tests only (rules, stores, services, HTTP), no browser.
# The PostgreSQL store's tests run on a throwaway server of their own (tests/postgres.sh).
test-fast: build
	GUATAN_TEST_POSTGRES=$$(tests/postgres.sh start) swift test

# Rewrites every Swift file as .swift-format says (the toolchain's own `swift format`).
format:
	swift format --configuration .swift-format --in-place --recursive Sources Tests Package.swift

run:
	swift run guatan serve

demo:
	swift run guatan serve --demo --now 2026-07-15T09:00:00+08:00

bench:
	bench/run.sh

clean-data:
	rm -rf data
