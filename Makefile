# Adhere: the two commands are `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first interpreter on PATH that is Python 3.12 or newer (Django 6.1
# needs 3.12). With pyenv, .python-version makes `python3` that one.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	&& { echo $$p; break; }; done)

.PHONY: help run test lint fmt venv dev-venv migrate check-python clean bench-hotpaths

help:
	@echo "make run    start Adhere (web + scheduler) on http://$(HOST):$(PORT)"
	@echo "make test   run the whole test suite (SQLite, or PostgreSQL with DATABASE_URL)"
	@echo "make lint   ruff check and format check, then mypy"
	@echo "make fmt    ruff format and fix"
	@echo "make bench-hotpaths  Adhere's hot paths against Parse Server (BENCH_ARGS=--smoke: quick)"

check-python:
	@if [ -z "$(PYTHON)" ] || ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Adhere needs Python 3.12 or newer (Django 6.1 does)."; \
		echo "Found: $$($(or $(PYTHON),python3) --version 2>&1) ($(or $(PYTHON),python3))."; \
		echo "Install Python 3.12+ (for example 'pyenv install 3.12'), or run 'make PYTHON=/path/to/python3.12 ...'."; \
		exit 1; \
	fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
		echo "$(VENV) was made with $$($(PY) --version); Adhere needs 3.12+. Remove it ('make clean') and try again."; \
		exit 1; \
	fi

$(PY): | check-python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs again only when a requirements file changed.
$(VENV)/.requirements: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.requirements

venv: check-python $(VENV)/.requirements
dev-venv: check-python $(VENV)/.requirements-dev

migrate: venv
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input

# The web server and the django-q2 cluster together; Ctrl-C stops both.
run: migrate
	@DEBUG=$${DEBUG:-1}; export DEBUG; \
	$(PY) manage.py qcluster & cluster=$$!; \
	trap 'kill -TERM $$cluster 2>/dev/null; wait $$cluster 2>/dev/null' EXIT INT TERM; \
	echo "Adhere is starting on http://$(HOST):$(PORT) (scheduler pid $$cluster). Ctrl-C stops both."; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: dev-venv
	SECRET_KEY=$${SECRET_KEY:-test-only-secret-key} $(PY) -m pytest $(PYTEST_ARGS)

lint: dev-venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-lint-only-secret-key} $(PY) -m mypy .

fmt: dev-venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Needs PostgreSQL on 127.0.0.1:5432, the PostgreSQL 15 binaries, wrk, node and npm: see bench/README.md.
bench-hotpaths: venv
	$(PY) bench/hotpaths.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV)
