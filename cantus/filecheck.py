"""Reading files nobody vetted: which entries to read, how to read them, and what to refuse.

Decisions:

- **Regular files only.** A FIFO named ``.mid`` would block a plain ``open()`` forever and a
  link to ``/dev/zero`` reads until memory runs out, so every read opens with ``O_NONBLOCK``,
  checks ``fstat`` (regular file, size within ``MAX_FILE_BYTES``) and only then reads, never
  more than the limit.
- **Symbolic links inside a folder are never followed** (``O_NOFOLLOW``): a folder cannot
  make us read ``/etc/hostname`` or anything else outside it. A path named on the command
  line is the user's own choice and is followed, but must still end at a regular file.
- **The format comes from the entry's own name**, never from a link target's.
- **Names that are not UTF-8** (bytes smuggled through ``surrogateescape``) are shown and
  stored with U+FFFD in their place (``display_path``); the file is still read by its real name.
- **Hostile-content checks** (``check_file``) run before music21 sees a file: MIDI through
  symusic, XML without entity declarations or absurd nesting, ``.mxl`` archives by the very
  entry music21 parses (``mxl_entry``), not another one.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MUSIC_SUFFIXES = {
    ".mid": "midi",
    ".midi": "midi",
    ".musicxml": "musicxml",
    ".xml": "musicxml",
    ".mxl": "musicxml",
    ".abc": "abc",
    ".krn": "humdrum",
    ".mei": "mei",
}
MAX_FILE_BYTES = 32 * 1024 * 1024  # larger symbolic files are not sheet music we can parse
MAX_XML_DEPTH = 64  # MusicXML / MEI nest ~10 deep; deeper means a hostile or broken file
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024  # .mxl zip-bomb guard
MAX_QUARTERS = 200_000  # ~ 28 hours at 120 bpm: absurdly long
MAX_NOTES = 500_000
SYMLINK_REASON = "symbolic link inside the folder: not followed"


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as valid UTF-8 text: undecodable bytes of the name become U+FFFD."""
    return os.fsencode(path).decode("utf-8", errors="replace")


def utf8_text(text: str) -> str:
    """Text a parser derived from a file name (music21 titles a work by it) as valid UTF-8."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def size_problem(size: int) -> str | None:
    """Why a file of ``size`` bytes is refused before parsing, or None."""
    if size == 0:
        return "empty file"
    if size > MAX_FILE_BYTES:
        return f"file too large ({size} bytes > {MAX_FILE_BYTES})"
    return None


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """One short line for a failed open/read (no path: the caller names the file)."""
    if exc.errno == errno.ELOOP:
        return SYMLINK_REASON
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "unreadable: permission denied"
    return f"unreadable: {exc.strerror or exc}"


def read_regular(path: str | os.PathLike[str], follow_links: bool = True) -> bytes:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``; ValueError says why not.

    ``follow_links=False`` refuses a path whose last component is a symbolic link.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ValueError(os_reason(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{_kind(info.st_mode)}, not a regular file")
        problem = size_problem(info.st_size)
        if problem:
            raise ValueError(problem)
        chunks, total = [], 0
        while total <= MAX_FILE_BYTES:  # a file growing while we read stops at the limit too
            chunk = os.read(fd, min(1 << 20, MAX_FILE_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise ValueError(os_reason(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"file too large (more than {MAX_FILE_BYTES} bytes)")
    return data


# ------------------------------------------------------------------------------ walking
def walk_music_files(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Entries with a music suffix under ``folder``, and refused entries with a reason.

    Symbolic links (to files or folders) are not followed; special files are refused here so
    that nothing ever opens them for reading.
    """
    files: list[Path] = []
    refused: list[tuple[Path, str]] = []

    def walk_error(exc: OSError) -> None:
        refused.append((Path(exc.filename or folder), os_reason(exc)))

    for root, dirs, names in os.walk(folder, onerror=walk_error, followlinks=False):
        base = Path(root)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                refused.append((base / name, SYMLINK_REASON))
        dirs.sort()
        for name in sorted(names):
            path = base / name
            if path.suffix.lower() not in MUSIC_SUFFIXES:
                continue
            problem = _entry_problem(path)
            if problem:
                refused.append((path, problem))
            else:
                files.append(path)
    return files, refused


def _entry_problem(path: Path) -> str | None:
    try:
        info = path.lstat()
    except OSError as exc:
        return os_reason(exc)
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK_REASON
    if not stat.S_ISREG(info.st_mode):
        return f"{_kind(info.st_mode)}, not a regular file"
    return None


def unique_paths(paths: Iterable[Path]) -> list[Path]:
    """Absolute, de-duplicated, *not* resolved (resolving would follow links)."""
    return list(dict.fromkeys(Path(os.path.abspath(p)) for p in paths))


# ------------------------------------------------------------------- hostile-file checks
def check_file(path: Path, fmt: str, follow_links: bool = True) -> None:
    """Reject files that would hang or exhaust the parser, before music21 sees them.

    ``fmt`` is a ``MUSIC_SUFFIXES`` value; ValueError says what is wrong.
    """
    data = read_regular(path, follow_links=follow_links)
    if fmt == "midi":
        check_midi_bytes(data)
    elif fmt in ("musicxml", "mei"):
        check_xml(xml_payload(path, data))


def check_midi_bytes(data: bytes) -> None:
    """symusic (C++) reads the file in milliseconds: refuse broken, empty or absurd ones."""
    import symusic

    if data[:4] != b"MThd":
        raise ValueError("not a MIDI file (no MThd header)")
    try:
        score = symusic.Score.from_midi(data)
    except Exception as exc:
        raise ValueError(f"corrupt MIDI: {exc}") from exc
    notes = sum(track.note_num() for track in score.tracks)
    if notes == 0:
        raise ValueError("no notes")
    quarters = score.end() / max(1, score.ticks_per_quarter)
    if quarters > MAX_QUARTERS or notes > MAX_NOTES:
        raise ValueError(f"absurdly long ({notes} notes, {quarters:.0f} quarter notes)")


def mxl_entry(names: list[str]) -> str | None:
    """The archive entry music21 parses (``converter.ArchiveManager._extractContents``):
    the first name without ``META-INF`` whose suffix is exactly .musicxml, .xml or .mxl."""
    for name in names:
        if "META-INF" in name:
            continue
        if Path(name).suffix in (".musicxml", ".xml", ".mxl") or name == ".xml":
            return name
    return None


def xml_payload(path: Path, data: bytes) -> bytes:
    """The XML music21 will parse: the file itself, or the chosen entry of an .mxl zip."""
    # music21 unzips only names ending exactly in ".mxl"; other names are parsed as plain XML
    if path.suffix != ".mxl":
        return data
    import io
    import zipfile  # only for .mxl: kept out of every command's start

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
                raise ValueError("compressed MusicXML unpacks to more than 128 MB")
            entry = mxl_entry([i.filename for i in infos])
            if entry is None:
                raise ValueError("no MusicXML inside the .mxl archive")
            return archive.read(entry)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"corrupt .mxl archive: {exc}") from exc


def check_xml(data: bytes) -> None:
    """Refuse entity declarations (billion laughs) and nesting deeper than MAX_XML_DEPTH."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    depth = [0]

    def start(_name: str, _attrs: dict) -> None:
        depth[0] += 1
        if depth[0] > MAX_XML_DEPTH:
            raise ValueError(f"XML nested deeper than {MAX_XML_DEPTH} levels")

    def end(_name: str) -> None:
        depth[0] -= 1

    def entity(*_args: Any) -> None:
        raise ValueError("XML declares entities (refused: entity-expansion attack)")

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.EntityDeclHandler = entity
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(f"malformed XML: {exc}") from exc
