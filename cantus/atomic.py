"""Files written whole or not at all: the content goes to a temporary file beside the target,
named uniquely (two processes or two threads of one process never share it), and is renamed onto
the target only when it is complete, so a concurrent reader never sees half a file and a crash
leaves the old file in place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """A fresh temporary path beside ``path`` for the block to write; moved onto ``path`` when
    the block ends without error, deleted otherwise. ``suffix`` keeps writers that append their
    own extension (``np.savez``: ``.npz``) on the same name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared cache from other users
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
