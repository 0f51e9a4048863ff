"""``cantus search`` / ``cantus similar`` / ``cantus bench search`` through ``cantus.cli.main``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import recommender.cli as search_cli
from cantus.cli import main
from recommender.engine import HIT_FIELDS
from tests.test_engine import ABC_TUNE, make_engine

FIXTURES = Path(__file__).parent / "fixtures"

RESULT_TYPES = {name: str for name in HIT_FIELDS} | {"score": float}


@pytest.fixture
def engine(monkeypatch):
    eng = make_engine()
    monkeypatch.setattr(search_cli, "load_engine", lambda: eng)
    use_catalog(monkeypatch, eng.catalog)
    return eng


def use_catalog(monkeypatch, catalog) -> None:
    """The checks made before the engine loads read this catalog (not the shipped one)."""
    from cantus import precheck

    monkeypatch.setattr(
        precheck, "catalog_columns", lambda *names: {n: list(catalog[n]) for n in names}
    )


@pytest.fixture
def no_engine(monkeypatch):
    """Bad input must be refused before the (slow) engine loads."""

    def refuse():
        raise AssertionError("engine loaded for bad input")

    monkeypatch.setattr(search_cli, "load_engine", refuse)


def _lines(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def _check_shape(obj: dict, query: str, k: int, off: tuple[str, ...] = ()) -> None:
    """The DESIGN.md shape; ``off`` = the channels ``channels_off`` must name (else absent)."""
    assert list(obj) == ["query", "results", *(["channels_off"] if off else [])]
    assert obj["query"] == query and tuple(obj.get("channels_off", {})) == off
    assert len(obj["results"]) == k
    for row in obj["results"]:
        assert list(row) == list(HIT_FIELDS)
        assert all(isinstance(row[name], kind) for name, kind in RESULT_TYPES.items())


def test_search_json_shape_one_line_per_query(engine, capsys):
    assert main(["search", "melancholy waltz", "happy march", "-k", "3", "--json"]) == 0
    first, second = _lines(capsys)
    _check_shape(first, "melancholy waltz", 3)
    _check_shape(second, "happy march", 3)
    assert all(r["meter"] == "3/4" for r in first["results"])


def test_search_reads_queries_from_stdin(engine, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("sad waltz\n\n   \nbright reel\n"))
    assert main(["search", "-", "--json", "-k", "2"]) == 0
    assert [obj["query"] for obj in _lines(capsys)] == ["sad waltz", "bright reel"]


def test_search_filters(engine, capsys):
    argv = ["search", "happy march", "--filter", "meter=3/4", "--filter", "mode=minor", "--json"]
    assert main(argv) == 0
    (obj,) = _lines(capsys)
    assert len(obj["results"]) == 10
    assert all(r["meter"] == "3/4" and r["key"].endswith("minor") for r in obj["results"])


def test_search_table_for_people(engine, capsys):
    assert main(["search", "melancholy waltz", "-k", "2"]) == 0
    out = capsys.readouterr().out
    hit = engine.search("melancholy waltz", k=1)[0]
    assert "melancholy waltz" in out and hit.title in out and hit.id in out
    assert not out.lstrip().startswith("{")


def test_json_says_when_a_channel_is_off(monkeypatch, capsys, caplog):
    """A music-only engine ranks search without the caption channel: --json says so and a
    warning names it, instead of a quietly different ranking."""
    with caplog.at_level("WARNING"):
        eng = make_engine(hybrid=False)
    monkeypatch.setattr(search_cli, "load_engine", lambda: eng)
    use_catalog(monkeypatch, eng.catalog)
    assert main(["search", "waltz", "-k", "2", "--json"]) == 0
    (obj,) = _lines(capsys)
    _check_shape(obj, "waltz", 2, off=("caption",))
    assert "caption vectors" in obj["channels_off"]["caption"]
    assert "caption channel off (search runs without it)" in caplog.text


def test_similar_by_id_and_file(engine, capsys, tmp_path):
    pid = engine.catalog["id"].iloc[0]
    path = tmp_path / "tune.abc"
    path.write_text(ABC_TUNE)
    assert main(["similar", pid, str(path), "-k", "4", "--json"]) == 0
    by_id, by_file = _lines(capsys)
    _check_shape(by_id, pid, 4, off=("melody",))  # this engine has no music tokens
    _check_shape(by_file, str(path), 4, off=("melody",))
    assert pid not in {r["id"] for r in by_id["results"]}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "   "], "empty"),
        (["search", "waltz " * 300], "the limit is 1000"),
        (["search", "waltz \udcdd\udcfe"], "not valid UTF-8"),  # undecodable stdin bytes
        (["search", "waltz", "-k", "0"], "k must be"),
        (["search", "waltz", "-k", "100000"], "k must be"),
        (["search", "waltz", "--filter", "tempo=fast"], "valid fields: meter, mode"),
        (["search", "waltz", "--filter", "meter"], "FIELD=VALUE"),
        (["similar", "m21:x.abc#1", "-k", "-3"], "k must be"),
    ],
)
def test_bad_input_exits_2_before_loading(no_engine, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cantus: ") and message in err and err.count("\n") == 1


def test_blank_stdin_is_bad_input(no_engine, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("\n  \n"))
    assert main(["search", "-"]) == 2
    assert "stdin" in capsys.readouterr().err


@pytest.mark.parametrize("content", [None, b"\x00\xffnot music at all"])
def test_similar_unknown_id_or_garbage_file_exits_2(engine, capsys, tmp_path, content):
    target = "m21:nope.abc#1"
    if content is not None:
        target = str(tmp_path / "garbage.mid")
        (tmp_path / "garbage.mid").write_bytes(content)
    assert main(["similar", target, "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cantus: ") and target in err


def test_similar_json_echoes_a_non_utf8_file_name_as_valid_utf8(engine, capsys, tmp_path):
    import os

    from tests.test_cli_tables import utf8_json_lines

    path = Path(os.fsdecode(bytes(tmp_path) + b"/caf\xe9.abc"))  # not UTF-8: a Latin-1 name
    path.write_text(ABC_TUNE)
    assert main(["similar", str(path), "-k", "2", "--json"]) == 0
    (obj,) = utf8_json_lines(capsys.readouterr().out)
    assert obj["query"] == f"{tmp_path}/caf\ufffd.abc" and len(obj["results"]) == 2
    assert main(["similar", str(path), "-k", "2"]) == 0  # the table too
    capsys.readouterr().out.encode("utf-8")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("cut.mxl", (FIXTURES / "music" / "packed_tune.mxl").read_bytes()[:600], "corrupt .mxl"),
        ("empty.musicxml", b"", "empty file"),
        ("bomb.musicxml", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>',
         "entities"),
        ("deep.musicxml", b"<a>" * 5000 + b"</a>" * 5000, "nested deeper"),
    ],
)  # fmt: skip
def test_similar_file_gets_the_ingest_checks(engine, capsys, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["similar", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cantus: could not read music from {path}: ") and reason in err


def test_similar_on_a_folder_says_so(engine, capsys, tmp_path):
    assert main(["similar", str(tmp_path)]) == 2
    assert f"cantus: {tmp_path} is a folder; give one music file" in capsys.readouterr().err


def test_filter_value_unknown_exits_2(engine, capsys):
    assert main(["search", "waltz", "--filter", "meter=5/4"]) == 2
    assert "no piece has meter=5/4" in capsys.readouterr().err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "search" in out and "similar" in out


def test_bench_search_small_faiss_run(capsys, tmp_path, monkeypatch):
    argv = ["bench", "search", "--n", "3000", "--dim", "32", "--skip-engine", "--json"]
    assert main(argv) == 0
    (report,) = _lines(capsys)
    faiss_part = report["faiss"]
    assert {"Flat", "HNSW32"} <= set(faiss_part) and any(k.startswith("IVF") for k in faiss_part)
    for name, row in faiss_part.items():
        if isinstance(row, dict):
            assert row["recall_at_10"] >= (1.0 if name == "Flat" else 0.9), name
            assert row["n_indexed"] == 3000 and row["batch_qps"] > 0 and row["index_bytes"] > 0
    saved = json.loads(Path(report["saved_to"]).read_text())
    assert saved["config"]["n"] == 3000 and "engine" not in saved
