"""Hostile input (issue 13, items 1-3 and 6): each bad entry is one clear failure, good files stay.

The audit's cases are made at test time (a FIFO, links to a device and out of the folder,
a non-UTF-8 name, an unreadable file, a crafted ``.mxl``), so nothing odd is committed.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cantus import catalog, filecheck, ingest_failures, isolated, limits, user_ingest
from cantus.errors import BadInput

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_PIECES = 7  # tests/fixtures/music: six files, the ABC one holds two tunes
OTHER_TUNE = "X:1\nT:Caf\u00e9 tune\nM:3/4\nL:1/8\nK:G\nG2 B2 d2 | g4 f2 | e2 d2 B2 | G6 |]\n"
DEEP_XML = b"<score-partwise>" + b"<a>" * 80 + b"</a>" * 80 + b"</score-partwise>"


@contextlib.contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    """Fail instead of hanging forever when a regression reads a FIFO again."""

    def alarm(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def hostile_folder(tmp_path: Path) -> tuple[Path, Path]:
    """Good fixtures plus every hostile entry of the audit; returns (folder, outside)."""
    folder = tmp_path / "music"
    shutil.copytree(FIXTURES / "music", folder)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("X:1\nT:read from outside\nK:C\nCDEF|\n")
    (outside / "tune.abc").write_text(OTHER_TUNE.replace("G2 B2", "A2 B2"))
    (folder / "notes.abc").symlink_to(outside / "secret.txt")  # non-music target suffix
    (folder / "zero.mid").symlink_to("/dev/zero")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.mid")
    name = os.fsdecode(bytes(folder) + b"/caf\xe9.abc")  # Latin-1 byte: not UTF-8
    Path(name).write_text(OTHER_TUNE)
    # no title inside: music21 titles it by its (non-UTF-8) file name
    xml = (FIXTURES / "music" / "minor_air.musicxml").read_text()
    xml = re.sub(r"<(work|movement)-title>.*?</\1-title>", "", xml)
    Path(os.fsdecode(bytes(folder) + b"/air\xe9.musicxml")).write_text(xml)
    return folder, outside


def test_hostile_folder_keeps_every_good_file(home: Path, tmp_path: Path) -> None:
    folder, _ = hostile_folder(tmp_path)
    with no_hang(240):
        report = user_ingest.ingest_paths([folder], jobs=2, progress=False)
    reasons = {Path(e["source"]).name: e["reason"] for e in report.errors}
    assert set(reasons) == {"notes.abc", "zero.mid", "linked", "pipe.mid"}
    assert all("symbolic link" in reasons[n] for n in ("notes.abc", "zero.mid", "linked"))
    assert "FIFO" in reasons["pipe.mid"]
    frame = catalog.read_frame(home / "user" / catalog.CATALOG_FILE)  # written and readable
    assert len(report.added) == len(frame) == GOOD_PIECES + 2
    shown = str(folder / "caf\ufffd.abc")
    assert shown in set(frame["source"]), "non-UTF-8 name stored with U+FFFD"
    assert all(s.startswith(str(folder)) for s in frame["source"]), "nothing read outside"
    assert "read from outside" not in set(frame["title"])


def test_cli_names_each_bad_entry_once_and_exits_2(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from cantus.cli import main

    folder, outside = hostile_folder(tmp_path)
    link = tmp_path / "named-link.mid"
    link.symlink_to("/dev/zero")
    with no_hang(240):
        code = main(["ingest", "--jobs", "1", str(folder), str(link), str(outside / "x.mid")])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith("cantus: skipped ") for line in lines)
    assert "Traceback" not in captured.err
    assert f"ingested {GOOD_PIECES + 2} pieces" in captured.out


def test_special_files_are_refused_before_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mid")
    with no_hang(10):
        with pytest.raises(ValueError, match="FIFO"):
            filecheck.read_regular(tmp_path / "pipe.mid")
        with pytest.raises(ValueError, match="character device"):
            filecheck.read_regular("/dev/zero")
    (tmp_path / "link.abc").symlink_to(FIXTURES / "music" / "two_tunes.abc")
    with pytest.raises(ValueError, match="symbolic link"):
        filecheck.read_regular(tmp_path / "link.abc", follow_links=False)
    assert filecheck.read_regular(tmp_path / "link.abc")  # a named link is followed


def test_read_errors_are_that_files_failure(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permission error (made by hand here, so root runs it too) costs only its file."""
    folder = tmp_path / "music"
    shutil.copytree(FIXTURES / "music", folder)
    locked = folder / "little_waltz.mid"
    real_open = os.open

    def deny(path, flags, *args):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(filecheck.os, "open", deny)
    report = user_ingest.ingest_paths([folder], jobs=1, progress=False)
    assert report.errors == [
        {"source": str(locked), "number": "", "reason": "unreadable: permission denied"}
    ]
    assert len(report.added) == GOOD_PIECES - 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_chmod_000_file_is_skipped(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "music"
    shutil.copytree(FIXTURES / "music", folder)
    (folder / "tiny.krn").chmod(0)
    report = user_ingest.ingest_paths([folder], jobs=1, progress=False)
    assert [e["reason"] for e in report.errors] == ["unreadable: permission denied"]
    assert len(report.added) == GOOD_PIECES - 1


def test_known_bad_files_are_not_parsed_again_until_they_change(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "music"
    folder.mkdir()
    shutil.copy(FIXTURES / "corrupt" / "zero_notes.musicxml", folder)
    shutil.copy(FIXTURES / "music" / "tiny.krn", folder)
    first = user_ingest.ingest_paths([folder], jobs=1, progress=False)
    assert [Path(e["source"]).name for e in first.errors] == ["zero_notes.musicxml"]
    assert ingest_failures.load(home / "user")  # remembered by hash

    parsed: list[str] = []
    real_run = user_ingest.run_works

    def spy(specs, *args, **kwargs):
        parsed.extend(Path(s.source).name for s in specs)
        return real_run(specs, *args, **kwargs)

    monkeypatch.setattr(user_ingest, "run_works", spy)
    again = user_ingest.ingest_paths([folder], jobs=1, progress=False)
    assert parsed == [] and len(again.unchanged) == 1
    assert (
        "no notes" in again.errors[0]["reason"] and "not parsed again" in again.errors[0]["reason"]
    )

    retried = user_ingest.ingest_paths(
        [folder], jobs=1, progress=False, embed=False, retry_failed=True
    )
    assert parsed == ["zero_notes.musicxml"] and len(retried.errors) == 1
    bad = folder / "zero_notes.musicxml"
    bad.write_bytes(bad.read_bytes() + b"\n")  # new bytes: parsed again
    user_ingest.ingest_paths([folder], jobs=1, progress=False)
    assert parsed == ["zero_notes.musicxml"] * 2


# ------------------------------------------------------------------------------ .mxl
def _mxl(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_mxl_check_reads_the_entry_music21_parses(tmp_path: Path) -> None:
    """Hostile first entry + a big harmless one: the old check read the biggest and passed."""
    harmless = (FIXTURES / "music" / "minor_air.musicxml").read_bytes()
    crafted = tmp_path / "crafted.mxl"
    crafted.write_bytes(
        _mxl([("META-INF/x.xml", b"<a/>"), ("a.xml", DEEP_XML), ("b.xml", harmless)])
    )
    with pytest.raises(ValueError, match="nested deeper"):
        filecheck.check_file(crafted, "musicxml")


@pytest.mark.parametrize(
    "names",
    [
        ["META-INF/container.xml", "score.xml", "other.musicxml"],
        ["notes.txt", "dir/META-INF-ish.xml", "b.musicxml"],
        ["UPPER.XML", "lower.xml"],
    ],
)
def test_mxl_entry_is_music21s_choice(tmp_path: Path, names: list[str]) -> None:
    from music21 import converter

    path = tmp_path / "t.mxl"
    path.write_bytes(_mxl([(name, f"<x>{name}</x>".encode()) for name in names]))
    chosen = filecheck.mxl_entry(names)
    assert converter.ArchiveManager(path).getData() == f"<x>{chosen}</x>"


# ------------------------------------------------------------------- limits and children
@pytest.mark.parametrize(
    ("total_gib", "jobs", "cap_gib"), [(64, 16, 2.0), (256, 1, 6.0), (4, 2, 1.5), (23, 2, 5.75)]
)
def test_worker_memory_cap_is_sized_to_the_machine(
    monkeypatch: pytest.MonkeyPatch, total_gib: int, jobs: int, cap_gib: float
) -> None:
    monkeypatch.setattr(limits, "total_memory_bytes", lambda: total_gib * 1024**3)
    assert limits.worker_memory_bytes(jobs) == int(cap_gib * 1024**3)


def test_child_parse_is_memory_capped_and_timed() -> None:
    from tests.hostile_helpers import greedy, sleepy_file_ids

    cap = limits.worker_memory_bytes(isolated.PARSE_PROCESSES)
    with pytest.raises(isolated.ParseFailed, match="memory"):
        isolated.run_capped(greedy, (cap + 1024**3,), time_limit_s=60)
    with pytest.raises(isolated.ParseTimeout, match="longer than 1 s"):
        isolated.run_capped(sleepy_file_ids, ("x", ".abc"), time_limit_s=1)
    assert isolated.run_capped(greedy, (1024,), time_limit_s=60) == 1024  # the pool recovers


def test_query_files_refuse_special_files_fast(tmp_path: Path) -> None:
    from recommender.music_search import check_music_file, file_token_ids

    os.mkfifo(tmp_path / "pipe.mid")
    (tmp_path / "zero.mid").symlink_to("/dev/zero")
    with no_hang(20):
        for name, reason in (("pipe.mid", "FIFO"), ("zero.mid", "character device")):
            with pytest.raises(BadInput, match=reason):
                file_token_ids(tmp_path / name)
            with pytest.raises(BadInput, match="not a regular file"):
                check_music_file(tmp_path / name)  # what `similar` / `--motif` check first


# ------------------------------------------------------------------------------ terminal
def test_terminal_never_obeys_escape_sequences_from_names(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from cantus.cli import main
    from cantus.terminal import terminal_safe

    assert terminal_safe("a\x1b[2Jb\r\u202ec") == "a\\x1b[2Jb\\r\\u202ec"
    assert terminal_safe(os.fsdecode(b"caf\xe9")) == "caf\ufffd"
    name = tmp_path / "\x1b[31mred\x1b]0;owned\x07.mid"
    assert main(["ingest", "--jobs", "1", str(name)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\x1b[31mred" in err and err.count("\n") == 1  # one line for the one bad name


def test_pool_stops_a_stuck_or_dead_worker_and_keeps_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing as mp

    import pebble

    from cantus import work_pool
    from tests.hostile_helpers import stubborn_chunk

    monkeypatch.setattr(work_pool, "SLACK_S", 1)
    chunks = [["a", "hang", "b"], ["die"], ["c"]]
    ctx = mp.get_context("forkserver")
    with no_hang(60):
        out = list(
            work_pool.map_chunks(stubborn_chunk, chunks, 2, 1, limits.cap_memory, (2 << 30,), ctx)
        )
    done = {tuple(chunk): result for chunk, result in out}
    assert done[("a",)] == ["a"] and done[("b",)] == ["b"] and done[("c",)] == ["c"]
    assert isinstance(done[("hang",)], TimeoutError)  # only the culprit of its chunk fails
    assert isinstance(done[("die",)], pebble.ProcessExpired)
    assert "timed out" in work_pool.failure_reason(done[("hang",)], 1)
