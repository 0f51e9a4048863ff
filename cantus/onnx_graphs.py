"""ONNX graphs exported once from our torch models and run by onnxruntime at serving time (no
torch import): the generator's decoder and the encoder's music tower, like the MiniLM query
encoder (``recommender.query_text``). Each file is named by its weights' sha256 and its graph
format, so retrained weights never meet a stale export; a missing file is exported (torch, with
a log line) into a writable cache, an unreadable one is one clear error."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cantus.atomic import find_or_write
from cantus.config import prune_cache
from cantus.errors import MissingArtifact

log = logging.getLogger(__name__)

ONNX_OPSET = 17
GRAPH_KEEP_S = 7 * 24 * 3600.0  # other graphs of a kind younger than this stay in the cache


def graph_file_name(kind: str, graph_format: str, weights_sha256: str, config: str) -> str:
    """``<kind>-<16 hex>.onnx`` for these weights, this model configuration (a config edited
    beside unchanged weights is another graph) and this graph format."""
    stamp = f"{graph_format}:{weights_sha256}:{config}"
    stamp = hashlib.sha1(stamp.encode()).hexdigest()[:16]
    return f"{kind}-{stamp}.onnx"


def graph_dirs() -> tuple[tuple[Path, ...], Path]:
    """Where a graph is looked for (the virtual environment's cache that ``make install`` fills,
    then this ``CANTUS_HOME``'s) and where a missing one is exported (this home's)."""
    from cantus.config import cantus_home, shared_cache_dir

    home = cantus_home() / "cache"
    return (shared_cache_dir(), home), home


def find_or_export(
    names: tuple[str, ...],
    read_dirs: tuple[Path, ...],
    write_dir: Path,
    export: Callable[[list[Path]], object],
    what: str,
) -> list[Path]:
    """``cantus.atomic.find_or_write`` of graphs: ``export(tmps)`` writes missing ones (with a
    warning); a load marks the graphs it found used, and an export prunes the graphs of its
    kind beside it that no load used for a week (retrained weights, older formats), so a
    checkout or model sharing this cache never loses a graph it loads."""
    exported: list[Path] = []

    def export_logged(tmps: list[Path]) -> None:
        exported.extend(Path(write_dir) / n for n in names)
        # a warning, so a user sees why this first run takes seconds longer
        log.warning("exporting %s to ONNX (once): %s", what, ", ".join(map(str, exported)))
        export(tmps)

    paths = find_or_write(names, read_dirs, write_dir, export_logged, what)
    if not exported:
        _mark_used(paths)
    for path in exported:
        prune_cache(path, f"{path.name.rsplit('-', 1)[0]}-*.onnx", min_age_s=GRAPH_KEEP_S)
    return paths


def _mark_used(paths: list[Path]) -> None:
    for path in paths:
        try:
            os.utime(path)
        except OSError:  # a read-only shared cache: its graphs are pruned by its owner only
            continue


def onnx_session(model: Path | bytes, what: str) -> Any:
    """An onnxruntime session on one thread (a call is a few milliseconds of work at most, and
    on a shared machine a second thread only waits for a busy core); ``model``: a file or the
    serialized graph."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    source = model if isinstance(model, bytes) else str(model)
    try:
        return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
        where = "" if isinstance(model, bytes) else f" {model}"
        msg = f"cannot load {what}{where} ({exc}); delete it and rerun"
        raise MissingArtifact(msg) from exc
