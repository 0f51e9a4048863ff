"""Ray for build/ingest (``cantus.distributed``): same rows and error records as the local pool.

One local Ray (2 CPUs) over the committed fixtures, good and corrupt: kept small on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cantus.cli import main
from cantus.distributed import ADDRESS_ENV, ray_address, ray_session, works_runner
from cantus.errors import BadInput

FIXTURES = Path(__file__).parent / "fixtures"


def test_address_comes_from_the_environment_or_the_flag(monkeypatch):
    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    assert ray_address(False) is None
    assert ray_address(True) == ""  # a local Ray
    monkeypatch.setenv(ADDRESS_ENV, "10.1.2.3:6379")
    assert ray_address(False) == "10.1.2.3:6379"


def test_no_session_keeps_the_local_pool():
    with ray_session(None, 2) as info:
        assert info == {} and works_runner() is None


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1", "nonsense"])
def test_an_address_nobody_answers_is_one_line_naming_it(address, monkeypatch):
    pytest.importorskip("ray", reason="Ray tests need the cantus[scale] extra")
    with pytest.raises(BadInput, match=f"{ADDRESS_ENV}={address}") as info, ray_session(address, 2):
        pass
    assert "\n" not in str(info.value)


def test_cli_ingest_with_a_dead_address_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys):
    pytest.importorskip("ray", reason="Ray tests need the cantus[scale] extra")
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path))
    monkeypatch.setenv(ADDRESS_ENV, "127.0.0.1:1")
    assert main(["ingest", str(FIXTURES / "music")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and ADDRESS_ENV in err[0]
    assert not (tmp_path / "user" / "catalog.parquet").exists()


@pytest.mark.slow  # a whole evaluation / a Ray build: minutes under load (CI's test-slow)
def test_build_with_ray_writes_the_pools_catalog_and_error_records(tmp_path, monkeypatch, capsys):
    """`cantus build --ray` (a local Ray, 2 CPUs) over good and corrupt fixtures: the same
    catalog rows (ids, tokens) and error records as the local pool."""
    pytest.importorskip("ray.data", reason="Ray tests need the cantus[scale] extra")
    import json

    import pandas as pd

    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    corpus = [str(FIXTURES / "music"), str(FIXTURES / "corrupt")]
    outputs = {}
    for name, flags in (("pool", []), ("ray", ["--ray"])):
        out = tmp_path / name
        argv = ["build", *flags, "--jobs", "2", "--stages", "catalog", "--corpus", *corpus]
        assert main([*argv, "--out", str(out), "--json"]) == 0
        outputs[name] = (out, json.loads(capsys.readouterr().out))
    (pool_dir, _), (ray_dir, record) = outputs["pool"], outputs["ray"]
    assert record["ray"]["address"] == "local" and record["ray"]["cpus"] == 2
    assert works_runner() is None  # the session ended with the command
    pool_rows = pd.read_parquet(pool_dir / "catalog.parquet", columns=["id", "tokens"])
    ray_rows = pd.read_parquet(ray_dir / "catalog.parquet", columns=["id", "tokens"])
    assert ray_rows["id"].tolist() == pool_rows["id"].tolist() and len(ray_rows) >= 7
    assert [list(t) for t in ray_rows["tokens"]] == [list(t) for t in pool_rows["tokens"]]
    errors = json.loads((ray_dir / "corpus_errors.json").read_text())
    assert errors == json.loads((pool_dir / "corpus_errors.json").read_text())
    assert len(errors) >= 5  # each corrupt file is a record, the build still succeeded


@pytest.mark.slow  # Ray actors each load torch and the encoder: a minute or more on 2 cores
def test_embedding_on_ray_actors_equals_local(monkeypatch):
    import numpy as np

    pytest.importorskip("ray.data", reason="Ray tests need the cantus[scale] extra")
    from cantus.catalog import load_catalog
    from recommender.embed import embed_tokens
    from recommender.encoder import load_encoder

    monkeypatch.delenv(ADDRESS_ENV, raising=False)
    encoder = load_encoder()
    tokens = [list(t) for t in load_catalog(columns=["tokens"])["tokens"].iloc[:40]]
    local, _ = embed_tokens(encoder, tokens, batch_size=8)
    with ray_session("", 2):
        on_ray, _ = embed_tokens(encoder, tokens, batch_size=8)
    np.testing.assert_allclose(on_ray, local, atol=1e-5)  # same rows, same order


def _run(code: str) -> tuple[int, str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


def test_heap_cap_turns_a_runaway_allocation_into_memory_error():
    setup = "from cantus.limits import cap_heap; cap_heap(768 << 20)\n"
    code, out = _run(setup + "b = bytearray(2 << 30)")
    assert code != 0 and "MemoryError" in out
    code, out = _run(setup + "b = bytearray(100 << 20); print('ok')")
    assert code == 0 and "ok" in out


def test_a_ray_worker_caps_its_heap_at_its_share_of_the_node():
    code, out = _run(
        "import os, resource\n"
        "from cantus.distributed import _init_ray_worker\n"
        "from cantus.limits import worker_memory_bytes\n"
        "_init_ray_worker()\n"
        "soft = resource.getrlimit(resource.RLIMIT_DATA)[0]\n"
        "assert soft == worker_memory_bytes(os.cpu_count())\n"
        "print('capped')"
    )
    assert code == 0 and "capped" in out, out
