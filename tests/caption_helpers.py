"""Catalog rows for the caption tests: a default piece and two contrasting ones."""

from __future__ import annotations

import math


def piece(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "m21:test.abc#1",
        "title": "The Test Tune",
        "composer": "Anonymous",
        "collection": "oneills1850",
        "origin": "Irish",
        "meter": "4/4",
        "key": "A minor",
        "tonic": "A",
        "mode": "minor",
        "key_confidence": 0.8,
        "tempo_bpm": math.nan,
        "tempo_text": "",
        "bars": 32,
        "seconds": 60.0,
        "ambitus": 14,
        "n_notes": 120,
        "note_density": 2.0,
        "parts": 1,
        "form": "",
    }
    base.update(overrides)
    return base


MINOR_SLOW = piece(tempo_bpm=60.0, tempo_text="Adagio", form="air", meter="3/4")
MAJOR_JIG = piece(
    key="D major",
    tonic="D",
    mode="major",
    meter="6/8",
    form="jig",
    tempo_bpm=math.nan,
    note_density=5.0,
    n_notes=300,
)
