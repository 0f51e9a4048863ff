"""The seed Transformer's inference in numpy, without torch.

Serving decodes with :class:`generator.onnx_step.OnnxDecoder`, which reuses this class's
embeddings, condition prefix and output head and runs the blocks in onnxruntime (a step here
is ~3.4 ms: ~5 us per numpy call on this machine, ~35 calls a block). The numpy blocks run a
torch ``SeedTransformer`` handed to the decoders by training and evaluation code
(``generator.sample.as_decoder``) and are the reference the tests hold both to.

The math is :class:`generator.model.SeedTransformer` in eval mode (pre-norm blocks, exact-erf
GELU, the condition as prefix vectors plus a global vector, tied output head); tests compare the
logits with torch's within 1e-4 (``tests/test_generator_numpy_decoder.py``).
"""

from __future__ import annotations

import math

import numpy as np

from cantus.numpy_nn import gelu as _gelu
from cantus.numpy_nn import layer_norm as _layer_norm
from cantus.numpy_nn import softmax as _softmax
from generator.model_config import GeneratorConfig


class Cache:
    """One batch's keys and values per layer, written in place (R, H, ctx, hd)."""

    def __init__(self, cfg: GeneratorConfig, rows: int, glob: np.ndarray | None) -> None:
        shape = (rows, cfg.n_heads, cfg.ctx, cfg.d_model // cfg.n_heads)
        self.keys = [np.empty(shape, np.float32) for _ in range(cfg.n_layers)]
        self.values = [np.empty(shape, np.float32) for _ in range(cfg.n_layers)]
        self.length = 0  # positions cached (prefix included)
        self.glob = glob  # (R, C) added to every token position (None: no global condition)


class NumpyDecoder:
    """The model's weights as float32 arrays. Incremental decoding of one batch: :meth:`start`
    runs the prefix, control tokens and prompt into a new :class:`Cache`; :meth:`step` one new
    token per row. Holds no per-batch state, so threads may share one decoder."""

    def __init__(self, cfg: GeneratorConfig, state: dict[str, np.ndarray]) -> None:
        self.cfg = cfg
        w = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in state.items()}
        self.tok_emb, self.pos_emb = w["tok_emb.weight"], w["pos_emb.weight"]
        self.head_t = np.ascontiguousarray(self.tok_emb.T)  # (C, V): the tied output head
        self.cond_proj = (np.ascontiguousarray(w["cond_proj.weight"].T), w["cond_proj.bias"])
        self.cond_glob = (np.ascontiguousarray(w["cond_glob.weight"].T), w["cond_glob.bias"])
        self.null_prefix, self.null_glob = w["null_prefix"], w["null_glob"]
        self.ln_f = (w["ln_f.weight"], w["ln_f.bias"])
        self.blocks = [self._block(w, f"blocks.{i}.") for i in range(cfg.n_layers)]

    @staticmethod
    def _block(w: dict[str, np.ndarray], p: str) -> tuple[np.ndarray, ...]:
        def t(name: str) -> np.ndarray:  # (out, in) -> (in, out) for x @ W
            return np.ascontiguousarray(w[p + name].T)

        return (
            *(w[p + "ln1.weight"], w[p + "ln1.bias"], t("attn.qkv.weight"), w[p + "attn.qkv.bias"]),
            *(t("attn.proj.weight"), w[p + "attn.proj.bias"], w[p + "ln2.weight"]),
            *(w[p + "ln2.bias"], t("mlp.0.weight"), w[p + "mlp.0.bias"], t("mlp.2.weight")),
            w[p + "mlp.2.bias"],
        )

    @classmethod
    def from_module(cls, model: object) -> NumpyDecoder:
        """From a torch ``SeedTransformer`` (training and evaluation code hold those)."""
        state = {
            k: v.detach().float().cpu().numpy()
            for k, v in model.state_dict().items()  # type: ignore[attr-defined]
            if k != "head.weight"
        }
        return cls(model.cfg, state)  # type: ignore[attr-defined]

    def _prefix(
        self, cond: np.ndarray | None, rows: int, drop: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Prefix vectors (R, P, C) and global condition (R, C); dropped rows get the nulls."""
        c, p = self.cfg.d_model, self.cfg.n_prefix
        null = np.broadcast_to(self.null_prefix, (rows, p, c))
        null_glob = np.broadcast_to(self.null_glob, (rows, c))
        if cond is None:
            return null, null_glob
        if cond.shape != (rows, self.cfg.cond_dim):
            msg = f"`cond` must have shape {(rows, self.cfg.cond_dim)} (received {cond.shape})"
            raise ValueError(msg)
        pre = (cond @ self.cond_proj[0] + self.cond_proj[1]).reshape(rows, p, c)
        glob = cond @ self.cond_glob[0] + self.cond_glob[1]
        if drop is not None:
            pre = np.where(drop[:, None, None], null, pre)
            glob = np.where(drop[:, None], null_glob, glob)
        return pre, glob

    def embed_start(
        self, idx: np.ndarray, cond: np.ndarray | None, drop: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The inputs (R, P + T, C) of the first pass over ``idx`` (R, T), the condition
        prefixed, and the global vector (R, C) every later position adds (None without)."""
        cfg = self.cfg
        rows, t = idx.shape
        if t < cfg.n_ctrl:
            msg = f"a sequence must open with {cfg.n_ctrl} control tokens (received {t})"
            raise ValueError(msg)
        total = cfg.n_prefix + t
        if total > cfg.ctx:
            msg = f"sequence of {total} positions exceeds the model context {cfg.ctx}"
            raise ValueError(msg)
        pre, glob = self._prefix(cond, rows, drop)
        x = self.tok_emb[idx]  # (R, T, C)
        glob = glob + self.tok_emb[idx[:, : cfg.n_ctrl]].mean(1) if cfg.global_cond else None
        if glob is not None:
            x = x + glob[:, None]
        return np.concatenate([pre, x], axis=1) + self.pos_emb[:total], glob  # (R, P + T, C)

    def embed_step(self, tokens: np.ndarray, pos: int, glob: np.ndarray | None) -> np.ndarray:
        """The input (R, C) of one new token per row at position ``pos``."""
        if pos == 0 or pos + 1 > self.cfg.ctx:
            msg = f"a step needs a started cache within the model context (position {pos})"
            raise ValueError(msg)
        x = self.tok_emb[tokens] + self.pos_emb[pos]  # (R, C)
        return x if glob is None else x + glob

    def logits(self, x: np.ndarray) -> np.ndarray:
        """(R, V) from the last block's output (R, C)."""
        return _layer_norm(x, *self.ln_f) @ self.head_t

    def start(
        self, idx: np.ndarray, cond: np.ndarray | None, drop: np.ndarray | None = None
    ) -> tuple[np.ndarray, Cache]:
        """Logits (R, V) after the last of ``idx`` (R, T), the condition prefixed, and the
        cache to continue from. ``drop`` (R,) True: that row gets the null condition."""
        x, glob = self.embed_start(idx, cond, drop)
        total = x.shape[1]
        cache = Cache(self.cfg, idx.shape[0], glob)
        causal = np.triu(np.full((total, total), -np.inf, np.float32), k=1)  # (T', T')
        for layer, w in enumerate(self.blocks):
            x = _block_forward(x, cache, layer, w, causal, self.cfg.n_heads)
        cache.length = total
        return self.logits(x[:, -1]), cache

    def step(self, tokens: np.ndarray, cache: Cache) -> np.ndarray:
        """Logits (R, V) after one new token per row (``tokens`` (R,)) continuing ``cache``."""
        x = self.embed_step(tokens, cache.length, cache.glob)[:, None]  # (R, 1, C)
        for layer, w in enumerate(self.blocks):
            x = _block_forward(x, cache, layer, w, None, self.cfg.n_heads)
        cache.length += 1
        return self.logits(x[:, 0])


def _block_forward(
    x: np.ndarray,
    cache: Cache,
    layer: int,
    w: tuple[np.ndarray, ...],
    mask: np.ndarray | None,
    heads: int,
) -> np.ndarray:
    """One pre-norm block on (R, T, C) new positions; their keys/values go to ``cache``."""
    r, t, c = x.shape
    hd = c // heads
    h = _layer_norm(x, w[0], w[1])
    qkv = (h @ w[2] + w[3]).reshape(r, t, 3, heads, hd).transpose(2, 0, 3, 1, 4)
    q, k, v = qkv[0], qkv[1], qkv[2]  # each (R, H, T, hd)
    start, end = cache.length, cache.length + t
    cache.keys[layer][:, :, start:end] = k
    cache.values[layer][:, :, start:end] = v
    keys, values = cache.keys[layer][:, :, :end], cache.values[layer][:, :, :end]
    scores = (q @ keys.transpose(0, 1, 3, 2)) * np.float32(1.0 / math.sqrt(hd))  # (R, H, T, L)
    if mask is not None:  # only the start has more than one new position
        scores = scores + mask
    y = (_softmax(scores) @ values).transpose(0, 2, 1, 3).reshape(r, t, c)  # (R, T, C)
    x = x + (y @ w[4] + w[5])
    h = _layer_norm(x, w[6], w[7])
    return x + (_gelu(h @ w[8] + w[9]) @ w[10] + w[11])
