"""Training the contrastive encoder on a synthetic 16-piece catalog (CPU, seconds).

MiniLM is replaced by a hashed bag-of-words sentence embedder here (``fake_minilm``) so the
tests need no model load; ``test_encoder_model.py`` checks the real MiniLM offline.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cantus import tokens
from recommender import text as text_mod
from recommender.encoder import ENCODER_DIR, SPLIT_FILE, load_encoder, weights_id
from recommender.encoder_config import EncoderConfig
from recommender.train import build_encoder, cpu_threads
from recommender.train_config import TrainConfig
from recommender.train_data import normalize_title, split_pieces

# --------------------------------------------------------------------------- synthetic data

STYLES = {  # two clearly different kinds of music and how captions describe them
    "waltz": {
        "meter": "3/4",
        "mode": "major",
        "low": 67,
        "steps": (2, 2, 1),
        "dur": "1.0.12",
        "captions": [
            ("plain", "a bright waltz in G major"),
            ("mood", "cheerful and sunny"),
            ("form", "a waltz in 3/4"),
            ("listener", "something happy for dancing"),
        ],
    },
    "lament": {
        "meter": "6/8",
        "mode": "minor",
        "low": 45,
        "steps": (-1, -2, 3),
        "dur": "0.6.12",
        "captions": [
            ("plain", "a slow lament in A minor"),
            ("mood", "mournful and sad"),
            ("form", "a lament in 6/8"),
            ("listener", "something grieving for a rainy day"),
        ],
    },
}


def _tok(name: str) -> int:
    vocab = tokens.get_tokenizer().vocab
    if name in vocab:
        return vocab[name]
    prefix = name.split("_", 1)[0] + "_"
    return sorted(i for n, i in vocab.items() if n.startswith(prefix))[0]


def synthetic_tokens(style: str, n_bars: int, rng: np.random.Generator) -> list[int]:
    spec = STYLES[style]
    ids: list[int] = []
    pitch = spec["low"] + int(rng.integers(0, 5))
    for _ in range(n_bars):
        ids += [_tok("Bar_None"), _tok(f"TimeSig_{spec['meter'].replace('/', '/')}")]
        for beat in range(3):
            step = spec["steps"][beat] * int(rng.choice([1, 1, 2]))
            pitch = int(np.clip(pitch + step, 40, 90))
            ids += [
                _tok(f"Position_{beat * 12}"),
                _tok(f"Pitch_{pitch}"),
                _tok(f"Duration_{spec['dur']}"),
            ]
    return ids


def _word(number: int) -> str:
    """A title word per number ("b", "bc", ...): titles lose digits when normalised."""
    return "".join(chr(97 + int(d)) for d in str(number))


def synthetic_catalog(n: int = 16, seed: int = 0) -> pd.DataFrame:
    """``n`` pieces, half waltzes and half laments, with captions and catalog columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        style = "waltz" if i % 2 == 0 else "lament"
        spec = STYLES[style]
        ids = synthetic_tokens(style, int(rng.integers(6, 14)), rng)
        caps = [*spec["captions"], ("title", f"Tune {_word(i)}")]
        rows.append(
            {
                "id": f"test:{i:03d}#",
                "source": f"synthetic/{style}{i}.abc",
                "number": "",
                "collection": "synthetic" if i < n // 2 else "other",
                "origin": "Irish" if style == "waltz" else "Scottish",
                "title": f"Tune {_word(i // 2)}" if i < 4 else f"Tune {_word(i)}",
                "composer": "",
                "meter": spec["meter"],
                "key": f"{'G' if style == 'waltz' else 'A'} {spec['mode']}",
                "tonic": "G" if style == "waltz" else "A",
                "mode": spec["mode"],
                "key_confidence": 0.9,
                "tempo_bpm": float("nan"),
                "tempo_text": "",
                "bars": len(ids) // 11,
                "seconds": 10.0,
                "pitch_low": 40,
                "pitch_high": 90,
                "ambitus": 12,
                "n_notes": len(ids) // 3,
                "note_density": 3.0,
                "parts": 1,
                "form": "waltz" if style == "waltz" else "lament",
                "captions": [c for _, c in caps],
                "caption_families": [f for f, _ in caps],
                "tokens": ids,
                "n_tokens": len(ids),
                "sha1": f"{i:012x}",
                "text": f"Tune {i} {style} {spec['meter']} {spec['mode']}",
            }
        )
    return pd.DataFrame(rows)


def fake_embed_sentences(texts, batch_size: int = 128) -> np.ndarray:
    """Hashed bag-of-words vectors (N, 384), unit length: similar words, similar vectors."""
    out = np.zeros((len(texts), text_mod.TEXT_DIM), dtype=np.float32)
    for i, sentence in enumerate(texts):
        for word in str(sentence).lower().split():
            seed = int(hashlib.sha1(word.encode()).hexdigest()[:8], 16)
            out[i] += np.random.default_rng(seed).standard_normal(text_mod.TEXT_DIM)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


@pytest.fixture
def fake_minilm(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(text_mod, "embed_sentences", fake_embed_sentences)


TINY_MODEL = dict(
    max_len=64,
    max_events=32,
    d_model=32,
    n_layers=1,
    n_heads=2,
    ff_mult=2,
    text_hidden=32,
    embed_dim=16,
)


def tiny_configs(steps: int = 4) -> tuple[EncoderConfig, TrainConfig]:
    return (
        EncoderConfig(vocab_size=tokens.vocab_size(), pad_id=tokens.PAD_ID, **TINY_MODEL),
        TrainConfig(
            steps=steps,
            batch_size=4,
            lr=1e-2,
            warmup_steps=1,
            eval_fraction=0.2,
            captions_per_piece=3,
            log_every=2,
            threads=1,
        ),
    )


def make_data_dir(path: Path, steps: int = 4, seed: int = 0) -> dict:
    """Write a synthetic catalog to ``path`` and train the encoder there; returns the metrics."""
    path.mkdir(parents=True, exist_ok=True)
    synthetic_catalog().to_parquet(path / "catalog.parquet")
    mcfg, tcfg = tiny_configs(steps)
    return build_encoder(path, "tiny", seed, model_config=mcfg, train_config=tcfg)


# --------------------------------------------------------------------------- tests


def test_one_epoch_writes_loadable_weights_matching_embeddings(tmp_path, fake_minilm):
    metrics = make_data_dir(tmp_path, steps=4)  # 16 pieces, batch 4: about one epoch
    assert metrics["steps"] == 4
    folder = tmp_path / ENCODER_DIR
    config = json.loads((folder / "config.json").read_text())
    embeddings_meta = json.loads((tmp_path / "embeddings.json").read_text())
    assert (
        config["encoder_id"]
        == embeddings_meta["encoder_id"]
        == weights_id(folder / "model.safetensors")
    )
    vectors = np.load(tmp_path / "embeddings.npy")
    assert vectors.dtype == np.float16 and vectors.shape == (16, TINY_MODEL["embed_dim"])
    encoder = load_encoder(tmp_path)
    assert encoder.encoder_id == metrics["encoder_id"]
    again = encoder.encode_ids(list(synthetic_catalog()["tokens"]))
    np.testing.assert_allclose(again, vectors.astype(np.float32), atol=2e-2)


def test_training_decreases_the_loss(tmp_path, fake_minilm):
    metrics = make_data_dir(tmp_path, steps=40)
    assert metrics["loss_last"] < metrics["loss_first"] - 0.2


def test_training_is_reproducible_for_a_seed(tmp_path, fake_minilm):
    first = make_data_dir(tmp_path / "a", steps=6, seed=3)
    second = make_data_dir(tmp_path / "b", steps=6, seed=3)
    assert first["encoder_id"] == second["encoder_id"]


def test_split_keeps_versions_of_a_tune_together_and_records_it(tmp_path, fake_minilm):
    make_data_dir(tmp_path, steps=2)
    split = json.loads((tmp_path / ENCODER_DIR / SPLIT_FILE).read_text())
    assert split["heldout_families"] == ["listener", "technical"]
    catalog = synthetic_catalog(200)
    for seed in range(5):
        held = split_pieces(catalog, 0.3, seed)
        keys = catalog["title"].map(normalize_title)
        for key in keys.unique():
            sides = set(held[(keys == key).to_numpy()])
            assert len(sides) == 1, key
        assert 0 < held.sum() < len(catalog)


def test_train_config_rejects_bad_values_naming_them():
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=1)
    with pytest.raises(ValueError, match=r"received 0\.7"):
        TrainConfig(eval_fraction=0.7)
    with pytest.raises(ValueError, match="max_transpose"):
        TrainConfig(max_transpose=13)


def test_cpu_threads_honours_a_request_and_stays_positive():
    assert cpu_threads(3) == 3
    assert cpu_threads(0) >= 1


def test_embed_user_pieces_uses_the_current_encoder(tmp_path, fake_minilm, monkeypatch):
    from recommender.embed import embed_user_pieces

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    from cantus.config import user_dir

    assert embed_user_pieces(tmp_path / "data")["n"] == 0  # no user catalog yet
    metrics = make_data_dir(tmp_path / "data", steps=2)
    synthetic_catalog(5, seed=9).to_parquet(user_dir() / "catalog.parquet")
    result = embed_user_pieces(tmp_path / "data")
    assert result["n"] == 5 and result["encoder_id"] == metrics["encoder_id"]
    assert np.load(user_dir() / "embeddings.npy").shape == (5, TINY_MODEL["embed_dim"])
    meta = json.loads((user_dir() / "embeddings.json").read_text())
    assert meta == {"encoder_id": metrics["encoder_id"], "dim": TINY_MODEL["embed_dim"], "n": 5}


def test_training_captions_are_those_a_default_build_embeds(tmp_path, fake_minilm):
    from cantus.captions import HELD_OUT_FAMILIES
    from recommender.train_data import caption_table, training_captions

    catalog = synthetic_catalog()
    tcfg = TrainConfig()
    families = ("form", "mood", "plain", "title")
    table = caption_table(
        catalog, families, tmp_path, per_piece=tcfg.captions_per_piece, skip=tcfg.skip_families
    )
    for row, piece in enumerate(catalog.itertuples()):
        expected = [table.texts[i] for i in table.per_piece[row]]
        got = training_captions(list(piece.captions), list(piece.caption_families), piece.id)
        assert got == expected and len(got) == tcfg.captions_per_piece
        assert not {
            f for c, f in zip(piece.captions, piece.caption_families, strict=True) if c in got
        } & set(HELD_OUT_FAMILIES)


def test_two_views_add_a_view_to_view_term(tmp_path, fake_minilm):
    import torch

    from recommender.model import ClipLoss, ContrastiveEncoder
    from recommender.train import step_loss
    from recommender.train_data import BatchMaker, caption_table

    mcfg, tcfg = tiny_configs()
    catalog = synthetic_catalog()
    table = caption_table(catalog, ("plain", "mood"), tmp_path)
    toks = [np.asarray(t) for t in catalog["tokens"]]
    batches = BatchMaker(toks, table, np.arange(16), mcfg, tcfg, np.random.default_rng(0))
    views = batches.next()
    assert len(views) == 2 and views[0][0].shape[0] == views[1][0].shape[0] == tcfg.batch_size
    torch.manual_seed(0)
    model = ContrastiveEncoder(mcfg)
    sentences = torch.as_tensor(table.vectors)
    with_pairs, _ = step_loss(model, ClipLoss(), views, sentences, tcfg)
    tcfg.pair_weight = 0.0
    without, _ = step_loss(model, ClipLoss(), views, sentences, tcfg)
    assert with_pairs.ndim == 0 and with_pairs > without


def test_training_stops_at_the_step_count(tmp_path, fake_minilm):
    metrics = make_data_dir(tmp_path, steps=3)
    saved = json.loads((tmp_path / ENCODER_DIR / "config.json").read_text())
    assert metrics["steps"] == saved["train"]["steps"] == 3


def test_default_profile_runs_the_shipped_step_count():
    from recommender.train_config import profile_configs

    assert profile_configs("default")[1].steps == 1300  # artifacts/manifest.json


def test_saved_configs_of_older_builds_still_load():
    saved = {"steps": 1300, "max_minutes": 20.0}  # an older build's encoder/config.json
    assert TrainConfig.from_saved(saved) == TrainConfig(steps=1300)
