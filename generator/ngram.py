"""The baseline a musician would know: an n-gram (Markov) model over the same REMI tokens.

Fitted per request on the canonical-key tokens of the pieces nearest the request's centroid
(the same evidence the Transformer is conditioned on), each sequence opened by the metre and
mode control tokens and closed by EOS. Scores use stupid backoff (Brants et al. 2007) down to an
add-k unigram, and sampling runs under the plain decoder's grammar
(``generator.sample.Grammar``), so its seeds are as well-formed as the model's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from generator.sample import Grammar, SampleSpec, draw, filter_logits
from generator.vocab import Controls

BACKOFF = 0.4  # stupid-backoff factor per order dropped
ADD_K = 0.01  # unigram smoothing


class NGram:
    """Counts of every context of up to ``order - 1`` tokens and their next token."""

    def __init__(self, order: int, vocab_size: int) -> None:
        if order < 1:
            msg = f"`order` must be >= 1 (received {order})"
            raise ValueError(msg)
        self.order, self.vocab_size = order, vocab_size
        self.counts: dict[tuple[int, ...], Counter] = defaultdict(Counter)

    def fit(self, sequences: Sequence[Sequence[int]]) -> NGram:
        for seq in sequences:
            seq = [int(t) for t in seq]
            for i in range(len(seq)):
                for n in range(self.order):
                    if i - n < 0:
                        break
                    self.counts[tuple(seq[i - n : i])][seq[i]] += 1
        return self

    def log_scores(self, history: Sequence[int]) -> np.ndarray:
        """(V,) log stupid-backoff scores of the next token after ``history``."""
        scores = np.zeros(self.vocab_size)
        done = np.zeros(self.vocab_size, dtype=bool)
        weight = 1.0
        for n in range(min(self.order - 1, len(history)), 0, -1):
            counter = self.counts.get(tuple(history[-n:]))
            if counter:
                total = sum(counter.values())
                for tok, c in counter.items():
                    if not done[tok]:
                        scores[tok], done[tok] = weight * c / total, True
            weight *= BACKOFF
        uni = self.counts.get((), Counter())
        total = sum(uni.values()) + ADD_K * self.vocab_size
        base = np.full(self.vocab_size, ADD_K / total)
        for tok, c in uni.items():
            base[tok] += c / total
        scores[~done] = weight * base[~done]
        return np.log(scores)


def sample_ngram(
    model: NGram, controls: Controls, spec: SampleSpec, max_len: int = 500
) -> list[list[int]]:
    """``spec.n`` seeds from ``model`` under the plain grammar (prompt not supported)."""
    grammar = Grammar(spec.meter, spec.bars, controls.vocab_size, max_len, spec.pitch_range)
    rng = np.random.default_rng(int(spec.seed))
    head = [controls.meter_id(spec.meter), controls.mode_id(spec.mode)]
    out = []
    for _ in range(spec.n):
        state, seq = grammar.new_state(), list(head)
        while state.phase != "done":
            logits = model.log_scores(seq).astype(np.float32)[None]  # (1, V)
            mask = grammar.allowed(state)[None]
            probs = filter_logits(logits, mask, spec.temperature, spec.top_p)
            tok = draw(probs, rng)[0]
            grammar.advance(state, tok)
            seq.append(tok)
        out.append([t for t in seq[len(head) :] if t != grammar.t.eos])
    return out


def training_sequences(pieces: list, controls: Controls, meter: str, mode: str) -> list[list[int]]:
    """Control-opened, EOS-closed sequences of canonical pieces (``generator.windows.Piece``)."""
    from generator.vocab import tables

    head = [controls.meter_id(meter), controls.mode_id(mode)]
    return [head + [int(t) for t in p.ids] + [tables().eos] for p in pieces]
