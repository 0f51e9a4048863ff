# The two commands of the README: `make run` (set up, then start the app) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
# Where pip looks for torch. Empty: the usual indexes. A machine without a local CPU wheel sets
# the CPU index (see README), else pip resolves torch==2.13.0 to the multi-GB CUDA build.
TORCH_INDEX ?=

.PHONY: run test test-slow lint install

install: $(VENV)/.caches

# torch is pinned and installed first: an unpinned torch pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)) torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test,scale]'
	touch $@

# The shared caches below depend on the shipped artifacts (`cantus build` rewrites
# artifacts/manifest.json) and on the modules whose VERSION keys them: the next make rebuilds.
CACHE_CODE := recommender/lexical.py recommender/lexical_tokens.py cantus/label_words.py \
              recommender/melody.py recommender/neighbours.py \
              recommender/dense_bounds.py generator/novelty.py generator/onnx_decoder.py \
              recommender/music_onnx.py cantus/tokens.py cantus/onnx_graphs.py \
              generator/decoder_export.py recommender/music_export.py
$(VENV)/.caches: $(VENV)/.installed artifacts/manifest.json $(CACHE_CODE)
	# export the MiniLM query encoder to ONNX once into the venv: searches then never import torch
	$(BIN)/python -c "from recommender.query_text import query_text_embedder; query_text_embedder()"
	# the shipped catalog's novelty, melody and BM25 indexes: the first `inspire`, `similar` or
	# `search` of a new CANTUS_HOME reads them instead of building them
	$(BIN)/python -c "from generator.inspire import build_shared_novelty_index as b; b()"
	# the tokenizer's vocabulary, the shipped generator's decoder and the encoder's music tower
	# as ONNX: `inspire` then never imports miditok or torch
	$(BIN)/python -c "from cantus.tokens import build_vocab_cache as b; b()"
	$(BIN)/python -c "from generator.inspire import build_shared_step as b; b()"
	$(BIN)/python -c "from recommender.encoder import build_shared_tower as b; b()"
	$(BIN)/python -c "from recommender.engine_data import build_shared_melody_index as b; b()"
	# every catalog piece's `similar` neighbours, precomputed beside its melody index
	$(BIN)/python -c "from recommender.neighbours import build_shared_neighbours as b; b()"
	$(BIN)/python -c "from recommender.engine_data import build_shared_lexical_index as b; b()"
	# the low-rank sketch that lets a text query score only the rows that can reach its top k
	$(BIN)/python -c "from recommender.dense_bounds import build_shared_dense_bounds as b; b()"
	touch $@

run: install
	$(BIN)/cantus dashboard --server.port $(PORT)

test: install
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
