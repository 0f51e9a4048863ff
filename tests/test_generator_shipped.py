"""Shipped generator, shipped catalog: seeds close, folk is one line, chorales two voices."""

from __future__ import annotations

import pytest

from generator.mgeval import line_of, voice_shape
from generator.vocab import parse_notes, tonic_pitch_class

pytestmark = pytest.mark.slow

FOLK = ["m21:oneills1850/0001-0050.abc#5", "m21:oneills1850/0001-0050.abc#7"]  # two jigs
CHORALES = ["m21:bach/bwv269.mxl#", "m21:bach/bwv347.mxl#"]


@pytest.fixture(scope="module")
def engine():
    from cantus.config import data_dir
    from recommender.engine import Engine

    if not (data_dir() / "generator" / "model.safetensors").is_file():
        pytest.skip("no shipped generator in this checkout")
    return Engine.load()


def test_folk_seeds_are_one_line_that_closes_on_the_tonic(engine, tmp_path) -> None:
    from generator.inspire import inspire

    seeds = inspire(engine, from_ids=FOLK, n=4, seed=0, out_dir=tmp_path)
    for seed in seeds:
        notes, bars = parse_notes(seed.ids)
        assert bars == 8 and seed.texture == "melody"
        assert len({n.onset for n in notes}) == len(notes), "one note at a time"
        line = line_of(seed.ids, tonic_pitch_class(seed.key.split()[0]))
        assert (line.notes[-1].pitch - line.tonic_pc) % 12 == 0
        assert seed.max_copied_notes <= 8


def test_chorale_seeds_are_melody_and_bass_in_a_singable_range(engine, tmp_path) -> None:
    from generator.inspire import inspire

    seeds = inspire(engine, from_ids=CHORALES, meter="4/4", n=4, seed=0, out_dir=tmp_path)
    for seed in seeds:
        assert seed.texture == "melody+bass" and seed.voices == ["melody", "bass"]
        notes, _ = parse_notes(seed.ids)
        per_onset: dict[float, int] = {}
        for n in notes:
            per_onset[n.onset] = per_onset.get(n.onset, 0) + 1
        assert max(per_onset.values()) <= 2, "never more notes at once than voices"
        top = voice_shape(line_of(seed.ids, 0))
        assert top["range"] <= 16  # the chorale soprano spans ~11.5 semitones in 8 bars


def test_chorale_voice_targets_come_from_the_training_chorales_only() -> None:
    import json

    import numpy as np

    from cantus.catalog import load_catalog
    from cantus.config import data_dir
    from generator.eval_corpus import training_chorales
    from generator.eval_styles import BARS, heldout_rows
    from generator.mgeval import interval_shares
    from generator.voices import BASS_INTERVALS, SOPRANO_INTERVALS

    folder = data_dir()
    if not (folder / "generator" / "config.json").is_file():
        pytest.skip("no shipped generator in this checkout")
    frac = json.loads((folder / "generator" / "config.json").read_text())["train"]["heldout_frac"]
    cols = ["id", "tokens", "tonic", "collection", "parts", "form", "origin"]
    catalog = load_catalog(folder, columns=cols)
    rows = training_chorales(catalog, heldout_rows(catalog, frac))
    assert 350 < len(rows) < 412  # the held-out (test) chorales are left out
    for voice, shipped in (("top", SOPRANO_INTERVALS), ("bottom", BASS_INTERVALS)):
        lines = []
        for r in rows:
            ids = list(map(int, catalog["tokens"].iloc[r]))
            tonic = tonic_pitch_class(str(catalog["tonic"].iloc[r]))
            lines.append(line_of(ids, tonic, BARS, voice))
        assert np.allclose(interval_shares(lines), shipped, atol=6e-4)
