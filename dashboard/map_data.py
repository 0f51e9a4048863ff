"""The map page's data: a 2-D projection (PCA or t-SNE) of the music embeddings, cached on disk."""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from dashboard.services import cache_dir, with_engine

MAP_TSNE_MAX = 5000  # t-SNE is O(N log N) but slow on 2 cores; bigger catalogs are sampled


@st.cache_data(show_spinner=False, max_entries=4)
def projection(method: str) -> Any:
    """2-D map of the music embeddings (PCA or t-SNE), computed once and cached on disk."""
    import numpy as np
    import pandas as pd

    frame, vectors, encoder_id = with_engine(
        lambda e: (
            e.catalog[["id", "title", "collection", "mode", "key", "meter"]].copy(),
            e.embeddings,
            getattr(e.encoder, "encoder_id", ""),
        )
    )
    rows = _map_rows(len(frame), method)
    key = hashlib.sha1(f"{method}|{encoder_id}|{len(frame)}|{rows.size}".encode()).hexdigest()[:16]
    path = cache_dir() / f"map-{key}.npy"
    if path.is_file():
        xy = np.load(path)
    else:
        xy = _project(np.asarray(vectors, dtype=np.float32)[rows], method)
        np.save(path, xy)
    out = frame.iloc[rows].reset_index(drop=True)
    out[["x", "y"]] = pd.DataFrame(xy, columns=["x", "y"])
    return out


def _map_rows(n: int, method: str) -> Any:
    import numpy as np

    if method != "t-SNE" or n <= MAP_TSNE_MAX:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAP_TSNE_MAX, replace=False))


def _project(vectors: Any, method: str) -> Any:
    from sklearn.decomposition import PCA

    if method != "t-SNE" or len(vectors) < 5:
        return PCA(n_components=2, random_state=0).fit_transform(vectors)
    from sklearn.manifold import TSNE

    # PCA to 50 dims first: the standard speed-up, and it removes noise dimensions
    reduced = PCA(
        n_components=min(50, vectors.shape[1], len(vectors)), random_state=0
    ).fit_transform(vectors)
    perplexity = float(min(30, max(2, (len(vectors) - 1) // 3)))
    # 500 iterations from the PCA start: ~5 s for 5,000 pieces on 2 cores (1,000 took ~10 s)
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0, max_iter=500)
    return tsne.fit_transform(reduced)
