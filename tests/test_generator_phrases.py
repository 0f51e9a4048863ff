"""Phrase ends from the sources (generator.phrase_bounds) and whole-phrase training windows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cantus import tokens
from generator.phrase_bounds import (
    abc_phrase_ends,
    chorale_phrase_ends,
    ends_to_bars,
    split_tunes,
    token_bar_starts,
)
from generator.train_config import TrainConfig
from generator.vocab import KIND_PITCH, default_controls, tables
from generator.windows import Piece, WindowSampler

ESSEN = """X:7
T: TEST
M: 3/8
L: 1/16
K: F
 | c3BA2 | c3BA2 | G2F2G2 | F4
A2 | G2G2G2 | G2A2B2 | A4B2 | c4
A2 | G2G2G2 | c6
"""

REEL = """X: 12
T: Test reel
M:3/4
L:1/8
K:A
(cd) | e2 A2 A2 | A2 G2 A2 | A4 ||
(AB) | c2 d2 e2 | (3efg a4 :|
"""


def _bar(index: int, notes: int) -> list[int]:
    """One 4/4 bar of ``notes`` crotchets at pitch 60 + index (the pitch names the bar)."""
    v = tokens.get_tokenizer().vocab
    t = tables()
    one = [v["Position_0"], v[f"Pitch_{60 + index}"], v["Duration_1.0.12"]]
    return [t.bar, t.ts_ids["4/4"], *(one * notes)]


def _piece(bar_notes: list[int], ends: list[int]) -> Piece:
    ids = [i for b, n in enumerate(bar_notes) for i in _bar(b, n)]
    arr = np.asarray(ids, dtype=np.int64)
    bars = np.flatnonzero(arr == tables().bar)
    return Piece(ids=arr, bars=bars, mode="major", row=0, ends=np.asarray(ends, dtype=np.int64))


def _span(music: list[int]) -> tuple[int, int]:
    """(first bar, last bar) of a window of ``_piece`` bars, read from the bars' pitches."""
    t = tables()
    pitches = [int(t.value[i]) - 60 for i in music if t.kind[i] == KIND_PITCH]
    return pitches[0], pitches[-1]


def _sampler(pieces: list[Piece], max_music: int, p_phrase: float) -> WindowSampler:
    controls = default_controls()
    return WindowSampler(pieces, controls, TrainConfig(), max_music, None, None, p_phrase=p_phrase)


def test_essen_lines_are_phrases_mapped_to_token_bars() -> None:
    ends, total, pad = abc_phrase_ends(split_tunes(ESSEN)["7"], by_line=True)
    # 3/8 bars of 1.5 quarters; line 1 stops inside bar 4 (its upbeat A2 starts line 2)
    assert pad == 0.0 and total == 15.0
    assert ends[:2] == [5.5, 11.5]
    starts = np.arange(0, 15.0 + 1e-9, 1.5)
    assert ends_to_bars(ends, starts) == [3, 7, 9]


def test_tune_book_parts_end_at_double_and_repeat_bars_with_pickup_padding() -> None:
    ends, total, pad = abc_phrase_ends(split_tunes(REEL)["12"], by_line=False)
    # the pickup (cd) is padded to a full 3/4 bar, as the tokens pad it; a triplet counts 2/3
    assert pad == 2.0
    assert ends == [11.0, 18.0, 18.0] and total == 18.0
    assert ends_to_bars(ends, np.arange(0, 19.0, 3.0)) == [3, 5]


def test_chorale_fermatas_use_timed_measures() -> None:
    from music21 import common

    path = Path(common.getCorpusFilePath()) / "bach" / "bwv101.7.mxl"
    if not path.is_file():
        pytest.skip("music21 corpus chorale bwv101.7 not installed")
    ends, total, pad = chorale_phrase_ends(path)
    # a one-beat pickup (padded by 3), two repeat-split bars (3 + 1 beats), a 3-beat last bar:
    # 13 token bars
    assert pad == 3.0 and total == 51.0
    assert ends_to_bars([*ends, total], np.arange(0, 53.0, 4.0)) == [2, 4, 6, 8, 10, 12]


def test_token_bar_starts_follow_time_signatures() -> None:
    t = tables()
    ids = np.asarray([t.bar, t.ts_ids["3/4"], t.bar, t.ts_ids["6/8"], t.bar, t.ts_ids["4/4"]])
    assert token_bar_starts(ids, t).tolist() == [0.0, 3.0, 6.0, 10.0]


PHRASED = [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]  # notes per bar of a 12-bar piece
ENDS = [1, 3, 7, 11]  # its phrase-end bars: phrases of 2, 2, 4 and 4 bars


def test_phrase_windows_start_and_end_on_phrase_boundaries() -> None:
    piece = _piece(PHRASED, ENDS)
    sampler = _sampler([piece], 200, p_phrase=1.0)
    rng = np.random.default_rng(0)
    spans = set()
    for _ in range(300):
        music, n, meter = sampler.window(piece, rng)
        first, last = _span(music[:-1])
        # EOS closes every aligned window, right after a phrase end
        assert music[-1] == tables().eos and meter == "4/4"
        assert first in {0, 2, 4, 8} and last in ENDS and last - first + 1 == n
        assert sum(1 for i in music if i == tables().bar) == n
        spans.add((first, last))
    assert len(spans) >= 6  # several starts and lengths, not one fixed window


def test_phrase_windows_never_pass_the_context() -> None:
    piece = _piece(PHRASED, ENDS)
    per_bar = [len(_bar(0, n)) for n in PHRASED]
    limit = sum(per_bar[:4]) + 1  # bars 0..3 and EOS fit; the 4-bar phrases 4..7, 8..11 do not
    sampler = _sampler([piece], limit, p_phrase=1.0)
    rng = np.random.default_rng(1)
    aligned, missed = set(), 0
    for _ in range(200):
        window = sampler.phrase_window(piece, rng)
        if window is None:  # a start whose phrase does not fit: today's window instead
            missed += 1
        else:
            assert len(window[0]) <= limit
            aligned.add(_span(window[0][:-1]))
        assert len(sampler.window(piece, rng)[0]) <= limit
    assert aligned == {(0, 1), (2, 3), (0, 3)} and missed > 0


def test_a_phrase_longer_than_the_context_falls_back_to_a_plain_window() -> None:
    piece = _piece([3] * 6, ends=[5])  # one 6-bar phrase of 11 tokens a bar
    sampler = _sampler([piece], 40, p_phrase=1.0)
    rng = np.random.default_rng(2)
    assert sampler.phrase_window(piece, rng) is None
    music, n, _ = sampler.window(piece, rng)
    assert len(music) <= 40 and n <= 3


def test_without_phrase_windows_the_sampler_draws_as_before() -> None:
    """p_phrase=0 (held-out NLL) draws the same windows as a piece without phrases."""
    phrased, plain = _piece(PHRASED, ENDS), _piece(PHRASED, [])
    a, b = _sampler([phrased], 200, 0.0), _sampler([plain], 200, 0.8)
    ra, rb = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(50):
        assert a.window(phrased, ra) == b.window(plain, rb)
