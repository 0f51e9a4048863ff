"""The ``scale`` taste facet: church modes heard in the notes, and recommendations following it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from recommender import scales, tastes
from recommender.engine import Engine
from recommender.personal import recommend
from recommender.personal_types import Interaction, PersonalConfig
from tests.test_personal import DIM, DummyEncoder, basis

NOW = datetime(2024, 6, 1, tzinfo=UTC)
# Scale degrees above D of two tunes that differ in one note: C natural or C sharp.
D_MIXOLYDIAN = (62, 64, 66, 67, 69, 71, 72, 74)
D_MAJOR = (62, 64, 66, 67, 69, 71, 73, 74)


def pitch_token(pitch: int) -> int:
    from cantus.tokens import get_tokenizer

    return int(get_tokenizer().vocab[f"Pitch_{pitch}"])


def tune_tokens(pitches: tuple[int, ...], repeats: int = 4) -> np.ndarray:
    """Pitch tokens between bar tokens: the analysis reads only the pitches."""
    from cantus.tokens import bar_token_id

    ids = [bar_token_id()] + [pitch_token(p) for p in pitches] * repeats
    return np.array(ids, dtype=np.int64)


def profile(degrees: dict[int, float]) -> np.ndarray:
    row = np.zeros(12)
    for degree, share in degrees.items():
        row[degree] = share
    return row / row.sum()


def test_pitch_class_of_reads_music21_names() -> None:
    assert [scales.pitch_class_of(n) for n in ("C", "F#", "B-", "E--", "g")] == [0, 6, 10, 2, 7]
    assert scales.pitch_class_of("") == -1 and scales.pitch_class_of("H") == -1


def test_modes_are_heard_from_scale_degrees() -> None:
    even = {0: 1, 2: 1, 5: 1, 7: 1}  # tonic, 2nd, 4th, 5th: in every scale here
    rows = np.stack(
        [
            profile({**even, 4: 1, 9: 1, 10: 1}),  # major 3rd, flat 7th: Mixolydian
            profile({**even, 3: 1, 9: 1, 10: 1}),  # minor 3rd, major 6th: Dorian
            profile({**even, 3: 1, 8: 1, 11: 1}),  # harmonic minor is minor, not Dorian
            profile({**even, 4: 1, 9: 1, 11: 1}),  # major
            profile({**even, 4: 20, 9: 20, 11: 20, 10: 1}),  # one passing flat 7th: still major
            np.zeros(12),  # no notes
        ]
    )
    found = scales.analysed_modes(rows).tolist()
    assert found == ["mixolydian", "dorian", "minor", "major", "major", ""]


def test_scale_text_names_church_modes_from_notes_or_source_and_nothing_else() -> None:
    text = scales.scale_text(
        ["mixolydian", "minor", "major", "dorian", ""], ["major", "dorian", "major", "dorian", ""]
    )
    assert text.tolist() == ["mixolydian, modal", "dorian, modal", "", "dorian, modal", ""]


def test_degree_profiles_read_pitch_tokens_above_the_tonic() -> None:
    tokens = [tune_tokens(D_MIXOLYDIAN), tune_tokens(D_MIXOLYDIAN), np.array([], dtype=np.int64)]
    rows = scales.degree_profiles(tokens, ["D", "G", "D"])
    assert rows.shape == (3, 12)
    assert rows[0].sum() == pytest.approx(1.0) and rows[2].sum() == 0.0
    assert rows[0][10] > 0 and rows[0][11] == 0  # C natural above D: the flat 7th
    assert rows[1][5] > 0  # the same C above G: the 4th
    assert scales.analysed_modes(rows).tolist() == ["mixolydian", "major", ""]


def modal_engine(n: int = 80, seed: int = 0) -> Engine:
    """One embedding cluster of D tunes all labelled "D major": every third one is Mixolydian
    in its notes only."""
    rng = np.random.default_rng(seed)
    vecs = basis(0) + 0.3 * rng.standard_normal((n, DIM)) / np.sqrt(DIM)
    modal = [i % 3 == 0 for i in range(n)]
    rows = [
        {
            "id": f"d:{i}",
            "title": f"tune {i}",
            "collection": "book",
            "source": "book/file.abc",
            "number": str(i),
            "key": "D major",
            "tonic": "D",
            "mode": "major",
            "meter": "6/8",
        }
        for i in range(n)
    ]
    tokens = [tune_tokens(D_MIXOLYDIAN if m else D_MAJOR) for m in modal]
    return Engine(
        pd.DataFrame(rows), vecs, DummyEncoder(), describe=lambda row: "",
        melody_tokens=lambda: tokens,
    )  # fmt: skip


def test_favourites_heard_as_mixolydian_get_mixolydian_tunes() -> None:
    engine = modal_engine()
    history = [
        Interaction(f"d:{i}", "favourite", NOW - timedelta(days=1, minutes=i))
        for i in range(0, 15, 3)
    ]
    hits = recommend(engine, history, k=9)
    modal = [int(h.id.split(":")[1]) % 3 == 0 for h in hits]
    assert sum(modal) >= 8  # 1 in 3 of the catalog
    assert all("mixolydian" in h.why for h, m in zip(hits, modal, strict=True) if m)
    plain = recommend(engine, history, k=9, config=PersonalConfig(facet_weight=0.0))
    assert sum(int(h.id.split(":")[1]) % 3 == 0 for h in plain) < sum(modal)


def test_engines_without_music_tokens_have_no_scale_facet() -> None:
    frame = pd.DataFrame({"id": ["a"], "tonic": ["D"], "mode": ["major"], "meter": ["3/4"]})
    engine = Engine(frame, basis(0)[None, :], DummyEncoder(), describe=lambda row: "")
    assert "scale" not in tastes.facet_codes(engine, engine.catalog).names


def test_the_scale_column_is_cached_by_catalog(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path))
    calls = []

    def tokens() -> list[np.ndarray]:
        calls.append(1)
        return [tune_tokens(D_MIXOLYDIAN), tune_tokens(D_MAJOR)]

    args = (["a", "b"], ["D", "D"], ["major", "major"], tokens)
    first = scales.scale_column(*args)
    again = scales.scale_column(*args)
    assert first.tolist() == again.tolist() == ["mixolydian, modal", ""]
    assert len(calls) == 1  # the second call read the cache
    assert len(list((tmp_path / "cache").glob("scales-*.npy"))) == 1
