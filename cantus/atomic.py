"""Files written whole or not at all: the content goes to a temporary file beside the target,
named uniquely (two processes or two threads of one process never share it), and is renamed onto
the target only when it is complete, so a concurrent reader never sees half a file and a crash
leaves the old file in place."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from cantus.errors import MissingArtifact


@contextlib.contextmanager
def atomic_path(path: Path | str, suffix: str = ".tmp") -> Iterator[Path]:
    """A fresh temporary path beside ``path`` for the block to write; moved onto ``path`` when
    the block ends without error, deleted otherwise. ``suffix`` keeps writers that append their
    own extension (``np.savez``: ``.npz``) on the same name; one that wrote beside it instead is
    an error, never an empty file in the target's place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{suffix}")
    # created here, exclusively, with the process's umask (as a plain open() would)
    os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    try:
        yield tmp
        strays = [p for p in (Path(f"{tmp}.npz"), Path(f"{tmp}.npy")) if p.exists()]
        if strays:
            for stray in strays:
                stray.unlink()
            msg = f"writing {path.name}: the writer added its own extension to the temporary"
            raise ValueError(msg + " file; give atomic_path a suffix ending in it")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def find_or_write(
    names: tuple[str, ...],
    read_dirs: tuple[Path, ...],
    write_dir: Path,
    write: Callable[[list[Path]], object],
    what: str,
) -> list[Path]:
    """The first of ``read_dirs`` holding every one of ``names`` (a cache); else ``write(tmps)``
    writes them and they are moved into ``write_dir`` whole (``atomic_path``). An unwritable
    ``write_dir`` is one ``MissingArtifact`` line naming ``what``."""
    for folder in read_dirs:
        paths = [Path(folder) / n for n in names]
        if all(p.is_file() for p in paths):
            return paths
    paths = [Path(write_dir) / n for n in names]
    try:
        with contextlib.ExitStack() as stack:
            write([stack.enter_context(atomic_path(p)) for p in paths])
    except OSError as exc:
        msg = f"cannot write {what} to {write_dir} ({exc})"
        raise MissingArtifact(msg) from exc
    return paths
