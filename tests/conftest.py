"""Shared test set-up: every test run writes under a throw-away CANTUS_HOME, never ~/.cantus."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Set before any cantus module reads it; individual tests may still monkeypatch their own.
os.environ["CANTUS_HOME"] = tempfile.mkdtemp(prefix="cantus-test-home-")
os.environ.pop("CANTUS_DB_URL", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


import pytest

from tests.postgres import pg_server, pg_url  # noqa: F401 (fixtures for db_url)


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory):
    """A real data dir from `cantus build --profile tiny` (catalog, encoder, embeddings, generator).

    Built once per test session (about a minute on 2 cores) and shared by the integration tests
    of every package.
    """
    from cantus import build

    out = tmp_path_factory.mktemp("tiny-data")
    build.run_build(
        corpus=["music21"],
        out_dir=out,
        jobs=2,
        profile="tiny",
        stages=["catalog", "encoder", "generator"],
    )
    return out


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throw-away CANTUS_HOME without shipped artifacts (user files only)."""
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANTUS_ARTIFACTS", str(tmp_path / "no-artifacts"))
    return tmp_path / "home"


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh SQLite file under a temporary CANTUS_HOME (never the real ~/.cantus)."""
    url = f"sqlite:///{tmp_path / 'cantus.db'}"
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANTUS_DB_URL", url)
    yield url
    from db.session import dispose_engines

    dispose_engines()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each repository test runs on SQLite and on a throw-away PostgreSQL (tests/postgres.py)."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CANTUS_DB_URL", url)
    return url


@pytest.fixture
def db_commands(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A temporary SQLite database with only the db commands registered in the CLI."""
    from cantus import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("db.cli",))  # other areas' bugs are not ours
    return sqlite_url


@pytest.fixture
def catalog_ids(monkeypatch: pytest.MonkeyPatch):
    """Call with piece ids: ``cantus.catalog.load_catalog`` then returns only those ids."""
    import sys
    import types

    import pandas as pd

    def install(ids: list[str]) -> None:
        fake = types.ModuleType("cantus.catalog")
        fake.load_catalog = lambda columns=None, **_: pd.DataFrame({"id": ids})[columns or ["id"]]
        monkeypatch.setitem(sys.modules, "cantus.catalog", fake)

    return install


@pytest.fixture(scope="module")
def corpus_frame():
    """Catalog rows of 16 synthetic generator pieces (tests/generator_helpers.py)."""
    from tests.generator_helpers import catalog_rows, synthetic_corpus

    token_lists, meters, keys = synthetic_corpus(n=16, seed=2)
    return catalog_rows(token_lists, meters, keys)
