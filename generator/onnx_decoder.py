"""Serving's decoder: the seed Transformer as two ONNX graphs run by onnxruntime (no torch).

Why: one decoding step is ~60 small kernels. torch spends 20-40 us dispatching each (and ~3 s
importing); onnxruntime runs the whole step in C++ (~0.4 ms on this machine against ~3.5 ms in
torch). Two graphs, exported from the model's own modules by ``generator.decoder_export``:

* ``start``: control tokens and prompt ``idx`` (R, T), condition ``cond`` (R, D) and ``drop``
  (R,) (True: the learned null condition) -> the logits after the last token (R, V), every
  position's keys and values (P + T, L, 2, R, H, hd) and the global vector (R, C) later
  positions add (zeros for a model without global conditioning);
* ``step``: one new token per row ``token`` (R,) at position ``pos`` (1,), the global vector
  and the earlier positions' keys and values ``past`` -> the logits (R, V) and the new
  position's keys and values (L, 2, R, H, hd).

Embeddings, condition prefix, blocks and the tied output head all run inside the graphs; numpy
only keeps the cache. The files are named by the weights' sha256 (``cantus.onnx_graphs``):
``make install`` exports the shipped generator's, a first request exports others (log line).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cantus.onnx_graphs import ONNX_OPSET, find_or_export, graph_file_name, onnx_session
from generator.model_config import GeneratorConfig

DECODER_FORMAT = f"seed-decoder-onnx-opset{ONNX_OPSET}-v2"  # change when the graphs change
WHAT = "the generator's decoder"


class OnnxCache:
    """One batch's keys and values, positions first so the past is one contiguous slice:
    (ctx, layers, 2, R, H, hd)."""

    def __init__(self, cfg: GeneratorConfig, rows: int, glob: np.ndarray) -> None:
        hd = cfg.d_model // cfg.n_heads
        self.kv = np.empty((cfg.ctx, cfg.n_layers, 2, rows, cfg.n_heads, hd), np.float32)
        self.length = 0  # positions cached (prefix included)
        self.glob = glob  # (R, C) added to every token position


class OnnxDecoder:
    """Incremental decoding of one batch: :meth:`start` runs the condition prefix, control
    tokens and prompt into a new :class:`OnnxCache`; :meth:`step` one new token per row. Holds
    no per-batch state, so threads may share one decoder."""

    def __init__(self, cfg: GeneratorConfig, start: Any, step: Any) -> None:
        self.cfg = cfg
        self._start, self._step = start, step  # onnxruntime sessions

    def start(
        self, idx: np.ndarray, cond: np.ndarray | None, drop: np.ndarray | None = None
    ) -> tuple[np.ndarray, OnnxCache]:
        """Logits (R, V) after the last of ``idx`` (R, T), the condition prefixed, and the
        cache to continue from. ``drop`` (R,) True: that row gets the null condition (all rows
        when ``cond`` is None)."""
        cfg = self.cfg
        rows, t = idx.shape
        if t < cfg.n_ctrl:
            msg = f"a sequence must open with {cfg.n_ctrl} control tokens (received {t})"
            raise ValueError(msg)
        total = cfg.n_prefix + t
        if total > cfg.ctx:
            msg = f"sequence of {total} positions exceeds the model context {cfg.ctx}"
            raise ValueError(msg)
        if cond is None:  # the null vectors replace a projected zero vector exactly
            cond, drop = np.zeros((rows, cfg.cond_dim), np.float32), np.ones(rows, bool)
        if cond.shape != (rows, cfg.cond_dim):
            msg = f"`cond` must have shape {(rows, cfg.cond_dim)} (received {cond.shape})"
            raise ValueError(msg)
        drop = np.zeros(rows, bool) if drop is None else np.asarray(drop, bool)
        feed = {"idx": idx.astype(np.int64), "cond": cond.astype(np.float32), "drop": drop}
        logits, kv, glob = self._start.run(None, feed)
        cache = OnnxCache(cfg, rows, glob)
        cache.kv[:total] = kv  # (P + T, L, 2, R, H, hd)
        cache.length = total
        return logits, cache

    def step(self, tokens: np.ndarray, cache: OnnxCache) -> np.ndarray:
        """Logits (R, V) after one new token per row (``tokens`` (R,)) continuing ``cache``."""
        pos = cache.length
        if pos == 0 or pos + 1 > self.cfg.ctx:
            msg = f"a step needs a started cache within the model context (position {pos})"
            raise ValueError(msg)
        feed = {
            "token": np.asarray(tokens, np.int64),
            "pos": np.array([pos], np.int64),
            "glob": cache.glob,
            "past": cache.kv[:pos],
        }
        logits, kv = self._step.run(None, feed)
        cache.kv[pos] = kv  # (L, 2, R, H, hd)
        cache.length = pos + 1
        return logits


def decoder_file_names(weights_sha256: str, cfg: GeneratorConfig) -> tuple[str, str]:
    """The start and step graphs' file names for these weights, config and graph format."""
    config = cfg.to_json()
    return (
        graph_file_name("seed-start", DECODER_FORMAT, weights_sha256, config),
        graph_file_name("seed-step", DECODER_FORMAT, weights_sha256, config),
    )


def load_onnx_decoder(
    cfg: GeneratorConfig,
    state: dict[str, np.ndarray],
    weights_sha256: str,
    read_dirs: tuple[Path, ...],
    write_dir: Path,
) -> OnnxDecoder:
    """The decoder whose graphs are in the first of ``read_dirs`` holding them; else they are
    exported into ``write_dir`` (needs torch; said in the log)."""

    def export(paths: list[Path]) -> None:
        from generator.decoder_export import export_decoder

        export_decoder(cfg, state, paths[0], paths[1])

    names = decoder_file_names(weights_sha256, cfg)
    start, step = find_or_export(names, read_dirs, write_dir, export, WHAT)
    return OnnxDecoder(cfg, onnx_session(start, WHAT), onnx_session(step, WHAT))
