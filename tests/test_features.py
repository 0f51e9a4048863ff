from __future__ import annotations

import pytest

from cantus import features


@pytest.fixture(scope="module")
def chorale():
    from music21 import corpus

    return corpus.parse("bach/bwv66.6", forceSource=True)


def test_known_chorale_features(chorale) -> None:
    f = features.extract_features(chorale, "bach/bwv66.6.mxl", "")
    assert f["collection"] == "bach"
    assert f["meter"] == "4/4"
    assert f["mode"] == "minor"  # "Christ unser Herr" setting in F# minor
    assert f["tonic"] == "F#"
    assert f["form"] == "chorale"
    assert f["parts"] == 4
    assert f["origin"] == "German Baroque"
    assert f["composer"] == "J.S. Bach"
    assert 0.5 < f["key_confidence"] <= 1.0
    assert f["pitch_low"] < f["pitch_high"] and f["ambitus"] == f["pitch_high"] - f["pitch_low"]
    assert f["bars"] >= 9 and f["n_notes"] > 100
    assert f["note_density"] == pytest.approx(f["n_notes"] / f["seconds"], rel=1e-3)
    assert "chorale" in f["text"] and "F# minor" in f["text"]


@pytest.mark.parametrize(
    ("field", "meter"),
    [("6/8", "6/8"), ("C", "4/4"), ("C|", "2/2"), ("none", ""), (" 3/4 %", "3/4"), ("x", None)],
)
def test_abc_meter(field: str, meter: str | None) -> None:
    assert features.abc_meter(field) == meter


def test_church_mode_from_abc_is_kept() -> None:
    from music21 import converter

    tune = "X:1\nT:Modal\nM:4/4\nL:1/8\nK:Ador\nEAAB c2BA|GBdB GABc|EAAB c2Bc|dBGB A4|]\n"
    score = converter.parseData(tune, format="abc")
    f = features.extract_features(score, "/tmp/modal.abc", "", meter="4/4")
    assert f["collection"] == "user"
    assert (f["tonic"], f["mode"]) == ("A", "dorian")
    assert f["title"] == "Modal"


def test_display_title_drops_trailing_joiners_only() -> None:
    from cantus.features import display_title

    assert display_title("Morfa Rhuddlan, ") == "Morfa Rhuddlan"
    assert display_title("The  Black Rogue;:") == "The Black Rogue"
    assert display_title("Frenet Ha'.") == "Frenet Ha'."  # periods may end abbreviations
    assert display_title(None) == ""
