"""Atomic writes: whole or not at all, unique temporary names, readable by others."""

from __future__ import annotations

import os
import stat
import threading

import numpy as np
import pytest

from cantus.atomic import atomic_path, find_or_write, write_text_atomic
from cantus.errors import MissingArtifact


def test_write_replaces_whole_file(tmp_path):
    target = tmp_path / "sub" / "a.json"
    write_text_atomic(target, "first")
    write_text_atomic(target, "second ✓")
    assert target.read_text(encoding="utf-8") == "second ✓"
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]  # no temporary left


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash mid-write")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_file_mode_follows_the_umask_like_a_plain_open(tmp_path, mask):
    old = os.umask(mask)
    try:
        write_text_atomic(tmp_path / "a.bin", "x")
        (tmp_path / "plain.bin").write_text("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE((tmp_path / "a.bin").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode) == 0o666 & ~mask


def test_a_writer_that_appends_its_own_extension_is_an_error_not_an_empty_file(tmp_path):
    target = tmp_path / "table.npz"
    target.write_bytes(b"old")
    with pytest.raises(ValueError, match="suffix"), atomic_path(target) as tmp:
        np.savez(tmp, rows=np.arange(3))  # writes tmp + ".npz", not tmp
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.npz"]


def test_suffix_keeps_numpy_savez_on_the_temporary_name(tmp_path):
    target = tmp_path / "table.npz"
    with atomic_path(target, suffix=".tmp.npz") as tmp:
        np.savez(tmp, rows=np.arange(3))
    assert np.load(target)["rows"].tolist() == [0, 1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.npz"]


def test_two_threads_never_share_a_temporary(tmp_path):
    target = tmp_path / "a.txt"
    seen: list[str] = []
    barrier = threading.Barrier(2)

    def write(text: str) -> None:
        with atomic_path(target) as tmp:
            seen.append(tmp.name)
            barrier.wait(timeout=10)  # both temporaries exist at once
            tmp.write_text(text)

    threads = [threading.Thread(target=write, args=(t,)) for t in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 2
    assert target.read_text() in {"one", "two"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_find_or_write_reads_the_first_folder_holding_the_files_else_writes_them(tmp_path):
    shared, home = tmp_path / "shared", tmp_path / "home"
    calls = []

    def write(tmps):
        calls.append(len(tmps))
        for tmp in tmps:
            tmp.write_text("new")

    names = ("a.json", "b.json")
    assert find_or_write(names, (shared, home), home, write, "demo") == [home / n for n in names]
    assert calls == [2] and (home / "b.json").read_text() == "new"
    for n in names:
        write_text_atomic(shared / n, "shared")
    assert find_or_write(names, (shared, home), home, write, "demo") == [shared / n for n in names]
    assert calls == [2], "found files are not written again"


def test_find_or_write_into_an_unwritable_folder_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(MissingArtifact, match=r"cannot write the demo cache to .*file"):
        find_or_write(("a.json",), (), blocker / "cache", lambda tmps: None, "the demo cache")
