# fwbench — `make bench` runs the default benchmark in the local lab; `make test` checks everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLAYBOOK := $(BIN)/ansible-playbook
# Extra ansible-playbook arguments, e.g. make bench ARGS="-e profile=smoke"
ARGS ?=
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PYTHONDONTWRITEBYTECODE := 1
# Debian packages the controller needs beyond Python: the report test's browser and the client
# benchmark's reference server and load generator. (The lab role installs its own tools.)
SYSTEM_PACKAGES := chromium nginx-light wrk tar postgresql

# Unit-phase workers (pytest-xdist): one per CPU by default. Tests marked `serial` (wall-clock
# timing asserted) run afterwards on their own.
UNIT_JOBS ?= auto

.PHONY: help venv system-deps bench lab lab-down test test-full lint unit contract-all lab-test bench-client bench-report clean

help:
	@echo "make bench      build the local lab, run the quick profile, print the report path"
	@echo "make test       lint + unit/contract tests + lab end-to-end test (each phase timed)"
	@echo "make test-full  make test with every variant over HTTP in both places"
	@echo "make contract-all  every variant over HTTP on 127.0.0.1, on SQLite and PostgreSQL"
	@echo "make venv       create .venv from requirements/controller.txt"
	@echo "make lab-down   remove the local lab (machines, bridge, namespaces, processes)"

venv: $(VENV)/.installed

$(VENV)/.installed: requirements/controller.txt
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements/controller.txt
	touch $@

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

bench: venv
	time $(PLAYBOOK) bench.yml $(ARGS)

lab: venv
	$(PLAYBOOK) playbooks/lab.yml $(ARGS)

lab-down: venv
	$(PLAYBOOK) playbooks/lab.yml -e lab_state=absent $(ARGS)

# Each phase timed; the table of durations is printed at the end, also after a failure.
test: venv
	@bash tests/phases.sh lint unit lab-test

# The contract suite over HTTP against all 27 variants on 127.0.0.1 and in the lab (make test runs
# one variant per server in each place, 19 in all: tests/contract/variant_sets.py).
test-full: export FWBENCH_CONTRACT_VARIANTS := all
test-full: export FWBENCH_CONTRACT_PG_VARIANTS := all
test-full: test

lint: venv
	$(BIN)/ruff check . roles/lab/files/fwbench-delay
	$(BIN)/yamllint -c tests/yamllint.yml .
	$(BIN)/ansible-lint --offline -c tests/ansible-lint.yml
	for p in bench.yml playbooks/*.yml; do $(PLAYBOOK) --syntax-check $$p >/dev/null || exit 1; done

unit: venv system-deps
	$(BIN)/pytest -m "not lab and not serial" -n $(UNIT_JOBS) --dist loadfile -q -p no:cacheprovider \
	  --durations=15
	$(BIN)/pytest -m "serial and not lab" -q -p no:cacheprovider --durations=5

contract-all: venv system-deps
	FWBENCH_CONTRACT_VARIANTS=all FWBENCH_CONTRACT_PG_VARIANTS=all \
	  $(BIN)/pytest -m servers -n $(UNIT_JOBS) -q -p no:cacheprovider \
	  tests/contract/test_http_servers.py tests/contract/test_http_servers_postgres.py

lab-test: venv
	$(BIN)/pytest -m lab -v -s -p no:cacheprovider --durations=15 tests/lab

bench-client: venv system-deps
	$(BIN)/python tests/bench/bench_client.py

bench-report: venv
	$(BIN)/python tests/bench/bench_report.py

clean:
	rm -rf $(VENV) .cache
