"""Text for a terminal: what a title, query or file name contains is shown, never obeyed.

An error line quoting a file name like ``\\x1b]0;owned\\x07.mid`` must not retitle, recolour or
clear the user's terminal, and a name that is not UTF-8 must not crash the print.
"""

from __future__ import annotations

from cantus.output import printable


def terminal_safe(text: str) -> str:
    """``text`` with control characters as escapes (``\\x1b``, ``cantus.output.printable``)
    and names that were not UTF-8 with U+FFFD; newlines and tabs stay."""
    return printable(text, keep_newlines=True)
