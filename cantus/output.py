"""Printing results for people (tables) and scripts (``--json``, one object per line)."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from typing import Any

from cantus.filecheck import utf8_text


def emit_json(obj: Any) -> None:
    """One JSON line, valid UTF-8 even when a value holds a non-UTF-8 file name (its bytes,
    smuggled in by ``surrogateescape``, become U+FFFD: a strict stdout would crash on them,
    a lenient one would write bytes no JSON reader accepts)."""
    sys.stdout.write(utf8_text(json.dumps(obj, ensure_ascii=False, default=str)) + "\n")
    sys.stdout.flush()


def emit(obj: Any, as_json: bool, text: str | None = None) -> None:
    """Write ``obj`` as one JSON line, or ``text`` (default: pretty JSON) for people."""
    if as_json:
        emit_json(obj)
    else:
        shown = text if text is not None else json.dumps(obj, indent=2, default=str)
        sys.stdout.write(printable(shown, keep_newlines=True) + "\n")
        sys.stdout.flush()


# Control characters (C0, DEL, C1) and bidi overrides: in a title or query they could move
# the cursor, recolour or clear the terminal, or reorder what is shown; printed escaped.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: Any, keep_newlines: bool = False) -> str:
    """``text`` with control characters shown as escapes (``\\x1b``), never sent raw, and
    non-UTF-8 name bytes as U+FFFD (``utf8_text``) (``keep_newlines``: newlines and tabs of a
    multi-line text stay)."""
    text = utf8_text("" if text is None else str(text))

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if keep_newlines and char in "\n\t":
            return char
        return char.encode("unicode_escape").decode("ascii")

    return _UNSAFE.sub(escape, text)


WRAP_MIN_WIDTH = 12  # a wrapping column (title, why) keeps at least this many characters
GAP = 3  # characters between two columns (padding, separator, padding)


@dataclass(frozen=True)
class Column:
    name: str
    justify: str = "left"  # "left" | "right"
    wrap: bool = False  # may wrap onto several lines (free text such as titles)
    drop: int = 0  # on a narrow terminal, columns with the highest ``drop`` go first; 0 stays
    least: int = WRAP_MIN_WIDTH  # a wrapping column narrower than this is dropped instead


def table(
    columns: list[Column], rows: list[list[Any]], title: str = "", width: int | None = None
) -> str:
    """A plain-text table (rich, no colour) that fits ``width`` (default: the terminal's;
    unlimited when stdout is not a terminal). Cells and title are literal text: rich markup and
    control characters in them print as written. Columns that do not wrap are never cut, so
    ids stay whole; on a narrow terminal droppable columns go first, then wrapping ones wrap."""
    width = width or terminal_width()
    cells = [[printable(cell).replace("\n", " ") for cell in row] for row in rows]
    shown = list(range(len(columns)))
    drops = sorted({c.drop for c in columns if c.drop}, reverse=True)
    while True:
        widths = _fit([columns[i] for i in shown], [[r[i] for i in shown] for r in cells], width)
        if widths is not None or not drops:
            break
        dropped = drops.pop(0)
        shown = [i for i in shown if columns[i].drop != dropped]
    kept, kept_cells = [columns[i] for i in shown], [[r[i] for i in shown] for r in cells]
    if widths is None:  # even the essential columns are wider: lines run long, ids stay whole
        natural = [_natural(c, [r[j] for r in kept_cells]) for j, c in enumerate(kept)]
        widths = [
            min(n, WRAP_MIN_WIDTH) if c.wrap else n for n, c in zip(natural, kept, strict=True)
        ]
    return _render(kept, kept_cells, title, widths)


def _natural(column: Column, values: list[str]) -> int:
    from rich.cells import cell_len

    return max([cell_len(column.name), *(cell_len(v) for v in values)])


def _fit(columns: list[Column], cells: list[list[str]], width: int) -> list[int] | None:
    """Column widths that fit ``width`` (wrapping columns share what is left), or None."""
    natural = [_natural(c, [r[j] for r in cells]) for j, c in enumerate(columns)]
    room = width - GAP * (len(columns) - 1)
    fixed = sum(n for n, c in zip(natural, columns, strict=True) if not c.wrap)
    wraps = [j for j, c in enumerate(columns) if c.wrap]
    least = sum(min(natural[j], columns[j].least) for j in wraps)
    if fixed + least > room:
        return None
    widths = list(natural)
    spare = room - fixed
    for n_left, j in enumerate(sorted(wraps, key=lambda j: natural[j]), start=0):
        share = spare // (len(wraps) - n_left)  # narrow ones first; leftovers go to the rest
        widths[j] = min(natural[j], max(share, min(natural[j], columns[j].least)))
        spare -= widths[j]
    return widths


def terminal_width() -> int:
    """Columns of the terminal (``COLUMNS`` wins); a pipe or file gets whole lines."""
    import os
    import shutil

    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return max(40, shutil.get_terminal_size((100, 24)).columns)
    return 10_000


def _render(columns: list[Column], cells: list[list[str]], title: str, widths: list[int]) -> str:
    import io

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(
        title=Text(printable(title).replace("\n", " ")) if title else None,
        title_justify="left",
        box=box.SIMPLE_HEAD,  # no vertical bars: a selected row copies as plain words
        show_edge=False,
        pad_edge=False,
    )
    for col, w in zip(columns, widths, strict=True):
        grid.add_column(col.name, justify=col.justify, no_wrap=not col.wrap, width=w)
    for row in cells:
        grid.add_row(*(Text(cell) for cell in row))
    buffer = io.StringIO()
    total = sum(widths) + GAP * (len(widths) - 1)
    Console(file=buffer, width=total, color_system=None, soft_wrap=False).print(grid)
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()).strip("\n")
