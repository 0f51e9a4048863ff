"""Refresh a built catalog's source metadata (genre, region, notes, Essen forms, chorale names)
without re-parsing the music: ABC tunes are re-read as text, other corpus works through
music21's own metadata bundle. ``cantus build`` runs this as its ``metadata`` stage, so a
catalog built by an older version gains the columns in seconds, and a fresh build gives the
same values (``cantus.worker`` applies the same functions while parsing).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

from cantus.catalog import CATALOG_FILE, read_frame, refresh_captions, save_catalog
from cantus.features import fallback_title, with_metadata
from cantus.forms import form_of
from cantus.metadata import abc_metadata, score_metadata
from cantus.works import corpus_root, decode_text, numbered_tunes

log = logging.getLogger(__name__)


def abc_tunes(path: Path) -> dict[str, str]:
    """Tune text by work number, numbered exactly as ingest numbers them."""
    return numbered_tunes(decode_text(path.read_bytes()))


@functools.cache
def _bundle() -> dict[tuple[str, str], Any]:
    """music21's corpus metadata by (corpus-relative path, work number)."""
    from music21 import corpus

    root = corpus_root()
    entries = {}
    for entry in corpus.corpora.CoreCorpus().metadataBundle:
        source = Path(str(entry.sourcePath))
        rel = source.relative_to(root).as_posix() if source.is_absolute() else source.as_posix()
        entries[(rel, str(entry.number or ""))] = entry.metadata
    return entries


def _row_metadata(record: dict[str, Any], tunes: dict[str, str] | None) -> dict[str, Any]:
    """One catalog row with its metadata columns, form and (Bach) title recomputed."""
    source, number = str(record["source"]), str(record["number"] or "")
    if tunes is not None:
        tune = tunes.get(number, "")
        meta = abc_metadata(tune)
        record["form"] = form_of(
            record["title"], record["collection"], record["meter"], source, meta["genre_original"]
        )
    else:
        md = _bundle().get((source, number)) or _bundle().get((source, ""))
        meta = score_metadata(md)
    if record["collection"] == "bach" and str(record["title"]).startswith("Chorale BWV"):
        record["title"] = fallback_title(source, number, "bach")
    return with_metadata(record, meta)


def refresh_metadata(folder: Path | str) -> dict[str, Any]:
    """Rewrite ``folder``'s catalog with fresh metadata columns and captions; returns counts."""
    folder = Path(folder)
    path = folder / CATALOG_FILE
    frame = read_frame(path)
    root = corpus_root()
    cache: dict[str, dict[str, str] | None] = {}
    rows = []
    for record in frame.to_dict("records"):
        source = str(record["source"])
        if record["collection"] != "user" and source not in cache:
            file = root / source
            cache[source] = abc_tunes(file) if file.suffix.lower() == ".abc" else None
        if record["collection"] == "user":
            rows.append(record)  # user files keep what their ingest read
            continue
        rows.append(_row_metadata(record, cache[source]))
    import pandas as pd

    out = refresh_captions(pd.DataFrame(rows, columns=frame.columns))
    save_catalog(out, path)
    counts = {
        "rows": len(out),
        "with_genre": int((out["genre"] != "").sum()),
        "with_region": int((out["region"] != "").sum()),
        "with_notes": int((out["notes"] != "").sum()),
    }
    log.info("metadata refreshed: %s", counts)
    return counts
