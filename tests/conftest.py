"""Shared test set-up: every test run writes under a throw-away CANTUS_HOME, never ~/.cantus."""

from __future__ import annotations

import os
import tempfile

# Set before any cantus module reads it; individual tests may still monkeypatch their own.
os.environ["CANTUS_HOME"] = tempfile.mkdtemp(prefix="cantus-test-home-")
os.environ.pop("CANTUS_DB_URL", None)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
