"""The seed Transformer: shapes, KV cache, config and checkpoint round trips."""

from __future__ import annotations

import json

import pytest
import torch

from cantus.errors import MissingArtifact
from generator.checkpoint import load_generator, save_generator
from generator.model import GeneratorConfig, KVCache, SeedTransformer, decode_step
from generator.train_config import TrainConfig
from generator.vocab import default_controls
from tests.generator_helpers import tiny_config


@pytest.fixture(scope="module")
def small() -> SeedTransformer:
    cfg = tiny_config(n_prefix=3, n_layers=2, n_heads=4, ctx=96)
    torch.manual_seed(0)
    return SeedTransformer(cfg).eval()


def test_forward_shapes(small: SeedTransformer) -> None:
    idx = torch.randint(0, small.cfg.n_music, (3, 17))
    logits = small(idx, torch.randn(3, 8))
    assert logits.shape == (3, 17, small.cfg.vocab_size)
    assert torch.isfinite(logits).all()
    # no condition: the null prefix is used, a different but valid output
    uncond = small(idx)
    assert uncond.shape == logits.shape
    assert not torch.allclose(uncond, logits)


def test_condition_changes_output_and_is_checked(small: SeedTransformer) -> None:
    idx = torch.randint(0, small.cfg.n_music, (2, 5))
    a, b = small(idx, torch.randn(2, 8)), small(idx, torch.randn(2, 8))
    assert not torch.allclose(a, b)
    with pytest.raises(ValueError, match="cond"):
        small(idx, torch.randn(2, 7))
    too_long = torch.zeros(1, small.cfg.ctx, dtype=torch.long)
    with pytest.raises(ValueError, match="context"):
        small(too_long)


def test_sequences_must_open_with_the_controls(small: SeedTransformer) -> None:
    with pytest.raises(ValueError, match="control tokens"):
        small(torch.zeros(1, small.cfg.n_ctrl - 1, dtype=torch.long))


def test_controls_reach_every_position_through_the_global_bias(small: SeedTransformer) -> None:
    """With attention off the table (first position only), the controls still act via the bias."""
    idx = torch.randint(0, small.cfg.n_music, (1, 4))
    other = idx.clone()
    other[0, 1] = (idx[0, 1] + 1) % small.cfg.n_music  # change the second control token
    with torch.no_grad():
        a, b = small(idx)[:, 0], small(other)[:, 0]  # logits at position 0 cannot attend to 1
    assert not torch.allclose(a, b)


def test_cond_drop_equals_no_condition(small: SeedTransformer) -> None:
    idx = torch.randint(0, small.cfg.n_music, (2, 6))
    dropped = small(idx, torch.randn(2, 8), cond_drop=torch.tensor([True, True]))
    assert torch.allclose(dropped, small(idx), atol=1e-6)


def test_kv_cache_matches_full_forward(small: SeedTransformer) -> None:
    torch.manual_seed(1)
    idx = torch.randint(0, small.cfg.vocab_size, (2, 20))
    cond = torch.randn(2, 8)
    with torch.no_grad():
        full = small(idx, cond)  # (B, T, V)
        cache = KVCache(small.cfg.n_layers)
        parts = [small(idx[:, :7], cond, cache=cache)]
        for t in range(7, 12):
            parts.append(small(idx[:, t : t + 1], cache=cache))
        parts.append(small(idx[:, 12:], cache=cache))  # several tokens at once through the cache
    stepped = torch.cat(parts, dim=1)
    assert cache.length == small.cfg.n_prefix + 20
    torch.testing.assert_close(stepped, full, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("capacity", [None, 9, 64])
def test_decode_step_equals_the_cached_forward_exactly(small: SeedTransformer, capacity) -> None:
    torch.manual_seed(2)
    small.eval()
    idx = torch.randint(0, small.cfg.vocab_size, (2, 14))
    cond = torch.randn(2, 8)
    with torch.inference_mode():
        slow, fast = KVCache(small.cfg.n_layers), KVCache(small.cfg.n_layers, capacity)
        want = [small(idx[:, :5], cond, cache=slow)[:, -1]]
        got = [small(idx[:, :5], cond, cache=fast)[:, -1]]
        for t in range(5, 14):  # a 9-position buffer grows; a 64-position one does not
            want.append(small(idx[:, t : t + 1], cache=slow)[:, -1])
            got.append(decode_step(small, idx[:, t : t + 1], fast))
    assert fast.length == slow.length == small.cfg.n_prefix + 14
    assert all(torch.equal(a, b) for a, b in zip(want, got, strict=True)), "same seeds"


def test_decode_step_refuses_an_empty_cache(small: SeedTransformer) -> None:
    small.eval()
    with pytest.raises(ValueError, match="filled cache"):
        decode_step(small, torch.zeros(1, 1, dtype=torch.long), KVCache(small.cfg.n_layers))


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("n_heads", 5, "divide"),
        ("n_music", 10_000, "n_music"),
        ("cond_dropout", 1.0, "cond_dropout"),
        ("ctx", 2, "ctx"),
    ],
)
def test_config_validates(field: str, value: object, match: str) -> None:
    kwargs = {"vocab_size": 400, "n_music": 300, field: value}
    with pytest.raises(ValueError, match=match):
        GeneratorConfig(**kwargs)


def test_config_json_round_trip() -> None:
    cfg = GeneratorConfig(vocab_size=400, n_music=300, d_model=64, n_heads=2)
    assert GeneratorConfig.from_json(cfg.to_json()) == cfg
    data = json.loads(cfg.to_json()) | {"surprise": 1}
    with pytest.raises(ValueError, match="unknown generator config fields"):
        GeneratorConfig.from_json(json.dumps(data))


def test_checkpoint_round_trip(small: SeedTransformer, tmp_path) -> None:
    save_generator(
        tmp_path, small, default_controls(), TrainConfig(), "enc-1", {"conditioned": True}
    )
    meta = json.loads((tmp_path / "config.json").read_text())
    assert meta["model"]["d_model"] == 32 and meta["encoder_id"] == "enc-1"
    loaded = load_generator(tmp_path)
    assert loaded.conditioned and loaded.encoder_id == "enc-1"
    assert (
        loaded.model.head.weight.data_ptr() == loaded.model.tok_emb.weight.data_ptr()
    )  # still tied
    idx = torch.randint(0, small.cfg.n_music, (1, 9))
    cond = torch.randn(1, 8)
    with torch.no_grad():
        # weights are stored in fp16: compare against the fp16-rounded original
        ref = SeedTransformer(small.cfg).eval()
        ref.load_state_dict({k: v.half().float() for k, v in small.state_dict().items()})
        torch.testing.assert_close(loaded.model(idx, cond), ref(idx, cond), atol=1e-4, rtol=1e-3)


def test_checkpoint_with_other_vocabulary_is_refused(small: SeedTransformer, tmp_path) -> None:
    save_generator(tmp_path, small, default_controls(), TrainConfig(), None, {})
    meta = json.loads((tmp_path / "config.json").read_text())
    meta["vocab_fingerprint"] = "not-this-one"
    (tmp_path / "config.json").write_text(json.dumps(meta))
    with pytest.raises(MissingArtifact, match="another tokenizer"):
        load_generator(tmp_path)
    with pytest.raises(MissingArtifact, match="cantus build"):
        load_generator(tmp_path / "absent")
