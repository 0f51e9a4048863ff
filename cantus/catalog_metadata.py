"""Refresh a built catalog's source metadata (genre, region, notes, lyrics, Essen forms, chorale,
madrigal and mass-section names) without re-parsing most of the music: ABC tunes are re-read as
text, other corpus works through music21's own metadata bundle; only files whose markup holds
lyrics (``<lyric>``, ``**text``, ``<syl>``) are parsed, for their words. ``cantus build`` runs
this as its ``metadata`` stage, so a catalog built by an older version gains the columns in
minutes, and a fresh build gives the same values (``cantus.worker`` applies the same functions
while parsing)."""

from __future__ import annotations

import functools
import logging
import zipfile
from pathlib import Path
from typing import Any

from cantus.catalog import CATALOG_FILE, read_frame, refresh_captions, save_catalog
from cantus.features import fallback_title, with_metadata
from cantus.forms import form_of
from cantus.metadata import abc_metadata, mass_section_title, score_lyrics, score_metadata
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


def corpus_metadata(source: str, number: str) -> Any:
    """music21's metadata of one corpus work (a file's only work is filed under number "");
    a work music21 does not list is an error, never an empty record."""
    md = _bundle().get((source, number)) or _bundle().get((source, ""))
    if md is None:
        msg = f"music21's corpus metadata bundle has no entry for {source} #{number}"
        raise LookupError(msg)
    return md


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
        md = corpus_metadata(source, number)
        meta = score_metadata(md)
        meta["lyrics"] = work_lyrics(corpus_root() / source, number)
        parent = str(getattr(md, "parentTitle", None) or "")
        record["title"] = mass_section_title(str(record["title"]), parent)
    collection, title = record["collection"], str(record["title"])
    if collection == "bach" and title.startswith("Chorale "):
        record["title"] = fallback_title(source, number, collection)
    elif collection == "monteverdi":  # as ``cantus.features.title_composer`` names them
        named = fallback_title(source, number, collection)
        record["title"] = named if not named.startswith("Madrigal ") else title
    return with_metadata(record, meta)


LYRIC_MARKUP = (b"<lyric", b"**text", b"**silbe", b"<syl")  # MusicXML, Humdrum, MEI


def _has_markup(data: bytes) -> bool:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 exports (Monteverdi's Finale files)
        data = data.decode("utf-16").encode("utf-8")
    return any(m in data for m in LYRIC_MARKUP)


def has_lyric_markup(path: Path) -> bool:
    """Whether a score file's text holds sung words (compressed .mxl read through its zip)."""
    if path.suffix.lower() == ".mxl":
        with zipfile.ZipFile(path) as archive:
            return any(
                _has_markup(archive.read(name))
                for name in archive.namelist()
                if name.endswith((".xml", ".musicxml")) and not name.startswith("META-INF")
            )
    return _has_markup(path.read_bytes())


def work_lyrics(path: Path, number: str) -> str:
    """The words of work ``number`` in ``path`` (``cantus.metadata.score_lyrics``): parsed
    only when the file's markup holds lyrics; a parse error propagates (no silent blank)."""
    if path.suffix.lower() == ".abc" or not has_lyric_markup(path):
        return ""
    from music21 import converter, stream

    parsed = converter.parse(path)
    if isinstance(parsed, stream.Opus):
        works = {str(s.metadata.number or i + 1): s for i, s in enumerate(parsed.scores)}
        if number not in works:
            msg = f"{path} holds works {sorted(works)}, not work {number!r}"
            raise ValueError(msg)
        parsed = works[number]
    return score_lyrics(parsed)


def refresh_metadata(folder: Path | str) -> dict[str, Any]:
    """Rewrite ``folder``'s catalog with fresh metadata columns and captions; returns counts."""
    folder = Path(folder)
    path = folder / CATALOG_FILE
    frame = read_frame(path)
    root = corpus_root()
    cache: dict[str, dict[str, str] | None] = {}
    rows = []
    for i, record in enumerate(frame.to_dict("records")):
        if i % 2000 == 0:
            log.info("metadata: %d/%d pieces", i, len(frame))
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
        "with_lyrics": int((out["lyrics"] != "").sum()),
    }
    log.info("metadata refreshed: %s", counts)
    return counts
