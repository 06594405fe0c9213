# The commands the README gives. `make test` is what CI runs.
.PHONY: build test run demo bench clean-data

build:
	swift build

# Unit, store and HTTP tests (Swift), the seed and OpenAPI checks, then the end-to-end
# tests that start the real binary and validate its answers against openapi.yaml.
test: build
	swift test
	python3 seed/generate.py --check
	python3 -m openapi_spec_validator public/openapi.yaml
	python3 -m pytest -q tests/e2e

run:
	swift run guatan serve

bench:
	bench/run.sh

clean-data:
	rm -rf data
