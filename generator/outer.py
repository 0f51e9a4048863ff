"""Outer voices of a texture the model writes in full: melody over bass for polyphonic favourites.

The model learned chorales, madrigals and quartets as merged chords (bass first, pitches rising
at each onset). Masking a 2-voice texture out of that makes the "melody" the model's tenor (it
follows the bass); so :class:`OuterGrammar` lets it write its inner voices and keeps them
**hidden** (never exported), while the outer voices are constrained like real voices:

* at each onset the bass attacks first whenever it is free (bass register), then up to
  ``CAP - 2`` hidden inner notes, then the melody — the **last** pitch of the onset, in the
  soprano register, within a leap and a range of the melody's earlier notes;
* the melody is legato inside a phrase (each onset starts where the melody's note ends, the
  first of each bar on the downbeat), so it sounds at every onset and one note at a time;
* an onset may close only once its last note qualifies as the melody's note; a pitch is allowed
  only if it can be the melody or a qualifying melody pitch is still possible above it;
* phrase ends as in :class:`~generator.constrained.VoiceGrammar`: bass and melody on the
  target degree together on a strong beat, every note of that chord held a beat, nothing after.

* an unprompted seed opens on the tonic chord (tonic bass, a triad tone above); every phrase
  end is held to the bar line, as in a one-line melody (a chorale's fermata chords).

:func:`outer_ids` removes the hidden notes from a decoded sequence (replaying this grammar) and
makes the bass legato (:func:`legato_bass`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from generator.constrained import VoiceGrammar, VState
from generator.vocab import KIND_BAR, KIND_DUR, KIND_PITCH, KIND_POS

CAP = 4  # most notes at one onset: bass, two hidden inner notes, melody
BASS, MEL = 0, 1
TONIC_TRIAD = (0, 3, 4, 7)  # canonical pitch classes of the opening chord's tones


@dataclass
class OState(VState):
    count: int = 0  # notes at the current onset
    pend_ok: bool = False  # the onset's last note qualifies as the melody's note
    inner_ok: bool = True  # hidden notes at this onset can belong to a cadence chord
    bass_cad: bool = False  # the bass attacked the cadence degree here, held long enough
    mel_end: int = 0  # melody end before this onset (bar position)
    floor: int = -1  # highest pitch at this onset before the one just chosen
    labels: list[str] = field(default_factory=list)  # per note: bass | inner | melody | cand


class OuterGrammar(VoiceGrammar):
    """:class:`VoiceGrammar` for ``(bass, melody)`` voices with hidden inner notes."""

    state_type = OState

    def __post_init__(self) -> None:
        super().__post_init__()
        self._masks: dict[tuple, np.ndarray] = {}  # _voice_mask's masks by what they depend on
        self._none = np.zeros(self.vocab_size, dtype=bool)
        self._none.flags.writeable = False

    def reserve(self, s: VState, extra: int = 4) -> int:
        left = self.plan.bars - s.bars
        cadences = sum(1 for b in self.plan.ends if b >= max(s.bars, 1))
        # a bar of two voices takes at least Bar, TimeSig, Position and two pitch-duration pairs
        return 7 * left + (2 * CAP + 2) * cadences + extra

    # ------------------------------------------------------------------ masks

    def allowed(self, s: OState) -> np.ndarray:
        m = np.zeros(self.vocab_size, dtype=bool)
        if s.phase == "start":
            m[self.t.bar] = True
        elif s.phase == "bar":
            m[self.ts_id] = True
        elif s.phase == "ts":
            m |= self.is_pos & (self.value == 0)  # every bar opens on the downbeat
        elif s.phase == "pos":
            m |= self._next_pitches(s)
        elif s.phase == "pitch":
            m |= self._outer_durations(s)
        elif s.phase == "dur":
            self._after_outer(s, m)
        else:
            m[self.t.pad] = True
        return m

    def _leaning_voices(self, s: OState) -> list[int]:
        """The bass's next note when it is free, else the melody's (inner notes: no lean)."""
        voice = BASS if self._bass_free(s) else MEL
        return [voice] if voice in self._leaning else []

    def _bass_free(self, s: OState) -> bool:
        return s.count == 0 and s.ends[BASS] <= s.pos

    def _voice_mask(
        self, s: OState, v: int, floor: int | None = None, relax: bool = True
    ) -> np.ndarray:
        """Pitches voice ``v`` may take above ``floor`` (default: the onset's last pitch); the
        soft limits are relaxed only if nothing fits (and ``relax``). Read-only: masks are kept
        by what they depend on, since one step asks for the same mask up to three times."""
        floor = s.last_pitch if floor is None else floor
        cadence = self.target(s) if self._forced_onset(s) else None
        # an unprompted seed opens on the tonic chord
        opening = cadence is None and (
            (v == BASS and not s.started) or (v == MEL and s.melody_notes == 0)
        )
        key = (v, floor, relax, cadence, opening, self._shape_key(s, v))
        m = self._masks.get(key)
        if m is None:
            m = self._masks[key] = self._new_voice_mask(s, v, floor, relax, cadence, opening)
            m.flags.writeable = False
        return m

    def _new_voice_mask(
        self, s: OState, v: int, floor: int, relax: bool, cadence: int | None, opening: bool
    ) -> np.ndarray:
        hard = self.registers[v] & (self.value > floor)
        if cadence is not None:
            hard &= self.pc == cadence
        elif opening:
            # tonic in the bass, a chord tone above (either third: the grammar does not know the
            # mode; the model rarely takes the other)
            chord = hard & np.isin(self.pc, (0,) if v == BASS else TONIC_TRIAD)
            hard = chord if chord.any() else hard
        soft = hard & self._shape(s, v)
        return soft if soft.any() or not relax else hard

    def _next_pitches(self, s: OState) -> np.ndarray:
        if self._bass_free(s):
            return self._voice_mask(s, BASS)
        if s.mel_end > s.pos:  # the melody holds: the bass moved alone at this onset
            return self._none
        # once the onset has a melody note, a higher one must keep the soft limits: doubling
        # the final tonic an octave up made the soprano leap a seventh into the cadence
        cand = self._voice_mask(s, MEL, relax=not s.pend_ok)
        if not cand.any() or self.closing(s):
            return cand
        top = int(self.value[cand].max())
        floor = max(s.last_pitch, s.last[BASS] if s.count == 0 else -1)
        inner = self.is_pitch & (self.value > floor) & (self.value < top)
        return cand | (inner if s.count + 2 <= CAP else np.zeros_like(inner))

    def _outer_durations(self, s: OState) -> np.ndarray:
        if s.labels[-1] == "bass?":
            return self._durations(s)  # the bass: VoiceGrammar's rules for voice 0
        m = self._melody_choice(s) | self._inner_choice(s)
        return m if m.any() else self._shortest()

    def _melody_choice(self, s: OState) -> np.ndarray:
        """Durations that make the chosen pitch the melody's next note (none if it cannot be)."""
        room = self.is_dur & (self.value <= self.bar_len - s.pos)
        if not self._voice_mask(s, MEL, s.floor)[self._pitch_token(s.pitch)]:
            return np.zeros_like(room)
        return self._melody_durations(s, room, room & (self.value >= self.min_final))

    def _inner_choice(self, s: OState) -> np.ndarray:
        """Durations that keep the chosen pitch a hidden inner note (a melody must follow)."""
        room = self.is_dur & (self.value <= self.bar_len - s.pos)
        none = np.zeros_like(room)
        above = self._voice_mask(s, MEL, s.pitch)
        if not above.any() or s.count + 2 > CAP:
            return none
        target = self.target(s)
        if target is None:
            return room
        hold = room & (self.value >= self.min_final)
        cadence_above = (above & (self.pc == target)).any()
        if self._forced_onset(s):
            return hold if cadence_above else none
        m = room & (self.value <= self.last_final - s.pos)
        if self._cadence_possible(s) and cadence_above:
            m |= hold
        return m

    def _melody_durations(self, s: OState, room: np.ndarray, hold: np.ndarray) -> np.ndarray:
        s.voice = MEL
        if self.target(s) is None:
            return self._legato_ends(s, room, np.zeros_like(room))
        free = hold if self._melody_cadence(s) else np.zeros_like(room)
        before = room & (self.value <= self.last_final - s.pos)
        if self._forced_onset(s):
            before[:] = False
        before, free = self._to_the_bar_line(s, before, free)
        return self._legato_ends(s, before | free, free, fallback=False)

    def _cadence_possible(self, s: OState) -> bool:
        return s.onset_ok and s.bass_cad and s.inner_ok and s.pos in self.strong

    def _melody_cadence(self, s: OState) -> bool:
        target = self.target(s)
        return self._cadence_possible(s) and target is not None and s.pitch % 12 == target

    def _after_outer(self, s: OState, m: np.ndarray) -> None:
        closing = self.closing(s)
        # closing: no more notes or onsets than the cadence needs, so the budget always holds
        if s.count < CAP and not (closing and s.pend_ok):
            m |= self._next_pitches(s)
        if not s.pend_ok:
            return  # the melody has not sounded at this onset yet
        target = self.target(s)
        cadence_due = target is not None and not s.final_ok
        if not s.locked and (not closing or cadence_due):
            m |= self._positions(s, closing and cadence_due, legato=not closing)
        if cadence_due:
            return
        held = s.final_ok or s.ends[MEL] >= self.bar_len or closing
        if s.bars < self.plan.bars:
            m[self.t.bar] = held
        else:
            m[self.t.eos] = True

    def _pitch_token(self, pitch: int) -> int:
        return int(self._pitch_ids[pitch])

    @property
    def _pitch_ids(self) -> np.ndarray:
        if not hasattr(self, "_pids"):
            pids = np.zeros(128, dtype=np.int64)
            ids = np.flatnonzero(self.kind == KIND_PITCH)
            pids[self.value[ids]] = ids
            self._pids = pids
        return self._pids

    # ------------------------------------------------------------------ state updates

    def advance(self, s: OState, tok: int, forced: bool = False) -> None:
        kind = int(self.kind[tok]) if 0 <= tok < self.vocab_size else -1
        if s.phase == "dur" and kind != KIND_PITCH:
            self._commit_melody(s)
        super().advance(s, tok, forced)

    def _open_onset(self, s: OState, pos: int) -> None:
        super()._open_onset(s, pos)
        s.count, s.pend_ok, s.inner_ok, s.bass_cad = 0, False, True, False
        s.mel_end = s.ends[MEL]

    def _open_bar(self, s: OState) -> None:
        super()._open_bar(s)
        s.mel_end = 0

    def _choose_pitch(self, s: OState, pitch: int) -> None:
        s.phase, s.pitch = "pitch", pitch
        if s.count > 0 and s.labels[-1] == "cand":
            s.labels[-1] = "inner"  # a higher pitch follows: the candidate was an inner note
        s.voice = BASS if self._bass_free(s) else MEL
        s.labels.append("bass?" if s.voice == BASS else "cand")
        s.floor, s.last_pitch = s.last_pitch, pitch

    def _close_note(self, s: OState, dur: int) -> None:
        target = self.target(s)
        s.phase, s.notes_in_bar, s.started = "dur", s.notes_in_bar + 1, True
        s.count += 1
        s.max_end = max(s.max_end, s.pos + dur)
        if target is not None and s.pos + dur > self.last_final:
            s.locked = True
        if s.labels[-1] == "bass?":
            s.labels[-1] = "bass"
            s.ends[BASS] = s.pos + dur
            self._note_done(s, BASS, s.pitch, dur)
            s.lows[BASS], s.highs[BASS] = min(s.lows[BASS], s.pitch), max(s.highs[BASS], s.pitch)
            s.bass_cad = target is not None and s.pitch % 12 == target and dur >= self.min_final
            s.pend_ok, s.final_ok = s.mel_end > s.pos, False  # under a held melody: complete
            return
        # a melody candidate: qualifies if its pitch and length fit the melody's rules
        s.phase = "pitch"  # evaluate the duration masks as they stood when it was chosen
        fits = (self._melody_choice(s) & self.is_dur & (self.value == dur)).any()
        s.phase = "dur"
        s.pend_ok = bool(fits)
        s.ends[MEL] = s.pos + dur if s.pend_ok else s.mel_end
        cadence = target is not None and s.pitch % 12 == target and dur >= self.min_final
        s.final_ok = s.pend_ok and cadence and self._cadence_possible(s)
        s.inner_ok = s.inner_ok and dur >= self.min_final  # if a pitch follows, this was inner

    def _commit_melody(self, s: OState) -> None:
        if not s.pend_ok or not s.labels or s.labels[-1] != "cand":
            return
        s.labels[-1] = "melody"
        self._note_done(s, MEL, s.pitch, s.ends[MEL] - s.pos)
        s.lows[MEL], s.highs[MEL] = min(s.lows[MEL], s.pitch), max(s.highs[MEL], s.pitch)
        s.melody_notes += 1


def outer_ids(ids: list[int], grammar: OuterGrammar) -> list[int]:
    """``ids`` without the hidden inner notes (their Pitch and Duration tokens), the bass made
    legato (:func:`legato_bass`)."""
    s = grammar.new_state()
    for tok in [*ids, grammar.t.eos]:
        grammar.advance(s, int(tok))
    labels = iter(s.labels)
    out, drop, is_bass = [], False, False
    bass = []  # per bass note: (index of its Duration in out, bar, onset)
    bar = pos = -1
    for tok in ids:
        kind = int(grammar.kind[tok])
        if kind == KIND_BAR:
            bar += 1
        elif kind == KIND_POS:
            pos = int(grammar.value[tok])
        elif kind == KIND_PITCH:
            label = next(labels)
            drop, is_bass = label == "inner", label == "bass"
        if not drop:
            out.append(int(tok))
            if kind == KIND_DUR and is_bass:
                bass.append((len(out) - 1, bar, pos))
        if kind == KIND_DUR:
            drop = is_bass = False
    return legato_bass(out, bass, grammar)


def legato_bass(
    ids: list[int], bass: list[tuple[int, int, int]], grammar: OuterGrammar
) -> list[int]:
    """Each bass note held until the bass's next note in its bar (the bar's last one: to the
    bar line, or as near as the grid's lengths reach). The model often writes a chorale bass
    detached — an eighth, then an eighth's rest on the off-beat; a continuo bass is legato.
    ``bass``: (Duration index, bar, onset) per bass note."""
    ids = list(ids)
    for i, (idx, bar, pos) in enumerate(bass):
        nxt = bass[i + 1] if i + 1 < len(bass) else None
        until = nxt[2] if nxt is not None and nxt[1] == bar else grammar.bar_len
        dur = int(grammar.value[ids[idx]])
        # the longest length the vocabulary and the metre's grid have up to the next note
        fits = grammar.is_dur & (grammar.value > dur) & (grammar.value <= until - pos)
        if fits.any():
            ids[idx] = int(np.flatnonzero(fits)[np.argmax(grammar.value[fits])])
    return ids
