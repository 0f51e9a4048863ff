"""Input checks that need the catalog but no model: bad input fails in well under a second.

Commands call these before loading the engine or the generator (4-10 s of torch, encoders and
indexes), so a typo in an id, a missing file or a filter no piece matches is reported at once.
They read only the few catalog columns they need, with pyarrow alone (no pandas).
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cantus.errors import BadInput, MissingArtifact

ID_EXAMPLE = "m21:oneills1850/0001-0050.abc#1"


@functools.cache
def _columns(names: tuple[str, ...], paths: tuple[Path, ...], stamp: tuple[int, ...]) -> Any:
    import pyarrow.parquet as pq  # no pandas: a refused input should cost well under a second

    del stamp  # only the cache key: a build or an ingest changes it
    out: dict[str, list] = {name: [] for name in names}
    for path in paths:
        if not path.is_file():
            continue
        parquet = pq.ParquetFile(path)
        present = [n for n in names if n in parquet.schema_arrow.names]
        table = parquet.read(columns=present)
        for name in names:  # a catalog older than a column reads it as missing (None)
            values = table.column(name).to_pylist() if name in present else None
            out[name].extend(values if values is not None else [None] * table.num_rows)
    return out


def catalog_columns(*names: str) -> dict[str, list]:
    """``{column: values}`` over data-dir then user catalog rows (row order = engine order),
    cached per process until a catalog changes."""
    from cantus import config
    from cantus.catalog import CATALOG_FILE

    data = config.data_dir() / CATALOG_FILE
    if not data.is_file():
        msg = f"no catalog at {data}: run `cantus build` (or `cantus build --profile tiny`)"
        raise MissingArtifact(msg)
    user = config.user_dir() / CATALOG_FILE
    paths = (data,) if user.resolve() == data.resolve() else (data, user)
    stamp = tuple(p.stat().st_mtime_ns if p.is_file() else 0 for p in paths)
    return _columns(tuple(names), paths, stamp)


def known_ids() -> frozenset[str]:
    return frozenset(map(str, catalog_columns("id")["id"]))


def check_piece_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` stripped; BadInput naming the first one the catalog does not hold."""
    cleaned = [str(i).strip() for i in ids]
    known = known_ids()
    for piece_id in cleaned:
        if piece_id not in known:
            msg = f"unknown piece id {piece_id!r} (ids look like {ID_EXAMPLE!r})"
            raise BadInput(msg)
    return cleaned


def looks_like_id(text: str) -> bool:
    return text.startswith(("m21:", "file:"))


def check_music_path(text: str, what: str = "music file") -> Path:
    """A regular, readable file with a music suffix; BadInput saying what is wrong otherwise."""
    from cantus.filecheck import MUSIC_SUFFIXES, size_problem

    path = Path(text).expanduser()
    try:
        info = path.stat()
    except OSError:
        raise BadInput(f"{what} not found: {path}") from None
    if stat.S_ISDIR(info.st_mode):
        msg = f"{path} is a folder; give one {what} ({', '.join(MUSIC_SUFFIXES)})"
        raise BadInput(msg)
    if not stat.S_ISREG(info.st_mode):  # FIFOs and devices would hang or never end
        raise BadInput(f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in MUSIC_SUFFIXES:
        kinds = ", ".join(MUSIC_SUFFIXES)
        msg = f"unsupported file type {suffix or '(none)'!r} for {path}; use one of {kinds}"
        raise BadInput(msg)
    problem = size_problem(info.st_size)
    if problem:
        raise BadInput(f"could not read music from {path}: {problem}")
    if not os.access(path, os.R_OK):
        raise BadInput(f"cannot read {path}: permission denied")
    return path


def check_id_or_file(text: str, what: str = "music file") -> str:
    """A catalog id, or a usable music file path (see :func:`check_music_path`)."""
    text = str(text).strip()
    if looks_like_id(text) and not Path(text).exists():
        return check_piece_ids([text])[0]
    if text in known_ids():
        return text
    if not os.path.lexists(Path(text).expanduser()):
        msg = f"not a piece id or a readable file: {text!r} (ids look like {ID_EXAMPLE!r})"
        raise BadInput(msg)
    check_music_path(text, what)
    return text


def fold(value: Any) -> str:
    """Case- and space-insensitive form of a filter value (as ``recommender.engine`` compares)."""
    return " ".join(str(value).split()).casefold() if isinstance(value, str) else ""


def check_filter_values(
    filters: dict[str, list[str]], list_fields: frozenset[str] = frozenset()
) -> None:
    """BadInput when a parsed filter (``{field: [values]}``) matches no piece in the catalog;
    a field in ``list_fields`` holds ", "-joined values and matches any one of them."""
    if not filters:
        return
    columns = catalog_columns(*sorted(filters))
    for name, values in filters.items():
        column = _values(columns[name], name in list_fields)
        if not {fold(v) for v in column} & {fold(v) for v in values}:
            raise BadInput(no_match_message(name, values, column))


def _values(column: Iterable[Any], split: bool) -> set[str]:
    cells = (str(v) for v in column if isinstance(v, str))
    return {p.strip() for v in cells for p in v.split(",")} if split else set(cells)


def no_match_message(
    name: str, values: list[str], column: Iterable[Any], split: bool = False
) -> str:
    """What to say when no piece has ``name`` = any of ``values``: the catalog's own values,
    spelt as the catalog spells them (``ryansMammoth``, not the folded ``ryansmammoth``)."""
    known = sorted((v for v in _values(column, split) if v.strip()), key=str.casefold)
    shown = ", ".join(known[:15]) + (f", ... ({len(known)} in all)" if len(known) > 15 else "")
    return f"no piece has {name}={'|'.join(values)}; values in the catalog: {shown or '(none)'}"


def piece_row(piece_id: str, *columns: str) -> dict[str, Any]:
    """``columns`` of one catalog piece; BadInput if the id is unknown."""
    check_piece_ids([piece_id])
    table = catalog_columns("id", *columns)
    row = [str(i) for i in table["id"]].index(piece_id)
    return {name: table[name][row] for name in columns}
