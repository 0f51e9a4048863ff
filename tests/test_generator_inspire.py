"""inspire(): conditioning, controls, motif continuation, novelty re-sampling, export, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from cantus import token_decode, tokens
from cantus.errors import BadInput
from generator import inspire as insp
from generator.inspire import Seed, inspire, parse_key
from generator.vocab import count_bars, first_meter, tables
from tests.generator_helpers import DESIGN_FIELDS, melody_ids, write_data_dir


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return write_data_dir(tmp_path_factory.mktemp("gen-data"), n=24, train_steps=3)


def test_from_ids_gives_seeds_with_the_design_fields(engine, tmp_path) -> None:
    ids = list(engine.catalog["id"][:3])
    seeds = inspire(engine, from_ids=ids, bars=4, n=3, seed=1, out_dir=tmp_path)
    assert len(seeds) == 3
    for s in seeds:
        assert isinstance(s, Seed)
        d = s.to_dict()
        assert set(d) >= DESIGN_FIELDS  # the DESIGN.md contract, plus texture and form fields
        assert d["texture"] in ("melody", "melody+bass") and d["form"] == "phrase"
        assert d["conditioned_on"] == ids and d["bars"] == 4 == count_bars(s.ids)
        assert -1.0 <= d["fidelity"] <= 1.0
        assert isinstance(d["max_copied_notes"], int) and d["max_copied_notes"] >= 0
        assert (tmp_path / f"{s.id}.mid").is_file() and (tmp_path / f"{s.id}.musicxml").is_file()
        assert tokens.midi_to_ids((tmp_path / f"{s.id}.mid").read_bytes())
    # defaults: majority metre and key of the three pieces (4/4, 3/4, 6/8 -> first most common)
    cat = engine.catalog.iloc[:3]
    assert seeds[0].meter in set(cat["meter"])
    assert seeds[0].key in set(cat["key"])
    assert first_meter(seeds[0].ids) == seeds[0].meter


def test_requested_key_and_meter_are_used(engine, tmp_path) -> None:
    seeds = inspire(
        engine,
        from_ids=[engine.catalog["id"][0]],
        bars=3,
        key="Eb minor",
        meter="6/8",
        n=2,
        out_dir=tmp_path,
    )
    pitch_of = tokens.pitch_of_ids()
    for s in seeds:
        assert s.key == "E- minor" and s.meter == "6/8"
        pitches = [pitch_of[i] for i in s.ids if pitch_of[i] >= 0]
        assert pitches and min(pitches) >= 36 and max(pitches) <= 96, (
            "playable range after transposition"
        )
        assert {tables().ts_of_id[i] for i in s.ids if i in tables().ts_of_id} == {"6/8"}


def test_same_seed_same_result(engine, tmp_path) -> None:
    ids = [engine.catalog["id"][5]]
    a = inspire(engine, from_ids=ids, bars=2, n=2, seed=7, out_dir=tmp_path)
    b = inspire(engine, from_ids=ids, bars=2, n=2, seed=7, out_dir=tmp_path)
    assert [s.ids for s in a] == [s.ids for s in b]
    assert [s.id for s in a] == [s.id for s in b]


def test_motif_is_continued(engine, tmp_path) -> None:
    motif = melody_ids([62, 64, 66, 67, 69, 71, 73, 74], [12] * 8, "4/4")  # D major, 2 bars
    path = tmp_path / "motif.mid"
    path.write_bytes(token_decode.ids_to_midi_bytes(motif))
    read_back = tokens.midi_to_ids(path.read_bytes())
    seeds = inspire(engine, motif_path=path, bars=4, n=2, out_dir=tmp_path / "out")
    for s in seeds:
        assert s.ids[: len(read_back)] == read_back, "the seed starts with the user's motif"
        assert s.bars == 4 and s.meter == "4/4"
        assert s.conditioned_on[0].startswith("file:")
    with pytest.raises(BadInput, match="meter"):
        inspire(engine, motif_path=path, bars=4, meter="3/4", out_dir=tmp_path)


class _StubIndex:
    """Reports a long copied run for the first ``copies`` seeds it sees."""

    def __init__(self, copies: int) -> None:
        self.copies, self.calls = copies, 0

    def longest_copied_run(self, ids, start_event: int = 0) -> int:
        self.calls += 1
        return 20 if self.calls <= self.copies else 3


class _ScriptedIndex:
    """Answers the copied-run lengths it was given, in order."""

    def __init__(self, runs: list[int]) -> None:
        self.runs, self.calls = runs, 0

    def longest_copied_run(self, ids, start_event: int = 0) -> int:
        self.calls += 1
        return self.runs[self.calls - 1]


def test_copying_seeds_are_resampled(engine, tmp_path) -> None:
    stub = _StubIndex(copies=3)
    seeds = inspire(
        engine, from_ids=[engine.catalog["id"][1]], bars=2, n=2, out_dir=tmp_path, novelty=stub
    )
    assert [s.max_copied_notes for s in seeds] == [3, 3]
    # round 1: both copy (calls 1-2); round 2: both again, one still copies (3-4); round 3 (5)
    assert stub.calls == 5


def test_persistent_copies_are_never_handed_out(engine, tmp_path, caplog) -> None:
    from cantus.errors import CantusError
    from generator.inspire import MAX_TRIES

    with pytest.raises(CantusError, match="copied more than"):
        inspire(
            engine,
            from_ids=[engine.catalog["id"][1]],
            bars=2,
            n=1,
            out_dir=tmp_path,
            novelty=_StubIndex(copies=10**6),
        )
    # two seeds asked; the first copies in every round and is dropped, the second is kept
    stub = _ScriptedIndex([20, 3] + [20] * (MAX_TRIES - 1))
    seeds = inspire(
        engine, from_ids=[engine.catalog["id"][1]], bars=2, n=2, out_dir=tmp_path, novelty=stub
    )
    assert [s.max_copied_notes for s in seeds] == [3]
    assert stub.calls == 2 + (MAX_TRIES - 1)  # round 1 both, then only the copying one
    assert "dropped 1 seed" in caplog.text


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"from_ids": ["m21:nope#1"]}, "unknown piece id"),
        ({"from_ids": []}, "at least one"),
        ({"from_ids": None}, "exactly one"),
        ({"bars": 0}, "bars"),
        ({"bars": 17}, "bars"),
        ({"key": "H major"}, "key"),
        ({"key": "D bluesy"}, "mode"),
        ({"meter": "5/7"}, "meter"),
        ({"n": 0}, "-n"),
        ({"temperature": 0.0}, "temperature"),
        ({"top_p": 0.0}, "top-p"),
    ],
)
def test_bad_input(engine, tmp_path, kwargs, match) -> None:
    args = {"from_ids": [engine.catalog["id"][0]], "out_dir": tmp_path, **kwargs}
    with pytest.raises(BadInput, match=match):
        inspire(engine, **args)


def test_bad_motif(engine, tmp_path) -> None:
    with pytest.raises(BadInput, match="not found"):
        inspire(engine, motif_path=tmp_path / "absent.mid", out_dir=tmp_path)
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"not a midi file")
    with pytest.raises(BadInput):
        inspire(engine, motif_path=junk, out_dir=tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("D minor", ("D", "minor")),
        ("bb major", ("B-", "major")),
        ("F#", ("F#", "major")),
        ("E- Minor", ("E-", "minor")),
        ("G dorian", ("G", "dorian")),
        ("A aeolian", ("A", "minor")),
    ],
)
def test_parse_key(text, expected) -> None:
    assert parse_key(text) == expected


def test_seeds_move_from_the_canonical_tonic_to_the_requested_one() -> None:
    canonical = melody_ids([60, 64, 67, 72], [12, 12, 12, 12], "4/4")  # C major arpeggio
    pitch_of = tokens.pitch_of_ids()
    for tonic, shift in (("C", 0), ("D", 2), ("F#", 6), ("G", -5), ("B-", -2)):
        assert insp.key_shift(tonic) == shift
        moved = [pitch_of[i] for i in insp._to_key(canonical, tonic) if pitch_of[i] >= 0]
        assert moved == [p + shift for p in (60, 64, 67, 72)]
        # notes sampled inside sampling_range land in the playable range once moved
        lo, hi = insp.sampling_range(tonic)
        assert (lo + shift, hi + shift) == (36, 96)


def test_conditioning_vector_is_the_unit_centroid(engine) -> None:
    ids = list(engine.catalog["id"][:4])
    req = insp.request_from_ids(engine, ids, 4, None, None, ("4/4", "3/4", "6/8"))
    expected = np.mean([engine.vector(i) for i in ids], axis=0)
    expected /= np.linalg.norm(expected)
    np.testing.assert_allclose(req.cond, expected, atol=1e-6)
