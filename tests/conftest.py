"""Shared test set-up: every test run writes under a throw-away CANTUS_HOME, never ~/.cantus."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set before any cantus module reads it; individual tests may still monkeypatch their own.
os.environ["CANTUS_HOME"] = tempfile.mkdtemp(prefix="cantus-test-home-")
os.environ.pop("CANTUS_DB_URL", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


import pytest


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
