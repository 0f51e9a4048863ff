"""Music similarity: ``similar`` (music embedding fused with the melody index) and ``nearest``,
for catalog pieces and for music files given as queries (parsed in a capped child process).

Mixed into :class:`recommender.engine.Engine` (whose state it reads).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from cantus.errors import BadInput
from cantus.filecheck import MUSIC_SUFFIXES  # suffix -> format: what ingest reads, we read
from cantus.threads import on_one_blas_thread
from recommender.checks import check_k
from recommender.engine_data import _cached_melody_index, _unit_rows
from recommender.melody import MELODY_WEIGHT, MelodyIndex, fuse
from recommender.neighbours import Neighbours, cached_neighbours, top_rows
from recommender.search_types import Hit

log = logging.getLogger(__name__)

# Melody cosine from which `why` says "same melody": the lowest of 0.05, 0.10, ... whose top-10
# melody neighbours are mostly (>= 50%) the same tune on the TUNE half of eval_same_tune (judge
# title+metre, 2026-12-01, with the scale-step document: 52% of 1199 pairs; at 0.15, 39%).
# Test half at 0.20: 48% of 1326.
# Those shares are lower bounds (a tune's other names count as misses). Re-tune from
# `cantus eval retrieval`'s same_tune.same_melody_threshold when the melody channel changes.
SAME_MELODY_COSINE = 0.2
FILE_PARSE_LIMIT_S = 60  # a query file is a few bars; longer parses are hostile or huge


class MusicSearch:
    """``similar``, ``nearest`` and file embedding (see module doc); needs the Engine state."""

    def embed_file(self, path: Path | str) -> np.ndarray:
        """Music embedding (D,) of the first work in a MIDI/MusicXML/ABC/Humdrum/MEI file."""
        return self._embed_ids(file_token_ids(Path(path)))

    def _embed_ids(self, ids: Sequence[int]) -> np.ndarray:
        return _unit_rows(self.encoder.encode_ids([list(ids)]))[0]

    def melody_index(self) -> MelodyIndex | None:
        """The melody n-gram index of every row (built or read from cache once); None if unknown."""
        if self._melody is None and self._melody_tokens is not None:
            with self._melody_lock:
                if self._melody is None:
                    self._melody = _cached_melody_index(
                        self.catalog["id"].astype(str), self._melody_tokens
                    )
        return self._melody

    def neighbours(self) -> Neighbours | None:
        """The precomputed top neighbours of every row (``recommender.neighbours``), read once;
        None when no cache matches these rows and embeddings (then ``similar`` ranks live)."""
        if not self._neighbours_read:
            with self._melody_lock:
                if not self._neighbours_read:
                    self._neighbours = self._read_neighbours()
                    self._neighbours_read = True
        return self._neighbours

    def _read_neighbours(self) -> Neighbours | None:
        """The table, without loading the melody index (its key is the ids')."""
        from cantus import config
        from recommender.query_text import shared_cache_dir

        if self._melody_tokens is None or len(self.catalog) > self.config.exact_max:
            log.debug("no neighbours table: no melody tokens or a catalog beyond exact_max")
            return None
        ids = self.catalog["id"].astype(str).tolist()
        folders = [config.cantus_home() / "cache", shared_cache_dir()]
        return cached_neighbours(ids, self.embeddings, folders)

    def music_tokens(self) -> list[np.ndarray] | None:
        """Every row's stored music tokens, read anew on each call (None if not known)."""
        return None if self._melody_tokens is None else self._melody_tokens()

    @on_one_blas_thread
    def similar(self, id_or_path: str, k: int = 10) -> list[Hit]:
        """Pieces whose music is closest to a catalog piece or a music file (itself excluded)."""
        k = check_k(k)
        text = str(id_or_path).strip()
        if text in self._rows:
            row = self._rows[text]
            table = self.neighbours()
            if table is not None and table.serves(k):
                return self._similar_from(table, row, k)
            if table is not None:
                log.debug("similar k=%d is beyond the %d precomputed: ranked live", k,
                          table.rows.shape[1])  # fmt: skip
            return self._similar(self.embeddings[row], k, (text,), row=row)
        path = Path(text).expanduser()
        if not path.exists():
            msg = f"not a piece id or a readable file: {text!r} (ids look like 'm21:bach/x.mxl#')"
            raise BadInput(msg)
        ids = file_token_ids(check_music_file(path))
        vector = self._embed_ids(ids)
        return self._similar(vector, k, self._same_piece(path, vector), tokens=ids)

    def _similar_from(self, table: Neighbours, row: int, k: int) -> list[Hit]:
        """``_similar`` of catalog row ``row`` read from the precomputed table."""
        vec = _unit_rows(np.asarray(self.embeddings[row], dtype=np.float32).reshape(1, -1))[0]
        top = zip(table.rows[row, :k], table.scores[row, :k], table.tune[row, :k], strict=True)
        return [
            self._hit(int(r), float(s), melody_why(float(t), float(self.embeddings[r] @ vec)))
            for r, s, t in top
        ]

    def _similar(
        self,
        vector: np.ndarray,
        k: int,
        exclude: Iterable[str],
        row: int | None = None,
        tokens: Sequence[int] | None = None,
    ) -> list[Hit]:
        """Music cosine fused with the melody index (``recommender.melody``); music alone
        without one. Exact over the catalog up to ``exact_max`` rows, else over the union of
        the index's best music candidates and the best melody candidates (inverted lists)."""
        melody = self.melody_index()
        if melody is None:
            return self.nearest(vector, k, exclude)
        skip = frozenset(self._rows[e] for e in exclude if e in self._rows)
        vec = _unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        query = melody.matrix[row] if row is not None else melody.query_vector(tokens or [])
        tune = melody.cosines(query)  # (N,): only pieces sharing an n-gram are touched
        if len(self.catalog) <= self.config.exact_max:
            rows = np.arange(len(self.catalog))
            music = self.embeddings @ vec
        else:  # a tune in other clothes may be far in music space: melody finds it
            pool = max(self.config.rerank_pool, 4 * k)
            near = [h[0] for h in self._ranked(self._music_query(vec), pool, None, skip)]
            rows = np.union1d(near, np.argpartition(-tune, min(pool, len(tune)) - 1)[:pool])
            music = self.embeddings[rows] @ vec
        scores = fuse(music, tune[rows]) / (1.0 + MELODY_WEIGHT)  # back to the cosine scale
        keep = ~np.isin(rows, list(skip))
        rows, scores = rows[keep], scores[keep]
        # partial sort (the catalog's tail is never ordered); ties by row, as the table's
        top = [(int(rows[i]), float(scores[i])) for i in top_rows(scores, k)]
        return [
            self._hit(r, s, melody_why(float(tune[r]), float(self.embeddings[r] @ vec)))
            for r, s in top
        ]

    def _music_query(self, vec: np.ndarray) -> np.ndarray:
        """A music vector as an index query (zero weight on the caption part)."""
        if self.caption_embeddings is None:
            return vec
        return np.concatenate([vec, np.zeros(self.caption_embeddings.shape[1], np.float32)])

    @on_one_blas_thread
    def nearest(self, vector: np.ndarray, k: int = 10, exclude: Iterable[str] = ()) -> list[Hit]:
        """Top-``k`` pieces by music cosine to ``vector`` (D,), skipping ids in ``exclude``."""
        k = check_k(k)
        vec = _unit_rows(np.asarray(vector, dtype=np.float32).reshape(1, -1))[0]
        if vec.shape[0] != self.embeddings.shape[1]:
            dim = self.embeddings.shape[1]
            msg = f"vector has {vec.shape[0]} dimensions, the catalog embeddings {dim}"
            raise BadInput(msg)
        skip = frozenset(self._rows[e] for e in exclude if e in self._rows)
        return [self._hit(r, s) for r, s in self._ranked(self._music_query(vec), k, None, skip)]

    def _same_piece(self, path: Path, vector: np.ndarray) -> tuple[str, ...]:
        """Ids of catalog rows that are this very file's music (same bytes, same embedding)."""
        if "sha1" not in self.catalog:
            return ()
        sha1 = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
        rows = np.flatnonzero(self.catalog["sha1"].astype(str).to_numpy() == sha1)
        same = [r for r in rows if float(self.embeddings[r] @ vector) > 0.999]
        return tuple(str(self.catalog["id"].iloc[r]) for r in same)


def melody_why(melody: float, music: float) -> str:
    """What ``similar``'s score is made of, for `why`, named by what each number is (two
    cosines); "same melody" only from SAME_MELODY_COSINE up."""
    if melody <= 0:  # no shared n-gram: the melody channel added nothing
        return f"music embedding: cosine {music:.2f} (no melody n-gram shared)"
    shown = f"melody n-grams: cosine {melody:.2f}"
    # compared as printed, so a shown 0.20 never reads differently from another 0.20
    if round(melody, 2) >= SAME_MELODY_COSINE:
        shown = f"same melody ({shown})"
    return f"{shown}, music embedding: cosine {music:.2f}"


def check_music_file(path: Path | str, what: str = "music file") -> Path:
    """``path`` when it names a file; BadInput saying whether it is missing or a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        msg = f"{path} is a folder; give one {what} ({', '.join(MUSIC_SUFFIXES)})"
        raise BadInput(msg)
    if not path.is_file():
        if os.path.lexists(path):  # a FIFO, a device, a socket or a dangling link
            raise BadInput(f"{what} {path} is not a regular file")
        raise BadInput(f"{what} not found: {path}")
    return path


def file_token_ids(path: Path, time_limit_s: float | None = None) -> list[int]:
    """Music tokens of the first work in a music file; BadInput when it cannot be used.

    The file is parsed in a child process with a time limit and a memory cap
    (``cantus.isolated``); the same bytes are parsed once per process.
    """
    from cantus import isolated

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MUSIC_SUFFIXES:
        kinds = ", ".join(MUSIC_SUFFIXES)
        msg = f"unsupported file type {suffix or '(none)'!r} for {path}; use one of {kinds}"
        raise BadInput(msg)
    limit = FILE_PARSE_LIMIT_S if time_limit_s is None else time_limit_s
    try:
        ids = isolated.query_file_ids(path, time_limit_s=limit)
    except isolated.ParseTimeout:
        msg = f"reading {path} took longer than {limit:g} s; try a shorter file"
        raise BadInput(msg) from None
    except isolated.ParseFailed as exc:
        raise BadInput(f"could not read music from {path}: {exc}") from None
    if not ids:
        msg = f"no notes found in {path}"
        raise BadInput(msg)
    return ids
