"""Seeded decoding under :class:`~generator.constrained.VoiceGrammar` (voices, phrase endings).

Beside plain sampling, a row may be *forced*: its next tokens come from a queue instead of the
model (they still go through the model, so it hears them):

* **repeats** (``--form AABB``): when the bar that starts a repeat opens, the tokens of the
  section it repeats are queued, so the second A is the first A note for note;
* **rhythm templates** (``--vary ID --keep rhythm``): every token of the source's opening is
  forced except its pitches (``TEMPLATE_PITCH`` in the template), which are sampled under the
  grammar's pitch masks.

``generator.sample.sample`` remains the plain decoder (chords allowed, no phrase plan); the
evaluation runs both.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from generator.checks import TEMPERATURE
from generator.constrained import VoiceGrammar, VState
from generator.outer import OuterGrammar, outer_ids
from generator.phrase import PhrasePlan
from generator.sample import GrammarError, Model, decode_rows
from generator.vocab import Controls
from generator.voices import Voice

TEMPLATE_PITCH = -1  # in a rhythm template: sample a pitch here


@dataclass
class DecodeSpec:
    """One batch: every row shares controls, plan, texture and prompt."""

    meter: str  # requested metre
    mode: str  # requested mode
    plan: PhrasePlan  # bars, phrase ends, repeats
    voices: tuple[Voice, ...]  # canonical-key voices, lowest first
    n: int = 1  # rows
    prompt: list[int] = field(default_factory=list)  # canonical-key music ids to continue
    template: list[int] | None = None  # rhythm template (TEMPLATE_PITCH marks sampled pitches)
    contour: list[int] | None = None  # melody directions to follow (see VoiceGrammar)
    template_final: int | None = None  # pitch class of a template's last pitch (0: tonic)
    inner: bool = False  # (bass, melody) voices over hidden inner notes (generator.outer)
    temperature: float = TEMPERATURE
    top_p: float = 0.95
    seed: int = 0
    guidance: float = 1.0  # classifier-free guidance scale; 1 = conditioned model only

    def __post_init__(self) -> None:
        if not self.temperature > 0 or not 0 < self.top_p <= 1 or self.n < 1:
            got = (self.temperature, self.top_p, self.n)
            msg = f"need temperature > 0, 0 < top_p <= 1, n >= 1 (received {got})"
            raise ValueError(msg)


def decode(
    model: Model, controls: Controls, spec: DecodeSpec, cond: np.ndarray | None
) -> list[list[int]]:
    """``spec.n`` seeds' music ids (prompt included, no EOS; hidden inner notes removed)."""
    grammar = make_grammar(model, controls, spec)
    head = controls.prompt(spec.meter, spec.mode, spec.plan.bars) + list(spec.prompt)
    seeds = decode_rows(model, head, cond, _Rows(grammar, spec), spec)
    if spec.inner:  # deliver the outer voices; the inner notes only guided the model
        return [outer_ids(ids, grammar) for ids in seeds]
    return seeds


def make_grammar(model: Model, controls: Controls, spec: DecodeSpec) -> VoiceGrammar:
    head = len(controls.prompt(spec.meter, spec.mode, spec.plan.bars))
    room = model.cfg.ctx - model.cfg.n_prefix - head - len(spec.prompt)
    budget = room // 2 if spec.plan.repeats else room  # each repeated section is played twice
    kind = OuterGrammar if spec.inner else VoiceGrammar
    try:
        return kind(
            meter=spec.meter,
            plan=spec.plan,
            voices=spec.voices,
            vocab_size=model.cfg.vocab_size,
            max_len=budget,
            contour=spec.contour,
            downbeat_start=not spec.prompt and spec.template is None,
            mode=spec.mode,
        )
    except ValueError as exc:
        if not spec.prompt:
            raise
        # a user's motif filled the context: their input, so their error (exit 2), not ours
        msg = (
            f"{exc}: the motif takes {len(spec.prompt)} of the model's {model.cfg.ctx} "
            "positions; ask for fewer bars or give a shorter motif"
        )
        raise GrammarError(msg) from exc


class _Rows:
    """Per-row state: grammar state, output ids and the queue of forced tokens."""

    def __init__(self, grammar: VoiceGrammar, spec: DecodeSpec) -> None:
        self.g, self.plan, self.final = grammar, spec.plan, spec.template_final
        self.states = [grammar.new_state() for _ in range(spec.n)]
        self.out = [list(spec.prompt) for _ in range(spec.n)]
        self.queues: list[deque[int]] = [deque() for _ in range(spec.n)]
        for s in self.states:
            for tok in spec.prompt:  # the user's own music: followed, not policed
                grammar.advance(s, int(tok), forced=True)
        if spec.template is not None:
            for q in self.queues:
                q.extend([*spec.template, grammar.t.eos])

    def done(self) -> bool:
        return all(s.phase == "done" for s in self.states)

    def constraints(self) -> tuple[np.ndarray, np.ndarray | None]:
        """(n, V) allowed tokens and (n, V) log-probability preferences of the grammar (None:
        none this step); a forced row allows only its forced token and has no preference."""
        masks, biases = [], []
        for s, q in zip(self.states, self.queues, strict=True):
            if q and q[0] != TEMPLATE_PITCH:
                m = np.zeros(self.g.vocab_size, dtype=bool)
                m[q[0]] = True
                masks.append(m)
                biases.append(None)
                continue
            m = self.g.allowed(s)
            if q:  # a template pitch: pitches only, the last one on the final degree
                m &= self.g.is_pitch
                last = self.final is not None and q.count(TEMPLATE_PITCH) == 1
                if last and (m & (self.g.pc == self.final)).any():
                    m &= self.g.pc == self.final
            if not m.any():
                msg = f"no token fits after phase {s.phase!r} (bar {s.bars}, pos {s.pos})"
                raise GrammarError(msg)
            masks.append(m)
            biases.append(self.g.bias(s))
        return np.stack(masks), _stack_biases(biases, self.g.vocab_size)

    def push(self, row: int, tok: int) -> None:
        s, q = self.states[row], self.queues[row]
        if s.phase == "done":
            return
        forced = bool(q) and q[0] != TEMPLATE_PITCH
        if q:
            q.popleft()
        self.g.advance(s, tok, forced=forced)
        if tok == self.g.t.eos:
            return
        self.out[row].append(tok)
        if tok == self.g.t.bar and s.bars in self.plan.repeats:
            self.queues[row].extend(self._section(row, *self.plan.repeats[s.bars]))

    def _section(self, row: int, first: int, last: int) -> list[int]:
        """Tokens of bars ``first..last`` (1-based) of this row, without their first Bar."""
        ids = self.out[row]
        starts = [i for i, t in enumerate(ids) if t == self.g.t.bar]
        end = starts[last] if last < len(starts) else len(ids)
        return ids[starts[first - 1] + 1 : end]


def _stack_biases(rows: list[np.ndarray | None], size: int) -> np.ndarray | None:
    """(n, V) preferences, zero for rows without any (None when no row has one)."""
    if all(b is None for b in rows):
        return None
    zero = np.zeros(size, dtype=np.float32)
    return np.stack([zero if b is None else b for b in rows])


def check_seed(ids: list[int], grammar: VoiceGrammar) -> VState:
    """Replay ``ids`` + EOS through ``grammar`` (raising GrammarError on a disallowed token)."""
    s = grammar.new_state()
    for tok in [*ids, grammar.t.eos]:
        if not grammar.allowed(s)[int(tok)]:
            msg = f"token {tok} not allowed after phase {s.phase!r} (bar {s.bars}, pos {s.pos})"
            raise GrammarError(msg)
        grammar.advance(s, int(tok))
    return s
