"""The README's set-up commands (issue 13, item 9): `make run PORT=...`, the torch index."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _dry_run(*args: str, tmp_path: Path) -> str:
    """What `make` would run, against a venv that does not exist yet (nothing is executed)."""
    cmd = ["make", "-n", "-C", str(ROOT), f"VENV={tmp_path / 'venv'}", *args]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def test_make_run_takes_a_port(tmp_path) -> None:
    assert "cantus dashboard --server.port 8502" in _dry_run("run", "PORT=8502", tmp_path=tmp_path)
    assert "cantus dashboard --server.port 8501" in _dry_run("run", tmp_path=tmp_path)


def test_torch_stays_pinned_and_its_index_can_be_named(tmp_path) -> None:
    plain = [
        line for line in _dry_run("install", tmp_path=tmp_path).splitlines() if "torch" in line
    ]
    assert any("torch==2.13.0" in line and "--index-url" not in line for line in plain)
    index = "https://download.pytorch.org/whl/cpu"
    named = _dry_run("install", f"TORCH_INDEX={index}", tmp_path=tmp_path)
    assert f"--index-url {index} torch==2.13.0" in named
