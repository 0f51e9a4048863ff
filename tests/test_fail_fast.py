"""Bad input is refused before any model loads (issue 13, item 10): one line, exit 2."""

from __future__ import annotations

import os

import pytest

import recommender.cli as search_cli
from cantus.cli import main
from tests.test_engine import make_engine
from tests.test_search_cli import use_catalog


@pytest.fixture
def catalog_only(monkeypatch):
    """The checks see a catalog; loading the engine or the generator fails the test."""
    eng = make_engine()
    use_catalog(monkeypatch, eng.catalog)

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded for bad input")

    monkeypatch.setattr(search_cli, "load_engine", refuse)
    from recommender import engine as engine_mod

    monkeypatch.setattr(engine_mod.Engine, "load", classmethod(refuse))
    return eng


def _one_line(capsys, needle: str) -> None:
    err = capsys.readouterr().err
    assert err.startswith("cantus: ") and err.count("\n") == 1 and needle in err, err


def test_similar_refuses_unknown_ids_and_unusable_files(catalog_only, capsys, tmp_path):
    assert main(["similar", "m21:nope.abc#1"]) == 2
    _one_line(capsys, "unknown piece id 'm21:nope.abc#1'")
    assert main(["similar", "no-such-thing"]) == 2
    _one_line(capsys, "not a piece id or a readable file")
    assert main(["similar", str(tmp_path)]) == 2
    _one_line(capsys, "is a folder")
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert main(["similar", str(notes)]) == 2
    _one_line(capsys, "unsupported file type '.txt'")
    empty = tmp_path / "empty.abc"
    empty.write_bytes(b"")
    assert main(["similar", str(empty)]) == 2
    _one_line(capsys, "empty file")


def test_similar_refuses_fifos_and_devices_without_reading(catalog_only, capsys, tmp_path):
    fifo = tmp_path / "pipe.mid"
    os.mkfifo(fifo)  # reading it would block forever
    assert main(["similar", str(fifo)]) == 2
    _one_line(capsys, "not a regular file")
    zero = tmp_path / "zero.mid"
    zero.symlink_to("/dev/zero")  # reading it would never end
    assert main(["similar", str(zero)]) == 2
    _one_line(capsys, "not a regular file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_similar_refuses_unreadable_files(catalog_only, capsys, tmp_path):
    locked = tmp_path / "locked.abc"
    locked.write_text("X:1\nK:C\nCDEF|\n")
    locked.chmod(0)
    assert main(["similar", str(locked)]) == 2
    _one_line(capsys, "permission denied")


def test_search_refuses_filters_no_piece_matches(catalog_only, capsys):
    assert main(["search", "waltz", "--filter", "collection=nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no piece has collection=nowhere" in err and err.count("\n") == 1
    known = sorted(set(catalog_only.catalog["collection"]))
    assert all(name in err for name in known)  # listed as the catalog spells them


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--from", "m21:nope.abc#1"], "unknown piece id"),
        (["--from", "ID0", "--meter", "11/7"], "unsupported meter '11/7'"),
        (["--from", "ID0", "--key", "H major"], "unknown key"),
        (["--from", "ID0", "--bars", "99"], "--bars must be"),
        (["--motif", "missing.mid"], "motif file not found"),
        (["--motif", "."], "is a folder"),
    ],
)
def test_inspire_checks_options_before_loading(catalog_only, capsys, argv, needle):
    pid = str(catalog_only.catalog["id"].iloc[0])
    argv = [pid if a == "ID0" else a for a in argv]
    assert main(["inspire", *argv]) == 2
    _one_line(capsys, needle)


def test_fail_fast_checks_import_no_torch():
    import subprocess
    import sys

    code = (
        "import sys, cantus.precheck, generator.checks, recommender.cli, generator.cli; "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_engine_lists_filter_values_as_the_catalog_spells_them() -> None:
    from cantus.errors import BadInput

    engine = make_engine()
    engine.catalog["collection"] = ["ryansMammoth", "airdsAirs"] * (len(engine.catalog) // 2)
    with pytest.raises(BadInput, match="values in the catalog: airdsAirs, ryansMammoth"):
        engine.filter_mask({"collection": "nowhere"})


def test_prechecks_match_any_part_of_list_fields(monkeypatch) -> None:
    from cantus import precheck
    from cantus.errors import BadInput
    from recommender.checks import LIST_FIELDS

    columns = {"region": ["China, Shaanxi, Zizhou", "Scotland", None]}
    monkeypatch.setattr(precheck, "catalog_columns", lambda *names: columns)
    precheck.check_filter_values({"region": ["shaanxi"]}, LIST_FIELDS)  # one part is enough
    with pytest.raises(BadInput, match="values in the catalog: China, Scotland, Shaanxi, Zizhou"):
        precheck.check_filter_values({"region": ["Atlantis"]}, LIST_FIELDS)


def test_error_lines_escape_control_characters(catalog_only, capsys, tmp_path):
    hostile = tmp_path / "\x1b[2Jclear.txt"
    hostile.write_text("x")
    assert main(["similar", str(hostile)]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[2Jclear.txt" in err and err.count("\n") == 1


def test_prechecks_read_an_old_user_catalog_without_new_columns(tmp_path, monkeypatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cantus import config, precheck

    home = tmp_path / "home"
    monkeypatch.setenv("CANTUS_HOME", str(home))
    pq.write_table(
        pa.table({"id": ["file:abc#0"], "meter": ["3/4"]}), config.user_dir() / "catalog.parquet"
    )
    columns = precheck.catalog_columns("id", "genre")
    assert "file:abc#0" in columns["id"] and columns["genre"][-1] is None
    assert "file:abc#0" in precheck.known_ids()


def test_inspire_takes_the_key_spelling_tables_print(catalog_only, monkeypatch) -> None:
    import argparse

    from generator import cli as generator_cli

    args = argparse.Namespace(
        bars=8,
        n=1,
        temperature=1.0,
        top_p=0.95,
        guidance=None,
        key="E-flat major",
        meter=None,
        motif=None,
        user=None,
        from_ids=str(catalog_only.catalog["id"].iloc[0]),
    )
    generator_cli._precheck(args)
    assert args.key == "E- major"
