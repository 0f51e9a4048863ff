"""Printing results for people (tables) and scripts (``--json``, one object per line)."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

# C0/C1 controls (ESC sequences, carriage returns) and bidi overrides: shown, never obeyed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` for a terminal: control characters as escapes (``\\x1b``), names that were
    not UTF-8 with U+FFFD; titles, queries and file names reach people through this."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], _utf8(text))


def _utf8(text: str) -> str:
    """Lone surrogates (file names that are not UTF-8) as U+FFFD: stdout cannot encode them."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a file name
        return text.encode("utf-8", "replace").decode("utf-8")


def emit_json(obj: Any) -> None:
    sys.stdout.write(_utf8(json.dumps(obj, ensure_ascii=False, default=str)) + "\n")
    sys.stdout.flush()


def emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    """Write ``obj`` as one JSON line, or ``text`` (default: pretty JSON) for people."""
    if as_json:
        emit_json(obj)
    else:
        shown = text if text is not None else json.dumps(obj, indent=2, default=str)
        sys.stdout.write(terminal_safe(shown) + "\n")
        sys.stdout.flush()
