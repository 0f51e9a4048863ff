"""CLI tables people can copy from: literal text, whole ids, one key spelling (issue 13)."""

from __future__ import annotations

import json
import re

import pytest

import recommender.cli as search_cli
from cantus.cli import main
from cantus.output import Column, printable, table
from tests.test_engine import make_engine
from tests.test_search_cli import use_catalog

# Titles and queries an audit fed the tables: rich markup, links, ESC sequences, bidi overrides.
HOSTILE = [
    "[/x] waltz",
    "[/bold] x",
    "[link=https://evil.example]click[/link]",
    "[bold red]loud[/]",
    "\x1b[2J\x1b[31mred\x1b[0m",
    "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07",
    "abc\u202edcba",
    "tab\there\nnewline",
]
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]")


@pytest.fixture
def hostile_engine(monkeypatch):
    eng = make_engine()
    titles = [HOSTILE[i % len(HOSTILE)] for i in range(len(eng.catalog))]
    eng.catalog["title"] = titles
    eng._shown.clear()
    monkeypatch.setattr(search_cli, "load_engine", lambda: eng)
    use_catalog(monkeypatch, eng.catalog)
    return eng


def test_printable_escapes_control_characters_only() -> None:
    assert printable("\x1b[31mred") == "\\x1b[31mred"
    assert printable("a\u202eb") == "a\\u202eb"
    assert printable("[bold]x[/bold] Ré ♯") == "[bold]x[/bold] Ré ♯"
    assert printable("a\nb\tc", keep_newlines=True) == "a\nb\tc"


@pytest.mark.parametrize("text", HOSTILE)
def test_table_prints_cells_and_title_literally(text) -> None:
    out = table([Column("title", wrap=True), Column("id")], [[text, "m21:x.abc#1"]], title=text)
    assert not RAW_CONTROL.search(out)
    shown = printable(text).replace("\n", " ")
    flat = " ".join(out.split())
    assert " ".join(shown.split()) in flat  # title line
    assert flat.count(" ".join(shown.split())) >= 1


@pytest.mark.parametrize("width", [60, 80, 100, 140])
def test_ids_are_never_cut_and_lines_fit(width) -> None:
    ids = ["m21:oneills1850/0351-0400.abc#355", "m21:trecento/PMFC_06_Giovanni-09_Nascoso.xml#"]
    columns = [
        Column("#", "right"),
        Column("title", wrap=True),
        Column("key", drop=2),
        Column("why", drop=5),
        Column("id"),
    ]
    rows = [
        [i, "A rather long title of a tune", "E-flat major", "3/4, slow air (Irish)", pid]
        for i, pid in enumerate(ids, 1)
    ]
    out = table(columns, rows, width=width)
    for pid in ids:
        assert pid in out
    if width >= 80:  # 60 is narrower than "#", a title and the longest id together
        assert max(len(line) for line in out.splitlines()) <= width
    if width <= 80:
        assert "slow air" not in out  # `why` is dropped whole, never half-shown


def test_search_and_similar_tables_survive_hostile_titles_and_queries(
    hostile_engine, capsys, monkeypatch
):
    for query in HOSTILE[:4]:
        assert main(["search", query, "-k", "5"]) == 0
        out = capsys.readouterr().out
        assert query in out and not RAW_CONTROL.search(out)
    pid = str(hostile_engine.catalog["id"].iloc[0])
    assert main(["similar", pid, "-k", "8", "--json"]) == 0
    titles = [r["title"] for r in json.loads(capsys.readouterr().out)["results"]]
    monkeypatch.setenv("COLUMNS", "300")  # no wrapping: each title on one line
    assert main(["similar", pid, "-k", "8"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out)
    for title in titles:
        assert printable(title).replace("\n", " ") in out


def test_recommend_table_has_ids_in_rank_order_and_literal_titles(
    hostile_engine, capsys, monkeypatch
):
    import recommender.cli_recommend as cli_recommend
    from db import repo

    monkeypatch.setattr(cli_recommend, "load_engine", lambda: hostile_engine)
    ids = list(hostile_engine.catalog["id"][:2])
    for pid in ids:
        repo.add_favourite("hostile", pid)
    assert main(["recommend", "--user", "hostile", "-k", "5", "--json"]) == 0
    ranked = [r["id"] for r in json.loads(capsys.readouterr().out)["results"]]
    assert main(["recommend", "--user", "hostile", "-k", "5"]) == 0
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out)
    positions = [out.index(pid) for pid in ranked]
    assert positions == sorted(positions)  # the table lists the ranking, ids whole


def test_key_column_spells_keys_like_why(capsys, monkeypatch) -> None:
    eng = make_engine()
    eng.catalog["key"] = "E- major"
    eng._describe = None  # the real `why` (cantus.caption_evidence.describe)
    eng._shown.clear()
    monkeypatch.setattr(search_cli, "load_engine", lambda: eng)
    use_catalog(monkeypatch, eng.catalog)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["search", "waltz", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert "E-flat major" in out and "E- major" not in out


@pytest.mark.parametrize("spelling", ["E-flat major", "Eb major", "E♭ major", "E- major"])
def test_a_key_filter_takes_the_spelling_tables_print(spelling, capsys, monkeypatch) -> None:
    eng = make_engine()
    eng.catalog["key"] = ["E- major", "A minor"] * (len(eng.catalog) // 2)
    monkeypatch.setattr(search_cli, "load_engine", lambda: eng)
    use_catalog(monkeypatch, eng.catalog)
    assert main(["search", "waltz", "-k", "3", "--filter", f"key={spelling}", "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results and all(r["key"] == "E- major" for r in results)


def utf8_json_lines(out: str) -> list[dict]:
    """``--json`` output as a strict UTF-8 reader sees it: every line encodable, one object."""
    out.encode("utf-8")  # strict: a lone surrogate (a non-UTF-8 file name) raises here
    return [json.loads(line) for line in out.splitlines()]


def test_json_and_tables_carry_non_utf8_names_as_replacement_characters(capsys) -> None:
    import os

    from cantus.output import emit

    name = os.fsdecode(b"/music/caf\xe9.abc")  # what argv holds for a Latin-1 file name
    emit({"query": name, "results": []}, as_json=True)
    (line,) = utf8_json_lines(capsys.readouterr().out)
    assert line["query"] == "/music/caf\ufffd.abc"
    emit({"query": name}, as_json=False, text=f"query: {name}")
    assert capsys.readouterr().out == "query: /music/caf\ufffd.abc\n"
    shown = table([Column("file")], [[name]], title=name)
    assert "\udce9" not in shown and shown.count("caf\ufffd.abc") == 2
