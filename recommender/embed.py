"""Music embeddings of catalog rows: ``embeddings.npy`` (float16 (N, D), catalog row order).

``embed_catalog(out_dir)`` embeds a build's catalog with the encoder of the same folder;
``embed_user_pieces()`` embeds the user's ingested rows (``cantus.config.user_dir()``) with the
encoder in use (``cantus.config.data_dir()``). Each writes ``embeddings.json`` =
``{"encoder_id", "dim", "n"}`` beside the vectors, which readers check against the encoder.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import MissingArtifact

log = logging.getLogger(__name__)

EMBEDDINGS_FILE = "embeddings.npy"
EMBEDDINGS_META = "embeddings.json"


def embed_tokens(
    encoder: Any, token_lists: list, batch_size: int = 128
) -> tuple[np.ndarray, float]:
    """(vectors float32 (N, D), pieces per second) with progress logged every ~10 %."""
    from cantus.distributed import active_ray

    ray = active_ray()  # --ray / RAY_ADDRESS: embed on the cluster that parsed
    if ray is not None:
        from recommender.embed_ray import embed_tokens_ray

        return embed_tokens_ray(ray.module, encoder, token_lists, batch_size, ray.cpus)
    start = time.perf_counter()
    out, step = [], max(batch_size, (len(token_lists) // 10 // batch_size + 1) * batch_size)
    for lo in range(0, len(token_lists), step):
        out.append(encoder.encode_ids(token_lists[lo : lo + step], batch_size=batch_size))
        log.info("embedded %d/%d pieces", min(lo + step, len(token_lists)), len(token_lists))
    seconds = time.perf_counter() - start
    vectors = np.concatenate(out) if out else np.zeros((0, encoder.dim), dtype=np.float32)
    return vectors, len(token_lists) / max(seconds, 1e-9)


def write_embeddings(folder: Path, vectors: np.ndarray, encoder_id: str) -> None:
    """``embeddings.npy`` (float16) + ``embeddings.json`` in ``folder`` (atomic replace)."""
    folder = Path(folder)
    tmp = folder / (EMBEDDINGS_FILE + ".tmp.npy")
    np.save(tmp, np.asarray(vectors, dtype=np.float16))
    tmp.replace(folder / EMBEDDINGS_FILE)
    meta = {"encoder_id": encoder_id, "dim": int(vectors.shape[1]), "n": int(vectors.shape[0])}
    (folder / EMBEDDINGS_META).write_text(json.dumps(meta, indent=2) + "\n")


def _tokens_of(catalog_path: Path) -> list:
    import pandas as pd

    frame = pd.read_parquet(catalog_path, columns=["tokens"])
    return [np.asarray(t, dtype=np.int64) for t in frame["tokens"]]


def embed_catalog(out_dir: Path | str) -> dict[str, Any]:
    """Embed ``out_dir/catalog.parquet`` with ``out_dir/encoder``; returns n, dim, pieces/s."""
    from recommender.encoder import load_encoder

    out_dir = Path(out_dir)
    path = out_dir / "catalog.parquet"
    if not path.is_file():
        msg = f"no catalog at {path}: run `cantus build`"
        raise MissingArtifact(msg)
    encoder = load_encoder(out_dir)
    vectors, rate = embed_tokens(encoder, _tokens_of(path))
    write_embeddings(out_dir, vectors, encoder.encoder_id)
    log.info("embedded %d pieces at %.1f pieces/s", len(vectors), rate)
    return {
        "n": len(vectors),
        "dim": encoder.dim,
        "pieces_per_s": round(rate, 1),
        "encoder_id": encoder.encoder_id,
    }


def embed_user_pieces(data_dir: Path | str | None = None) -> dict[str, Any]:
    """Embed ``user_dir()/catalog.parquet`` with the encoder in use; returns n, dim, pieces/s.

    Without a user catalog nothing is written and ``n`` is 0.
    """
    from cantus.config import user_dir
    from recommender.encoder import load_encoder

    folder = user_dir()
    path = folder / "catalog.parquet"
    if not path.is_file():
        return {"n": 0, "dim": 0, "pieces_per_s": 0.0, "encoder_id": ""}
    encoder = load_encoder(data_dir)
    vectors, rate = embed_tokens(encoder, _tokens_of(path))
    write_embeddings(folder, vectors, encoder.encoder_id)
    return {
        "n": len(vectors),
        "dim": encoder.dim,
        "pieces_per_s": round(rate, 1),
        "encoder_id": encoder.encoder_id,
    }
