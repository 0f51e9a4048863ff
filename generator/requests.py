"""Inspiration requests: what the seeds are conditioned on, in which key, metre and texture.

Sampling happens in the canonical key (tonic C, see ``generator.vocab``); each seed is then
transposed to the requested tonic by the smallest shift that keeps it in the piano range.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import BadInput
from generator.checks import check_meter, parse_key
from generator.phrase import PhrasePlan
from generator.sample import DEFAULT_PITCH_RANGE
from generator.vocab import (
    canonical_shift,
    count_bars,
    first_meter,
    normalise_mode,
    tables,
    tonic_pitch_class,
)
from generator.voices import VoiceTuning, texture_for_parts

if TYPE_CHECKING:
    from recommender.engine import Engine

log = logging.getLogger(__name__)

DEFAULT_METER = "4/4"
DEFAULT_KEY = "C major"
TEXT_NEIGHBOURS = 4  # pieces a text request conditions on (a small favourites set)


@dataclass
class Request:
    """A validated inspiration request, in canonical key (tonic C)."""

    cond: np.ndarray | None  # (D,) unit conditioning vector, None for the unconditioned model
    conditioned_on: list[str]  # ids shown to the user
    meter: str  # requested/derived metre
    tonic: str  # requested/derived tonic (music21 spelling)
    mode: str  # requested/derived mode
    bars: int  # total bars of each seed
    prompt: list[int] = field(default_factory=list)  # canonical-key motif ids ([] without motif)
    texture: str = "melody"  # one of generator.voices.TEXTURES
    plan: PhrasePlan | None = None  # phrase ends and repeats (set by inspire)
    template: list[int] | None = None  # canonical rhythm template (--vary --keep rhythm)
    contour: list[int] | None = None  # melody directions to follow (--vary --keep contour)
    titles: list[str] = field(default_factory=list)  # titles of conditioned_on
    info: dict = field(default_factory=dict)  # extra JSON fields (query, facets, variation)
    source: list[int] = field(default_factory=list)  # canonical line of the --vary piece
    tuning: VoiceTuning | None = None  # voice limits other than the shipped (evaluation sweeps)

    @property
    def key(self) -> str:
        return f"{self.tonic} {self.mode}"


def _majority(values: list[str], default: str) -> str:
    values = [v for v in values if v]
    return Counter(values).most_common(1)[0][0] if values else default


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / max(float(np.linalg.norm(v)), 1e-8)


def request_from_ids(
    engine: Engine,
    ids: list[str],
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    ids = [str(i).strip() for i in ids if str(i).strip()]
    if not ids:
        msg = "--from needs at least one piece id"
        raise BadInput(msg)
    rows = [engine.row(i) for i in ids]  # BadInput on unknown ids
    cond = _unit(np.mean([engine.embeddings[r] for r in rows], axis=0))
    cat = engine.catalog.iloc[rows]
    if meter is None:
        derived = _majority([m for m in cat["meter"].astype(str) if m in meters], DEFAULT_METER)
        meter = derived
    meter = check_meter(meter, meters)
    if key is None:
        key = _majority([k for k in cat["key"].astype(str) if k.strip()], DEFAULT_KEY)
        try:
            tonic, mode = parse_key(key)
        except BadInput:
            tonic, mode = parse_key(DEFAULT_KEY)
    else:
        tonic, mode = parse_key(key)
    return Request(
        cond=cond,
        conditioned_on=ids,
        meter=meter,
        tonic=tonic,
        mode=mode,
        bars=bars,
        texture=texture_for_parts(list(cat["parts"])) if "parts" in cat else "melody",
        titles=[str(t) for t in cat["title"]] if "title" in cat else [],
    )


def request_from_motif(
    engine: Engine,
    path: Path,
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    from cantus import tokens
    from recommender.music_search import check_music_file, file_token_ids

    path = check_music_file(path, "motif file")
    ids = [int(i) for i in file_token_ids(path) if int(i) < tables().n_music]
    motif_meter = first_meter(ids) or DEFAULT_METER
    if meter is not None and check_meter(meter, meters) != motif_meter:
        msg = f"the motif is in {motif_meter}; --meter {meter} would move its bar lines"
        raise BadInput(msg)
    meter = check_meter(motif_meter, meters)
    keep = max(1, bars - 1)
    if count_bars(ids) > keep:
        log.warning("the motif has %d bars; its first %d are continued", count_bars(ids), keep)
        starts = np.flatnonzero(np.asarray(ids) == tables().bar)
        ids = ids[: int(starts[keep])]
    motif_tonic, motif_mode = _analyse_key(ids)
    tonic, mode = parse_key(key) if key is not None else (motif_tonic, motif_mode)
    shift = fit_shift(ids, canonical_shift(tonic_pitch_class(motif_tonic)))
    prompt = tokens.transpose_ids(ids, shift)
    cond = _unit(engine.encoder.encode_ids([ids])[0])
    sha = hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    return Request(
        cond=cond,
        conditioned_on=[f"file:{sha}#0"],
        meter=meter,
        tonic=tonic,
        mode=mode,
        bars=bars,
        prompt=prompt,
    )


def _analyse_key(ids: list[int]) -> tuple[str, str]:
    from cantus import token_decode

    try:
        k = token_decode.ids_to_music21(ids).analyze("key")
        return k.tonic.name, normalise_mode(k.mode)
    except Exception as exc:  # music21 analysis fails on odd input: fall back, say so
        log.warning("could not analyse the motif's key (%s); assuming %s", exc, DEFAULT_KEY)
        return parse_key(DEFAULT_KEY)


def fit_shift(ids: list[int], shift: int) -> int:
    """``shift`` or its octave neighbour, whichever keeps ``ids`` in range (closest to 0 first)."""
    from cantus import tokens

    lo, hi = tokens.transpose_bounds(ids)
    for s in sorted((shift, shift - 12, shift + 12), key=abs):
        if lo <= s <= hi:
            return s
    return min(max(shift, lo), hi)


def key_shift(tonic: str) -> int:
    """Semitones from the canonical tonic C to ``tonic`` (-5..+6)."""
    pc = tonic_pitch_class(tonic)
    return pc if pc <= 6 else pc - 12


def sampling_range(
    tonic: str, pitch_range: tuple[int, int] = DEFAULT_PITCH_RANGE
) -> tuple[int, int]:
    """The canonical-key pitch range that lands in ``pitch_range`` once moved to ``tonic``."""
    shift = key_shift(tonic)
    return pitch_range[0] - shift, pitch_range[1] - shift


def to_key(ids: list[int], tonic: str) -> list[int]:
    """Transpose canonical (tonic C) ids to ``tonic`` (an octave off only if a motif needs it)."""
    from cantus import tokens

    return tokens.transpose_ids(ids, fit_shift(ids, key_shift(tonic)))


# --------------------------------------------------------------------------- words


def text_facets(query: str) -> tuple[str | None, str | None, list[str]]:
    """(metre, mode, facet names) the query names: a metre outright or through a form
    ("waltz" -> 3/4, "jig" -> 6/8), a mode outright or through a mood ("melancholy" -> minor)."""
    from cantus.caption_evidence import FORM_SYNONYMS
    from recommender.facets import query_facets

    names = [name for name, _ in query_facets(query)]
    meter = next((n.partition(":")[2] for n in names if n.startswith("meter:")), None)
    if meter is None:
        for name in names:
            if name.startswith("form:"):
                named = {w.split()[0] for w in FORM_SYNONYMS[name[5:]] if "/" in w.split()[0]}
                if len(named) == 1:
                    meter = named.pop()
                    break
    mode = next((n.partition(":")[2] for n in names if n.startswith("mode:")), None)
    return meter, mode, names


def request_from_text(
    engine: Engine,
    text: str,
    bars: int,
    key: str | None,
    meter: str | None,
    meters: tuple[str, ...],
) -> Request:
    """Condition on the search engine's best pieces for ``text``; metre and key from the query's
    facets unless given, else the majority of those pieces."""
    query = " ".join(str(text or "").split())
    if not query:
        msg = "--text needs a description, e.g. --text 'melancholy waltz'"
        raise BadInput(msg)
    hits = engine.search(query, k=TEXT_NEIGHBOURS)
    if not hits:
        msg = f"no pieces match {query!r}"
        raise BadInput(msg)
    facet_meter, facet_mode, names = text_facets(query)
    if meter is None and facet_meter in meters:
        meter = facet_meter
    req = request_from_ids(engine, [h.id for h in hits], bars, key, meter, meters)
    if key is None and facet_mode is not None:
        same = [h.key.partition(" ")[0] for h in hits if h.key.endswith(f" {facet_mode}")]
        tonic = _majority(same, req.tonic)
        req.tonic, req.mode = tonic, normalise_mode(facet_mode)
    req.info = {"query": query, "facets": names}
    return req
