"""FAISS vector index over catalog rows: exact by default, IVF/HNSW for large catalogs.

A :class:`VectorIndex` maps each stored vector to its catalog row number (an ``IndexIDMap2``
around any faiss factory string), searches by inner product (vectors are L2-normalised, so
this is cosine), and saves itself with a JSON sidecar naming the encoder that produced the
vectors, so that an index is never silently paired with another encoder's queries.

Approximate indexes are tuned with :meth:`VectorIndex.tune`: the smallest ``nprobe`` (IVF) or
``efSearch`` (HNSW) whose recall@10 against exact search reaches the target on held-out queries.
When the faiss build has GPU support and a GPU is present, searches run on all GPUs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from cantus.errors import BadInput, MissingArtifact
from cantus.threads import library_threads

log = logging.getLogger(__name__)

EXACT = "Flat"
TARGET_RECALL = 0.95
NPROBE_GRID = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 1024, 2048, 4096)
EF_SEARCH_GRID = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048)
SIDECAR_SUFFIX = ".json"
# Fewer queries than this search on one OpenMP thread: a single query gains nothing from a
# second thread, and on a busy machine waiting for it costs 5x (measured: 20k x 640 Flat,
# p50 76 ms on 2 threads vs 14 ms on 1 at load average 10 on 2 cores).
PARALLEL_MIN_QUERIES = 16


@dataclass
class IndexMeta:
    """What the sidecar JSON next to a saved index records."""

    encoder_id: str  # the encoder whose vectors the index holds; queries must come from it too
    dim: int  # vector dimension
    n: int  # number of stored vectors (catalog rows)
    factory: str  # faiss factory string of the inner index, e.g. "Flat", "IVF4096,Flat", "HNSW32"
    params: dict[str, float] = field(default_factory=dict)  # nprobe / efSearch chosen by tune()
    recall_at_10: float | None = None  # measured by tune(); None for exact indexes
    faiss_version: str = faiss.__version__


def gpu_available() -> bool:
    """True when this faiss build can use a GPU and one is visible."""
    return (
        hasattr(faiss, "index_cpu_to_all_gpus")
        and hasattr(faiss, "StandardGpuResources")
        and faiss.get_num_gpus() > 0
    )


def as_float32(vectors: np.ndarray, dim: int | None = None) -> np.ndarray:
    """C-contiguous float32 2-D copy of ``vectors`` (faiss needs exactly this)."""
    arr = np.ascontiguousarray(np.atleast_2d(np.asarray(vectors)), dtype=np.float32)
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim):
        msg = (
            f"vectors must have shape (N, {dim if dim is not None else 'D'}) (received {arr.shape})"
        )
        raise ValueError(msg)
    return arr


def exact_knn(vectors: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` by inner product: ``(scores, rows)``, each (Q, k), best first."""
    xb, xq = as_float32(vectors), as_float32(queries)
    k = min(k, len(xb))
    return faiss.knn(xq, xb, k, metric=faiss.METRIC_INNER_PRODUCT)


def recall_at_k(found: np.ndarray, truth: np.ndarray, k: int = 10) -> float:
    """Mean fraction of the true top-``k`` rows that appear in the found top-``k`` rows."""
    hits = [
        len(set(f[:k].tolist()) & set(t[:k].tolist())) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits)) / min(k, truth.shape[1])


def _search_param_name(factory: str) -> str | None:
    if "IVF" in factory:  # before HNSW: "IVF4096_HNSW32,Flat" is an IVF with an HNSW quantizer
        return "nprobe"
    if "HNSW" in factory:
        return "efSearch"
    return None


class VectorIndex:
    """Inner-product index over vectors whose faiss ids are catalog row numbers.

    Thread-safe: searches, parameter changes and additions share one lock (faiss GPU indexes
    and parameter changes are not safe under concurrent use; Streamlit shares one instance).
    """

    def __init__(
        self, dim: int, factory: str = EXACT, encoder_id: str = "", use_gpu: bool | None = None
    ) -> None:
        if dim <= 0:
            msg = f"`dim` must be positive (received {dim})"
            raise ValueError(msg)
        self.meta = IndexMeta(encoder_id=encoder_id, dim=dim, n=0, factory=factory)
        try:
            self._cpu = faiss.index_factory(dim, f"IDMap2,{factory}", faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as exc:
            msg = f"not a faiss index factory string: {factory!r} ({str(exc).splitlines()[-1]})"
            raise BadInput(msg) from exc
        self._use_gpu = gpu_available() if use_gpu is None else use_gpu
        self._device_index: faiss.Index | None = None  # GPU copy, made lazily
        self._lock = threading.RLock()

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        factory: str = EXACT,
        encoder_id: str = "",
        ids: np.ndarray | None = None,
        use_gpu: bool | None = None,
        train_size: int = 200_000,
        seed: int = 0,
    ) -> VectorIndex:
        """Index ``vectors`` (row i gets id ``ids[i]``, default i), training first if needed."""
        xb = as_float32(vectors)
        index = cls(xb.shape[1], factory, encoder_id, use_gpu)
        index.train(xb, train_size, seed)
        index.add(xb, ids)
        return index

    def train(self, vectors: np.ndarray, train_size: int = 200_000, seed: int = 0) -> None:
        """Train IVF centroids / PQ codebooks on a sample of ``vectors`` (no-op when not needed)."""
        if self._cpu.is_trained:
            return
        xt = as_float32(vectors, self.meta.dim)
        if len(xt) > train_size:
            rows = np.random.default_rng(seed).choice(len(xt), train_size, replace=False)
            xt = xt[np.sort(rows)]
        started = time.perf_counter()
        with self._lock:
            self._cpu.train(xt)
        log.info(
            "trained %s on %d vectors in %.1fs",
            self.meta.factory,
            len(xt),
            time.perf_counter() - started,
        )

    def add(self, vectors: np.ndarray, ids: np.ndarray | None = None) -> None:
        """Add vectors; ``ids`` default to the next row numbers."""
        xb = as_float32(vectors, self.meta.dim)
        if ids is None:
            ids = np.arange(self.meta.n, self.meta.n + len(xb))
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids) != len(xb):
            msg = f"got {len(xb)} vectors but {len(ids)} ids"
            raise ValueError(msg)
        with self._lock:
            self._cpu.add_with_ids(xb, ids)
            self.meta.n = int(self._cpu.ntotal)
            self._device_index = None  # stale: rebuilt on the next search

    # -- searching --------------------------------------------------------------------------

    @property
    def ntotal(self) -> int:
        return int(self._cpu.ntotal)

    @property
    def is_exact(self) -> bool:
        return self.meta.factory == EXACT

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` ``(scores, ids)``, each (Q, k), best first; missing slots have id -1."""
        xq = as_float32(queries, self.meta.dim)
        k = max(1, min(int(k), self.ntotal))
        # OpenMP counts are per calling thread: other threads keep theirs
        few = 1 if len(xq) < PARALLEL_MIN_QUERIES else None
        with self._lock, library_threads(few, "openmp"):
            return self._searcher().search(xq, k)

    def _searcher(self) -> faiss.Index:
        """The index searches run on: a GPU copy when possible, else the CPU index."""
        if not self._use_gpu:
            return self._cpu
        if self._device_index is None:
            self._device_index = self._to_gpu()
        return self._device_index

    def _to_gpu(self) -> faiss.Index:
        try:
            gpu_index = faiss.index_cpu_to_all_gpus(self._cpu)
        except (RuntimeError, AttributeError) as exc:  # e.g. HNSW has no GPU implementation
            log.warning(
                "faiss GPU unavailable for %s, searching on CPU: %s", self.meta.factory, exc
            )
            self._use_gpu = False
            return self._cpu
        log.info("faiss index %s moved to %d GPU(s)", self.meta.factory, faiss.get_num_gpus())
        self._apply_params(gpu_index, self.meta.params)
        return gpu_index

    # -- tuning -----------------------------------------------------------------------------

    def set_params(self, **params: float) -> None:
        """Set search-time parameters, e.g. ``nprobe=16`` (IVF) or ``efSearch=64`` (HNSW)."""
        with self._lock:
            self._apply_params(self._cpu, params)
            if self._device_index is not None and self._device_index is not self._cpu:
                self._apply_params(self._device_index, params)
            self.meta.params.update({name: float(value) for name, value in params.items()})

    @staticmethod
    def _apply_params(index: faiss.Index, params: dict[str, float]) -> None:
        space = (
            faiss.GpuParameterSpace()
            if hasattr(faiss, "GpuParameterSpace")
            else faiss.ParameterSpace()
        )
        for name, value in params.items():
            space.set_index_parameter(
                index, name, int(value) if float(value).is_integer() else value
            )

    def tune(
        self,
        queries: np.ndarray,
        vectors: np.ndarray | None = None,
        truth: np.ndarray | None = None,
        k: int = 10,
        target: float = TARGET_RECALL,
    ) -> dict[str, float]:
        """Pick the cheapest nprobe/efSearch with recall@k ≥ ``target`` against exact search.

        ``truth`` holds the exact top-k rows of ``queries`` (or give the indexed ``vectors`` and it
        is computed). Returns ``{"param": value, "recall_at_10": r}`` (empty for exact indexes).
        """
        name = _search_param_name(self.meta.factory)
        if name is None:
            return {}
        xq = as_float32(queries, self.meta.dim)
        if truth is None:
            if vectors is None:
                msg = "tune() needs either the exact `truth` rows or the indexed `vectors`"
                raise ValueError(msg)
            truth = exact_knn(vectors, xq, k)[1]
        recall, value = 0.0, 0.0
        for value in self._grid(name):
            self.set_params(**{name: value})
            recall = recall_at_k(self.search(xq, k)[1], truth, k)
            log.info("tune %s: %s=%d recall@%d=%.3f", self.meta.factory, name, value, k, recall)
            if recall >= target:
                break
        else:
            log.warning(
                "%s never reached recall@%d %.2f (best %.3f at %s=%d)",
                self.meta.factory,
                k,
                target,
                recall,
                name,
                value,
            )
        self.meta.recall_at_10 = recall
        return {name: float(value), "recall_at_10": recall}

    def _grid(self, name: str) -> list[int]:
        if name == "efSearch":
            return list(EF_SEARCH_GRID)
        nlist = faiss.extract_index_ivf(self._cpu).nlist
        return [p for p in NPROBE_GRID if p < nlist] + [nlist]

    # -- persistence ------------------------------------------------------------------------

    def nbytes(self) -> int:
        """Serialized size of the index in bytes (a fair proxy for its memory)."""
        with self._lock:
            return int(faiss.serialize_index(self._cpu).nbytes)

    def save(self, path: Path | str) -> Path:
        """Write ``path`` (faiss binary) and ``path`` + ``.json`` (:class:`IndexMeta`)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            faiss.write_index(self._cpu, str(path))
        sidecar(path).write_text(json.dumps(asdict(self.meta), indent=2) + "\n")
        return path

    @classmethod
    def load(
        cls, path: Path | str, encoder_id: str | None = None, use_gpu: bool | None = None
    ) -> VectorIndex:
        """Read an index written by :meth:`save`; ``encoder_id`` (if given) must match its own."""
        path = Path(path)
        if not path.is_file() or not sidecar(path).is_file():
            msg = f"no vector index at {path} (or its {SIDECAR_SUFFIX} sidecar); run `cantus build`"
            raise MissingArtifact(msg)
        meta = IndexMeta(**json.loads(sidecar(path).read_text()))
        if encoder_id is not None and meta.encoder_id != encoder_id:
            msg = (
                f"vector index {path} was built from encoder {meta.encoder_id or '(unknown)'} but "
                f"the current encoder is {encoder_id}; run `cantus build` (re-embeds the catalog "
                "and rebuilds the index)"
            )
            raise MissingArtifact(msg)
        index = cls.__new__(cls)
        index.meta = meta
        index._cpu = faiss.read_index(str(path))
        index._use_gpu = gpu_available() if use_gpu is None else use_gpu
        index._device_index = None
        index._lock = threading.RLock()
        if index._cpu.ntotal != meta.n or index._cpu.d != meta.dim:
            found = f"n={index._cpu.ntotal}, dim={index._cpu.d}"
            msg = f"vector index {path} does not match its sidecar ({found}); run `cantus build`"
            raise MissingArtifact(msg)
        if meta.params:
            index.set_params(**meta.params)
        return index


def sidecar(path: Path) -> Path:
    """The JSON metadata file saved beside an index file."""
    return path.with_name(path.name + SIDECAR_SUFFIX)
