"""The ONNX graph cache: two threads of one process exporting the same graph at once each
write their own temporary file, and the file kept is one whole export (R6: they shared one)."""

from __future__ import annotations

import os
import threading
import time

from cantus.onnx_graphs import GRAPH_KEEP_S, find_or_export, graph_file_name


def test_two_threads_exporting_at_once_keep_one_whole_file(tmp_path) -> None:
    name = graph_file_name("demo", "v1", "a" * 64, "{}")
    results: dict[int, object] = {}

    def export(tmps):
        for tag in (b"A" * 4096, b"B" * 4096):  # written in two parts, slowly
            with tmps[0].open("ab") as f:
                f.write(tag)
            time.sleep(0.05)

    def run(i: int) -> None:
        try:
            results[i] = find_or_export((name,), (), tmp_path, export, "demo graph")
        except Exception as exc:  # collected: a failure must fail the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(isinstance(r, list) for r in results.values()), results
    assert (tmp_path / name).read_bytes() == b"A" * 4096 + b"B" * 4096
    assert [p.name for p in tmp_path.iterdir()] == [name], "no temporary file is left"


def test_the_file_name_changes_with_weights_config_and_format() -> None:
    base = graph_file_name("k", "v1", "a" * 64, '{"n_heads": 4}')
    assert base != graph_file_name("k", "v1", "b" * 64, '{"n_heads": 4}')
    assert base != graph_file_name("k", "v1", "a" * 64, '{"n_heads": 8}')
    assert base != graph_file_name("k", "v2", "a" * 64, '{"n_heads": 4}')


def test_an_export_prunes_older_graphs_of_its_kind_only(tmp_path) -> None:
    def export(tmps):
        for tmp in tmps:
            tmp.write_bytes(b"graph")

    old_start = graph_file_name("seed-start", "v1", "a" * 64, "{}")
    old_step = graph_file_name("seed-step", "v1", "a" * 64, "{}")
    tower = graph_file_name("music-tower", "v1", "a" * 64, "{}")
    find_or_export((old_start, old_step), (), tmp_path, export, "decoder")
    find_or_export((tower,), (), tmp_path, export, "tower")
    old = time.time() - 2 * GRAPH_KEEP_S  # unused for longer than the cache keeps graphs
    for name in (old_start, old_step, tower):
        os.utime(tmp_path / name, (old, old))
    new = graph_file_name("seed-start", "v1", "b" * 64, "{}")
    new_step = graph_file_name("seed-step", "v1", "b" * 64, "{}")
    find_or_export((new, new_step), (), tmp_path, export, "decoder")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new, new_step, tower])


def test_a_graph_loaded_within_the_keep_time_is_never_pruned(tmp_path) -> None:
    def export(tmps):
        for tmp in tmps:
            tmp.write_bytes(b"graph")

    a = graph_file_name("seed-start", "v1", "a" * 64, "{}")
    b = graph_file_name("seed-start", "v1", "b" * 64, "{}")
    c = graph_file_name("seed-start", "v1", "c" * 64, "{}")
    find_or_export((a,), (), tmp_path, export, "model a")
    find_or_export((b,), (), tmp_path, export, "model b")
    old = time.time() - 2 * GRAPH_KEEP_S
    for name in (a, b):
        os.utime(tmp_path / name, (old, old))
    find_or_export((a,), (tmp_path,), tmp_path, export, "model a")  # loaded again: marked used
    find_or_export((c,), (), tmp_path, export, "model c")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([a, c])  # b unused, pruned
