"""`cantus inspire` / `eval generation` / `bench generate` from the command line."""

from __future__ import annotations

import json

import pytest

from cantus.cli import main
from tests.generator_helpers import DESIGN_FIELDS, write_data_dir
from tests.test_search_cli import use_catalog


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return write_data_dir(tmp_path_factory.mktemp("gen-cli-data"), n=24, train_steps=3)


@pytest.fixture()
def cli_engine(engine, monkeypatch):
    from recommender import engine as engine_mod

    monkeypatch.setattr(
        engine_mod.Engine, "load", classmethod(lambda cls, data_dir=None, config=None: engine)
    )
    use_catalog(monkeypatch, engine.catalog)
    return engine


def test_inspire_json_contract(cli_engine, tmp_path, capsys) -> None:
    ids = ",".join(cli_engine.catalog["id"][:2])
    code = main(
        ["inspire", "--from", ids, "--bars", "3", "-n", "2", "--out", str(tmp_path), "--json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["seeds"]) == 2
    for s in payload["seeds"]:
        assert set(s) >= DESIGN_FIELDS
        assert s["texture"] in ("melody", "melody+bass") and s["voices"]
        assert s["bars"] == 3 and s["conditioned_on"] == ids.split(",")
        assert (tmp_path / f"{s['id']}.mid").is_file()


def test_inspire_for_a_user_reads_favourites_and_records_seeds(
    cli_engine, tmp_path, capsys, monkeypatch
) -> None:
    from db import repo

    saved = []
    favs = list(cli_engine.catalog["id"][3:5])
    monkeypatch.setattr(repo, "list_favourites", lambda user: favs if user == "ana" else [])
    monkeypatch.setattr(repo, "save_seed", lambda *a, **k: saved.append((a, k)) or len(saved))
    assert (
        main(
            ["inspire", "--user", "ana", "--bars", "2", "-n", "2", "--out", str(tmp_path), "--json"]
        )
        == 0
    )
    seeds = json.loads(capsys.readouterr().out)["seeds"]
    assert all(s["conditioned_on"] == favs for s in seeds)
    assert len(saved) == 2
    user, conditioned_on, params, version, midi, musicxml = saved[0][0]
    assert user == "ana" and conditioned_on == favs and version.startswith("generator-")
    assert (
        midi[:4] == b"MThd"
        and "<score-partwise" in musicxml
        and params["seed_id"] == seeds[0]["id"]
    )
    assert main(["inspire", "--user", "bob", "--json"]) == 2
    assert "no favourites" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--bars", "0"],
        ["--bars", "40"],
        ["--key", "H major"],
        ["--meter", "5/7"],
        ["--temperature", "0"],
        ["-n", "0"],
        ["--guidance", "-1"],
        ["--form", "AB", "--bars", "7"],
        ["--form", "AABB", "--bars", "6"],
        ["--form", "AABB", "--bars", "8"],  # 2-bar strains: a dance tune needs 4+
        ["--form", "AB", "--bars", "2"],
        ["--ending", "half"],
        ["--texture", "chords"],
    ],
)
def test_bad_options_exit_2_with_one_line(cli_engine, capsys, argv) -> None:
    code = main(["inspire", "--from", cli_engine.catalog["id"][0], *argv])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("cantus: ") and "\n" not in err


def test_unknown_id_and_missing_motif_exit_2(cli_engine, tmp_path, capsys) -> None:
    assert main(["inspire", "--from", "m21:nope#1"]) == 2
    assert "unknown piece id" in capsys.readouterr().err
    assert main(["inspire", "--motif", str(tmp_path / "absent.mid")]) == 2
    assert "not found" in capsys.readouterr().err
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"\x00garbage")
    assert main(["inspire", "--motif", str(junk)]) == 2


def test_unwritable_out_folder_exits_2(cli_engine, tmp_path, capsys) -> None:
    taken = tmp_path / "a-file"
    taken.write_text("")
    ids = ",".join(cli_engine.catalog["id"][:2])
    assert main(["inspire", "--from", ids, "--bars", "2", "-n", "1", "--out", str(taken)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cantus: cannot write seeds to") and err.count("\n") == 1


def test_sources_are_mutually_exclusive_and_required(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["inspire"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["inspire", "--from", "a", "--motif", "b.mid"])
    assert exc.value.code == 2
    err = capsys.readouterr().err  # usage mistakes are one line, like other bad input
    assert err.count("\n") == 2 and all(line.startswith("cantus: ") for line in err.splitlines())
    assert "see `cantus inspire --help`" in err


@pytest.mark.slow  # a whole evaluation / a Ray build: minutes under load (CI's test-slow)
def test_eval_and_bench_report(engine, monkeypatch) -> None:
    from generator.bench import bench_generate
    from generator.evaluate import evaluate_generation

    report = evaluate_generation(n_requests=2, engine=engine, guidance_variants=())
    for name in (
        "conditioned",
        "shuffled_condition",
        "unconditioned",
        "real_next_neighbours",
        "real_members",
    ):
        assert -1 <= report["fidelity"][name]["mean"] <= 1
    assert report["controls"]["well_formed_rate"] == 1.0
    assert report["controls"]["all"]["bars"] == 1.0 and report["controls"]["all"]["meter"] == 1.0
    assert report["novelty"]["max"] >= 1
    assert 0 <= report["diversity"]["seeds"]["pairwise_1_minus_cos"] <= 2
    colds = iter([(9.0, 4.0), (7.0, 3.0), (8.0, 3.5)])  # fresh processes, faked: (wall, CPU)
    monkeypatch.setattr("generator.bench._cold_inspire", lambda picks, bars: next(colds))
    bench = bench_generate(repeats=2, engine=engine, bars=2, save=False, cold=True)
    assert bench["sample_n1"]["p50_ms"] > 0 and bench["inspire_n4"]["runs"] == 2
    assert bench["sample_n1"]["cpu_p50_ms"] > 0 and bench["inspire_n1"]["cpu_p50_ms"] > 0
    assert bench["cold_inspire_s"] == 8.0 and bench["cold_inspire_cpu_runs_s"] == [4.0, 3.0, 3.5]


def test_inspire_json_with_non_utf8_motif_and_out_is_valid_utf8(cli_engine, tmp_path, capsys):
    import os

    from tests.test_cli_tables import utf8_json_lines
    from tests.test_engine import ABC_TUNE

    motif = os.fsdecode(bytes(tmp_path) + b"/motif\xe9.abc")
    with open(motif, "w") as handle:
        handle.write(ABC_TUNE)
    out = os.fsdecode(bytes(tmp_path) + b"/seeds\xe9")
    argv = ["inspire", "--motif", motif, "--bars", "2", "-n", "1", "--out", out, "--json"]
    assert main(argv) == 0
    (payload,) = utf8_json_lines(capsys.readouterr().out)
    (seed,) = payload["seeds"]
    assert "/seeds\ufffd/" in seed["midi"] and os.path.isfile(
        os.path.join(out, f"{seed['id']}.mid")
    )
