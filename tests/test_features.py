from __future__ import annotations

import numpy as np
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


def test_key_correlation_matches_music21(chorale) -> None:
    """Our numpy Krumhansl-Schmuckler gives music21's default answer and coefficient."""
    flat = chorale.flatten()
    r = features.key_correlations(features.pitch_class_durations(flat.notes))
    mode, tonic = np.unravel_index(np.argmax(r), r.shape)
    m21 = chorale.analyze("key")
    assert tonic == m21.tonic.pitchClass
    assert ("minor" if mode else "major") == m21.mode
    assert r.max() == pytest.approx(m21.correlationCoefficient, abs=1e-6)


def test_key_signature_breaks_near_ties() -> None:
    r = np.zeros((2, 12))
    r[0, 0] = 0.80  # C major, analysed best
    r[1, 9] = 0.75  # A minor, close second
    assert features.choose_key(r, None)[:2] == (0, False)
    # one flat: neither C major nor A minor fits; F major (not in the top 0.1) cannot win
    assert features.choose_key(r, -1)[:2] == (0, False)
    r[0, 5] = 0.72  # F major within 0.1 of the best and matching one flat
    assert features.choose_key(r, -1)[:2] == (5, False)


@pytest.mark.parametrize(
    ("source", "origin"),
    [
        ("essenFolksong/han1.abc", "Chinese (Han)"),
        ("essenFolksong/natmin3.abc", "Chinese (national minorities)"),
        ("essenFolksong/shanxi2.abc", "Chinese (Shanxi)"),
        ("essenFolksong/erk10.abc", "German"),
        ("essenFolksong/lux.abc", "Luxembourg"),
        ("essenFolksong/lot.abc", "Lorraine"),
        ("essenFolksong/magyar4.abc", "Hungarian"),
        ("oneills1850/0001-0050.abc", "Irish"),
        ("airdsAirs/book1.abc", "Scottish"),
        ("palestrina/Kyrie_00.krn", "Italian Renaissance"),
    ],
)
def test_origin_of(source: str, origin: str) -> None:
    assert features.origin_of(source, features.collection_of(source)) == origin


def test_every_bundled_essen_file_has_an_origin() -> None:
    from cantus.works import corpus_root

    names = sorted(p.name for p in (corpus_root() / "essenFolksong").glob("*.abc"))
    assert names, "music21's Essen files should be present"
    assert all(features.origin_of(f"essenFolksong/{n}", "essenFolksong") for n in names)


@pytest.mark.parametrize(
    ("title", "collection", "meter", "rhythm", "form"),
    [
        ("The Kesh Jig", "oneills1850", "6/8", "", "jig"),
        ("Untitled", "oneills1850", "6/8", "", "jig"),
        ("Untitled", "oneills1850", "9/8", "", "slip jig"),
        ("Untitled", "ryansMammoth", "4/4", "double jig", "jig"),
        ("The Boys of Bluehill", "ryansMammoth", "4/4", "hornpipe", "hornpipe"),
        ("Untitled", "bach", "4/4", "", "chorale"),
        ("Kyrie", "palestrina", "4/2", "", "mass"),
        ("Wiegenlied", "essenFolksong", "3/4", "", "lullaby"),
        ("Ein Lied", "essenFolksong", "3/4", "", "folk song"),
        ("Some tune", "user", "4/4", "", ""),
    ],
)
def test_form_of(title: str, collection: str, meter: str, rhythm: str, form: str) -> None:
    source = f"{collection}/bwv1.6.mxl" if collection == "bach" else f"{collection}/x.abc"
    assert features.form_of(title, collection, meter, source, rhythm) == form
    assert form == "" or form in features.FORMS


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
