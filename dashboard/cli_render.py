"""``cantus render ID_OR_FILE --wav OUT``: a piece or music file as audio, with sampled
General MIDI instruments (the synth and instrument choice of the app, :mod:`cantus.audio`).

A catalog piece plays as the app plays it (its score through verovio, a track per part); a
MIDI file plays as written; other files are parsed with music21 and keep one track per part.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cantus.errors import BadInput

if TYPE_CHECKING:
    from cantus.cli import Registry

MAX_SECONDS = 600.0  # audio is rendered in memory: ~230 MB per 10 min of 48 kHz stereo floats
FILE_PARSE_LIMIT_S = 60  # as for `similar FILE`: a longer parse is a hostile or huge file


def register(reg: Registry) -> None:
    parser = reg.add(
        reg.top,
        "render",
        _render,
        help="play a piece or music file into a WAV file (sampled General MIDI instruments)",
    )
    parser.add_argument(
        "item", metavar="ID_OR_FILE", help="piece id or MIDI/MusicXML/ABC/Humdrum/MEI file"
    )
    parser.add_argument("--wav", required=True, metavar="OUT", help="WAV file to write")
    parser.add_argument(
        "--seconds",
        type=float,
        default=MAX_SECONDS,
        help=f"render at most this many seconds (default {MAX_SECONDS:.0f})",
    )


def _render(args: argparse.Namespace) -> None:
    from cantus.audio import render_midi
    from cantus.output import emit
    from cantus.precheck import check_id_or_file, looks_like_id

    item = check_id_or_file(args.item)
    out = _check_out(args.wav)
    if not 0 < args.seconds <= 3600:
        raise BadInput(f"--seconds must lie in (0, 3600] (received {args.seconds})")
    if looks_like_id(item) and not Path(item).exists():
        midi, collection = _piece_midi(item)
    else:
        midi, collection = _file_midi(Path(item).expanduser()), ""
    audio = render_midi(midi, collection, max_seconds=args.seconds)
    _write(out, audio.wav)
    result = {
        "item": item,
        "wav": str(out.resolve()),
        "seconds": round(audio.seconds, 2),
        "truncated": audio.truncated,
        "programs": list(audio.programs),
    }
    emit(result, args.json, f"{result['wav']}  {result['seconds']:.1f} s")


def _check_out(text: str) -> Path:
    out = Path(text).expanduser()
    if out.suffix.lower() != ".wav":
        raise BadInput(f"--wav needs a file name ending in .wav (received {text!r})")
    if out.is_dir():
        raise BadInput(f"--wav {text!r} is a folder; give a file name")
    if not out.parent.is_dir():
        raise BadInput(f"no folder {out.parent} to write {out.name} into")
    return out


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise BadInput(f"cannot write {out}: {exc.strerror or exc}") from None


def _piece_midi(piece_id: str) -> tuple[bytes, str]:
    from cantus.precheck import piece_row
    from dashboard.render import piece_midi

    row = piece_row(piece_id, "source", "number", "collection")
    row = {name: str(value) for name, value in row.items()}
    midi = piece_midi(row, lambda: list(piece_row(piece_id, "tokens")["tokens"]))
    return midi, row["collection"]


def _file_midi(path: Path) -> bytes:
    """MIDI bytes of a music file: as written for MIDI, else one track per part, parsed in a
    child process with a memory cap and a time limit (a hostile file costs the child only)."""
    import multiprocessing as mp

    from cantus.filecheck import MUSIC_SUFFIXES, check_file

    fmt = MUSIC_SUFFIXES[path.suffix.lower()]
    try:
        check_file(path, fmt)  # the checks ingest makes: size, MIDI header, archives, XML bombs
    except (ValueError, OSError) as exc:
        raise BadInput(f"could not read music from {path}: {exc}") from None
    if fmt == "midi":
        return path.read_bytes()
    with mp.get_context("fork").Pool(1, initializer=_cap_memory) as pool:
        job = pool.apply_async(_parse_to_midi, (str(path), fmt))
        try:
            result = job.get(timeout=FILE_PARSE_LIMIT_S)
        except mp.TimeoutError:
            msg = f"reading {path} took longer than {FILE_PARSE_LIMIT_S} s; try a shorter file"
            raise BadInput(msg) from None
    if isinstance(result, bytes):
        return result
    raise BadInput(f"could not read music from {path}: {result}")


def parse_memory_cap() -> int:
    """Bytes of address space the parsing child may use: a quarter of this machine's memory,
    at most 4 GiB (a score that needs more is hostile or not sheet music)."""
    from cantus.limits import MAX_WORKER_BYTES, total_memory_bytes

    return min(4 * 1024**3, (total_memory_bytes() or MAX_WORKER_BYTES) // 4)


def _cap_memory() -> None:
    from cantus.limits import cap_memory

    cap_memory(parse_memory_cap())


def _parse_to_midi(path: str, fmt: str) -> bytes | str:
    """In the child: the MIDI bytes, or why the file could not be read (one line)."""
    from cantus.isolated import first_score  # the parse `similar FILE` makes

    try:
        return _parts_midi(first_score(path, fmt))
    except MemoryError:
        return f"it needs more than {parse_memory_cap() // 1024**2} MiB to parse"
    except (BadInput, ValueError) as exc:
        return str(exc)
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or [""])[0][:160]
        return f"{type(exc).__name__} {reason}".strip()


def _parts_midi(score: Any) -> bytes:
    """A track per part (named like the part, so ``cantus.audio`` picks its instrument)."""
    import symusic

    from cantus.errors import TokenError
    from cantus.score_bridge import BRIDGE_TPQ, m21_to_score

    out = symusic.Score(BRIDGE_TPQ)
    parts = list(getattr(score, "parts", [])) or [score]
    for part in parts:
        try:
            one = m21_to_score(part)
        except TokenError:  # a part without notes (e.g. a rest-only staff)
            continue
        track = one.tracks[0]
        track.name = str(getattr(part, "partName", None) or "")
        out.tracks.append(track)
        if not len(out.time_signatures):
            out.time_signatures = one.time_signatures
    if not len(out.tracks):
        raise BadInput("no notes found in the file")
    return out.dumps_midi()
