"""End to end on the real tiny build (catalog, encoder, embeddings and generator)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cantus.cli import main
from generator.vocab import count_bars

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def data_dir(tiny_data_dir):
    if not (tiny_data_dir / "generator" / "model.safetensors").is_file():
        pytest.skip("the tiny build has no generator stage in this checkout")
    return tiny_data_dir


def test_inspire_on_the_tiny_build(data_dir, tmp_path, monkeypatch, capsys) -> None:
    from recommender.engine import Engine

    monkeypatch.setenv("CANTUS_ARTIFACTS", str(data_dir))
    engine = Engine.load(data_dir)
    ids = list(engine.catalog["id"][:3])
    code = main(
        [
            "inspire",
            "--from",
            ",".join(ids),
            "--bars",
            "4",
            "-n",
            "2",
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    assert code == 0
    seeds = json.loads(capsys.readouterr().out)["seeds"]
    assert len(seeds) == 2
    for s in seeds:
        assert s["bars"] == 4 and s["conditioned_on"] == ids
        assert np.isfinite(s["fidelity"]) and -1 <= s["fidelity"] <= 1
        assert s["max_copied_notes"] >= 1
        assert (tmp_path / f"{s['id']}.musicxml").is_file()


def test_motif_on_the_tiny_build(data_dir, tmp_path, monkeypatch) -> None:
    from cantus import token_decode
    from generator.inspire import inspire
    from recommender.engine import Engine

    monkeypatch.setenv("CANTUS_ARTIFACTS", str(data_dir))
    engine = Engine.load(data_dir)
    motif = tmp_path / "motif.mid"
    motif.write_bytes(token_decode.ids_to_midi_bytes(engine_tokens(data_dir)[:40]))
    seeds = inspire(engine, motif_path=motif, bars=6, n=1, out_dir=tmp_path / "out")
    assert count_bars(seeds[0].ids) == 6


def engine_tokens(data_dir) -> list[int]:
    from cantus.catalog import load_catalog

    return list(load_catalog(data_dir, columns=["tokens"])["tokens"][0])
