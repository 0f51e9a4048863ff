"""Caption evidence: pace from tempo words, bpm or density; a one-line description."""

from __future__ import annotations

from cantus import caption_evidence as captions
from tests.caption_helpers import MINOR_SLOW
from tests.caption_helpers import piece as _piece


def test_pace_uses_tempo_then_bpm_then_density() -> None:
    assert captions.pace(_piece(tempo_text="Allegro", tempo_bpm=60.0)) == "fast"
    assert captions.pace(_piece(tempo_bpm=60.0)) == "slow"
    assert captions.pace(_piece(note_density=0.5)) == "slow"
    assert captions.pace(_piece(note_density=6.0)) == "fast"
    # a four-part chorale in quarter notes is not "fast" just because it has four voices
    assert captions.pace(_piece(note_density=8.0, parts=4)) != "fast"


def test_describe_names_meter_key_and_form() -> None:
    summary = captions.describe(MINOR_SLOW)
    assert "3/4" in summary and "A minor" in summary and "air" in summary
    assert "slow" in summary
