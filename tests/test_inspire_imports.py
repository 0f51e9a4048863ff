"""A cold ``cantus inspire`` imports only what it uses (issue 9, item 7: <= 5 s cold)."""

from __future__ import annotations

import subprocess
import sys


def test_the_inspire_path_does_not_import_scipy() -> None:
    # scipy (~0.35 s of CPU) serves the lexical channel of text search, which `inspire --from`
    # never builds; recommender.lexical imports it where a matrix is made
    code = (
        "import sys, cantus.cli, generator.cli, generator.inspire, generator.seeds, "
        "recommender.engine; assert 'scipy' not in sys.modules, 'scipy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_lexical_index_still_builds_its_matrices() -> None:
    from recommender.lexical import LexicalIndex

    index = LexicalIndex.build([{"title": "The Kesh jig"}, {"title": "A reel"}])
    scores, terms = index.scores("kesh jig")
    assert scores.shape == (2,) and scores[0] > scores[1] and "kesh" in terms


def test_a_cold_inspire_imports_neither_torch_nor_miditok(tmp_path) -> None:
    """Decoding (onnxruntime graphs), masks and the seeded draw (numpy), the fidelity embedding
    (the music tower in onnxruntime), the copy guard and the MIDI/MusicXML export: none needs
    torch or miditok once the caches exist (``make install`` builds them; here this test's
    CANTUS_HOME)."""
    import pytest

    from cantus import tokens
    from cantus.config import data_dir
    from generator.inspire import get_generator
    from recommender.encoder import load_encoder

    if not (data_dir() / "generator" / "model.safetensors").is_file():
        pytest.skip("no shipped generator in this checkout")
    get_generator().decoder  # noqa: B018 - exports the decoder's graphs into the cache
    load_encoder().music_tower()  # exports the music tower's graph into the cache
    tokens.vocab()  # writes the vocabulary cache
    code = (
        "import sys\n"
        "from recommender.engine import Engine\n"
        "from generator.inspire import inspire\n"
        "ids = list(Engine.load().catalog['id'].iloc[[0, 1]])\n"
        f"seeds = inspire(Engine.load(), from_ids=ids, n=1, out_dir={str(tmp_path)!r})\n"
        "assert seeds and seeds[0].fidelity == seeds[0].fidelity, 'no fidelity'\n"
        "loaded = sorted(m for m in ('torch', 'miditok') if m in sys.modules)\n"
        "assert not loaded, f'imported {loaded}'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".mid", ".musicxml"]
