"""Where the engine's vectors live: FAISS in-process (default) or Milvus, behind one interface.

``CANTUS_VECTORS`` picks the store:

- unset or ``faiss``: :class:`recommender.index.VectorIndex` in this process (the default).
- ``milvus:<uri>``: a Milvus collection through ``pymilvus`` (extra ``cantus[scale]``). The
  URI is a Milvus Lite file (``milvus:./vectors.db``, runs in-process, what the tests use) or
  a server (``milvus:http://host:19530``): the same client code either way.

Both answer ``search(queries, k) -> (scores, rows)`` and ``ntotal``. The Milvus store also
answers :meth:`MilvusStore.ranked`, which the engine calls instead of over-fetching: the
filterable fields (collection, meter, mode, key, origin, form) are scalar fields of the
collection, so a filtered search runs in the store with a boolean expression.

Rows are keyed by piece id. One collection per encoder and vector layout; on first use it is
filled from the catalog's embeddings (a progress bar on stderr), and later opens insert the
pieces added since (``cantus ingest``) and delete those gone, so ids and rows always match the
catalog the engine serves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import BadInput, CantusError
from cantus.precheck import fold as _fold  # the engine's filter folding, for stored fields too

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

SETTING = "CANTUS_VECTORS"
# Scalar fields written beside each vector, folded like the engine's filter values.
SCALAR_FIELDS = ("collection", "meter", "mode", "key", "origin", "form")
MAX_ID_CHARS = 512  # piece ids are "m21:<path>#<n>" or "file:<sha>#<n>": far below this
MAX_FIELD_CHARS = 256
INSERT_BATCH = 1000  # rows per insert: one gRPC message stays well under Milvus' 64 MB cap
READ_BATCH = 8_000  # rows per page when reading the stored ids back
MILVUS_MAX_TOPK = 16_384  # Milvus refuses larger limits
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class VectorsSetting:
    """The parsed ``CANTUS_VECTORS``: ``backend`` "faiss" or "milvus", ``uri`` for Milvus."""

    backend: str
    uri: str = ""

    @property
    def text(self) -> str:
        return self.backend if not self.uri else f"{self.backend}:{self.uri}"


def vectors_setting(raw: str | None = None) -> VectorsSetting:
    """``CANTUS_VECTORS`` (or ``raw``) parsed; BadInput naming the setting when malformed."""
    text = (os.environ.get(SETTING, "") if raw is None else raw).strip()
    if text in ("", "faiss"):
        return VectorsSetting("faiss")
    backend, sep, uri = text.partition(":")
    if backend != "milvus" or not sep or not uri.strip():
        msg = (
            f"{SETTING} must be 'faiss' or 'milvus:<uri>' (a Milvus Lite file such as "
            f"milvus:./vectors.db, or a server such as milvus:http://host:19530); received {text!r}"
        )
        raise BadInput(msg)
    uri = uri.strip()
    if not _is_server(uri) and not uri.endswith(".db"):
        msg = (
            f"{SETTING}={text}: a Milvus Lite file name must end in .db (or give http://host:port)"
        )
        raise BadInput(msg)
    return VectorsSetting("milvus", uri)


def _is_server(uri: str) -> bool:
    return uri.startswith(("http://", "https://", "tcp://", "grpc://"))


COLLECTION_PREFIX = "cantus_"


def collection_name(encoder_id: str, dim: int) -> str:
    """One collection per encoder and vector layout (a rebuild with a new encoder gets its own;
    ``cantus corpus vectors --prune`` drops the earlier ones)."""
    key = hashlib.sha1(f"{encoder_id}\n{dim}".encode()).hexdigest()[:16]
    return f"{COLLECTION_PREFIX}{key}"


def configured_store(
    catalog: pd.DataFrame,
    vectors: np.ndarray,
    encoder_id: str,
    setting: VectorsSetting | None = None,
) -> MilvusStore | None:
    """The store ``CANTUS_VECTORS`` names, synced with these rows; None means FAISS in-process.

    ``vectors`` are the (N, D) rows of ``catalog`` (same order); its :data:`SCALAR_FIELDS`
    columns are stored folded, as the engine compares filter values.
    """
    setting = setting or vectors_setting()
    if setting.backend == "faiss":
        return None
    ids = catalog["id"].astype(str).tolist()
    fields = {
        name: np.array([_fold(v) for v in catalog[name]], dtype=object)
        if name in catalog
        else np.full(len(catalog), "", dtype=object)
        for name in SCALAR_FIELDS
    }
    return MilvusStore.open(setting, ids, vectors, fields, encoder_id)


def sync_configured_store() -> str:
    """After ``cantus build``/``ingest``: bring the store ``CANTUS_VECTORS`` names up to date
    with the catalog in use (the engine syncs it on load). "" when vectors live in FAISS."""
    setting = vectors_setting()
    if setting.backend == "faiss":
        return ""
    from recommender.engine import Engine

    engine = Engine.load()
    engine.index.close()  # type: ignore[union-attr]
    return f"{setting.text}: {engine.index.ntotal} vectors"


def collections_report(prune: bool = False) -> dict[str, Any]:
    """The store ``CANTUS_VECTORS`` names: the collection in use (synced with the catalog by
    loading the engine) and the cantus collections of earlier encoders, dropped if ``prune``."""
    setting = vectors_setting()
    if setting.backend == "faiss":
        return {"store": "faiss", "in_use": "", "others": [], "dropped": []}
    from recommender.engine import Engine

    store = Engine.load().index
    try:
        others = store.other_collections()  # type: ignore[union-attr]
        dropped = others if prune else []
        store.drop_collections(dropped)  # type: ignore[union-attr]
        name = store.name  # type: ignore[union-attr]
    finally:
        store.close()  # type: ignore[union-attr]
    return {"store": setting.text, "in_use": name, "others": others, "dropped": dropped}


@dataclass
class StoreMeta:
    """What the bench and logs read from any store (``VectorIndex.meta`` has the same names)."""

    factory: str
    encoder_id: str
    dim: int
    n: int


class MilvusStore:
    """A Milvus collection (FLAT, inner product) over the engine's rows, searched in the store."""

    filters_in_store = True

    def __init__(
        self,
        client: Any,
        name: str,
        ids: list[str],
        fields: Mapping[str, np.ndarray],
        meta: StoreMeta,
        setting: VectorsSetting,
    ) -> None:
        self._client = client
        self._name = name
        self._ids = ids
        self._rows = {pid: i for i, pid in enumerate(ids)}
        self._fields = {name: np.asarray(v, dtype=object) for name, v in fields.items()}
        self.meta = meta
        self.setting = setting

    # -- opening and syncing ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        setting: VectorsSetting,
        ids: list[str],
        vectors: np.ndarray,
        fields: Mapping[str, np.ndarray],
        encoder_id: str,
    ) -> MilvusStore:
        client = connect(setting)
        dim = int(vectors.shape[1])
        name = collection_name(encoder_id, dim)
        meta = StoreMeta(factory="milvus:FLAT", encoder_id=encoder_id, dim=dim, n=len(ids))
        store = cls(client, name, list(ids), fields, meta, setting)
        store._sync(vectors)
        return store

    def _sync(self, vectors: np.ndarray) -> None:
        """Create the collection if needed, delete rows the catalog lost, insert the missing."""
        from pymilvus import MilvusException

        try:
            if not self._client.has_collection(self._name):
                self._create(vectors.shape[1])
            self._client.load_collection(self._name)  # queries need it loaded
            stored = self._stored_rows()
            stale = [pid for pid, row in stored.items() if self._rows.get(pid) != row]
            if stale:
                log.info("removing %d stale vectors from %s", len(stale), self._name)
                self._client.delete(self._name, ids=stale)
            keep = set(stored) - set(stale)
            missing = [i for i, pid in enumerate(self._ids) if pid not in keep]
            if missing:
                self._insert(np.asarray(missing, dtype=np.int64), vectors)
        except MilvusException as exc:
            raise _store_error(self.setting, exc) from exc

    def _create(self, dim: int) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=MAX_ID_CHARS)
        schema.add_field("row", DataType.INT64)
        for field in SCALAR_FIELDS:
            schema.add_field(field, DataType.VARCHAR, max_length=MAX_FIELD_CHARS)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        index = self._client.prepare_index_params()
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        # Strong consistency: a search right after the fill sees every row. Milvus Lite's
        # in-process gRPC shim lacks the timestamp call pymilvus makes while waiting for the
        # index and logs a traceback for it; the collection and index are made all the same.
        with _quiet("grpc._server"):
            self._client.create_collection(
                self._name, schema=schema, index_params=index, consistency_level="Strong"
            )

    def _stored_rows(self) -> dict[str, int]:
        """Every stored piece id with its row number, read page by page."""
        stored: dict[str, int] = {}
        # Milvus Lite lacks the timestamp call the iterator starts with: its in-process gRPC
        # shim logs a traceback and pymilvus a warning, then it reads every row all the same.
        with _quiet("grpc._server", "pymilvus.client.iterator.query_iterator"):
            iterator = self._client.query_iterator(
                self._name, batch_size=READ_BATCH, filter="row >= 0", output_fields=["id", "row"]
            )
        try:
            while page := iterator.next():
                stored.update((r["id"], int(r["row"])) for r in page)
        finally:
            iterator.close()
        return stored

    def _insert(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        from tqdm import tqdm

        what = f"filling {self.setting.text}" if len(rows) == len(self._ids) else "adding vectors"
        started = time.perf_counter()
        bar = tqdm(total=len(rows), desc=what, unit="vec", disable=not sys.stderr.isatty())
        with bar:  # no bar noise in logs and pipes (as ingest)
            for start in range(0, len(rows), INSERT_BATCH):
                chunk = rows[start : start + INSERT_BATCH]
                self._client.upsert(self._name, [self._entity(int(r), vectors[r]) for r in chunk])
                bar.update(len(chunk))
        self._client.flush(self._name)
        seconds = time.perf_counter() - started
        log.info("%s: %d vectors into %s in %.1fs", what, len(rows), self._name, seconds)

    def _entity(self, row: int, vector: np.ndarray) -> dict[str, object]:
        entity: dict[str, object] = {"id": self._ids[row], "row": row}
        for field in SCALAR_FIELDS:
            column = self._fields.get(field)
            entity[field] = str(column[row])[:MAX_FIELD_CHARS] if column is not None else ""
        entity["vector"] = np.asarray(vector, dtype=np.float32).tolist()
        return entity

    # -- searching --------------------------------------------------------------------------

    @property
    def ntotal(self) -> int:
        return len(self._ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, rows)``, each (Q, k), best first; missing slots have row -1."""
        xq = np.atleast_2d(np.asarray(queries, dtype=np.float32))
        k = max(1, min(int(k), self.ntotal, MILVUS_MAX_TOPK))
        results = self._search(xq, k, "")
        scores = np.full((len(xq), k), -np.inf, dtype=np.float32)
        rows = np.full((len(xq), k), -1, dtype=np.int64)
        for q, hits in enumerate(results):
            for j, (row, score) in enumerate(hits[:k]):
                rows[q, j], scores[q, j] = row, score
        return scores, rows

    def ranked(
        self,
        query_vec: np.ndarray,
        k: int,
        mask: np.ndarray | None,
        skip: frozenset[int],
        where: Mapping[str, list[str]] | None = None,
    ) -> list[tuple[int, float]]:
        """Best ``k`` (row, score) passing the filters and ``mask``, none in ``skip``.

        ``where`` (parsed filters) on :data:`SCALAR_FIELDS` becomes a scalar-field expression;
        a ``mask`` narrower than that (the engine's facet masks, the comma-list fields genre
        and region) adds its rows as a ``row in [...]`` list.
        """
        scalar = {f: v for f, v in (where or {}).items() if f in SCALAR_FIELDS}
        expr = filter_expression(scalar, skip)
        if mask is not None and int(mask.sum()) < int(self.where_mask(scalar).sum()):
            allowed = json.dumps([int(r) for r in np.flatnonzero(mask) if r not in skip])
            expr = f"({expr}) and row in {allowed}" if expr else f"row in {allowed}"
        limit = max(1, min(int(k), self.ntotal, MILVUS_MAX_TOPK))
        return self._search(np.asarray(query_vec, np.float32)[None], limit, expr)[0]

    def where_mask(self, where: Mapping[str, list[str]] | None) -> np.ndarray:
        """Rows whose stored scalar fields pass ``where`` (what the expression selects)."""
        mask = np.ones(self.ntotal, dtype=bool)
        for field, values in (where or {}).items():
            mask &= np.isin(self._fields[field], [_fold(v) for v in values])
        return mask

    def _search(self, xq: np.ndarray, k: int, expr: str) -> list[list[tuple[int, float]]]:
        from pymilvus import MilvusException

        try:
            results = self._client.search(
                self._name,
                data=xq.tolist(),
                limit=k,
                filter=expr,
                output_fields=["row"],
                search_params={"metric_type": "IP"},
            )
        except MilvusException as exc:
            raise _store_error(self.setting, exc) from exc
        out = []
        for hits in results:
            pairs = [(self._rows.get(h["id"], -1), float(h["distance"])) for h in hits]
            out.append([(r, s) for r, s in pairs if r >= 0])
        return out

    def other_collections(self) -> list[str]:
        """cantus collections in this store besides the one in use: earlier encoders' rows."""
        from pymilvus import MilvusException

        try:
            names = self._client.list_collections()
        except MilvusException as exc:
            raise _store_error(self.setting, exc) from exc
        return sorted(n for n in names if n.startswith(COLLECTION_PREFIX) and n != self._name)

    def drop_collections(self, names: Sequence[str]) -> None:
        """Drop ``names`` (never the collection in use)."""
        from pymilvus import MilvusException

        if self._name in names:
            msg = f"refusing to drop {self._name}: the collection in use"
            raise BadInput(msg)
        try:
            for name in names:
                self._client.drop_collection(name)
        except MilvusException as exc:
            raise _store_error(self.setting, exc) from exc

    @property
    def name(self) -> str:
        return self._name

    def close(self) -> None:
        self._client.close()


def filter_expression(
    where: Mapping[str, list[str]] | None, skip: frozenset[int] = frozenset()
) -> str:
    """Milvus boolean expression for parsed filters: fields ANDed, a field's values ORed."""
    parts = []
    for field, values in (where or {}).items():
        if field not in SCALAR_FIELDS:
            msg = f"not a filterable field in the vector store: {field!r}"
            raise BadInput(msg)
        parts.append(f"{field} in {json.dumps(sorted({_fold(v) for v in values}))}")
    if skip:
        parts.append(f"row not in {json.dumps(sorted(int(r) for r in skip))}")
    return " and ".join(parts)


def connect(setting: VectorsSetting) -> Any:
    """A ``MilvusClient`` for the setting; one clear line naming ``CANTUS_VECTORS`` on failure."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:
        msg = f"{SETTING}={setting.text} needs pymilvus: pip install 'cantus[scale]' ({exc})"
        raise CantusError(msg) from exc
    uri = setting.uri
    if not _is_server(uri):
        parent = Path(uri).expanduser().resolve().parent
        if not parent.is_dir():
            msg = f"{SETTING}={setting.text}: folder {parent} does not exist"
            raise BadInput(msg)
        uri = str(Path(uri).expanduser().resolve())
    try:
        return MilvusClient(uri=uri, timeout=CONNECT_TIMEOUT_S)
    except Exception as exc:  # MilvusException, grpc and Lite start-up errors: no shared base
        error = _store_error(setting, exc)
        if not _is_server(setting.uri):  # Milvus Lite serves a file to one process at a time
            error = BadInput(f"{error}; is another process using this file? (several processes "
                             "need a Milvus server: milvus:http://host:19530)")  # fmt: skip
        raise error from exc


def _store_error(setting: VectorsSetting, exc: BaseException) -> BadInput:
    reason = " ".join(str(getattr(exc, "message", "") or exc).split())[:200]
    return BadInput(f"{SETTING}={setting.text}: cannot use the Milvus store ({reason})")


@contextlib.contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """Silence these loggers below CRITICAL inside the block (restored after)."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)
