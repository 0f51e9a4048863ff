"""The ONNX graph cache: two threads of one process exporting the same graph at once each
write their own temporary file, and the file kept is one whole export (R6: they shared one)."""

from __future__ import annotations

import threading
import time

from cantus.onnx_graphs import find_or_export, graph_file_name


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
    new = graph_file_name("seed-start", "v1", "b" * 64, "{}")
    new_step = graph_file_name("seed-step", "v1", "b" * 64, "{}")
    find_or_export((new, new_step), (), tmp_path, export, "decoder")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([new, new_step, tower])
