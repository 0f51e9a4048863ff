"""The tune-split grids of ``cantus eval generation`` (``generator.eval_styles.tune``): the
values each sweep tries, which figures a sweep's score matches, and the shipped values."""

from __future__ import annotations

from typing import Any

from generator.checks import TEMPERATURE
from generator.voices import texture_voices

TEMPERATURES = (0.8, 0.9, 1.0)  # swept on the tune split for the constrained decoder
NGRAM_ORDERS = (3, 5, 8)  # swept on the tune split for the baseline
LEAPS = ((12, 7), (7, 4))  # (bass, melody) largest leaps of melody + bass, swept on chorales
LEADING = (0.0, 0.5, 0.75, 1.0, 1.5)  # voice-leading strengths of melody + bass, same
TONAL = (0.0, 0.5, 1.0)  # degree-preference strengths of melody + bass, swept on chorales
ZIGZAG = ((2, 1.0), (0, 1.0), (0, 2.0), (0, 3.0))  # (turns allowed, cost) of melody + bass, same
UNDER = (False, True)  # the bass may move under a held melody, same
REPEAT = (0.0, 1.0, 2.0)  # cost of a repeated pitch in melody + bass, same
CENTRE = (0.0, 1.5)  # pull of the melody toward mid-register (per octave), same
ANTICIPATION = (0.0, 2.0)  # cost of the cadence degree early in a cadence bar, same
PARALLELS = (0.0, 1.5, 3.0, 5.0)  # cost of parallel fifths / octaves of melody over bass, same
LEADING_TONE = (0.0, 1.0, 2.0, 4.0)  # cost of the natural 7th leading to the tonic in minor
DOMINANT = (0.0, 1.0, 2.0, 4.0)  # cost of a bass other than the 5th before a tonic cadence
AMBITUS = (16, 19, 22)  # largest range of a one-line melody, swept on the folk styles
SLIP = (0.0, 2.0, 4.0, 8.0)  # cost of the melody's chromatic slips / augmented seconds, every style
FINAL_LEAP = (0.0, 1.5, 3.0, 5.0)  # cost of the melody's leap into a phrase's final, every style
FLAT_CLOSE = (0.0, 2.0, 4.0)  # cost of a third repeat of the melody's pitch into a phrase end
RECITE = (0.0, 0.25, 0.5, 1.0, 2.0)  # cost of a melody pitch already 3 of its last 8 notes
# scored with generator.spelling (flat_close, recite: generator.roughness.SWEEP_FIGURES)
MELODIC_SWEEPS = {
    "slip": SLIP,
    "final_leap": FINAL_LEAP,
    "flat_close": FLAT_CLOSE,
    "recite": RECITE,
}
DISSONANCE = (0.0, 2.0, 4.0, 8.0)  # cost of an unprepared strong-beat dissonance over the bass
BASS_DISSONANCE = (0.0, 1.0, 2.0, 4.0)  # cost of a bass note clashing under a held melody note
# the later voice preferences (generator.voices.REPEAT etc.), swept in this order on chorales
CHORALE_SWEEPS = {
    "under": UNDER,
    "repeat": REPEAT,
    "centre": CENTRE,
    "anticipation": ANTICIPATION,
    "parallels": PARALLELS,
    "leading_tone": LEADING_TONE,
    "dominant": DOMINANT,
    "dissonance": DISSONANCE,
    "bass_dissonance": BASS_DISSONANCE,
}
# sweeps whose score also matches the part-writing figures (generator.part_writing)
PART_WRITING_SWEEPS = ("parallels", "leading_tone", "dominant")
# scored with generator.roughness.sweep_gap
ROUGH_SWEEPS = ("dissonance", "bass_dissonance", "flat_close", "recite")
VOICE_KEYS = ("top_stepwise", "bass_stepwise")  # the voice figures the chorale sweeps match


def shipped_settings() -> dict[str, Any]:
    """The settings users get, which the test split reports."""
    bass, soprano = texture_voices("melody+bass")
    return {
        "constrained_temperature": TEMPERATURE,
        "bass_melody_leaps": [bass.max_leap, soprano.max_leap],
        "voice_leading": soprano.leading,
        "degree_preference": soprano.tonal,
        "zigzag_turns_cost": [soprano.zigzag_after, soprano.zigzag],
        "folk_melody_ambitus": texture_voices("melody")[0].max_ambitus,
        **{f"melody_bass_{name}": _shipped(bass, soprano, name) for name in CHORALE_SWEEPS},
        **{f"melody_{name}": getattr(texture_voices("melody")[0], name) for name in MELODIC_SWEEPS},
    }


def _shipped(bass: Any, soprano: Any, name: str) -> Any:
    """The shipped value of chorale sweep ``name`` (``bass_*``: the bass's own field)."""
    return getattr(bass, name[5:]) if name.startswith("bass_") else getattr(soprano, name)


def tuned_on_note() -> str:
    """What the report tuned (applied) and swept (for information), and on which split."""
    return (
        f"tune split (training pieces): n-gram order over {list(NGRAM_ORDERS)}, "
        "applied; swept for information only (test runs at the shipped settings): temperature "
        f"over {list(TEMPERATURES)}, (bass, melody) leap limits over "
        f"{[list(x) for x in LEAPS]}, voice leading over {list(LEADING)}, degree preference "
        f"over {list(TONAL)}, (turns, cost) of the zigzag rule over "
        f"{[list(x) for x in ZIGZAG]}, "
        + ", ".join(f"{name} over {list(grid)}" for name, grid in CHORALE_SWEEPS.items())
        + f" on chorales, melody range over {list(AMBITUS)} on the other styles, "
        + ", ".join(f"melody {name} over {list(grid)}" for name, grid in MELODIC_SWEEPS.items())
        + " on every style"
    )
