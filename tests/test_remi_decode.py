"""REMI ids decode to the same score without miditok as with it (notes, metres, tempo, track),
on catalog pieces of every metre and on ids with a metre change and stray tokens; the
generator's quarter-note view (``parse_notes``) reads the same notes."""

from __future__ import annotations

import pytest

from cantus.remi_decode import decode_remi
from cantus.tokens import get_tokenizer, vocab


def _summary(score) -> tuple:
    return (
        score.ticks_per_quarter,
        [(t.time, t.numerator, t.denominator) for t in score.time_signatures],
        [(t.time, round(t.qpm, 3)) for t in score.tempos],
        [
            (
                tr.name,
                tr.program,
                tr.is_drum,
                [(n.time, n.duration, n.pitch, n.velocity) for n in tr.notes],
            )
            for tr in score.tracks
        ],
    )


def _same(ids: list[int]) -> None:
    assert _summary(decode_remi(ids)) == _summary(get_tokenizer().decode([ids]))


def test_a_metre_change_and_stray_tokens_decode_like_miditok() -> None:
    v = vocab()
    ids = [v["Bar_None"], v["TimeSig_3/4"], v["Position_0"], v["Pitch_60"], v["Duration_1.0.12"]]
    ids += [v["Position_12"], v["Pitch_64"], v["Pitch_67"], v["Duration_2.0.12"], v["Pitch_70"]]
    ids += [v["Bar_None"], v["TimeSig_6/8"], v["Position_6"], v["Pitch_62"], v["Duration_0.6.12"]]
    ids += [v["Duration_1.0.12"]]  # a second Duration after one Pitch: no second note
    ids += [v["Bar_None"], v["TimeSig_6/8"], v["Duration_0.6.12"], v["Position_3"], v["Pitch_65"]]
    ids += [v["Duration_0.3.12"], v["EOS_None"]]
    _same(ids)


def test_catalog_pieces_decode_like_miditok() -> None:
    from cantus.catalog import load_catalog
    from cantus.config import data_dir

    if not (data_dir() / "catalog.parquet").is_file():
        pytest.skip("no shipped catalog in this checkout")
    frame = load_catalog(data_dir(), columns=["tokens", "meter"])
    picks = frame.groupby("meter").head(3)  # every metre of the catalog
    for toks in picks["tokens"]:
        _same([int(t) for t in toks if int(t) != 0])


def test_the_generators_view_reads_the_same_notes_in_quarters() -> None:
    from generator.vocab import parse_notes

    v = vocab()
    ids = [v["Bar_None"], v["TimeSig_3/4"], v["Position_12"], v["Pitch_60"], v["Duration_1.0.12"]]
    ids += [v["Bar_None"], v["TimeSig_6/8"], v["Position_6"], v["Pitch_62"], v["Duration_0.6.12"]]
    notes, bars = parse_notes(ids)
    assert bars == 2
    assert [(n.onset, n.pitch, n.duration, n.bar) for n in notes] == [
        (1.0, 60, 1.0, 0),
        (3.25, 62, 0.25, 1),
    ]
    score = decode_remi(ids)
    tpq = score.ticks_per_quarter
    assert [(n.time / tpq, n.duration / tpq) for n in score.tracks[0].notes] == [
        (1.0, 1.0),
        (3.25, 0.25),
    ]
