"""Constrained, seeded sampling of REMI seeds from a :class:`~generator.model.SeedTransformer`.

A :class:`Grammar` tracks, per sequence, where it stands in a bar and masks every token that
would make the seed ill-formed:

* order ``Bar -> TimeSig -> (Position -> Pitch -> Duration (Pitch -> Duration)*)* -> Bar ...``;
* the ``TimeSig`` is the requested metre; positions rise inside a bar and stay inside it;
* a note's duration never runs past the bar line (clipped by masking the longer durations);
* pitches at one position rise strictly (no duplicates) and lie in ``pitch_range``;
* onsets and durations stay on music21's quantisation grid (see :func:`quantisation_grid`);
* exactly ``bars`` bars: ``Bar`` is masked once the last bar has opened, ``EOS`` until then, and
  ``EOS`` needs a note in the last bar; when the token budget runs low, only closing moves remain.

Sampling uses temperature and nucleus (top-p) filtering and a seeded ``numpy.random.Generator``
(one uniform per row and step, inverted on the cumulative probabilities); with ``guidance != 1``
the logits are mixed classifier-free style with the unconditioned (null-prefix) model:
``uncond + guidance * (cond - uncond)``. The model runs in onnxruntime
(``generator.onnx_decoder``, no torch); a torch ``SeedTransformer`` handed in by training code
or tests is exported to the same graphs first (``generator.decoder_export.module_decoder``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Union

import numpy as np

from generator.checks import TEMPERATURE
from generator.onnx_decoder import OnnxDecoder
from generator.vocab import (
    KIND_BAR,
    KIND_DUR,
    KIND_PITCH,
    KIND_POS,
    KIND_TS,
    POSITIONS_PER_BEAT,
    Controls,
    Tables,
    meter_bar_positions,
    tables,
)

if TYPE_CHECKING:
    from generator.model import SeedTransformer

log = logging.getLogger(__name__)

Model = Union[OnnxDecoder, "SeedTransformer"]  # what the decoders accept

DEFAULT_PITCH_RANGE = (36, 96)  # playable MIDI range of generated notes (inclusive)
MAX_CHORD = 6  # most notes that may start at one position


class GrammarError(ValueError):
    """A token sequence (e.g. a motif prompt) that breaks the seed grammar."""


@dataclass
class _State:
    phase: str = "start"  # start | ts | bar | pos | pitch | dur | done
    pos: int = -1  # current position in the bar
    last_pitch: int = -1  # highest pitch at the current position
    chord: int = 0  # notes started at the current position
    bars: int = 0  # Bar tokens seen
    notes_in_bar: int = 0  # notes in the current bar
    length: int = 0  # music tokens so far


@dataclass
class Grammar:
    """Allowed-next-token masks for seeds of ``bars`` bars in ``meter``."""

    meter: str
    bars: int
    vocab_size: int  # model vocabulary (music + control tokens); control ids are never allowed
    max_len: int  # most music tokens (incl. EOS) a seed may use
    pitch_range: tuple[int, int] = DEFAULT_PITCH_RANGE
    t: Tables = field(default_factory=tables)

    def __post_init__(self) -> None:
        if self.meter not in self.t.ts_ids:
            msg = f"unknown meter {self.meter!r} (known: {', '.join(sorted(self.t.ts_ids))})"
            raise ValueError(msg)
        if self.bars < 1:
            msg = f"`bars` must be >= 1 (received {self.bars})"
            raise ValueError(msg)
        if self.max_len < 2 * self.bars + 8:
            msg = f"`max_len` {self.max_len} is too short for {self.bars} bars"
            raise ValueError(msg)
        lo, hi = self.pitch_range
        if not 0 <= lo <= hi <= 127:
            msg = f"`pitch_range` must lie in 0..127 with low <= high (received {self.pitch_range})"
            raise ValueError(msg)
        self.bar_len = meter_bar_positions(self.meter)
        self.ts_id = self.t.ts_ids[self.meter]
        n = self.vocab_size
        kind = np.zeros(n, dtype=np.int64)
        value = np.full(n, -1, dtype=np.int64)
        kind[: self.t.n_music] = self.t.kind
        value[: self.t.n_music] = self.t.value
        self._kind, self._value = kind, value
        on_grid = quantisation_grid(value, self.meter)
        self._pitch_ok = (kind == KIND_PITCH) & (value >= lo) & (value <= hi)
        self._is_pos = (kind == KIND_POS) & on_grid
        is_dur = (kind == KIND_DUR) & on_grid & (value > 0)
        self._is_dur = is_dur
        # a position must leave room for the shortest allowed duration before the bar line
        self._last_onset = self.bar_len - int(value[is_dur].min())
        self._shortest_dur = int(np.flatnonzero(is_dur)[np.argmin(value[is_dur])])

    # ------------------------------------------------------------------ state

    def new_state(self) -> _State:
        return _State()

    def closing(self, s: _State) -> bool:
        """True when only the tokens that finish the seed still fit in the budget."""
        remaining = self.max_len - s.length
        # Bar + TimeSig per bar still to open, then Position, Pitch, Duration, EOS; +3 for a note
        # that may be under way when closing starts
        return remaining <= 2 * (self.bars - s.bars) + 7

    def allowed(self, s: _State) -> np.ndarray:
        """Boolean mask (V,) of the tokens that may follow state ``s``."""
        m = np.zeros(self.vocab_size, dtype=bool)
        if s.phase == "start":
            m[self.t.bar] = True
        elif s.phase == "bar":
            m[self.ts_id] = True
        elif s.phase == "pos":
            m |= self._pitch_ok
        elif s.phase == "pitch":
            m |= self._is_dur & (self._value <= self.bar_len - s.pos)
            if not bool(m.any()):  # only after an off-grid prompt onset: the shortest note
                m[self._shortest_dur] = True
        elif s.phase in ("ts", "dur"):
            self._after_note_or_ts(s, m)
        elif s.phase == "done":
            m[self.t.pad] = True
        return m

    def _after_note_or_ts(self, s: _State, m: np.ndarray) -> None:
        closing = self.closing(s)
        last_bar = s.bars >= self.bars
        if s.phase == "dur" and not closing and s.chord < MAX_CHORD:
            m |= self._pitch_ok & (self._value > s.last_pitch)
        if not closing or (last_bar and s.notes_in_bar == 0):
            m |= self._is_pos & (self._value > s.pos) & (self._value <= self._last_onset)
        if not last_bar:
            m[self.t.bar] = True
        elif s.notes_in_bar > 0:
            m[self.t.eos] = True

    def step(self, s: _State, tok: int) -> None:
        """Advance ``s`` by token ``tok``; raises GrammarError if ``tok`` is not allowed."""
        if not bool(self.allowed(s)[tok]):
            msg = f"token {tok} is not allowed after phase {s.phase!r} (pos {s.pos}, bar {s.bars})"
            raise GrammarError(msg)
        self.advance(s, tok)

    def advance(self, s: _State, tok: int) -> None:
        """Advance ``s`` by ``tok`` without checking it (the mask already did)."""
        if s.phase == "done":
            return
        s.length += 1
        kind = int(self._kind[tok]) if tok < self.vocab_size else -1
        if tok == self.t.eos:
            s.phase = "done"
        elif kind == KIND_BAR:
            s.phase, s.bars, s.pos, s.notes_in_bar = "bar", s.bars + 1, -1, 0
        elif kind == KIND_TS:
            s.phase = "ts"
        elif kind == KIND_POS:
            s.phase, s.pos, s.last_pitch, s.chord = "pos", int(self._value[tok]), -1, 0
        elif kind == KIND_PITCH:
            s.phase, s.last_pitch = "pitch", int(self._value[tok])
        elif kind == KIND_DUR:
            s.phase, s.chord, s.notes_in_bar = "dur", s.chord + 1, s.notes_in_bar + 1


def quantisation_grid(positions: np.ndarray, meter: str) -> np.ndarray:
    """True where a position/duration count lies on music21's MIDI quantisation grid
    (``quarterLengthDivisors`` (4, 3): sixteenths and eighth-note triplets), so that a seed
    re-reads in music21 with its onsets, durations and bar count unchanged."""
    per_quarter = (
        POSITIONS_PER_BEAT * int(meter.partition("/")[2]) / 4
    )  # positions per quarter note
    return ((positions * 4) % per_quarter == 0) | ((positions * 3) % per_quarter == 0)


def check_ids(
    ids: list[int], meter: str, bars: int, pitch_range: tuple[int, int] = DEFAULT_PITCH_RANGE
) -> None:
    """Raise GrammarError unless ``ids`` (+ EOS) is a complete well-formed seed."""
    g = Grammar(
        meter=meter,
        bars=bars,
        vocab_size=tables().n_music,
        max_len=max(len(ids) + 8, 2 * bars + 8),
        pitch_range=pitch_range,
    )
    s = g.new_state()
    for tok in [*ids, g.t.eos]:
        g.step(s, int(tok))


# --------------------------------------------------------------------------- sampling


@dataclass
class SampleSpec:
    """One batch request: every row shares the controls and the prompt."""

    meter: str  # requested metre, e.g. "3/4"
    mode: str  # requested mode ("major", "minor", ...)
    bars: int  # exact number of bars of the seed (prompt bars included)
    n: int = 1  # seeds to sample
    prompt: list[int] = field(default_factory=list)  # canonical-key music ids the seed starts with
    temperature: float = TEMPERATURE  # softmax temperature (> 0)
    top_p: float = 0.95  # nucleus mass kept (0 < top_p <= 1)
    seed: int = 0  # numpy.random.Generator seed
    guidance: float = 1.0  # classifier-free guidance scale; 1 = conditioned model only
    pitch_range: tuple[int, int] = DEFAULT_PITCH_RANGE  # playable range of generated notes

    def __post_init__(self) -> None:
        if not self.temperature > 0:
            msg = f"`temperature` must be > 0 (received {self.temperature})"
            raise ValueError(msg)
        if not 0 < self.top_p <= 1:
            msg = f"`top_p` must lie in (0, 1] (received {self.top_p})"
            raise ValueError(msg)
        if self.n < 1:
            msg = f"`n` must be >= 1 (received {self.n})"
            raise ValueError(msg)
        if self.guidance < 0:
            msg = f"`guidance` must be >= 0 (received {self.guidance})"
            raise ValueError(msg)


def filter_logits(
    logits: np.ndarray, mask: np.ndarray, temperature: float, top_p: float
) -> np.ndarray:
    """Probabilities (B, V) after masking, temperature and nucleus filtering."""
    masked = np.where(mask, np.asarray(logits, dtype=np.float32), np.float32(-np.inf))
    return _nucleus(masked, temperature, top_p)


def _nucleus(logits: np.ndarray, temperature: float, top_p: float) -> np.ndarray:
    """Probabilities (B, V) of masked logits (-inf: not allowed) after temperature and nucleus
    filtering."""
    if temperature != 1.0:
        logits = logits / np.float32(temperature)
    with np.errstate(invalid="ignore"):  # a fully masked row turns NaN; ``draw`` refuses it
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probs = e / e.sum(axis=-1, keepdims=True)
    if top_p < 1.0:
        order = np.argsort(-probs, axis=-1, kind="stable")  # (B, V) most probable first
        sorted_p = np.take_along_axis(probs, order, axis=-1)
        drop = sorted_p.cumsum(axis=-1) - sorted_p > top_p  # keep the smallest set reaching top_p
        sorted_p[drop] = 0.0
        np.put_along_axis(probs, order, sorted_p, axis=-1)  # a permutation: every entry rewritten
        probs /= probs.sum(axis=-1, keepdims=True)
    return probs


def draw(probs: np.ndarray, rng: np.random.Generator) -> list[int]:
    """One token per row of ``probs`` (B, V): a uniform per row inverted on its cumulative
    probabilities (the token whose interval holds it; never one of probability 0)."""
    cum = probs.cumsum(axis=-1)  # (B, V)
    dead = ~(np.isfinite(cum[:, -1]) & (cum[:, -1] > 0))
    if dead.any():  # every token masked: a grammar bug, never a silent last token
        msg = f"no token may follow in decoding rows {np.flatnonzero(dead).tolist()}"
        raise RuntimeError(msg)
    u = rng.random(len(probs)) * cum[:, -1]  # (B,) scaled: rows need not sum to exactly 1
    picks = [int(np.searchsorted(row, x, side="right")) for row, x in zip(cum, u, strict=True)]
    # u rounding up to the row's total would point past the end: the last possible token
    rows = zip(picks, probs, strict=True)
    return [p if p < len(row) else int(np.flatnonzero(row)[-1]) for p, row in rows]


class Sampling(Protocol):
    """What :func:`decode_rows` reads of a request (``SampleSpec`` or ``generator.decode``'s
    ``DecodeSpec``)."""

    n: int  # rows
    temperature: float
    top_p: float
    seed: int
    guidance: float  # classifier-free guidance scale; 1 = conditioned model only


class Rows(Protocol):
    """Per-row grammar state of one batch, which :func:`decode_rows` samples for."""

    out: list[list[int]]  # per row: the music ids so far (prompt included, no EOS)

    def done(self) -> bool: ...

    def constraints(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(n, V) allowed next tokens and (n, V) log-probability preferences (None: none)."""
        ...

    def push(self, row: int, tok: int) -> None: ...


def decode_rows(
    model: Model, head: list[int], cond: np.ndarray | None, rows: Rows, spec: Sampling
) -> list[list[int]]:
    """The decoding loop both decoders share: the model continues ``head`` (control tokens and
    prompt) for ``spec.n`` rows, each token drawn under ``rows``' masks and preferences, until
    every row is done; returns ``rows.out``. ``cond`` is (D,) or (n, D), or None."""
    decoder = as_decoder(model)
    n = spec.n
    cond_b = _batch_cond(cond, n, decoder.cfg.cond_dim)
    guided = spec.guidance != 1.0 and cond_b is not None
    drop = None
    if guided:
        cond_b = np.concatenate([cond_b, cond_b])
        drop = np.arange(2 * n) >= n  # second half: null prefix
    idx = np.array([head] * (2 * n if guided else n), dtype=np.int64)  # (R, T)
    logits, cache = decoder.start(idx, cond_b, drop)  # (R, V)
    rng = np.random.default_rng(int(spec.seed))
    while not rows.done():
        if guided:
            logits = logits[n:] + np.float32(spec.guidance) * (logits[:n] - logits[n:])  # (n, V)
        allowed, bias = rows.constraints()  # (n, V), (n, V) or None
        nxt = draw(_step_probs(logits, allowed, bias, spec), rng)  # (n,)
        for row, tok in enumerate(nxt):
            rows.push(row, tok)
        if rows.done():
            break
        step = np.array(nxt + nxt if guided else nxt, dtype=np.int64)  # (R,)
        logits = decoder.step(step, cache)  # (R, V)
    return rows.out


def as_decoder(model: Model) -> OnnxDecoder:
    """``model`` as an onnxruntime decoder (a torch ``SeedTransformer`` exported first)."""
    if isinstance(model, OnnxDecoder):
        return model
    from generator.decoder_export import module_decoder  # torch: only when handed a torch model

    return module_decoder(model)


def _step_probs(
    logits: np.ndarray, allowed: np.ndarray, bias: np.ndarray | None, spec: Sampling
) -> np.ndarray:
    """(n, V) sampling probabilities of one step."""
    if (allowed.sum(axis=1) == 1).all():
        # every row has one choice: the filtering would give exactly this one-hot (the draw
        # still runs, so the random stream does not depend on this shortcut)
        return allowed.astype(np.float32)
    penalty = np.where(allowed, np.float32(0.0) if bias is None else bias, np.float32(-np.inf))
    return _nucleus(logits + penalty.astype(np.float32), spec.temperature, spec.top_p)


def sample(
    model: Model, controls: Controls, spec: SampleSpec, cond: np.ndarray | None
) -> list[list[int]]:
    """Sample ``spec.n`` seeds under the plain grammar (chords allowed, no phrase plan); returns
    their music ids (prompt included, no EOS). ``cond`` is (D,) or (n, D), or None for the
    unconditioned model."""
    head = controls.prompt(spec.meter, spec.mode, spec.bars)
    max_len = model.cfg.ctx - model.cfg.n_prefix - len(head)
    grammar = Grammar(spec.meter, spec.bars, model.cfg.vocab_size, max_len, spec.pitch_range)
    _check_prompt(spec.prompt, spec.bars, grammar)
    rows = _PlainRows(grammar, spec)
    return decode_rows(model, head + list(spec.prompt), cond, rows, spec)


class _PlainRows:
    """:class:`Rows` under the plain :class:`Grammar`."""

    def __init__(self, grammar: Grammar, spec: SampleSpec) -> None:
        self.g = grammar
        self.states = [grammar.new_state() for _ in range(spec.n)]
        self.out = [list(spec.prompt) for _ in range(spec.n)]
        for s in self.states:
            for tok in spec.prompt:  # the user's own music: followed, not policed (may be off-grid)
                grammar.advance(s, int(tok))

    def done(self) -> bool:
        return all(s.phase == "done" for s in self.states)

    def constraints(self) -> tuple[np.ndarray, None]:
        return np.stack([self.g.allowed(s) for s in self.states]), None

    def push(self, row: int, tok: int) -> None:
        s = self.states[row]
        if s.phase != "done":
            self.g.advance(s, tok)
            if tok != self.g.t.eos:
                self.out[row].append(tok)


def _check_prompt(prompt: list[int], bars: int, grammar: Grammar) -> None:
    if not prompt:
        return
    if int(prompt[0]) != grammar.t.bar:
        msg = "a prompt must start with a Bar token"
        raise GrammarError(msg)
    if any(int(t) >= grammar.t.n_music for t in prompt):
        msg = "a prompt may hold music tokens only"
        raise GrammarError(msg)
    n_bars = sum(1 for t in prompt if int(t) == grammar.t.bar)
    if n_bars > bars:
        msg = f"the prompt has {n_bars} bars, more than the {bars} requested"
        raise GrammarError(msg)
    if len(prompt) > grammar.max_len - 2 * (bars - n_bars) - 8:
        msg = f"the prompt ({len(prompt)} tokens) leaves no room for {bars - n_bars} more bars"
        raise GrammarError(msg)


def _batch_cond(cond: object, n: int, dim: int) -> np.ndarray | None:
    """``cond`` (D,) or (n, D) (numpy, or a torch tensor from training code) as (n, D) float32."""
    if cond is None:
        return None
    if hasattr(cond, "detach"):  # a torch tensor
        cond = cond.detach().cpu().numpy()  # type: ignore[attr-defined]
    arr = np.asarray(cond, dtype=np.float32)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n, arr.shape[0]))
    if arr.shape != (n, dim):
        msg = f"`cond` must be ({dim},) or ({n}, {dim}) (received {tuple(arr.shape)})"
        raise ValueError(msg)
    return np.ascontiguousarray(arr)
