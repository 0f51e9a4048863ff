"""Embedding on Ray: the music tower over token lists, one encoder copy per Ray actor.

Used by :func:`recommender.embed.embed_tokens` while a ``cantus.distributed.ray_session`` is
active (``--ray`` / ``RAY_ADDRESS``), so ``cantus build`` and ``cantus ingest`` embed on the
cluster that parsed. The encoder is shipped once per actor (a few MB, pickled), each actor
embeds batches on one CPU thread; rows come back in input order.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np


class _EmbedActor:
    """Holds one encoder; embeds a batch of pickled token lists."""

    def __init__(self, encoder_blob: bytes) -> None:
        import torch

        torch.set_num_threads(1)  # one CPU per actor: Ray schedules the rest
        self.encoder = pickle.loads(encoder_blob)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        tokens = [pickle.loads(blob) for blob in batch["tokens"]]
        vectors = self.encoder.encode_ids(tokens, batch_size=len(tokens))  # (B, D)
        return {"row": batch["row"], "vector": vectors.astype(np.float32)}


def embed_tokens_ray(
    ray: Any, encoder: Any, token_lists: list, batch_size: int, actors: int
) -> tuple[np.ndarray, float]:
    """(vectors float32 (N, D) in input order, pieces per second) through Ray Data."""
    start = time.perf_counter()
    if not token_lists:
        return np.zeros((0, encoder.dim), dtype=np.float32), 0.0
    items = [{"row": i, "tokens": pickle.dumps(np.asarray(t, dtype=np.int64))}
             for i, t in enumerate(token_lists)]  # fmt: skip
    dataset = ray.data.from_items(items)
    mapped = dataset.map_batches(
        _EmbedActor,
        fn_constructor_args=(pickle.dumps(encoder),),
        batch_size=batch_size,
        batch_format="numpy",
        compute=ray.data.ActorPoolStrategy(size=max(1, actors)),
        num_cpus=1,
    )
    out = np.zeros((len(token_lists), encoder.dim), dtype=np.float32)
    for batch in mapped.iter_batches(batch_format="numpy", batch_size=None):
        out[batch["row"]] = batch["vector"]
    return out, len(token_lists) / max(time.perf_counter() - start, 1e-9)
