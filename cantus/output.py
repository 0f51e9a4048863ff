"""Printing results for people (tables) and scripts (``--json``, one object per line)."""

from __future__ import annotations

import json
import sys
from typing import Any


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    """Write ``obj`` as one JSON line, or ``text`` (default: pretty JSON) for people."""
    if as_json:
        emit_json(obj)
    else:
        sys.stdout.write(
            (text if text is not None else json.dumps(obj, indent=2, default=str)) + "\n"
        )
        sys.stdout.flush()
