"""Novelty guard: copied (even transposed) passages are caught, fresh melodies are not."""

from __future__ import annotations

import numpy as np
import pytest

from cantus import tokens
from generator.novelty import (
    DEFAULT_MAX_COPIED_NOTES,
    NoveltyIndex,
    index_for_catalog,
    melody_events,
)
from tests.generator_helpers import catalog_rows, melody_ids, random_melody, synthetic_corpus


@pytest.fixture(scope="module")
def corpus() -> list[list[int]]:
    return synthetic_corpus(n=24, seed=5)[0]


@pytest.fixture(scope="module")
def index(corpus) -> NoveltyIndex:
    return NoveltyIndex.build(corpus)


def _notes_of(ids: list[int]) -> tuple[list[int], list[int]]:
    """(pitches, durations in positions) of a monophonic synthetic melody."""
    from generator.vocab import parse_notes

    notes, _ = parse_notes(ids)
    return [n.pitch for n in notes], [round(n.duration * 12) for n in notes]


def test_transposed_copy_is_caught(index: NoveltyIndex, corpus) -> None:
    pitches, durs = _notes_of(corpus[3])
    rng = np.random.default_rng(1)
    lead_p = [48, 50]
    copied_p = [p + 3 for p in pitches[5:17]]  # 12 notes, a minor third up
    copied_d = durs[5:17]
    seed = melody_ids(
        lead_p + copied_p + [30 + int(x) for x in rng.integers(0, 5, 3)],
        [24, 24, *copied_d, 24, 6, 24],
        "4/4",
    )
    run = index.longest_copied_run(seed)
    assert run >= 12
    assert run > DEFAULT_MAX_COPIED_NOTES


def test_short_shared_fragment_is_measured_exactly(index: NoveltyIndex, corpus) -> None:
    pitches, durs = _notes_of(corpus[7])
    # 5 copied notes framed by leaps no melody in the corpus makes (+-20 semitones, odd rhythm)
    seed = melody_ids([40, *pitches[2:7], 90], [42, *durs[2:7], 42], "4/4")
    assert index.longest_copied_run(seed) == 5


def test_fresh_melody_is_not_flagged(index: NoveltyIndex) -> None:
    rng = np.random.default_rng(99)
    steps = rng.choice([-7, 7, -9, 9, 11], size=30)  # leaps the corpus never takes
    pitches = np.clip(60 + np.cumsum(steps) % 24, 48, 84).tolist()
    seed = melody_ids(pitches, rng.choice([3, 9, 18], size=30).tolist(), "4/4")
    assert index.longest_copied_run(seed) <= 2


def test_random_melody_stays_under_the_limit(index: NoveltyIndex) -> None:
    rng = np.random.default_rng(1234)
    for _ in range(5):
        assert index.longest_copied_run(random_melody(rng, 30)) <= DEFAULT_MAX_COPIED_NOTES


def test_events_are_transposition_invariant(corpus) -> None:
    ids = corpus[0]
    up = tokens.transpose_ids(ids, 5)
    assert np.array_equal(melody_events(ids), melody_events(up))


def test_start_event_skips_the_prompt(index: NoveltyIndex, corpus) -> None:
    pitches, durs = _notes_of(corpus[2])
    seed = melody_ids(pitches[:14], durs[:14], "4/4")
    assert index.longest_copied_run(seed) >= 14
    assert index.longest_copied_run(seed, start_event=13) <= 2


def test_index_save_load_and_catalog_cache(tmp_path, corpus, index: NoveltyIndex) -> None:
    path = tmp_path / "novelty.npz"
    index.save(path)
    loaded = NoveltyIndex.load(path)
    assert loaded is not None and loaded.n_melodies == index.n_melodies
    for a, b in zip(loaded.orders, index.orders, strict=True):
        assert np.array_equal(a, b)
    meters = ["4/4"] * len(corpus)
    frame = catalog_rows(corpus, meters, [("C", "major")] * len(corpus))
    first = index_for_catalog(frame, cache_dir=tmp_path)
    cached = list(tmp_path.glob("novelty-*.npz"))
    assert len(cached) == 1
    again = index_for_catalog(frame, cache_dir=tmp_path)
    assert all(np.array_equal(a, b) for a, b in zip(first.orders, again.orders, strict=True))
    # by token counts: the same cache, and the tokens are not read (inspire's cold start)
    counts = frame[["id"]].assign(n_tokens=[len(t) for t in frame["tokens"]])
    unread = index_for_catalog(counts, cache_dir=tmp_path, read_tokens=lambda: 1 / 0)
    assert all(np.array_equal(a, b) for a, b in zip(first.orders, unread.orders, strict=True))


def test_a_new_home_reads_the_shared_index_and_writes_nothing_there(tmp_path, corpus) -> None:
    frame = catalog_rows(corpus, ["4/4"] * len(corpus), [("C", "major")] * len(corpus))
    shared, home = tmp_path / "venv-share", tmp_path / "home-cache"
    built = index_for_catalog(frame, cache_dir=shared)  # what `make install` does
    counts = frame[["id"]].assign(n_tokens=[len(t) for t in frame["tokens"]])
    found = index_for_catalog(counts, home, read_tokens=lambda: 1 / 0, shared_dir=shared)
    assert all(np.array_equal(a, b) for a, b in zip(built.orders, found.orders, strict=True))
    assert not home.exists()  # read from the shared copy: nothing built, nothing written
    other = frame.iloc[:-1]  # another catalog (an ingest): built in the home, not shared
    index_for_catalog(other, home, shared_dir=shared)
    assert len(list(home.glob("novelty-*.npz"))) == 1
    assert len(list(shared.glob("novelty-*.npz"))) == 1
    assert found.n_melodies == len(frame)
