"""What ``cantus dashboard`` serves: the app in ``app.py`` plus a start-up warm-up.

``streamlit run dashboard/server.py`` runs ``app.py`` unchanged through ``st.App``, whose
lifespan hook starts loading the engine and migrating the database in a background thread as
soon as the server starts. The first visitor then waits only for what is left of the load
(often nothing) instead of all of it; the UI never blocks on the warm-up, and
``streamlit run dashboard/app.py`` still works, loading lazily on the first page view.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

# `streamlit run dashboard/server.py` puts only dashboard/ on sys.path; the packages live one up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    # Imported here, after the runtime started, so the caches are the ones sessions use.
    from dashboard import services

    threading.Thread(target=services.warm_up, name="cantus-warm-up", daemon=True).start()
    yield


app = st.App(Path(__file__).with_name("app.py"), lifespan=lifespan)
