# revisbali.business_suite — one entry point for set-up, the sandbox, the demo and every test gate.
# Each target installs what it needs, so `make demo` and `make test` work on a fresh Debian 12 machine.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
# Tools are run from the venv; ansible.cfg makes the checkout its own collection path.
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/collections
export PYTHONDONTWRITEBYTECODE := 1

# Where the sandbox "production host" lives; inventories/sandbox points at the same place.
export SANDBOX_DIR ?= /srv/business_suite

PYTEST := $(BIN)/pytest
PYTEST_FLAGS ?= -ra
# One sandbox stack fits on the engine (fixed container names): everything that uses it takes this lock.
LOCK := flock $(or $(SANDBOX_LOCK),/tmp/bs-sandbox.lock)

.PHONY: help venv host-packages engine images sandbox-up sandbox-down demo \
        remote-up remote-reset remote-down remote-integration remote \
        lint sanity unit integration molecule faults bench bench-remote bench-smoke build test clean module-wheelhouse

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed ## create the pinned tool environment in .venv

host-packages: ## install the Debian packages the sandbox and tests need (docker.io, redis, memcached, postgres, ...)
	sandbox/bootstrap/host-packages.sh

engine: host-packages ## reuse or start a Docker engine and the pinned compose v2 plugin
	sandbox/bootstrap/engine.sh
	sandbox/bootstrap/compose.sh

images: engine venv ## build every sandbox image locally (no registry pull); skips images already built
	sandbox/images/build.sh

sandbox-up: images ## bring up the pre-cutover (memcached) stack in $(SANDBOX_DIR)
	$(LOCK) sandbox/up.sh

sandbox-down: ## remove the sandbox stack, its volumes and $(SANDBOX_DIR)
	$(LOCK) sandbox/down.sh

# The remote test hosts use their own engines, not the local stack: no sandbox lock, but this one for everything
# that changes or uses them (hosts.sh serialises its own runs with another file, so a suite holding this one can
# still call hosts.sh reset).
REMOTE_LOCK := flock $(or $(REMOTE_LOCK_FILE),/tmp/bs-remote.lock)
remote-up: images ## two test servers reached over SSH (sandbox/remote), each running the memcached stack
	$(REMOTE_LOCK) sandbox/remote/hosts.sh up

remote-reset: images ## both remote hosts' stacks back to a fresh pre-cutover (memcached) stack
	$(REMOTE_LOCK) sandbox/remote/hosts.sh reset

remote-down: ## remove the remote test hosts, their engines' volumes and their network
	$(REMOTE_LOCK) sandbox/remote/hosts.sh down

# The tests take REMOTE_LOCK themselves (also when `make integration` runs them).
remote-integration: venv remote-up ## the remote hosts over SSH and the Docker-free controller
	$(PYTEST) $(PYTEST_FLAGS) tests/integration/remote

# Everything over SSH, as users run it: the hosts, molecule/remote (two hosts, become, the role's defaults, a
# venv installed offline) and the faults over the wire (tests/faults/test_over_the_wire.py).
remote: venv remote-up module-wheelhouse ## the remote gate: hosts checks, molecule/remote, faults over the wire
	$(PYTEST) $(PYTEST_FLAGS) tests/integration/remote
	$(REMOTE_LOCK) tests/molecule/run.sh remote
	$(REMOTE_LOCK) $(PYTEST) $(PYTEST_FLAGS) -m remote tests/faults

demo: sandbox-up ## sandbox up on memcached, run the rollout, print the cutover report
	$(LOCK) ansible-playbook playbooks/rollout.yml -i inventories/sandbox
	@cat "$$(readlink -f $(SANDBOX_DIR)/.cutover/reports/latest.txt)"

lint: venv ## yamllint, ruff and ansible-lint (production profile)
	yamllint --strict .
	ruff check .
	ruff format --check .
	ansible-lint

sanity: venv host-packages ## ansible-test sanity on the collection
	tests/sanity/run.sh

unit: venv ## unit tests (no servers): the plugins and the benchmarks' pure parts
	$(PYTEST) $(PYTEST_FLAGS) tests/unit tests/bench

# The stock PgQueuer worker that tests/integration/modules/test_pgqueuer_probe_stock_worker.py runs: the
# sandbox's memcached-release libraries (PgQueuer's own psycopg driver), in a venv of their own.
PGQ_VENV := $(CURDIR)/.cache/venv-pgqueuer
$(PGQ_VENV)/.installed: sandbox/app/requirements-memcached.txt
	$(PYTHON) -m venv $(PGQ_VENV)
	$(PGQ_VENV)/bin/pip install --quiet --disable-pip-version-check -r $<
	touch $@

# Wheels of requirements.txt (the modules' pinned libraries, redis_cutover_module_pip_requirements) for hosts that
# cannot reach PyPI: -e redis_cutover_module_wheelhouse=$(CURDIR)/.cache/wheelhouse/modules with module_deps venv.
# pip evaluates dependency markers for the Python that downloads, not the hosts': redis-py needs async-timeout on
# Python < 3.11.3, which Debian 12's 3.11.2 is, so it is named here.
WHEELHOUSE := $(CURDIR)/.cache/wheelhouse/modules
$(WHEELHOUSE)/.stamp: requirements.txt Makefile
	rm -rf $(WHEELHOUSE)
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --only-binary :all: --dest $(WHEELHOUSE) \
	  --python-version 3.11 --implementation cp --abi cp311 \
	  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
	  -r requirements.txt "async-timeout>=4.0.3"
	touch $@

module-wheelhouse: $(WHEELHOUSE)/.stamp ## download the modules' pinned wheels for offline venv installs (.cache/wheelhouse/modules)

integration: venv images $(PGQ_VENV)/.installed ## integration tests against real Redis/PostgreSQL/memcached and the sandbox stack
	STOCK_PGQUEUER_PYTHON=$(PGQ_VENV)/bin/python $(LOCK) $(PYTEST) $(PYTEST_FLAGS) tests/integration

molecule: venv images ## molecule scenarios on the real engine
	$(LOCK) tests/molecule/run.sh

faults: venv images ## fault-injection suite against the sandbox (the remote ones run in the remote gate)
	$(LOCK) $(PYTEST) $(PYTEST_FLAGS) -m "not remote" tests/faults

bench: venv images ## benchmarks: collection rollout vs the seed runbook (BENCH_RUNS=N), module call cost
	$(LOCK) $(BIN)/python bench/cutover.py --runs $${BENCH_RUNS:-3} --png docs/images/cutover-timeline-{driver}.png
	$(LOCK) $(BIN)/python bench/module_calls.py --runs 5

bench-remote: venv images remote-up ## rollout over SSH vs local on the same stack: one host, the two-host fleet (BENCH_RUNS=N)
	$(LOCK) $(REMOTE_LOCK) $(BIN)/python bench/remote.py --runs $${BENCH_RUNS:-3}

bench-smoke: venv images ## one short run of each benchmark to prove the harnesses work (no timing assertions)
	$(LOCK) $(BIN)/python bench/cutover.py --runs 1 --short
	$(LOCK) $(BIN)/python bench/module_calls.py --runs 1 --releases redis

build: venv ## build the collection tarball and install it into a scratch path
	tests/build/run.sh

test: ## every gate, as CI runs it, each timed (the images build beside lint, sanity, unit and build)
	tests/gates.sh

clean: ## remove build outputs (not the venv)
	rm -rf build tests/output .pytest_cache .ruff_cache
