# ShopLabel developer entry points. Everything installs into .venv; nothing global but the
# Debian packages the browser tests need (chromium, CJK fonts), installed with apt if missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: help install demo demo-headless test check lint format pytest bench train-extra clean \
	browser-deps

help:
	@echo "make demo    set up .venv and run the demo (seeds real data, serves on :8000)"
	@echo "make test    set up .venv with dev tools and run every check and test"
	@echo "make check   ruff, mypy --strict, import-linter only"
	@echo "make bench   run the benchmarks (see docs/benchmarks.md)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The train extra too, so that the fine-tuning tests run instead of skipping. torch first,
	# pinned: the CPU wheel on the machine; left to the extra, pip would pull GBs of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,train]"
	touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/shoplabel demo

demo-headless: $(STAMP)
	$(BIN)/shoplabel demo --no-serve

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The browser tests drive Debian's Chromium (never a downloaded browser); CJK fonts so that
# Chinese pages do not render as empty boxes.
browser-deps:
	@test -x /usr/bin/chromium && dpkg -s fonts-noto-cjk >/dev/null 2>&1 || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium fonts-noto-cjk)

pytest: $(STAMP) browser-deps
	$(BIN)/python -m pytest -n 2 --dist loadfile

test: check pytest

format: $(STAMP)
	$(BIN)/ruff check --fix src tests benchmarks scripts
	$(BIN)/ruff format src tests benchmarks scripts

bench: $(STAMP)
	$(BIN)/python benchmarks/inference.py
	$(BIN)/python benchmarks/load.py

# The dev install already has the train extra; kept for existing scripts.
train-extra: $(STAMP)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache shoplabel-demo
