"""Scores, MIDI, MusicXML and audio of pieces and seeds for the pages, cached per piece.

Score thumbnails are also cached on disk (``$CANTUS_HOME/cache/dashboard``), so a restart
does not re-engrave them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from cantus.errors import BadInput
from dashboard import render
from dashboard.services import cache_dir, data_stamp, known_piece, piece

log = logging.getLogger(__name__)

T = TypeVar("T")


@st.cache_resource(show_spinner=False, max_entries=1)
def _stored_tokens(stamp: tuple) -> dict[str, list[int]]:
    """Piece id -> stored music tokens, for pieces whose source verovio cannot read."""
    from cantus.catalog import load_catalog

    del stamp  # only the cache key: reloaded after a build or ingest
    frame = load_catalog(columns=["id", "tokens"])
    return {str(pid): list(ids) for pid, ids in zip(frame["id"], frame["tokens"], strict=True)}


def _token_ids(piece_id: str) -> list[int]:
    ids = _stored_tokens(data_stamp()).get(piece_id)
    if not ids:
        raise BadInput(f"no score available for {piece_id!r}")
    return ids


def _engrave(piece_id: str, draw: Callable[[render.ScoreSource], T]) -> T:
    """``draw`` the piece from its own file; from its decoded tokens when verovio cannot."""
    row = piece(piece_id)
    direct = render.read_source(row)
    if direct is not None:
        try:
            return draw(direct)
        except ValueError as exc:  # e.g. unmeasured Essen tunes ("M: none") engrave empty
            log.info("engraving %s from tokens: %s", piece_id, exc)
    return draw(render.tokens_source(_token_ids(piece_id), key=row.get("key") or None))


@st.cache_data(show_spinner=False, max_entries=2000)
def thumbnail(piece_id: str) -> str | None:
    """SVG of the first bars, or None when the piece cannot be engraved (logged)."""
    path = cache_dir() / f"thumb-{hashlib.sha1(piece_id.encode()).hexdigest()[:16]}.svg"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    try:
        svg = _engrave(piece_id, render.thumbnail_svg)
    except Exception:  # a card without a picture is better than a failed search page
        log.warning("no thumbnail for %s", piece_id, exc_info=True)
        return None
    path.write_text(svg, encoding="utf-8")
    return svg


@st.cache_data(show_spinner=False, max_entries=32)
def score_pages(piece_id: str) -> list[str]:
    return _engrave(piece_id, render.score_svgs)


@st.cache_data(show_spinner=False, max_entries=64)
def piece_midi(piece_id: str) -> bytes:
    """MIDI of the piece as the score shows it (its stored opening when verovio cannot read it)."""
    return render.piece_midi(piece(piece_id), lambda: _token_ids(piece_id))


@st.cache_data(show_spinner=False, max_entries=64)
def piece_audio(piece_id: str) -> render.Audio:
    collection = str(piece(piece_id).get("collection") or "")
    return render.midi_to_audio(piece_midi(piece_id), collection=collection)


@st.cache_data(show_spinner=False, max_entries=64)
def midi_audio(midi: bytes, conditioned_on: tuple[str, ...] = ()) -> render.Audio:
    """A seed's audio, on the instrument of the pieces it was conditioned on."""
    return render.midi_to_audio(midi, collection=_main_collection(conditioned_on))


def _main_collection(piece_ids: tuple[str, ...]) -> str:
    collections = [str(piece(pid).get("collection") or "") for pid in piece_ids if known_piece(pid)]
    return max(collections, key=collections.count) if collections else ""


@st.cache_data(show_spinner=False, max_entries=32)
def piece_musicxml(piece_id: str) -> bytes:
    """MusicXML for download: the source file itself when it is MusicXML, else converted."""
    row = piece(piece_id)
    path = render.source_path(row)
    if (
        path is not None
        and path.suffix.lower() in (".musicxml", ".xml", ".mxl")
        and not row.get("number")
    ):
        return path.read_bytes()
    xml = _music21_musicxml(row)
    return xml if xml is not None else render.tokens_source(_token_ids(piece_id)).data.encode()


def _music21_musicxml(row: dict) -> bytes | None:
    """The whole work converted by music21 (ABC, Humdrum, MEI sources)."""
    source = render.read_source(row)
    if source is None or not isinstance(source.data, str):
        return None
    from music21 import converter
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    fmt = {"abc": "abc", "humdrum": "humdrum", "mei": "mei", "musicxml": "musicxml"}[source.fmt]
    return GeneralObjectExporter(converter.parseData(source.data, format=fmt)).parse()


@st.cache_data(show_spinner=False, max_entries=64)
def seed_svgs(musicxml_path: str) -> list[str]:
    return render.score_svgs(render.musicxml_source(musicxml_path))
