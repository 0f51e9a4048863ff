"""Text for a terminal: what a title, query or file name contains is shown, never obeyed.

An error line quoting a file name like ``\\x1b]0;owned\\x07.mid`` must not retitle, recolour or
clear the user's terminal, and a name that is not UTF-8 must not crash the print.
"""

from __future__ import annotations

import re

from cantus.filecheck import utf8_text

# C0/C1 controls (ESC sequences, carriage returns) and bidi overrides: shown, never obeyed
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """``text`` with control characters as escapes (``\\x1b``) and names that were not UTF-8
    with U+FFFD; newlines and tabs stay."""
    return _CONTROL.sub(
        lambda m: m.group().encode("unicode_escape").decode("ascii"), utf8_text(text)
    )
