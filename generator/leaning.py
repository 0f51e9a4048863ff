"""Soft preferences of a voice's next note (log-odds that :meth:`VoiceGrammar.bias
<generator.constrained.VoiceGrammar.bias>` subtracts from the model's): how the voice moves
(its corpus intervals, leap recovery, no long repeats, no zigzag), which scale degrees it dwells
on in its mode, how it reaches a phrase-end's cadence degree, and the outer voices'
part-writing: no parallel fifths or octaves between melody and bass, the raised leading tone in
minor where the 7th leads to the tonic, the bass's dominant before a tonic cadence, no
dissonance with the bass on a strong beat unless held into it and resolved down by step (a
suspension: ``generator.roughness``), nor a bass moving into one under the melody's held note;
no pitch recited (already 3 of a voice's last 8 notes); and the melody's slips spelled in the
key (a chromatic slip G#-G, an augmented second F-G#: ``generator.spelling``), leaps into a
phrase's final note and a third note of one pitch into it (A A A: a flat close).

Each function takes the candidate ``pitches`` (canonical key, tonic C) and returns their costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from generator.roughness import DISSONANT, RECITED, accent_positions
from generator.spelling import slips
from generator.vocab import POSITIONS_PER_BEAT
from generator.voices import Voice

LEAP = 5  # semitones: a leap of a fourth or more wants a step back (voices with `recover`)
UNRECOVERED_COST = 1.0  # log-odds against not stepping back after such a leap
REPEAT_COST = 2.0  # log-odds against holding one pitch past two beats (a soprano stuck on E4)
# chorale cadences: the soprano's 2-1 / 7-1 (4-5 / 6-5), the bass's 5-1 / 4-1; costs from
# (1.5, .75), (3, 1.5), (5, 2.5) on 30 tune-split chorale requests in AB form: soprano by step
# .46 / .63 / .77, bass 5-1 or 4-1 .61 / .80 / .85, OA .91 / .90 / .91
APPROACH_COST = 5.0  # log-odds against a cadence note reached by leap (bass: not from 4 or 5)
NEAR_COST = 2.5  # log-odds against a note of the cadence bar a leap from the cadence degree
LEAD_IN = 1  # beats (dotted in compound metres) before a final whose note leads into it
MIN_SHARE = 1e-3  # floor of an interval's share: never-seen intervals cost log(max/1e-3)
PERFECT = (0, 7)  # interval classes of a unison / octave and a fifth
SUBTONIC, DOMINANT = 10, 7  # the natural 7th and the 5th degree, semitones above the tonic
DISSONANT_CLASSES = tuple(sorted(DISSONANT))


class Motion(Protocol):
    """Per-voice history the movement costs read (``generator.constrained.VState``)."""

    last: list[int]  # last pitch per voice
    moves: list[int]  # last melodic interval per voice
    runs: list[int]  # positions the last pitch has sounded
    turns: list[int]  # changes of direction in a row


def interval_costs(shares: Sequence[float]) -> np.ndarray:
    """-log of each share relative to the commonest (0 there; rare ones capped)."""
    if not shares:
        return np.zeros(1, dtype=np.float32)
    p = np.maximum(np.asarray(shares, dtype=np.float32), MIN_SHARE)
    return np.log(p.max()) - np.log(p)


def degree_costs(voice: Voice, mode: str | None) -> np.ndarray | None:
    """-log degree shares (0..11) of ``voice`` in ``mode`` (None: no preference — the voice has
    none, or none for this mode)."""
    shares = dict(voice.degrees).get(mode or "")
    if shares is None or voice.tonal <= 0:
        return None
    return interval_costs(shares)


def static_costs(voice: Voice, degree: np.ndarray | None, pitches: np.ndarray) -> np.ndarray | None:
    """Costs of ``pitches`` that ignore the voice's history: its scale degrees (``degree``,
    from :func:`degree_costs`) and its distance from mid-register (None: neither applies)."""
    if degree is None and voice.centre <= 0:
        return None
    cost = np.zeros(len(pitches), dtype=np.float32)
    if degree is not None:
        cost += voice.tonal * degree[pitches % 12]
    if voice.centre > 0:
        cost += voice.centre * np.abs(pitches - (voice.low + voice.high) / 2) / 12
    return cost


def motion_key(s: Motion, v: int, voice: Voice) -> tuple[int, int, bool, bool]:
    """All that :func:`movement_cost` reads of ``s`` for voice ``v`` (a cache key: keep the two
    in step)."""
    if voice.leading <= 0:  # no movement cost: only the last pitch matters (slips)
        return s.last[v], 0, False, False
    long_run = s.runs[v] >= 2 * POSITIONS_PER_BEAT
    return s.last[v], s.moves[v], long_run, s.turns[v] >= voice.zigzag_after


def movement_cost(
    s: Motion, v: int, voice: Voice, pitches: np.ndarray, interval_cost: np.ndarray
) -> np.ndarray:
    """Voice leading of voice ``v``'s next note: corpus intervals, leap recovery, no long
    repeats, no zigzag — scaled by the voice's ``leading``."""
    move = pitches - s.last[v]
    cost = interval_cost[np.minimum(np.abs(move), len(voice.intervals) - 1)]
    if voice.recover and abs(s.moves[v]) >= LEAP:
        back = (np.abs(move) <= 2) & (move * s.moves[v] < 0)
        cost = cost + np.where(back, 0.0, UNRECOVERED_COST)
    repeat = voice.repeat + (REPEAT_COST if s.runs[v] >= 2 * POSITIONS_PER_BEAT else 0.0)
    if repeat > 0:
        cost = cost + np.where(move == 0, repeat, 0.0)
    if voice.zigzag > 0 and s.turns[v] >= voice.zigzag_after and 0 < abs(s.moves[v]) < LEAP:
        cost = cost + np.where(move * s.moves[v] < 0, voice.zigzag, 0.0)
    return voice.leading * cost


def cadence_cost(
    target: int | None, voice: Voice, top: bool, last: int, pitches: np.ndarray, near: bool
) -> np.ndarray | float:
    """Toward a phrase end on ``target`` (None: no phrase end near): the top voice reaches the
    cadence degree by step (2-1, 7-1; 4-5, 6-5) and stays a step from it before; the bass of
    a tonic cadence reaches the tonic from the 4th or 5th, in the lowest octave of its
    register. ``near``: the notes just before a cadence bar (only the approach applies)."""
    if target is None or not voice.cadence:
        return 0.0
    deg = (pitches - target) % 12
    if top:
        by_step = _step_from_cadence(pitches, target, voice)
        if near:
            return NEAR_COST * ~by_step
        step = np.abs(pitches - last) <= 2
        return np.where(deg == 0, np.where(step, 0.0, APPROACH_COST), NEAR_COST * ~by_step)
    if near:
        return 0.0 if target != 0 else NEAR_COST * ~np.isin(deg, (5, 7))
    if target != 0:
        return 0.0
    from_dominant = (last - target) % 12 in (5, 7)
    low = pitches < voice.low + 12
    on_tonic = (0.0 if from_dominant else APPROACH_COST) + APPROACH_COST * ~low
    return np.where(deg == 0, on_tonic, NEAR_COST * ~np.isin(deg, (5, 7)))


def _step_from_cadence(pitches: np.ndarray, target: int, voice: Voice) -> np.ndarray:
    """True where a pitch lies a step (1 or 2 semitones) from a cadence pitch in the voice's
    register — by pitch, not pitch class: E4 is no step from a D5 cadence."""
    cadence = np.arange(voice.low, voice.high + 1)
    cadence = cadence[cadence % 12 == target]
    gaps = np.abs(pitches[:, None] - cadence[None, :])
    return ((gaps >= 1) & (gaps <= 2)).any(axis=1)


def final_leap_cost(
    target: int, voice: Voice, last: int, pitches: np.ndarray, where: tuple[bool, bool, bool]
) -> np.ndarray:
    """``voice.final_leap`` against a leap into a phrase's final note. ``where``: (in the
    phrase-end bar: on the cadence degree reached by a leap of 3 semitones or more; on the
    note that leads into the final: where the final would be a leap from it; at the onset
    that must be the cadence chord: on any pitch but the cadence degree at or above the
    cadence pitch a step from ``last``, which would push the melody's final above it)."""
    in_bar, lead_in, chord = where
    degree = (pitches - target) % 12 == 0
    cost = degree & (np.abs(pitches - last) > 2) & in_bar
    if lead_in:
        cost |= ~degree & ~_step_from_cadence(pitches, target, voice)
    if chord:
        near = [p for p in range(last - 2, last + 3) if p % 12 == target]
        cost |= ~degree & (pitches >= min(near)) if near else False
    return voice.final_leap * cost


def parallel_cost(
    voice: Voice, vert: tuple[int, int], bass: int, pitches: np.ndarray
) -> np.ndarray | float:
    """Top voice: ``voice.parallels`` on the pitches that make a perfect fifth or octave to
    ``bass`` (sounding now) moving the same way as the bass from the previous onset's vertical
    ``vert`` (top, bass), itself that same perfect interval: parallel fifths or octaves."""
    top0, bass0 = vert
    if voice.parallels <= 0 or min(top0, bass0, bass) < 0 or bass == bass0:
        return 0.0
    cls = (top0 - bass0) % 12
    if cls not in PERFECT:
        return 0.0
    same_way = (pitches - top0) * (bass - bass0) > 0
    return voice.parallels * (((pitches - bass) % 12 == cls) & same_way)


def dissonance_cost(
    voice: Voice, bass: int, last: int, suspension: bool, pitches: np.ndarray
) -> np.ndarray | float:
    """Top voice: ``voice.dissonance`` on the pitches a dissonant interval class
    (``generator.roughness.DISSONANT``) from ``bass`` (the bass sounding at a strong beat; -1:
    none) unless the voice holds ``last`` there (a suspension's preparation); after a
    ``suspension``, on every pitch but a step down from ``last`` (its resolution)."""
    if voice.dissonance <= 0:
        return 0.0
    cost = np.zeros(len(pitches), dtype=bool)
    if bass >= 0:
        cost |= np.isin((pitches - bass) % 12, DISSONANT_CLASSES) & (pitches != last)
    if suspension:
        cost |= ~np.isin(last - pitches, (1, 2))
    return voice.dissonance * cost


def recite_cost(voice: Voice, recent: Sequence[int], pitches: np.ndarray) -> np.ndarray | float:
    """``voice.recite`` per sounding of a pitch among ``recent`` (the voice's last notes,
    ``generator.roughness.RECITE_WINDOW``) from the ``RECITED``-th on: A4 already three of the
    last eight costs 1x, four 2x."""
    if voice.recite <= 0 or len(recent) < RECITED:
        return 0.0
    cost = np.zeros(len(pitches), dtype=np.float32)
    for pitch, times in recite_counts(recent):
        cost[pitches == pitch] = times - RECITED + 1
    return voice.recite * cost


def recite_counts(recent: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """(pitch, times) of the pitches ``RECITED`` times or more in ``recent`` (what
    :func:`recite_cost` reads: a cache key)."""
    times = {p: recent.count(p) for p in set(recent)}
    return tuple(sorted((p, n) for p, n in times.items() if n >= RECITED))


def bass_dissonance_cost(
    voice: Voice, top: int, last: int, pitches: np.ndarray
) -> np.ndarray | float:
    """Bass: ``voice.dissonance`` on the pitches a dissonant interval class from ``top`` (the
    top voice's note held over a strong beat; -1: none) but its own ``last`` (held on, no new
    dissonance): taken anyway, the held note becomes a suspension (``Leaning.bass_clash``)."""
    if voice.dissonance <= 0 or top < 0:
        return 0.0
    rough = np.isin((top - pitches) % 12, DISSONANT_CLASSES) & (pitches != last)
    return voice.dissonance * rough


def flat_close_cost(voice: Voice, reps: int, last: int, pitches: np.ndarray) -> np.ndarray | float:
    """Top voice toward a phrase end: ``voice.flat_close`` on sounding ``last`` a third time
    (``reps``: the notes already repeating it, counting the final still to come on it), the
    close a musician hears as flat."""
    if voice.flat_close <= 0 or reps < 1:
        return 0.0
    return voice.flat_close * (pitches == last)


def leading_tone_cost(
    voice: Voice, minor: bool, last: int, pitches: np.ndarray, to_tonic: bool
) -> np.ndarray | float:
    """Minor keys: ``voice.leading_tone`` on the natural 7th (Bb in C minor) where it would
    lead to the tonic — rising, or approaching a tonic cadence (``to_tonic``) — and on the
    tonic reached from it: a musician raises it there (B-C)."""
    if not minor or voice.leading_tone <= 0 or last < 0:
        return 0.0
    subtonic = pitches % 12 == SUBTONIC
    resolves = (last % 12 == SUBTONIC) & (pitches - last == 2)
    return voice.leading_tone * ((subtonic & ((pitches > last) | to_tonic)) | resolves)


class Leaning:
    """:meth:`bias` of ``generator.constrained.VoiceGrammar``, whose per-request tables
    (``_leaning``, ``_reg_ids``, ``_reg_pitches``, ``_tonal_cost``, ``_interval_cost``,
    ``_biases``) and phrase plan it reads."""

    def bias(self, s: Any) -> np.ndarray | None:
        """Log-probabilities added to the model's before sampling (None: no preference): each
        voice with ``leading`` leans toward its corpus intervals, recovers a leap of a fourth
        or more by a step back and avoids holding one pitch over two beats. Soft, unlike the
        masks: the model still chooses, only the odds move."""
        if s.phase not in ("pos", "dur") or not self._leaning:
            return None
        voices = self._leaning_voices(s)
        ahead = self._cadence_ahead(s)
        # the preferences depend on little of the state: kept by it (read-only), most steps
        # repeat an earlier key
        key = (
            ahead,
            self._lead_in(s),
            self._chord_due(s),
            self._parallel_key(s, voices),
            self._rough_key(s),
            *((v, motion_key(s, v, self.voices[v]), self._recite_key(s, v)) for v in voices),
        )
        out = self._biases.get(key)
        if out is None:
            out = self._biases[key] = self._new_bias(s, voices, ahead)
            out.flags.writeable = False
        return out

    def _new_bias(
        self, s: Any, voices: list[int], ahead: tuple[int | None, bool, bool]
    ) -> np.ndarray:
        out = np.zeros(self.vocab_size, dtype=np.float32)
        for v in voices:
            ids, pitches, tonal = self._reg_ids[v], self._reg_pitches[v], self._tonal_cost[v]
            if tonal is not None:
                out[ids] -= tonal
            if s.last[v] >= 0:
                if self.voices[v].leading > 0:
                    out[ids] -= movement_cost(s, v, self.voices[v], pitches, self._interval_cost[v])
                top = v == len(self.voices) - 1
                target, near, early = ahead
                voice = self.voices[v]
                out[ids] -= cadence_cost(target, voice, top, s.last[v], pitches, near)
                if early and voice.anticipation > 0:  # the cadence degree waits for the cadence
                    out[ids] -= voice.anticipation * ((pitches - target) % 12 == 0)
                out[ids] -= self._part_writing_cost(s, v, pitches, target == 0)
                if top and target is not None:  # in or just before a phrase-end bar
                    out[ids] -= self._flat_cost(s, v, pitches)
                out[ids] -= recite_cost(voice, s.recent[v], pitches)
                out[ids] -= self._melodic_cost(s, v, pitches, None if near else target)
        return out

    def _melodic_cost(
        self, s: Any, v: int, pitches: np.ndarray, target: int | None
    ) -> np.ndarray | float:
        """Voice ``v``'s slips spelled in the key (a chromatic slip, an augmented second) and
        (the top voice, ``target``: this bar's phrase-end degree) a leap into the final."""
        voice, cost = self.voices[v], 0.0
        if voice.slip > 0:
            cost = voice.slip * slips(s.last[v], pitches, self.mode)
        if voice.final_leap <= 0 or v != len(self.voices) - 1:
            return cost
        lead_in, in_bar = self._lead_in(s), target is not None
        if not in_bar and lead_in:  # a downbeat final: led into from the bar before
            target = self.plan.ends.get(s.bars + 1)
        if target is None:
            return cost
        where = (in_bar, lead_in, self._chord_due(s))
        return cost + final_leap_cost(target, voice, s.last[v], pitches, where)

    def _chord_due(self, s: Any) -> bool:
        """True at the onset that must sound a phrase end's chord, in a texture whose inner
        notes lie under the melody there (more than one voice)."""
        return len(self.voices) > 1 and self.target(s) is not None and s.pos == self.last_final

    def _lead_in(self, s: Any) -> bool:
        """True on the beat before the latest onset a phrase's final note may take: the last
        beat before it in a phrase-end bar, or of the bar before where it is the downbeat."""
        beat = LEAD_IN * self.min_final
        if self.last_final > 0:
            return self.target(s) is not None and self.last_final - beat <= s.pos < self.last_final
        ahead = self.plan.ends.get(s.bars + 1)
        return ahead is not None and s.pos >= self.bar_len - beat

    def _part_writing_cost(
        self, s: Any, v: int, pitches: np.ndarray, to_tonic: bool
    ) -> np.ndarray | float:
        """Voice ``v``'s costs against the other outer voice and the key: parallel perfect
        intervals (top), the natural 7th leading to the tonic (minor), a degree other than the
        dominant before a tonic cadence (bass). ``to_tonic``: a tonic cadence is ahead."""
        voice, minor = self.voices[v], self.mode == "minor"
        cost = leading_tone_cost(voice, minor, s.last[v], pitches, to_tonic)
        if len(self.voices) < 2:
            return cost
        if v == len(self.voices) - 1:
            cost = cost + parallel_cost(voice, s.vert, s.last[0], pitches)
            bass = self._strong_bass(s)
            return cost + dissonance_cost(voice, bass, s.last[v], s.suspension, pitches)
        if v == 0:
            cost = cost + bass_dissonance_cost(voice, self._held_top(s), s.last[0], pitches)
        if v == 0 and to_tonic and voice.dominant > 0:  # the tonic has its own costs
            cost = cost + voice.dominant * ~np.isin(pitches % 12, (0, DOMINANT))
        return cost

    def _flat_cost(self, s: Any, v: int, pitches: np.ndarray) -> np.ndarray | float:
        """:func:`flat_close_cost` of the top voice ``v`` toward a phrase end: on the beat
        before the final, a repeat of the final's degree counts the final (forced onto that
        degree) as the third note."""
        final = self.target(s)
        final = self.plan.ends.get(s.bars + 1) if final is None else final
        lead = self._lead_in(s) and final is not None and (s.last[v] - final) % 12 == 0
        return flat_close_cost(self.voices[v], s.reps[v] + lead, s.last[v], pitches)

    def _strong_bass(self, s: Any) -> int:
        """The bass's pitch where the top voice's next note makes a strong-beat vertical with
        it (-1: not a strong beat, no bass sounding, or no cost for it)."""
        top = len(self.voices) - 1
        if top < 1 or self.voices[top].dissonance <= 0:
            return -1
        if s.pos not in accent_positions(self.meter) or s.ends[0] <= s.pos:
            return -1
        return s.last[0]

    def _held_top(self, s: Any) -> int:
        """The top voice's pitch held over the current onset where it is a strong beat and the
        bass's next note makes a vertical with it (-1: none, or no cost for it)."""
        top = len(self.voices) - 1
        if top < 1 or self.voices[0].dissonance <= 0 or s.ends[top] <= s.pos:
            return -1
        return s.last[top] if s.pos in accent_positions(self.meter) else -1

    def bass_clash(self, s: Any, pitch: int) -> bool:
        """True where the bass's note ``pitch`` at the current onset makes a strong-beat
        dissonance under the top voice's held note (which must then fall by step)."""
        top = self._held_top(s)
        rough = (top - pitch) % 12 in DISSONANT
        return top >= 0 and rough and pitch != s.last[0]

    def _recite_key(self, s: Any, v: int) -> tuple[tuple[int, int], ...]:
        """What :func:`recite_cost` reads of voice ``v``'s notes (a cache key)."""
        return recite_counts(s.recent[v]) if self.voices[v].recite > 0 else ()

    def suspends(self, s: Any, pitch: int) -> bool:
        """True where the top voice's note ``pitch`` at the current onset holds its pitch into
        a strong-beat dissonance with the bass: a suspension, which then falls by step."""
        bass = self._strong_bass(s)
        rough = (pitch - bass) % 12 in DISSONANT
        return bass >= 0 and pitch == s.last[-1] and rough

    def _rough_key(self, s: Any) -> tuple[int, bool, int, int] | None:
        """What :func:`dissonance_cost`, :func:`bass_dissonance_cost` and
        :func:`flat_close_cost` read of ``s`` (a cache key; None where none costs anything)."""
        top, bass = self.voices[-1], self.voices[0]
        if top.dissonance <= 0 and top.flat_close <= 0 and bass.dissonance <= 0:
            return None
        return self._strong_bass(s), s.suspension, min(s.reps[-1], 1), self._held_top(s)

    def _parallel_key(self, s: Any, voices: list[int]) -> tuple[int, int, int] | None:
        """What :func:`parallel_cost` reads of ``s`` (a cache key; None where it costs nothing)."""
        top = len(self.voices) - 1
        if top < 1 or top not in voices or self.voices[top].parallels <= 0:
            return None
        return (*s.vert, s.last[0])

    def _cadence_ahead(self, s: Any) -> tuple[int | None, bool, bool]:
        """(target, near, early): this bar's phrase-end degree, else in a bar's second half the
        next bar's (near=True: a cadence on its downbeat is approached from here); early=True
        before this bar's last onset a cadence may take (a tonic there anticipates it)."""
        target = self.target(s)
        if target is not None or 2 * s.pos < self.bar_len:
            return target, False, target is not None and s.pos < self.last_final
        ahead = self.plan.ends.get(s.bars + 1)
        return ahead, ahead is not None, False

    def _leaning_voices(self, s: Any) -> list[int]:
        """Voices whose next note the pitch tokens may be (here: by register)."""
        return self._leaning
