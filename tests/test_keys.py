"""The one key finder: music21's answer on a chorale, signature tie-breaks, the encoder's tonic."""

from __future__ import annotations

import numpy as np
import pytest

from cantus import keys


@pytest.fixture(scope="module")
def chorale():
    from music21 import corpus

    return corpus.parse("bach/bwv66.6", forceSource=True)


def test_key_correlation_matches_music21(chorale) -> None:
    """Our numpy Krumhansl-Schmuckler gives music21's default answer and coefficient."""
    flat = chorale.flatten()
    r = keys.key_correlations(keys.pitch_class_durations(flat.notes))
    mode, tonic = np.unravel_index(np.argmax(r), r.shape)
    m21 = chorale.analyze("key")
    assert tonic == m21.tonic.pitchClass
    assert ("minor" if mode else "major") == m21.mode
    assert r.max() == pytest.approx(m21.correlationCoefficient, abs=1e-6)


def test_key_signature_breaks_near_ties() -> None:
    r = np.zeros((2, 12))
    r[0, 0] = 0.80  # C major, analysed best
    r[1, 9] = 0.75  # A minor, close second
    assert keys.choose_key(r, None)[:2] == (0, False)
    # one flat: neither C major nor A minor fits; F major (not in the top 0.1) cannot win
    assert keys.choose_key(r, -1)[:2] == (0, False)
    r[0, 5] = 0.72  # F major within 0.1 of the best and matching one flat
    assert keys.choose_key(r, -1)[:2] == (5, False)


def test_estimate_tonic_finds_the_scale_and_survives_edge_cases() -> None:
    d_major = np.array([62, 64, 66, 67, 69, 71, 73, 74, 69, 66, 62])
    assert keys.estimate_tonic(d_major) == 2
    assert keys.estimate_tonic(np.array([], dtype=int)) == 0
    assert keys.estimate_tonic(np.array([65, 65, 77])) == 5  # one pitch class: that one


def test_unknown_profile_names_the_choices() -> None:
    with pytest.raises(ValueError, match="krumhansl-kessler"):
        keys.key_correlations(np.ones(12) + np.arange(12), "temperley")
