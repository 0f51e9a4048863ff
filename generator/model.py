"""Conditioned decoder-only Transformer for inspiration seeds (pure model code: imports torch only).

Sequence layout seen by the model (one row of a batch)::

    [p_0 .. p_{P-1}] [ctrl_meter] [ctrl_mode] [ctrl_bars] [music token ...] [EOS]
     prefix vectors   control tokens (ids >= music vocab)    REMI ids < music vocab

The ``P`` prefix vectors are a linear projection of the conditioning vector (the music-embedding
centroid of the pieces the user asked for). With ``global_cond`` another projection of it, plus
the mean embedding of the control tokens, is also added to every token position (a global
bias, as in WaveNet's global conditioning), so the condition and the requested mode/metre do not
have to be found by attention alone — in short CPU trainings this is what makes them stick.
When the condition is dropped (training-time condition dropout, or ``cond=None`` at inference)
learned "null" vectors take the place of both.
Token ids index one shared embedding table of ``vocab_size`` rows (music tokens + control tokens).

Incremental decoding keeps a per-layer key/value cache (:class:`KVCache`); feeding a sequence in
pieces through the cache gives the same logits as one full forward pass.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from generator.model_config import GeneratorConfig

__all__ = ["GeneratorConfig", "KVCache", "SeedTransformer", "decode_step"]


class KVCache:
    """Keys and values of every layer for the positions decoded so far, in buffers of
    ``capacity`` positions (written in place: re-concatenating every step was ~5 % of
    decoding)."""

    def __init__(self, n_layers: int, capacity: int | None = None) -> None:
        self.keys: list[torch.Tensor | None] = [None] * n_layers  # each (B, H, capacity, hd)
        self.values: list[torch.Tensor | None] = [None] * n_layers
        self.lengths = [0] * n_layers
        self.capacity = capacity  # None: the first append's length (no room to grow)
        self.glob: torch.Tensor | None = None  # (B, 1, C) global conditioning of the sequence
        self.step_weights: list[tuple] | None = None  # per layer, Block.step_weights()

    @property
    def length(self) -> int:
        return self.lengths[0]

    def append(
        self, layer: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Keys and values (B, H, past + T, hd) once ``k``, ``v`` (B, H, T, hd) are added."""
        old, new = self.lengths[layer], self.lengths[layer] + k.shape[2]
        buf_k, buf_v = self.keys[layer], self.values[layer]
        if buf_k is None or new > buf_k.shape[2]:
            size = max(new, self.capacity or 0)
            grown_k, grown_v = k.new_empty(_sized(k, size)), v.new_empty(_sized(v, size))
            if buf_k is not None:
                grown_k[:, :, :old], grown_v[:, :, :old] = buf_k[:, :, :old], buf_v[:, :, :old]
            buf_k, buf_v = grown_k, grown_v
            self.keys[layer], self.values[layer] = buf_k, buf_v
        buf_k.narrow(2, old, new - old).copy_(k)  # narrow: one view op (slicing makes ~3)
        buf_v.narrow(2, old, new - old).copy_(v)
        self.lengths[layer] = new
        return buf_k.narrow(2, 0, new), buf_v.narrow(2, 0, new)


def _sized(x: torch.Tensor, length: int) -> tuple[int, ...]:
    return (x.shape[0], x.shape[1], length, x.shape[3])


class SelfAttention(nn.Module):
    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.n_heads = cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(
        self,
        x: torch.Tensor,
        pad_mask: torch.Tensor | None,
        cache: KVCache | None,
        layer: int,
        past: int,
    ) -> torch.Tensor:
        b, t, c = x.shape  # (B, T, C)
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (
            z.view(b, t, self.n_heads, c // self.n_heads).transpose(1, 2) for z in (q, k, v)
        )  # (B, H, T, hd)
        if cache is not None:
            k, v = cache.append(layer, k, v)  # (B, H, past + T, hd)
        mask = None  # one new token without padding attends to everything before it
        if t > 1 or pad_mask is not None:
            mask = _causal_mask(t, past, x.device)  # (T, past + T) True = may attend
        if pad_mask is not None:
            mask = mask[None, None] & pad_mask[:, None, None, :]  # (B, 1, T, past + T)
        drop = self.dropout if self.training else 0.0
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop)  # (B, H, T, hd)
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # (B, T, C)
        return self.proj(y)


def _causal_mask(t: int, past: int, device: torch.device) -> torch.Tensor:
    rows = torch.arange(t, device=device)[:, None] + past
    cols = torch.arange(past + t, device=device)[None, :]
    return cols <= rows  # (T, past + T)


class Block(nn.Module):
    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(cfg.d_model, 4 * cfg.d_model),
            nn.GELU(),
            nn.Linear(4 * cfg.d_model, cfg.d_model),
            nn.Dropout(cfg.dropout),
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(
        self,
        x: torch.Tensor,
        pad_mask: torch.Tensor | None,
        cache: KVCache | None,
        layer: int,
        past: int,
    ) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), pad_mask, cache, layer, past))
        return x + self.mlp(self.ln2(x))

    def step_weights(self) -> tuple[torch.Tensor, ...]:
        """The tensors :meth:`step` uses, looked up once per decode (module attribute access
        was ~5 % of a step); matrices as the transposed views ``F.linear`` passes to ``addmm``."""
        ln1, ln2, attn, fc, out = self.ln1, self.ln2, self.attn, self.mlp[0], self.mlp[2]
        return (
            *(ln1.weight, ln1.bias, attn.qkv.weight.t(), attn.qkv.bias),
            *(attn.proj.weight.t(), attn.proj.bias, ln2.weight, ln2.bias),
            *(fc.weight.t(), fc.bias, out.weight.t(), out.bias),
        )

    def step(self, x: torch.Tensor, cache: KVCache, layer: int, w: tuple) -> torch.Tensor:
        """``forward`` for one new token per row in eval mode (x: (B, C); ``w``:
        :meth:`step_weights`): the same kernels with fewer calls. ``F.linear`` on (B, 1, C)
        flattens to (B, C) and calls ``addmm(bias, x, weight.t())``; calling that directly on
        2-D rows skips the linear, view and transpose dispatches (bit-identical results)."""
        b, c = x.shape
        heads = self.attn.n_heads
        h = F.layer_norm(x, (c,), w[0], w[1], self.ln1.eps)
        # (B, 3C) -> 3 x (B, H, 1, hd): the views split + transpose make, in one go
        q, k, v = torch.addmm(w[3], h, w[2]).view(b, 3, heads, 1, c // heads).unbind(1)
        k, v = cache.append(layer, k, v)  # (B, H, past + 1, hd)
        y = F.scaled_dot_product_attention(q, k, v).reshape(b, c)  # (B, H, 1, hd) -> (B, C)
        x = x + torch.addmm(w[5], y, w[4])
        h = F.layer_norm(x, (c,), w[6], w[7], self.ln2.eps)
        return x + torch.addmm(w[11], F.gelu(torch.addmm(w[9], h, w[8])), w[10])


class SeedTransformer(nn.Module):
    """Decoder-only Transformer whose first ``n_prefix`` positions carry the condition."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos_emb = nn.Embedding(cfg.ctx, cfg.d_model)
        self.cond_proj = nn.Linear(cfg.cond_dim, cfg.n_prefix * cfg.d_model)
        self.null_prefix = nn.Parameter(torch.zeros(cfg.n_prefix, cfg.d_model))
        self.cond_glob = nn.Linear(cfg.cond_dim, cfg.d_model)
        self.null_glob = nn.Parameter(torch.zeros(cfg.d_model))
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying
        self.apply(_init_weights)
        nn.init.normal_(self.null_prefix, std=0.02)
        nn.init.normal_(self.null_glob, std=0.02)
        for name, p in self.named_parameters():
            residual_out = name.endswith("attn.proj.weight") or name.endswith("mlp.2.weight")
            if residual_out:  # GPT-2 scaled init of the projections feeding the residual stream
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * cfg.n_layers))

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def prefix(
        self, cond: torch.Tensor | None, batch: int, drop: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Prefix vectors (B, P, C) and global condition (B, C) from ``cond`` (B, D); rows where
        ``drop`` is True (or all rows when ``cond`` is None) get the learned null vectors."""
        null = self.null_prefix.unsqueeze(0).expand(batch, -1, -1)  # (B, P, C)
        null_glob = self.null_glob.unsqueeze(0).expand(batch, -1)  # (B, C)
        if cond is None:
            return null, null_glob
        if cond.shape != (batch, self.cfg.cond_dim):
            want = (batch, self.cfg.cond_dim)
            msg = f"`cond` must have shape {want} (received {tuple(cond.shape)})"
            raise ValueError(msg)
        pre = self.cond_proj(cond).view(batch, self.cfg.n_prefix, self.cfg.d_model)  # (B, P, C)
        glob = self.cond_glob(cond)  # (B, C)
        if drop is not None:
            pre = torch.where(drop[:, None, None], null, pre)
            glob = torch.where(drop[:, None], null_glob, glob)
        return pre, glob

    def global_vector(self, idx: torch.Tensor, glob: torch.Tensor) -> torch.Tensor:
        """(B, 1, C) added to every position: the condition plus the mean control embedding."""
        if idx.shape[1] < self.cfg.n_ctrl:
            got = idx.shape[1]
            msg = f"a sequence must open with {self.cfg.n_ctrl} control tokens (received {got})"
            raise ValueError(msg)
        ctrl = self.tok_emb(idx[:, : self.cfg.n_ctrl]).mean(dim=1)  # (B, C)
        return (glob + ctrl).unsqueeze(1)

    def forward(
        self,
        idx: torch.Tensor,
        cond: torch.Tensor | None = None,
        *,
        cond_drop: torch.Tensor | None = None,
        pad_mask: torch.Tensor | None = None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        """Logits (B, T, V) for the next token after each of ``idx`` (B, T).

        Without a cache, or with an empty one, the prefix is prepended and its outputs dropped.
        With a non-empty cache, ``idx`` continues the cached sequence (``cond`` is ignored).
        ``pad_mask`` (B, past + T incl. prefix) is True where a key position is real.
        """
        b = idx.shape[0]  # idx: (B, T)
        start = 0 if cache is None else cache.length
        x = self.tok_emb(idx)  # (B, T, C)
        n_pre = 0
        if start == 0:
            pre, glob = self.prefix(cond, b, cond_drop)
            g = self.global_vector(idx, glob) if self.cfg.global_cond else None  # (B, 1, C)
            if cache is not None:
                cache.glob = g
            if g is not None:
                x = x + g
            x = torch.cat([pre, x], dim=1)  # (B, P + T, C)
            n_pre = self.cfg.n_prefix
        elif cache.glob is not None:
            x = x + cache.glob
        total = start + x.shape[1]
        if total > self.cfg.ctx:
            msg = f"sequence of {total} positions exceeds the model context {self.cfg.ctx}"
            raise ValueError(msg)
        pos = torch.arange(start, total, device=idx.device)
        x = self.drop(x + self.pos_emb(pos))  # (B, T', C)
        for i, block in enumerate(self.blocks):
            x = block(x, pad_mask, cache, i, start)
        x = self.ln_f(x[:, n_pre:])  # (B, T, C)
        return self.head(x)  # (B, T, V)


def decode_step(model: SeedTransformer, idx: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """Logits (B, V) after one new token per row (idx: (B, 1)) continuing a non-empty cache;
    equal to ``model(idx, cache=cache)[:, -1]`` in eval mode."""
    if model.training or cache.length == 0 or idx.shape[1] != 1:
        msg = f"decode_step needs eval mode, a filled cache and one token (received {idx.shape})"
        raise ValueError(msg)
    start = cache.length
    if start + 1 > model.cfg.ctx:
        msg = f"sequence of {start + 1} positions exceeds the model context {model.cfg.ctx}"
        raise ValueError(msg)
    x = F.embedding(idx[:, 0], model.tok_emb.weight)  # (B, C)
    if cache.glob is not None:
        x = x + cache.glob[:, 0]
    x = x + model.pos_emb.weight[start]
    if cache.step_weights is None:
        cache.step_weights = [block.step_weights() for block in model.blocks]
    for i, (block, w) in enumerate(zip(model.blocks, cache.step_weights, strict=True)):
        x = block.step(x, cache, i, w)
    x = F.layer_norm(x, (x.shape[-1],), model.ln_f.weight, model.ln_f.bias, model.ln_f.eps)
    return x @ model.head.weight.t()  # (B, V): what F.linear without bias computes


def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
