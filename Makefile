# The two commands of the README: `make run` (set up, then start the app) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test test-slow lint install

install: $(VENV)/.installed

# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,scale]'
	# trace the query encoder once into the venv, so the app's first start stays fast
	$(BIN)/python -c "from recommender.query_text import query_text_embedder; query_text_embedder()"
	touch $@

run: install
	$(BIN)/cantus dashboard

test: install
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check .
