"""The seed grammar with voices and phrase endings: masks that make every sample a keeper.

:class:`VoiceGrammar` keeps ``generator.sample.Grammar``'s well-formedness (token order, the
requested metre, exact bar count, notes inside their bar, onsets on music21's grid) and adds:

* **voices** (``generator.voices``): each voice owns a register; a voice attacks only once its
  previous note has ended, at most once per onset (so never more notes at once than voices),
  leaps at most ``max_leap`` and spans at most ``max_ambitus`` (these two are *soft*: relaxed
  only when nothing else fits, e.g. to reach a cadence);
* **phrase endings** (``generator.phrase``): in a bar that closes a phrase, every voice attacks
  the target degree together on a strong beat, holding at least one beat (to the bar line
  where the vocabulary has that length), and nothing starts after it. Notes before that
  cadence must end by the latest strong onset that still fits one, so the cadence is always
  reachable; the bar (or the seed) cannot close until it has sounded;
* the first note of a seed without a prompt starts on the downbeat (no leading silence);
* every bar holds a note, unless the token budget forces closing.

Beside the masks, :meth:`VoiceGrammar.bias` gives soft preferences (log-probabilities added to
the model's, ``generator.leaning``): voices with a ``leading`` strength lean toward their
corpus's melodic intervals, step back after a leap, avoid holding one pitch past two beats and
zigzagging; with ``tonal``, toward their scale degrees in the requested mode; with ``cadence``,
they reach each phrase end by step (top) or from the 4th or 5th (bass).

The mask is built from a per-sequence :class:`VState` with numpy (a few hundred ids per step).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from generator.leaning import Leaning, degree_costs, interval_costs, static_costs
from generator.phrase import PhrasePlan, last_final_onset, min_final_length, strong_positions
from generator.roughness import RECITE_WINDOW
from generator.sample import quantisation_grid
from generator.vocab import (
    KIND_BAR,
    KIND_DUR,
    KIND_PITCH,
    KIND_POS,
    KIND_TS,
    Tables,
    meter_bar_positions,
    tables,
)
from generator.voices import Voice


@dataclass
class VState:
    phase: str = "start"  # start | ts | bar | pos | pitch | dur | done
    pos: int = -1  # current onset (position in the bar)
    bars: int = 0  # Bar tokens seen
    length: int = 0  # sampled tokens (forced repeats are not counted)
    notes_in_bar: int = 0
    started: bool = False  # a note has sounded (prompt included)
    top_voice: int = -1  # highest voice attacked at the current onset
    attacked: int = 0  # voices attacked at the current onset
    last_pitch: int = -1  # highest pitch at the current onset
    voice: int = -1  # voice of the pitch just chosen
    pitch: int = -1  # the pitch just chosen
    ends: list[int] = field(default_factory=list)  # per voice: position its note ends (bar)
    last: list[int] = field(default_factory=list)  # per voice: last pitch (-1 none)
    lows: list[int] = field(default_factory=list)  # per voice: lowest pitch so far
    highs: list[int] = field(default_factory=list)  # per voice: highest pitch so far
    max_end: int = 0  # latest end of the bar's notes
    end_before: int = 0  # latest end of notes that started before the current onset
    onset_ok: bool = False  # every note at the current onset can end the phrase
    locked: bool = False  # a cadence note holds past the last final onset: no later onsets
    final_ok: bool = False  # the current bar may close (its phrase end has sounded)
    melody_notes: int = 0  # notes of the top voice so far (contour index)
    moves: list[int] = field(default_factory=list)  # per voice: last pitch change (semitones)
    runs: list[int] = field(default_factory=list)  # per voice: positions on its current pitch
    turns: list[int] = field(default_factory=list)  # per voice: direction changes in a row
    vert: tuple[int, int] = (-1, -1)  # (top, lowest) voice's pitch at the previous onset
    reps: list[int] = field(default_factory=list)  # per voice: notes repeating its last pitch
    suspension: bool = False  # the top voice's last note is a suspension (leaning.suspends)
    recent: list[tuple[int, ...]] = field(default_factory=list)  # per voice: its last 8 pitches


@dataclass
class VoiceGrammar(Leaning):
    """Allowed-next-token masks for ``plan.bars`` bars of ``meter`` in ``voices``."""

    meter: str
    plan: PhrasePlan
    voices: Sequence[Voice]  # lowest first, disjoint registers, canonical key
    vocab_size: int  # model vocabulary; control ids are never allowed
    max_len: int  # most sampled tokens (incl. EOS)
    contour: Sequence[int] | None = None  # per melody note from the 2nd: -1 down, 0 same, 1 up
    downbeat_start: bool = True  # the first note of the seed starts the first bar
    mode: str | None = None  # requested mode: picks each voice's degree shares (None: none)
    t: Tables = field(default_factory=tables)

    def __post_init__(self) -> None:
        if self.meter not in self.t.ts_ids:
            msg = f"unknown meter {self.meter!r} (known: {', '.join(sorted(self.t.ts_ids))})"
            raise ValueError(msg)
        if not self.voices:
            msg = "a texture needs at least one voice"
            raise ValueError(msg)
        if self.max_len < self.reserve(VState(), 0):
            msg = f"`max_len` {self.max_len} is too short for {self.plan.bars} bars"
            raise ValueError(msg)
        n = self.vocab_size
        self.kind = np.zeros(n, dtype=np.int64)
        self.value = np.full(n, -1, dtype=np.int64)
        self.kind[: self.t.n_music] = self.t.kind
        self.value[: self.t.n_music] = self.t.value
        grid = quantisation_grid(self.value, self.meter)
        self.bar_len = meter_bar_positions(self.meter)
        self.is_pos = (self.kind == KIND_POS) & grid
        self.is_dur = (self.kind == KIND_DUR) & grid & (self.value > 0)
        self.is_pitch = self.kind == KIND_PITCH
        self.pc = np.where(self.is_pitch, self.value % 12, -1)
        self.registers = [
            self.is_pitch & (self.value >= v.low) & (self.value <= v.high) for v in self.voices
        ]
        self.ts_id = self.t.ts_ids[self.meter]
        self.strong = frozenset(strong_positions(self.meter))
        self.last_final = last_final_onset(self.meter)
        self.min_final = min_final_length(self.meter)
        self.shortest = int(self.value[self.is_dur].min())
        self.last_onset = self.bar_len - self.shortest
        self._onset_ok = np.zeros(self.bar_len + 1, dtype=bool)  # positions a note may start at
        grid_pos = self.value[self.is_pos]
        self._onset_ok[grid_pos[grid_pos <= self.last_onset]] = True
        self.legato = next((v for v, voice in enumerate(self.voices) if voice.legato), None)
        self._voice_tables()

    def _voice_tables(self) -> None:
        """Per-voice constants of the masks and preferences, computed once per request (they
        were recomputed at every token, ~1/4 of the grammar's time)."""
        # melodic intervals (by size) each voice may take; the interval of every token is
        # looked up here at each step instead of testing membership in `avoid`
        span = int(np.abs(self.value).max()) + 129
        self._leap_ok = [np.ones(span, dtype=bool) for _ in self.voices]
        for ok, voice in zip(self._leap_ok, self.voices, strict=True):
            ok[voice.max_leap + 1 :] = False
            ok[sorted(voice.avoid)] = False
        self._reg_ids = [np.flatnonzero(r) for r in self.registers]  # each register's token ids
        self._reg_pitches = [self.value[ids] for ids in self._reg_ids]  # ... and their pitches
        # cost (-log share, 0 for the commonest) of each interval size 0..12
        self._interval_cost = [interval_costs(v.intervals) for v in self.voices]
        self._degree_cost = [degree_costs(v, self.mode) for v in self.voices]
        # the degree and register preference of each register pitch (None: the voice has none)
        self._tonal_cost = [
            static_costs(voice, cost, pitches)
            for voice, cost, pitches in zip(
                self.voices, self._degree_cost, self._reg_pitches, strict=True
            )
        ]
        self._leaning = [
            v
            for v, voice in enumerate(self.voices)
            if voice.leading > 0
            or voice.cadence
            or self._tonal_cost[v] is not None
            or voice.slip > 0
            or voice.final_leap > 0
            or voice.flat_close > 0
            or voice.dissonance > 0
            or voice.recite > 0
        ]
        self._any = np.ones(self.vocab_size, dtype=bool)  # _shape of a voice yet to sound
        self._any.flags.writeable = False
        self._shapes: dict[tuple, np.ndarray] = {}  # _shape's masks by _shape_key
        self._biases: dict[tuple, np.ndarray] = {}  # bias's preferences by what they read

    # ------------------------------------------------------------------ budget

    state_type = VState  # a subclass's grammar keeps more per state

    def new_state(self) -> VState:
        k = len(self.voices)
        return self.state_type(
            ends=[0] * k,
            last=[-1] * k,
            lows=[999] * k,
            highs=[-1] * k,
            moves=[0] * k,
            runs=[0] * k,
            reps=[0] * k,
            turns=[0] * k,
            recent=[()] * k,
        )

    def reserve(self, s: VState, extra: int = 4) -> int:
        """Tokens that finishing the seed may still need from state ``s``."""
        left = self.plan.bars - s.bars
        cadences = sum(1 for b in self.plan.ends if b >= max(s.bars, 1))
        return 5 * left + (2 * len(self.voices) + 2) * cadences + extra

    def closing(self, s: VState) -> bool:
        return self.max_len - s.length <= self.reserve(s)

    def target(self, s: VState) -> int | None:
        """Target pitch class of the current bar's phrase end, None if the bar ends none."""
        return self.plan.ends.get(s.bars)

    # ------------------------------------------------------------------ masks

    def allowed(self, s: VState) -> np.ndarray:
        m = np.zeros(self.vocab_size, dtype=bool)
        if s.phase == "start":
            m[self.t.bar] = True
        elif s.phase == "bar":
            m[self.ts_id] = True
        elif s.phase == "pos":
            m |= self._pitches(s)
        elif s.phase == "pitch":
            m |= self._durations(s)
        elif s.phase in ("ts", "dur"):
            self._after_note(s, m)
        else:
            m[self.t.pad] = True
        return m

    def _forced_onset(self, s: VState) -> bool:
        """True when the current onset must be the cadence (no later onset is possible)."""
        return self.target(s) is not None and (s.locked or s.pos == self.last_final)

    def _after_note(self, s: VState, m: np.ndarray) -> None:
        target, closing = self.target(s), self.closing(s)
        cadence_due = target is not None and not s.final_ok
        if s.phase == "dur" and (not closing or self._forced_onset(s)):
            m |= self._pitches(s)
            if self._legato_due(s) and m.any():
                return  # the legato voice sounds at every onset
        if not s.locked and (not closing or cadence_due or s.notes_in_bar == 0):
            m |= self._positions(s, closing and cadence_due, legato=not closing)
        if cadence_due:
            return
        held = self.legato is None or s.final_ok or s.ends[self.legato] >= self.bar_len
        if s.bars < self.plan.bars:
            m[self.t.bar] = (s.notes_in_bar > 0 and held) or closing
        elif s.notes_in_bar > 0:
            m[self.t.eos] = True

    def _legato_due(self, s: VState) -> bool:
        """True when the legato voice has not yet attacked at the current onset."""
        return self.legato is not None and s.top_voice < self.legato

    def _positions(self, s: VState, to_cadence: bool, legato: bool = True) -> np.ndarray:
        if s.phase == "ts" and not s.started and self.downbeat_start:
            hi = 0
        elif self.target(s) is not None:
            hi = self.last_final
        else:
            hi = self.last_onset
        lo = max(s.pos + 1, min(s.ends))  # some voice must be free
        if to_cadence:
            lo = max(lo, self.last_final)
        m = self.is_pos & (self.value >= lo) & (self.value <= hi)
        if self.target(s) is not None:  # an onset before the cadence needs a note that ends by it
            m &= (self.value <= self.last_final - self.shortest) | (self.value == self.last_final)
        if legato and self.legato is not None and not s.final_ok and s.phase == "dur":
            # no rest inside a phrase: the next onset is where the legato voice's note ends, or
            # (``under``) before, where a lower voice is free (``lo``) to move under it
            end = s.ends[self.legato]
            m &= (self.value <= end) if self.voices[self.legato].under else (self.value == end)
        return m

    def _pitches(self, s: VState) -> np.ndarray:
        forced = self._forced_onset(s)
        target = self.target(s)
        hard = np.zeros(self.vocab_size, dtype=bool)
        soft = np.zeros(self.vocab_size, dtype=bool)
        for v in range(s.top_voice + 1, len(self.voices)):
            if s.ends[v] > s.pos:
                if forced:  # a cadence voice cannot be skipped
                    break
                continue
            reg = self.registers[v] & (self.value > s.last_pitch)
            if forced:
                reg &= self.pc == target
            hard |= reg
            soft |= reg & self._shape(s, v)
            if forced:
                break  # voices attack the cadence in order, lowest first
        return soft if soft.any() else hard

    def _shape(self, s: VState, v: int) -> np.ndarray:
        """Soft limits of voice ``v``: leap, ambitus and (top voice) the requested contour
        (read-only: shared by every state with the same key)."""
        key = self._shape_key(s, v)
        if key is None:
            return self._any
        ok = self._shapes.get(key)
        if ok is None:
            _, last, low, high, way = key
            amb = self.voices[v].max_ambitus
            ok = self._leap_ok[v][np.abs(self.value - last)]
            ok &= (self.value <= low + amb) & (self.value >= high - amb)
            if way is not None:
                ok &= np.sign(self.value - last) == way
            ok.flags.writeable = False
            self._shapes[key] = ok
        return ok

    def _shape_key(self, s: VState, v: int) -> tuple | None:
        """What :meth:`_shape` depends on: (voice, last pitch, lowest, highest, the contour's
        direction or None); None before the voice's first note."""
        last = s.last[v]
        if last < 0:
            return None
        i = s.melody_notes - 1
        top = v == len(self.voices) - 1
        way = None
        if top and self.contour is not None and 0 <= i < len(self.contour):
            way = int(self.contour[i])
        return v, last, s.lows[v], s.highs[v], way

    def _durations(self, s: VState) -> np.ndarray:
        room = self.is_dur & (self.value <= self.bar_len - s.pos)
        target = self.target(s)
        if target is None:
            return self._legato_ends(s, room, np.zeros_like(room))
        eligible = (
            s.pos in self.strong
            and s.pitch % 12 == target
            and s.pos >= s.end_before
            and (s.attacked == 0 or s.onset_ok)
            and s.voice == s.attacked  # no lower voice skipped at this onset
        )
        before_cadence = room & (self.value <= self.last_final - s.pos)
        if self._forced_onset(s):
            before_cadence[:] = False  # a cadence note must hold
        cadence = room & (self.value >= self.min_final) & eligible
        before_cadence, cadence = self._to_the_bar_line(s, before_cadence, cadence)
        return self._legato_ends(s, before_cadence | cadence, cadence)

    def _to_the_bar_line(
        self, s: VState, before: np.ndarray, cadence: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(before, cadence) durations. At every phrase end a cadence note is held to the bar
        line where the vocabulary has that length — a phrase ends on its last note or chord, not
        on a short note and rests (a chorale's fermatas, a tune's half cadence) — and a note that
        could be the cadence but stops short of the bar line is not offered as a note before
        it."""
        held = cadence & (s.pos + self.value == self.bar_len)
        if not held.any():
            return before, cadence
        return before & ~(cadence & ~held), held

    def _legato_ends(
        self, s: VState, m: np.ndarray, free_end: np.ndarray, fallback: bool = True
    ) -> np.ndarray:
        """A legato voice's note ends where its next onset may start (or at the bar line);
        ``free_end`` durations (cadence notes) may be followed by a rest."""
        if self.voices[s.voice].legato:
            ends = np.clip(s.pos + self.value, 0, self.bar_len)
            next_ok = self._onset_ok[ends] | (ends == self.bar_len)
            if self.target(s) is not None:
                next_ok &= (ends <= self.last_final - self.shortest) | (ends >= self.last_final)
            m = m & (next_ok | free_end)
        return m if m.any() or not fallback else self._shortest()

    def _shortest(self) -> np.ndarray:
        m = np.zeros(self.vocab_size, dtype=bool)
        values = np.where(self.is_dur, self.value, 10**9)
        m[int(np.argmin(values))] = True
        return m

    # ------------------------------------------------------------------ state updates

    def advance(self, s: VState, tok: int, forced: bool = False) -> None:
        """Advance ``s`` by ``tok`` (unchecked: the mask already allowed it, or it is forced)."""
        if s.phase == "done":
            return
        s.length += 0 if forced else 1
        kind = int(self.kind[tok]) if 0 <= tok < self.vocab_size else -1
        if tok == self.t.eos:
            s.phase = "done"
        elif kind == KIND_BAR:
            self._open_bar(s)
        elif kind == KIND_TS:
            s.phase = "ts"
        elif kind == KIND_POS:
            self._open_onset(s, int(self.value[tok]))
        elif kind == KIND_PITCH:
            self._choose_pitch(s, int(self.value[tok]))
        elif kind == KIND_DUR:
            self._close_note(s, int(self.value[tok]))

    def _open_bar(self, s: VState) -> None:
        s.phase, s.bars, s.pos, s.notes_in_bar = "bar", s.bars + 1, -1, 0
        s.ends = [0] * len(self.voices)
        s.max_end = s.end_before = 0
        s.locked = s.final_ok = s.onset_ok = False

    def _open_onset(self, s: VState, pos: int) -> None:
        s.vert = (s.last[-1], s.last[0])
        s.phase, s.pos, s.last_pitch = "pos", pos, -1
        s.top_voice, s.attacked, s.final_ok = -1, 0, False
        s.end_before = s.max_end
        s.onset_ok = pos in self.strong and pos >= s.max_end

    def _choose_pitch(self, s: VState, pitch: int) -> None:
        s.phase, s.pitch, s.last_pitch = "pitch", pitch, pitch
        s.voice = self.voice_of(pitch, s.top_voice + 1)

    def voice_of(self, pitch: int, lowest: int = 0) -> int:
        for v in range(lowest, len(self.voices)):
            if self.voices[v].low <= pitch <= self.voices[v].high:
                return v
        return min(max(lowest, 0), len(self.voices) - 1)  # prompt notes outside every register

    def _close_note(self, s: VState, dur: int) -> None:
        v, target = s.voice, self.target(s)
        s.phase, s.notes_in_bar, s.started = "dur", s.notes_in_bar + 1, True
        eligible = (
            target is not None
            and s.onset_ok
            and s.pitch % 12 == target
            and dur >= self.min_final
            and v == s.attacked
        )
        s.onset_ok = eligible
        s.attacked += 1
        s.top_voice = max(s.top_voice, v)
        s.ends[v] = max(s.ends[v], s.pos + dur)
        s.max_end = max(s.max_end, s.pos + dur)
        self._note_done(s, v, s.pitch, dur)
        s.lows[v], s.highs[v] = min(s.lows[v], s.pitch), max(s.highs[v], s.pitch)
        if v == len(self.voices) - 1:
            s.melody_notes += 1
        if target is not None and s.pos + dur > self.last_final:
            s.locked = True
        s.final_ok = eligible and s.attacked == len(self.voices)

    def _note_done(self, s: VState, v: int, pitch: int, dur: int) -> None:
        """Voice ``v`` sounded ``pitch`` for ``dur`` positions: its last pitch, move and run."""
        last = s.last[v]
        if v == len(self.voices) - 1:
            s.suspension = self.suspends(s, pitch)
        elif v == 0 and self.bass_clash(s, pitch):
            s.suspension = True  # the top voice's held note now has to fall by step
        s.reps[v] = s.reps[v] + 1 if pitch == last else 0
        if last >= 0 and pitch != last:
            turned = (pitch - last) * s.moves[v] < 0
            s.turns[v] = s.turns[v] + 1 if turned else 0
            s.moves[v] = pitch - last
        s.runs[v] = s.runs[v] + dur if pitch == last else dur
        s.last[v] = pitch
        s.recent[v] = (*s.recent[v], pitch)[-RECITE_WINDOW:]
