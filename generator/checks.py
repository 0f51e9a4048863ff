"""Validation of inspiration requests: each bad value gets one clear line (``BadInput``)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from cantus.errors import BadInput, MissingArtifact
from generator.vocab import MAX_BARS, MODES, normalise_mode

MAX_SEEDS = 16  # most seeds one request may ask for
# sampling temperature users get (CLI and dashboard default); `cantus eval generation` reports
# its test split at it and sweeps others on its tune split for information only
TEMPERATURE = 1.0
_KEY_RE = re.compile(r"^\s*([A-Ga-g])([#b\-]{0,2})\s*(?:\s([A-Za-z]+))?\s*$")


def parse_key(text: str) -> tuple[str, str]:
    """("D", "minor") from "D minor", "d", "Bb major", "F# dorian"; BadInput otherwise."""
    m = _KEY_RE.match(text or "")
    modes = [m for m in MODES if m != "other"]
    if not m:
        msg = f"unknown key {text!r} (expected a tonic and a mode, e.g. 'D minor' or 'Bb major')"
        raise BadInput(msg)
    letter, accidental, mode = m.groups()
    accidental = accidental.replace("b", "-")
    if len(set(accidental)) > 1:
        msg = f"unknown key {text!r} (mixed accidentals)"
        raise BadInput(msg)
    mode = (mode or "major").lower()
    if mode not in modes and mode not in ("ionian", "aeolian"):
        msg = f"unknown mode {mode!r} in key {text!r} (expected one of {', '.join(modes)})"
        raise BadInput(msg)
    return letter.upper() + accidental, normalise_mode(mode)


def check_meter(meter: str, known: tuple[str, ...]) -> str:
    meter = (meter or "").strip().replace(" ", "")
    if meter not in known:
        msg = f"unsupported meter {meter!r} (expected one of {', '.join(known)})"
        raise BadInput(msg)
    return meter


def check_bars(bars: Any, max_bars: int = MAX_BARS) -> int:
    if (
        isinstance(bars, bool)
        or not isinstance(bars, int | np.integer)
        or not 1 <= int(bars) <= max_bars
    ):
        msg = f"--bars must be an integer in 1..{max_bars} (received {bars!r})"
        raise BadInput(msg)
    return int(bars)


def check_sampling(n: Any, temperature: Any, top_p: Any) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= int(n) <= MAX_SEEDS:
        msg = f"-n must be an integer in 1..{MAX_SEEDS} (received {n!r})"
        raise BadInput(msg)
    if not isinstance(temperature, int | float) or not 0.05 <= float(temperature) <= 5:
        msg = f"--temperature must lie in 0.05..5 (received {temperature!r})"
        raise BadInput(msg)
    if not isinstance(top_p, int | float) or not 0 < float(top_p) <= 1:
        msg = f"--top-p must lie in (0, 1] (received {top_p!r})"
        raise BadInput(msg)


def check_guidance(guidance: Any) -> float:
    if (
        isinstance(guidance, bool)
        or not isinstance(guidance, int | float)
        or not 0 <= guidance <= 10
    ):
        msg = f"--guidance must lie in 0..10 (received {guidance!r})"
        raise BadInput(msg)
    return float(guidance)


def generator_meters(data_dir: Path) -> tuple[str, ...]:
    """The metres the generator in ``data_dir`` was trained on (its ``config.json``), read
    without torch so that ``cantus inspire`` refuses an unknown --meter before any model loads."""
    path = Path(data_dir) / "generator" / "config.json"
    try:
        return tuple(json.loads(path.read_text(encoding="utf-8"))["controls"]["meters"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        msg = f"no usable generator config at {path} ({exc}); run `cantus build`"
        raise MissingArtifact(msg) from None
