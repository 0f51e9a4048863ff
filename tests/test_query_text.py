"""Text search without torch: MiniLM in onnxruntime and the text head in numpy, both equal to
their torch originals; a cold search or `similar ID` never imports torch."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from cantus import config
from cantus.errors import MissingArtifact
from recommender import query_text
from recommender.encoder import _read_files, _torch_model, load_encoder
from recommender.model import ContrastiveEncoder
from recommender.text_head import TextProjection
from tests.test_encoder_model import _config

QUERIES = [
    "melancholy waltz",
    "a fast jig in D major for the fiddle",
    "x",
    "slow air",
    "Bach chorale for four voices",
    "lively reel from Ireland, played on the flute",
    "Chinese folk song from Shaanxi",
    "lullaby",
    "a mournful lament in dorian mode with a wide range",
    "6/8",
    "Ständchen für Streichquartett",
    "a very long description of a tune that goes on and on " * 12,  # truncated at 64 pieces
]


def test_onnx_minilm_equals_sentence_transformers():
    from recommender.text import embed_sentences

    fast = query_text.query_text_embedder()
    want = embed_sentences(QUERIES)
    one_by_one = np.concatenate([fast([q]) for q in QUERIES])
    batched = fast(QUERIES)  # padded to the longest query, the mask keeps padding out
    assert one_by_one.shape == batched.shape == (len(QUERIES), 384)
    assert (one_by_one * want).sum(1).min() > 0.9999
    assert (batched * want).sum(1).min() > 0.9999
    assert query_text.check_export(fast) > query_text.MIN_COSINE


def test_the_export_is_made_once_where_it_can_be_shared(tmp_path, monkeypatch):
    made = []

    def fake_export(path):
        made.append(path.parent)
        path.write_bytes(b"onnx")

    monkeypatch.setattr(query_text, "export_minilm", fake_export)
    monkeypatch.setattr(query_text, "_session", lambda path: f"session:{path}")
    shared, home = tmp_path / "venv-share", tmp_path / "home-cache"
    first = query_text.QueryTextEncoder.load(shared, home)
    assert made == [shared] and str(shared) in first._session
    again = query_text.QueryTextEncoder.load(home, shared)  # found where it was made
    assert made == [shared] and str(shared) in again._session


def test_a_broken_export_is_an_error_and_leaves_no_file(tmp_path, monkeypatch):
    """No silent fallback to sentence-transformers: a bad export fails, naming the file."""
    monkeypatch.setattr(query_text, "_export_to", lambda path: path.write_bytes(b"not onnx"))
    target = tmp_path / query_text.onnx_name()
    with pytest.raises(MissingArtifact, match="cannot load the MiniLM query encoder"):
        query_text.export_minilm(target)
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_differs_is_refused(monkeypatch):
    from recommender import text

    monkeypatch.setattr(
        text, "embed_sentences", lambda texts: -query_text.query_text_embedder()(texts)
    )
    with pytest.raises(MissingArtifact, match="differs from sentence-transformers"):
        query_text.check_export(query_text.query_text_embedder())


@pytest.mark.slow
def test_export_from_scratch_reproduces_sentence_transformers(tmp_path):
    (tmp_path / "minilm-old.onnx").write_bytes(b"an older export")
    fast = query_text.QueryTextEncoder.load(tmp_path)  # exports (torch.onnx), checks, prunes
    assert [p.name for p in tmp_path.iterdir()] == [query_text.onnx_name()]
    assert query_text.check_export(fast) > query_text.MIN_COSINE


def test_numpy_text_head_equals_the_torch_head():
    torch.manual_seed(0)
    model = ContrastiveEncoder(_config()).eval()
    x = np.random.default_rng(0).standard_normal((7, 384)).astype(np.float32)
    with torch.inference_mode():
        want = model.text(torch.from_numpy(x)).numpy()
    got = TextProjection.from_module(model)(x)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_shipped_text_head_equals_the_torch_head():
    """The file path: fp16 weights read by safetensors.numpy, as torch reads them."""
    from recommender.text import embed_sentences

    folder = config.data_dir()
    cfg, _, _, weights = _read_files(folder)
    x = embed_sentences(QUERIES)
    with torch.inference_mode():
        want = _torch_model(cfg, weights).text(torch.from_numpy(x)).numpy()
    got = load_encoder(folder).encode_sentence_vectors(x)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_text_head_with_other_shapes_is_a_missing_artifact():
    cfg = _config()
    weights = {k: np.zeros((2, 2), np.float32) for k in ("mlp.0.weight", "mlp.0.bias")}
    with pytest.raises(MissingArtifact, match=r"text\.mlp\.0\.weight"):
        TextProjection(weights, cfg)


def test_cold_search_and_similar_never_import_torch(tmp_path):
    """Two cold processes on the shipped data: search, then `similar ID` (once the melody
    index, built on first use with the tokenizer, is cached)."""
    env_home = f"import os; os.environ['CANTUS_HOME'] = {str(tmp_path)!r}\n"
    search = textwrap.dedent(
        """
        import sys
        from recommender.engine import Engine
        engine = Engine.load()
        hits = engine.search("melancholy waltz", k=3)
        assert len(hits) == 3, hits
        assert "torch" not in sys.modules, "a text search imported torch"
        engine.melody_index()  # cached for the next process (the tokenizer imports torch)
        print(hits[0].id)
        """
    )
    first = subprocess.run(
        [sys.executable, "-c", env_home + search], check=True, capture_output=True, text=True
    )
    similar = textwrap.dedent(
        f"""
        import sys
        from cantus.cli import main
        assert main(["similar", {first.stdout.strip()!r}, "-k", "3", "--json"]) == 0
        assert "torch" not in sys.modules, "similar ID imported torch"
        """
    )
    subprocess.run([sys.executable, "-c", env_home + similar], check=True)
