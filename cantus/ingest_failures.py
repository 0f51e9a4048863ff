"""Files that failed to parse, remembered by content hash so a re-ingest does not parse them again.

A folder re-ingested after adding one tune used to re-parse every known-bad file (238 s for
220 failures). A file is remembered when none of its works parsed; its record goes away when
its bytes change (another hash) or when it later parses (``--retry-failed`` forces a retry).
Only parse failures are remembered: a permission or size problem is cheap to find again and
may be fixed without touching the bytes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FAILURES_FILE = "ingest_failures.json"
NOT_REMEMBERED = ("worker process died",)  # may be a neighbour's fault: try again next time
REMEMBERED_NOTE = "failed before and unchanged since; not parsed again (--retry-failed to retry)"


def load(folder: Path) -> dict[str, list[dict[str, str]]]:
    """sha1 (12 hex) -> that file's failure records; {} when none or unreadable (logged)."""
    path = Path(folder) / FAILURES_FILE
    if not path.is_file():
        return {}
    try:
        memory = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable %s: %s", path, exc)
        return {}
    return memory if isinstance(memory, dict) else {}


def remembered(memory: dict[str, list[dict[str, str]]], sha1: str, source: str) -> list[dict]:
    """The stored failures of a file with these bytes, under its current name."""
    return [
        {
            "source": source,
            "number": e.get("number", ""),
            "reason": f"{e['reason']}; {REMEMBERED_NOTE}",
        }
        for e in memory.get(sha1, [])
    ]


def update(
    memory: dict[str, list[dict[str, str]]],
    specs: Iterable[Any],
    rows: list[dict[str, Any]],
    errors: list[dict[str, str]],
) -> dict[str, list[dict[str, str]]]:
    """Remember files (``WorkSpec``s by sha1) none of whose works parsed; forget parsed ones."""
    parsed = {row["sha1"] for row in rows}
    by_source: dict[str, list[dict[str, str]]] = {}
    for error in errors:
        by_source.setdefault(error["source"], []).append(error)
    out = dict(memory)
    for spec in specs:
        if spec.sha1 in parsed:
            out.pop(spec.sha1, None)
            continue
        found = [
            {"number": e["number"], "reason": e["reason"]}
            for e in by_source.get(spec.source, [])
            if not e["reason"].startswith(NOT_REMEMBERED)
        ]
        if found:
            out[spec.sha1] = found
    return out


def save(folder: Path, memory: dict[str, list[dict[str, str]]]) -> None:
    from cantus.ingest import write_json_atomic

    write_json_atomic(Path(folder) / FAILURES_FILE, memory)
