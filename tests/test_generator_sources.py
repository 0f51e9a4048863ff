"""inspire from words, variations of a piece, forms and textures; the evaluation's measures."""

from __future__ import annotations

import numpy as np
import pytest

from cantus.errors import BadInput
from generator import mgeval
from generator.inspire import inspire
from generator.ngram import NGram, sample_ngram
from generator.phrase import last_final_onset
from generator.requests import text_facets
from generator.sample import SampleSpec, check_ids
from generator.variation import source_opening
from generator.vocab import (
    Note,
    default_controls,
    meter_bar_positions,
    meter_quarters,
    parse_notes,
    tonic_pitch_class,
)
from recommender.engine import Hit
from tests.generator_helpers import melody_ids, write_data_dir


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    eng = write_data_dir(tmp_path_factory.mktemp("gen-sources"), n=24, train_steps=3)

    def search(query: str, k: int = 10, filters=None) -> list[Hit]:
        cat = eng.catalog
        rows = [i for i in range(len(cat)) if cat["meter"][i] == "3/4"][:k]
        return [
            Hit(cat["id"][r], cat["title"][r], "synthetic", "", "", cat["key"][r], "3/4", 0.5, "")
            for r in rows
        ]

    eng.search = search
    return eng


def _last_note(ids: list[int]) -> Note:
    notes, _ = parse_notes(ids)
    return max(notes, key=lambda n: (n.onset, n.pitch))


def test_text_request_names_its_pieces_and_takes_facets(engine, tmp_path) -> None:
    seeds = inspire(engine, text="a melancholy waltz", bars=4, n=2, out_dir=tmp_path)
    d = seeds[0].to_dict()
    assert d["meter"] == "3/4" and d["key"].endswith("minor")  # waltz -> 3/4, melancholy -> minor
    assert d["query"] == "a melancholy waltz" and "form:waltz" in d["facets"]
    assert d["conditioned_on"] and len(d["conditioned_titles"]) == len(d["conditioned_on"])
    explicit = inspire(
        engine, text="waltz", key="D major", meter="4/4", bars=2, n=1, out_dir=tmp_path
    )
    assert (explicit[0].key, explicit[0].meter) == ("D major", "4/4")  # options win over facets


def test_text_facets() -> None:
    assert text_facets("a lively jig")[0] == "6/8"
    assert text_facets("melancholy waltz")[:2] == ("3/4", "minor")
    assert text_facets("something")[:2] == (None, None)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"text": "   "}, "--text needs a description"),
        ({"vary": "m21:nope#1"}, "unknown piece id"),
        ({"form": "AB", "bars": 3}, "even number of bars"),
        ({"form": "AABB", "bars": 6}, "multiple of 4"),
        ({"ending": "half"}, "unknown --ending"),
        ({"keep": "rhythm"}, "--keep goes with --vary"),
        ({"vary": "m21:synthetic/0.abc#", "texture": "melody+bass"}, "drop --texture"),
        ({"vary": "m21:synthetic/0.abc#", "form": "AB", "bars": 4}, "needs --keep contour"),
    ],
)
def test_bad_requests_say_what_is_wrong(engine, tmp_path, kwargs, match) -> None:
    args = {"out_dir": tmp_path, **kwargs}
    if "text" not in kwargs and "vary" not in kwargs:
        args["from_ids"] = [engine.catalog["id"][0]]
    with pytest.raises(BadInput, match=match):
        inspire(engine, **args)


def test_seeds_close_on_the_tonic_or_the_dominant(engine, tmp_path) -> None:
    ids = [engine.catalog["id"][1]]  # 3/4
    for ending, degree in (("closed", 0), ("open", 7)):
        for seed in inspire(engine, from_ids=ids, bars=4, n=2, ending=ending, out_dir=tmp_path):
            tonic = tonic_pitch_class(seed.key.split()[0])
            last = _last_note(seed.ids)
            assert (last.pitch - tonic) % 12 == degree
            bar_q = meter_quarters(seed.meter)
            pos = (last.onset - 3 * bar_q) * meter_bar_positions(seed.meter) / bar_q
            assert round(pos) <= last_final_onset(seed.meter) and last.duration >= 1.0 - 1e-9


def test_vary_keeps_the_rhythm_with_new_pitches(engine, tmp_path) -> None:
    source = engine.catalog["id"][0]
    seeds = inspire(engine, vary=source, keep="rhythm", bars=4, n=2, out_dir=tmp_path)
    line, _, _ = source_opening(list(engine.catalog["tokens"][0]), 4)
    src = [(n.onset, n.duration) for n in parse_notes(line)[0]]
    for seed in seeds:
        notes, _ = parse_notes(seed.ids)
        assert [(n.onset, n.duration) for n in notes] == src
        d = seed.to_dict()
        assert d["variation"]["keep"] == "rhythm" and d["source_copied_notes"] <= 8
        assert d["conditioned_on"] == [source]


def test_vary_reads_only_its_pieces_tokens(engine, tmp_path, monkeypatch) -> None:
    """--vary reads the one piece it varies, never every piece's token lists (beyond the novelty
    index's one read, which is cached per process and shared with every inspire)."""
    from cantus import catalog
    from generator.inspire import get_novelty_index

    get_novelty_index(engine.data_dir)  # the novelty index reads every piece once, by design

    def whole_catalog(*args, columns=None, **kwargs):
        if columns is None or "tokens" in columns:
            raise AssertionError("--vary read every piece's tokens")
        return load(*args, columns=columns, **kwargs)

    load = catalog.load_catalog
    monkeypatch.setattr(catalog, "load_catalog", whole_catalog)
    source = engine.catalog["id"][2]
    (seed,) = inspire(engine, vary=source, keep="rhythm", bars=4, n=1, out_dir=tmp_path)
    assert seed.to_dict()["variation"]["of"] == source


def test_vary_keeps_the_contour(engine, tmp_path) -> None:
    source = engine.catalog["id"][3]
    seeds = inspire(engine, vary=source, keep="contour", bars=4, n=2, out_dir=tmp_path)
    src = [n.pitch for n in mgeval.top_line(parse_notes(engine.catalog["tokens"][3])[0])]
    want = np.sign(np.diff(src))
    rates = []
    for seed in seeds:
        got = np.sign(np.diff([n.pitch for n in parse_notes(seed.ids)[0]]))
        k = min(len(got), len(want)) - 1  # the cadence may bend the last step
        assert k > 2
        rates.append(np.mean(got[:k] == want[:k]))
    # a 3-step model: one seed may miss a step more (task 9k's numpy draws: 4 of 6 on one row)
    assert np.mean(rates) >= 0.7 and min(rates) > 0.5, rates


def test_polyphonic_favourites_give_two_parts(engine, tmp_path) -> None:
    import music21

    seeds = inspire(
        engine,
        from_ids=[engine.catalog["id"][0]],
        texture="melody+bass",
        bars=4,
        n=1,
        out_dir=tmp_path,
    )
    d = seeds[0].to_dict()
    assert d["voices"] == ["melody", "bass"] and "melody plus bass" in d["texture_note"]
    score = music21.converter.parse(d["musicxml"])
    assert [p.partName for p in score.parts] == ["Melody", "Bass"]
    for part in score.parts:
        assert not part.recurse().getElementsByClass("Chord"), "one note at a time per voice"
        assert len(part.getElementsByClass("Measure")) == 4
    midi = music21.converter.parse(d["midi"])
    assert len(midi.parts) == 2


def test_overlapped_area_behaves() -> None:
    rng = np.random.default_rng(0)
    same = mgeval.overlapped_area(rng.normal(0, 1, 200), rng.normal(0, 1, 200))
    apart = mgeval.overlapped_area(rng.normal(0, 1, 200), rng.normal(6, 1, 200))
    assert same > 0.8 and apart < 0.05


def test_musician_figures_of_a_scale() -> None:
    ids = melody_ids([60, 62, 64, 65, 67, 65, 64, 62, 60], [12] * 8 + [24], "4/4")
    line = mgeval.line_of(ids, 0)
    shape = mgeval.voice_shape(line)
    assert shape["stepwise"] == 1.0 and shape["range"] == 7 and shape["distinct_lengths"] == 2
    assert mgeval.ends_on_tonic_or_dominant(line)
    feats = mgeval.features(line)
    assert feats["notes_per_bar"] == pytest.approx(9 / 3) and feats["pitch_class_hist"].sum() == 1


def test_interval_shares_count_moves_by_size() -> None:
    ids = melody_ids([60, 62, 64, 65, 60, 60, 79], [12] * 7, "4/4")  # 2, 2, 1, 5, 0, 19
    shares = mgeval.interval_shares([mgeval.line_of(ids, 0)])
    assert shares.sum() == pytest.approx(1) and len(shares) == 13
    assert shares[2] == pytest.approx(2 / 6) and shares[0] == shares[1] == shares[5]
    assert shares[12] == pytest.approx(1 / 6), "an octave or more shares the last bin"


def test_ngram_learns_its_corpus_and_stays_well_formed() -> None:
    controls = default_controls()
    seq = melody_ids([60, 62, 64, 65] * 4, [12] * 16, "4/4")
    model = NGram(4, controls.vocab_size).fit([seq] * 3)
    scores = model.log_scores(seq[:5])
    assert int(np.argmax(scores)) == seq[5]
    spec = SampleSpec(meter="4/4", mode="major", bars=2, n=2, seed=0)
    for ids in sample_ngram(model, controls, spec):
        check_ids(ids, "4/4", 2)


def test_a_chordal_motif_keeps_its_top_line_as_the_melody(engine, tmp_path) -> None:
    import music21

    from cantus import token_decode
    from tests.generator_helpers import duration_id, token_id

    bar = [token_id("Bar_None"), token_id("TimeSig_4/4")]
    chords = []
    for pos, notes in (
        (0, (48, 64, 72)),
        (12, (50, 65, 74)),
        (24, (52, 67, 76)),
        (36, (48, 64, 72)),
    ):
        chords.append(token_id(f"Position_{pos}"))
        for p in notes:
            chords += [token_id(f"Pitch_{p}"), duration_id(12)]
    motif = tmp_path / "chords.mid"
    motif.write_bytes(token_decode.ids_to_midi_bytes(bar + chords))
    seeds = inspire(engine, motif_path=motif, texture="melody+bass", bars=3, n=1, out_dir=tmp_path)
    score = music21.converter.parse(seeds[0].musicxml)
    melody, bass = (list(p.recurse().notes) for p in score.parts)
    assert melody and bass
    # the motif's top line (its last chord is still open: the model may add a note above it)
    assert [n.pitch.midi for n in melody[:3]] == [72, 74, 76] and len(melody) > 4
