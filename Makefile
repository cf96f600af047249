# The two set-up commands of the README: `make run` and `make test`. Each installs the
# Debian packages it needs (scripts/setup.sh), configures, builds and runs.
BUILD ?= build
PY ?= /usr/bin/python3
SCENARIO ?= scenarios/examples/default.json

.PHONY: setup build run test bench asan fuzz clean

setup:
	@bash scripts/setup.sh

build: setup
	@bash scripts/build.sh $(BUILD) Release

run: build
	$(BUILD)/hetsim run $(SCENARIO) --out results/default.json

test: setup
	@bash scripts/test.sh

bench: build
	$(BUILD)/hetsim bench phold --width 10 --height 10 --stop 100us
	$(BUILD)/hetsim bench phold --width 100 --height 100 --stop 10us
	$(BUILD)/hetsim_bench --benchmark_min_time=0.1

asan: setup
	@HETSIM_SANITIZE=1 bash scripts/setup.sh
	@bash scripts/build.sh build-asan Asan
	ctest --test-dir build-asan --output-on-failure -j 2

fuzz: setup
	@bash scripts/fuzz.sh 60

clean:
	rm -rf $(BUILD) build-asan build-fuzz
