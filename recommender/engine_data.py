"""What :class:`recommender.engine.Engine` reads from a data dir: the catalog, embeddings,
caption vectors (built once and cached), music tokens for the melody index, and the small
row helpers both modules use. Kept apart from the ranking code in ``recommender.engine``.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantus.atomic import atomic_path
from cantus.errors import MissingArtifact
from recommender.melody import (
    LENGTH_CLASSES,
    MAX_INTERVAL,
    MELODY_VERSION,
    NGRAM_RANGE,
    RHYTHM_WEIGHT,
    SCALE_STEPS,
    STEPS_WEIGHT,
    MelodyIndex,
)
from recommender.query_text import TextEmbedder, query_text_embedder, shared_cache_dir

log = logging.getLogger(__name__)

CAPTION_FILE = "caption_embeddings.npy"  # (N, 384) float16, rows in catalog order
# Catalog columns the engine keeps in memory (tokens and captions are only read to build).
CATALOG_COLUMNS = (
    "id",
    "source",
    "number",
    "collection",
    "origin",
    "title",
    "composer",
    "meter",
    "key",
    "tonic",
    "mode",
    "key_confidence",
    "tempo_bpm",
    "tempo_text",
    "bars",
    "seconds",
    "pitch_low",
    "pitch_high",
    "ambitus",
    "n_notes",
    "note_density",
    "parts",
    "form",
    "genre",
    "genre_original",
    "region",
    "notes",
    "lyrics",
    "sha1",
)


# ------------------------------------------------------------------------------- rows


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 copy with unit-length rows (zero rows stay zero)."""
    arr = np.array(np.atleast_2d(vectors), dtype=np.float32)
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    return arr / np.where(norms > 0, norms, 1.0)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """numpy scalars/arrays → Python values, NaN → None (JSON- and describe-friendly)."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and math.isnan(value):
            value = None
        out[name] = value
    return out


def _sha_of_ids(ids: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(ids).encode()).hexdigest()[:16]


# ------------------------------------------------------------------------------- loading


def load_parts(data_dir: Path | str | None = None, with_user: bool = True) -> dict[str, Any]:
    """Everything :class:`Engine` needs from a data dir (and the user's pieces, unless
    ``with_user`` is False: the shipped catalog alone), as kwargs."""
    from cantus import config
    from recommender.encoder import load_encoder

    folder = Path(data_dir) if data_dir is not None else config.data_dir()
    if not _has_catalog(folder):
        msg = f"no catalog at {folder / 'catalog.parquet'}: run `cantus build`"
        raise MissingArtifact(msg)
    encoder = load_encoder(folder)
    parts = [folder]
    user = config.user_dir()
    if with_user and _has_catalog(user) and user.resolve() != folder.resolve():
        parts.append(user)
    frames = [_read_catalog(p) for p in parts]
    embeddings = [
        _read_embeddings(p, len(f), encoder.encoder_id) for p, f in zip(parts, frames, strict=True)
    ]
    captions = [
        caption_matrix(p, f, _sentence_cache(p)) for p, f in zip(parts, frames, strict=True)
    ]
    return {
        "catalog": pd.concat(frames, ignore_index=True),
        "embeddings": np.concatenate(embeddings),
        "encoder": encoder,
        "caption_embeddings": np.concatenate(captions),
        "text_embedder": _embed_query_text,  # loaded on the first query: inspire needs none
        "melody_tokens": functools.partial(_read_tokens, parts),
    }


def _embed_query_text(texts: Sequence[str]) -> np.ndarray:
    return _query_text_embedder()(texts)


@functools.cache
def _query_text_embedder() -> TextEmbedder:
    return query_text_embedder()


def _read_tokens(parts: list[Path]) -> list[np.ndarray]:
    """Music tokens of every row of ``parts``' catalogs, in engine row order."""
    from cantus.catalog import read_frame

    frames = [read_frame(p / "catalog.parquet", ["tokens"]) for p in parts]
    return [np.asarray(t, dtype=np.int64) for f in frames for t in f["tokens"]]


def melody_key(ids: Iterable[str]) -> str:
    """The melody cache's key: the rows' ids and every constant the documents read, so a
    change to one rebuilds the index (and the neighbours keyed by it)."""
    shape = f"{NGRAM_RANGE}:{RHYTHM_WEIGHT}:{STEPS_WEIGHT}:{MAX_INTERVAL}:{LENGTH_CLASSES}"
    return _sha_of_ids([f"melody:{MELODY_VERSION}:{shape}:{SCALE_STEPS.tolist()}", *ids])


def _cached_melody_index(
    ids: pd.Series, tokens: Callable[[], list[np.ndarray]], cache_dir: Path | None = None
) -> MelodyIndex:
    """The melody index for these rows, kept under ``$CANTUS_HOME/cache`` (keyed by the ids);
    the shipped catalog's is also read from the virtual environment (``make install``), so a
    new ``CANTUS_HOME`` neither builds it (~8 s) nor imports the tokenizer (and torch)."""
    import pickle

    from cantus import config

    key = melody_key(ids)
    path = (cache_dir or config.cantus_home() / "cache") / f"melody-{key}.pkl"
    for found in (path, shared_cache_dir() / path.name):
        if not found.is_file():
            continue
        try:
            with found.open("rb") as handle:  # our own cache file, written below
                index = pickle.load(handle)
            if isinstance(index, MelodyIndex) and index.matrix.shape[0] == len(ids):
                return index
        except Exception as exc:  # a stale or broken cache is rebuilt
            log.info("melody cache %s unreadable (%s); rebuilding", found, exc)
    started = time.perf_counter()
    index = MelodyIndex(tokens())
    log.info("melody index of %d pieces in %.1fs", len(ids), time.perf_counter() - started)
    try:
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        config.prune_cache(path, "melody-*.pkl")  # one melody cache, not one per ingest
    except OSError as exc:
        log.info("cannot cache the melody index at %s (%s)", path, exc)
    return index


def build_shared_melody_index() -> None:
    """The data dir's melody index (no user pieces) into the virtual environment's cache,
    where every new ``CANTUS_HOME`` finds it (``make install``)."""
    from cantus import config

    folder = config.data_dir()
    ids = _read_catalog(folder)["id"].astype(str)
    tokens = functools.partial(_read_tokens, [folder])
    _cached_melody_index(ids, tokens, shared_cache_dir())


def build_shared_lexical_index() -> None:
    """The data dir's BM25 index (no user pieces) into the virtual environment's cache, where
    :meth:`Engine.lexical_index` of every new ``CANTUS_HOME`` finds it (``make install``)."""
    from cantus import config
    from cantus.caption_evidence import COLLECTION_NAMES
    from recommender.lexical import LexicalIndex, data_key

    catalog = _read_catalog(config.data_dir())
    path = shared_cache_dir() / f"lexical-{data_key(catalog)}.npz"
    LexicalIndex.build(catalog.to_dict("records"), COLLECTION_NAMES).save(path, data_key(catalog))
    config.prune_cache(path, "lexical-*.npz")


def build_caption_embeddings(out_dir: Path | str) -> dict[str, Any]:
    """Build step: write ``caption_embeddings.npy`` for ``out_dir``'s catalog (after training,
    whose sentence cache makes this nearly free), so serving never embeds captions."""
    folder = Path(out_dir)
    frame = _read_catalog(folder)
    started = time.perf_counter()
    matrix = caption_matrix(folder, frame, _sentence_cache(folder))
    return {"n": len(matrix), "seconds": round(time.perf_counter() - started, 2)}


def _sentence_cache(folder: Path) -> TextEmbedder:
    """MiniLM through the build's sentence cache (training already embedded most captions)."""

    from cantus.config import SENTENCE_CACHE_DIR as CACHE_DIR
    from cantus.config import cantus_home
    from recommender.text import embed_cached

    cache = folder / CACHE_DIR
    if not cache.is_dir() and not os.access(folder, os.W_OK):  # read-only data, no cache
        cache = cantus_home() / CACHE_DIR
    return functools.partial(embed_cached, cache_dir=cache)


def _has_catalog(folder: Path) -> bool:
    return (folder / "catalog.parquet").is_file()


def _read_catalog(folder: Path) -> pd.DataFrame:
    from cantus.catalog import read_frame

    return read_frame(folder / "catalog.parquet", list(CATALOG_COLUMNS))


def _read_embeddings(folder: Path, n: int, encoder_id: str) -> np.ndarray:
    """``embeddings.npy`` of one folder as float32, checked against its catalog and encoder."""
    path, meta_path = folder / "embeddings.npy", folder / "embeddings.json"
    if not path.is_file() or not meta_path.is_file():
        msg = f"no embeddings in {folder}; run `cantus build` (or `cantus ingest` for user pieces)"
        raise MissingArtifact(msg)
    meta = json.loads(meta_path.read_text())
    if meta.get("encoder_id") != encoder_id:
        msg = (
            f"embeddings in {folder} come from encoder {meta.get('encoder_id')!r} but the encoder "
            f"in use is {encoder_id!r}; run `cantus build` to re-embed the catalog"
        )
        raise MissingArtifact(msg)
    vectors = np.load(path, mmap_mode="r")
    if vectors.shape[0] != n:
        msg = (
            f"{folder} holds {vectors.shape[0]} embeddings for {n} catalog rows; run `cantus build`"
        )
        raise MissingArtifact(msg)
    return np.asarray(vectors, dtype=np.float32)


def caption_matrix(folder: Path, catalog: pd.DataFrame, embed: TextEmbedder) -> np.ndarray:
    """Each piece's mean caption sentence vector (N, 384), cached as ``caption_embeddings.npy``.

    Keyed by content (the model and every piece's id and kept captions), so a catalog whose
    captions change under the same ids is re-embedded; written beside the catalog when that
    folder is writable, else under ``$CANTUS_HOME/cache``. Held-out evaluation caption
    families are left out so that evaluating on them stays honest.
    """
    key = caption_key(folder)
    for path in _caption_cache_paths(folder, key):
        cached = _read_caption_cache(path, key, len(catalog))
        if cached is not None:
            return cached
    started = time.perf_counter()
    texts, owner = _kept_captions(folder)
    matrix = _mean_caption_vectors(texts, owner, len(catalog), embed)
    log.info("embedded captions of %d pieces in %.1fs", len(matrix), time.perf_counter() - started)
    for path in _caption_cache_paths(folder, key):
        try:
            _write_caption_cache(path, key, matrix)
            break
        except OSError as exc:
            log.info("cannot cache caption vectors at %s (%s)", path, exc)
    return matrix


def caption_key(folder: Path) -> str:
    """Hash of what the caption vectors are made from: the model, the held-out families and the
    catalog's ids, captions and their families. The columns' stored (compressed) bytes are
    hashed, not decoded: same bytes, same content; a rewrite that compresses differently
    only costs one re-embedding."""
    import pyarrow.parquet as pq

    from recommender.text import TEXT_MODEL_NAME, TEXT_MODEL_SHA256

    digest = hashlib.sha1(f"{TEXT_MODEL_NAME}\x1e{TEXT_MODEL_SHA256}".encode())
    digest.update("\x1e".join(_held_out_families()).encode())
    path = folder / "catalog.parquet"
    meta = pq.ParquetFile(path).metadata
    wanted, seen = {"id", "captions", "caption_families"}, set()
    with path.open("rb") as handle:
        for group in range(meta.num_row_groups):
            for index in range(meta.num_columns):
                chunk = meta.row_group(group).column(index)
                name = chunk.path_in_schema.split(".")[0]  # "captions.list.element"
                if name in wanted:
                    pages = (chunk.dictionary_page_offset, chunk.data_page_offset)
                    handle.seek(min(o for o in pages if o))
                    digest.update(handle.read(chunk.total_compressed_size))
                    seen.add(name)
    if seen != wanted and meta.num_rows:
        msg = f"{path} lacks the columns {sorted(wanted - seen)} the caption vectors read"
        raise MissingArtifact(msg)
    return digest.hexdigest()[:16]


def _caption_cache_paths(folder: Path, key: str) -> list[Path]:
    from cantus import config

    return [folder / CAPTION_FILE, config.cantus_home() / "cache" / f"caption_embeddings-{key}.npy"]


def _read_caption_cache(path: Path, key: str, n: int) -> np.ndarray | None:
    meta_path = path.with_suffix(".json")
    if not path.is_file() or not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("content_sha1") != key or meta.get("n") != n:
        return None
    return np.asarray(np.load(path), dtype=np.float32)


def _write_caption_cache(path: Path, key: str, matrix: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, matrix.astype(np.float16))
    meta = {
        "content_sha1": key,
        "n": len(matrix),
        "dim": int(matrix.shape[1]),
        "held_out": list(_held_out_families()),
    }
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def _kept_captions(folder: Path) -> tuple[list[str], list[int]]:
    """Every caption the vectors average (held-out families left out) and its catalog row."""
    from cantus.catalog import read_frame

    frame = read_frame(folder / "catalog.parquet", ["captions", "caption_families"])
    held_out = set(_held_out_families())
    texts: list[str] = []
    owner: list[int] = []
    for row, (caps, fams) in enumerate(
        zip(frame["captions"], frame["caption_families"], strict=True)
    ):
        kept = [c for c, f in zip(caps, fams, strict=False) if f not in held_out and c.strip()]
        texts.extend(kept)
        owner.extend([row] * len(kept))
    return texts, owner


def _mean_caption_vectors(
    texts: list[str], owner: list[int], n: int, embed: TextEmbedder
) -> np.ndarray:
    vectors = (
        np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 384), np.float32)
    )
    sums = np.zeros((n, vectors.shape[1] if len(vectors) else 384), dtype=np.float32)
    np.add.at(sums, np.asarray(owner, dtype=np.int64), vectors)
    return _unit_rows(sums)  # (N, 384); pieces without captions stay zero (score 0)


def _held_out_families() -> tuple[str, ...]:
    """Caption families evaluation keeps unseen (``cantus.captions.HELD_OUT_FAMILIES``)."""
    from cantus.captions import HELD_OUT_FAMILIES

    return tuple(sorted(HELD_OUT_FAMILIES))
