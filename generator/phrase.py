"""Phrase plans: where a seed's phrases end, on which degree, and which sections repeat.

A phrase ends on the **last melody note of its last bar**; decoding (``generator.constrained``)
makes that note land on a strong beat (:func:`strong_positions`), last at least one beat
(:func:`min_final_length`) and sound the target degree — the tonic for a closed ending, the
dominant for an open one. Degrees are pitch classes in the canonical key (tonic C, see
``generator.vocab``), so 0 is the tonic and 7 the dominant in every mode.

Forms (``--form``):

* ``phrase`` — the whole seed is one phrase ending as ``--ending`` says (default closed);
* ``AB`` — antecedent (first half, ends open on the dominant) and consequent (second half, ends
  as ``--ending`` says); the bars must be even and each half at least 2 bars (``--bars 4`` is a
  short question-and-answer period, 8 the usual 4 + 4);
* ``AABB`` — a dance-tune plan: A and B of ``bars / 4`` bars each, each played twice (the second
  time is the first time's tokens again); A closes on the tonic, B ends as ``--ending`` says.
  A dance tune's strain is at least 4 bars (reels and jigs have 8), so the bars must be a
  multiple of 4 and at least 16: with ``MAX_BARS`` 16 that is exactly 16.

:func:`check_form` applies these musical minimums to requests; :func:`form_plan` only lays the
plan out, so decoder tests can exercise repeats and cadences on short plans quickly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cantus.errors import BadInput
from generator.checks import check_bars
from generator.vocab import MAX_BARS, POSITIONS_PER_BEAT, meter_bar_positions

FORMS = ("phrase", "AB", "AABB")
# Fewest bars in one section: AB's halves are phrases (2 bars is the shortest that can ask and
# answer); AABB's strains are dance-tune sections, which musicians count in 4s.
MIN_SECTION_BARS = {"phrase": 1, "AB": 2, "AABB": 4}
SECTIONS = {"phrase": 1, "AB": 2, "AABB": 4}
WHY_MINIMUM = {
    "phrase": "",
    "AB": "each half is a phrase of 2 bars or more",
    "AABB": "a dance tune's strains are 4 bars or more",
}
ENDINGS = ("closed", "open")
TONIC, DOMINANT = 0, 7  # canonical pitch classes of the phrase-end targets
COMPOUND = frozenset({"6/8", "9/8", "12/8", "6/4", "9/4", "12/4"})  # beats of three pulses


@dataclass(frozen=True)
class PhrasePlan:
    """Where phrases end (bar -> target pitch class) and which bars repeat earlier ones."""

    form: str  # one of FORMS
    ending: str  # one of ENDINGS (the last phrase's ending)
    bars: int  # bars of the whole seed
    ends: dict[int, int] = field(default_factory=dict)  # 1-based bar -> canonical target pc
    # first bar of a repeat -> (first, last) bar it copies, e.g. {3: (1, 2), 7: (5, 6)} for AABB/8
    repeats: dict[int, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"form": self.form, "ending": self.ending, "phrase_ends": sorted(self.ends)}


def fitting_bars(form: str, max_bars: int = MAX_BARS) -> tuple[int, ...]:
    """Every bar count ``form`` accepts, up to ``max_bars`` (what the dashboard offers)."""
    if form not in FORMS:
        raise BadInput(f"unknown --form {form!r} (expected one of {', '.join(FORMS)})")
    sections, smallest = SECTIONS[form], MIN_SECTION_BARS[form]
    return tuple(range(sections * smallest, max_bars + 1, sections))


def check_form(form: str | None, ending: str | None, bars: int) -> PhrasePlan:
    """The plan for ``form`` / ``ending`` over ``bars`` bars; BadInput naming the smallest bars
    that fit when a section would be shorter than a musician expects."""
    bars = check_bars(bars)
    form, ending = _checked_names(form, ending)
    sections, smallest = SECTIONS[form], SECTIONS[form] * MIN_SECTION_BARS[form]
    if bars < smallest or bars % sections:
        need = "an even number of bars" if form == "AB" else "--bars a multiple of 4"
        msg = (
            f"--form {form} needs {need}, at least {smallest} ({WHY_MINIMUM[form]}; received "
            f"--bars {bars}): the smallest that fits is --bars {smallest}"
        )
        raise BadInput(msg)
    return form_plan(form, ending, bars)


def _checked_names(form: str | None, ending: str | None) -> tuple[str, str]:
    form = "phrase" if form is None else str(form).strip()
    ending = "closed" if ending is None else str(ending).strip().lower()
    if form not in FORMS:
        msg = f"unknown --form {form!r} (expected one of {', '.join(FORMS)})"
        raise BadInput(msg)
    if ending not in ENDINGS:
        msg = f"unknown --ending {ending!r} (expected closed or open)"
        raise BadInput(msg)
    return form, ending


def form_plan(form: str | None, ending: str | None, bars: int) -> PhrasePlan:
    """Lay out the plan without the musical minimums (``check_form`` adds them): the sections
    must only divide the bars. For decoder tests that want short plans."""
    form, ending = _checked_names(form, ending)
    last = TONIC if ending == "closed" else DOMINANT
    if bars < SECTIONS[form] or bars % SECTIONS[form]:
        msg = f"--form {form} cannot split {bars} bars into {SECTIONS[form]} equal sections"
        raise BadInput(msg)
    if form == "phrase":
        return PhrasePlan(form, ending, bars, {bars: last})
    if form == "AB":
        return PhrasePlan(form, ending, bars, {bars // 2: DOMINANT, bars: last})
    a = bars // 4
    ends = {a: TONIC, 2 * a: TONIC, 3 * a: last, bars: last}
    return PhrasePlan(form, ending, bars, ends, {a + 1: (1, a), 3 * a + 1: (2 * a + 1, 3 * a)})


def strong_positions(meter: str) -> tuple[int, ...]:
    """Onsets (positions in the bar) a phrase may end on: the downbeat, and the half bar in
    metres of four beats or two compound beats (4/4: beats 1 and 3; 6/8: beats 1 and 4)."""
    num = int(meter.partition("/")[0])
    if num in (4, 6, 12):
        return (0, meter_bar_positions(meter) // 2)
    return (0,)


def min_final_length(meter: str) -> int:
    """Shortest last note, in positions: one beat (a dotted beat in compound metres)."""
    return 3 * POSITIONS_PER_BEAT if meter in COMPOUND else POSITIONS_PER_BEAT


def last_final_onset(meter: str) -> int:
    """The latest strong onset that leaves room for a final note of :func:`min_final_length`."""
    bar_len, shortest = meter_bar_positions(meter), min_final_length(meter)
    fits = [p for p in strong_positions(meter) if p + shortest <= bar_len]
    return max(fits) if fits else 0
