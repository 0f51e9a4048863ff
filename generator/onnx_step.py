"""Serving's decoder: the seed Transformer's blocks as one ONNX graph run by onnxruntime.

Why: one decoding step is ~60 small kernels. torch spends 20-40 us dispatching each (and ~3 s
importing), numpy ~5 us per call; onnxruntime runs the whole step in C++ (~0.4 ms on this
machine against ~3.5 ms in numpy and torch). The graph maps one new position per row, given
the keys and values of the earlier positions, to the logits and the new keys and values; the
embeddings, the condition prefix and the cache stay in numpy (:class:`NumpyDecoder`).

The ``.onnx`` file is exported from the checkpoint's weights by ``generator.step_export``
(torch, once: ``make install`` for the shipped generator, or on the first request with a log
line), checked against the torch model, and named by the weights' sha256, so a retrained
generator never meets a stale export.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import MissingArtifact
from generator.model_config import GeneratorConfig
from generator.numpy_decoder import NumpyDecoder

log = logging.getLogger(__name__)

ONNX_OPSET = 17
STEP_FORMAT = f"seed-step-onnx-opset{ONNX_OPSET}-v1"  # change when the exported graph changes


class OnnxCache:
    """One batch's keys and values, positions first so the past is one contiguous slice:
    (ctx, layers, 2, R, H, hd)."""

    def __init__(self, cfg: GeneratorConfig, rows: int, glob: np.ndarray | None) -> None:
        hd = cfg.d_model // cfg.n_heads
        self.kv = np.empty((cfg.ctx, cfg.n_layers, 2, rows, cfg.n_heads, hd), np.float32)
        self.length = 0  # positions cached (prefix included)
        self.glob = glob  # (R, C) added to every token position (None: no global condition)


class OnnxDecoder(NumpyDecoder):
    """:class:`NumpyDecoder`'s interface with its blocks run by an onnxruntime session."""

    def __init__(self, cfg: GeneratorConfig, state: dict[str, np.ndarray], session: Any) -> None:
        super().__init__(cfg, state)
        self.session = session  # inputs x (R, C), past (P, L, 2, R, H, hd)

    def start(
        self, idx: np.ndarray, cond: np.ndarray | None, drop: np.ndarray | None = None
    ) -> tuple[np.ndarray, OnnxCache]:
        """As :meth:`NumpyDecoder.start`: the prefix and ``idx`` go through one position at
        a time (the graph takes one; ~10 positions)."""
        x, glob = self.embed_start(idx, cond, drop)  # (R, P + T, C)
        cache = OnnxCache(self.cfg, idx.shape[0], glob)
        logits = None
        for pos in range(x.shape[1]):
            logits = self._run(np.ascontiguousarray(x[:, pos]), cache)
        return logits, cache

    def step(self, tokens: np.ndarray, cache: OnnxCache) -> np.ndarray:  # type: ignore[override]
        return self._run(self.embed_step(tokens, cache.length, cache.glob), cache)

    def _run(self, x: np.ndarray, cache: OnnxCache) -> np.ndarray:
        pos = cache.length
        logits, kv = self.session.run(None, {"x": x.astype(np.float32), "past": cache.kv[:pos]})
        cache.kv[pos] = kv  # (L, 2, R, H, hd)
        cache.length = pos + 1
        return logits  # (R, V)


def step_file_name(weights_sha256: str) -> str:
    """The export's file name for these weights and this graph format."""
    stamp = hashlib.sha1(f"{STEP_FORMAT}:{weights_sha256}".encode()).hexdigest()[:16]
    return f"seed-step-{stamp}.onnx"


def load_onnx_decoder(
    cfg: GeneratorConfig,
    state: dict[str, np.ndarray],
    weights_sha256: str,
    read_dirs: tuple[Path, ...],
    write_dir: Path,
) -> OnnxDecoder:
    """The decoder whose graph is the first of ``read_dirs`` holding this export; else it is
    exported into ``write_dir`` (needs torch; said in the log)."""
    name = step_file_name(weights_sha256)
    path = next((Path(d) / name for d in read_dirs if (Path(d) / name).is_file()), None)
    if path is None:
        from generator.step_export import export_step

        path = Path(write_dir) / name
        log.info("exporting the generator's decoding step to ONNX (once): %s", path)
        export_step(cfg, state, path)
    return OnnxDecoder(cfg, state, step_session(path))


def step_session(path: Path) -> Any:
    """An onnxruntime session on one thread: a step is ~0.4 ms of work, and on a shared
    machine a second thread only waits for a busy core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        msg = f"cannot load the generator's decoding step {path} ({exc}); delete it and rerun"
        raise MissingArtifact(msg) from exc
