"""Everything the pages share: cached resources, locked engine calls, history, scores, audio.

Pages call only these functions (and ``dashboard.widgets`` for repeated UI bits), so caching,
locking and error wording live in one place:

- the engine (catalog, embeddings, encoders, index) and the database are loaded once per
  process behind ``st.cache_resource``, and lazily: the first page draws before either loads;
- engine calls share one ``threading.Lock``, because Streamlit serves every browser tab from
  its own thread and the encoders' torch modules and query cache are not re-entrant;
- results are cached per query and piece with ``st.cache_data``.

Scores and audio live in ``dashboard.scores``, uploads and seeds in ``dashboard.seeding``, the
map's projection in ``dashboard.map_data``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from cantus import config
from cantus.errors import BadInput, CantusError
from dashboard.text import md

log = logging.getLogger(__name__)


def _log_to_console() -> None:
    """The dashboard is an app, not a library: its timings and failures go to the server log."""
    root = logging.getLogger("dashboard")
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)


_log_to_console()

T = TypeVar("T")

K_RESULTS = 10
# the Search page's filters; genre and region list every part of their values, lyrics is yes/no
FILTER_FIELDS = ("collection", "genre", "region", "meter", "mode", "key", "lyrics")
BY_COUNT_FIELDS = frozenset({"key", "genre", "region"})  # most common first, not alphabetical


# ------------------------------------------------------------------------------- resources


def engine() -> Any:
    """The recommender engine over ``cantus.config.data_dir()`` plus the user's pieces.

    Loaded once per process, and again after ``cantus build`` or ``cantus ingest`` changed
    the files it reads (then every cached result is dropped too).
    """
    stamp = data_stamp()
    if _LAST_STAMP and _LAST_STAMP[-1] != stamp:
        st.cache_data.clear()  # results, scores and maps of the old catalog
        _ENGINE_READY.clear()
    _LAST_STAMP[:] = [stamp]
    return _engine(stamp)


_LAST_STAMP: list[tuple] = []  # the data stamp of the engine in use


def data_stamp() -> tuple:
    """(path, mtime) of the files the engine reads: changes when a build or ingest rewrote them."""
    files = [config.data_dir() / name for name in ("catalog.parquet", "embeddings.npy")]
    files.append(config.user_dir() / "catalog.parquet")
    return tuple((str(f), f.stat().st_mtime_ns if f.is_file() else 0) for f in files)


@st.cache_resource(show_spinner=False, max_entries=1)
def _engine(stamp: tuple) -> Any:
    from recommender.engine import Engine

    del stamp  # only the cache key
    started = time.perf_counter()
    loaded = Engine.load()
    log.info("engine ready in %.2f s", time.perf_counter() - started)
    return loaded


@st.cache_resource(show_spinner=False)
def _engine_lock() -> threading.Lock:
    return threading.Lock()


_ENGINE_READY = threading.Event()  # set once the engine is loaded in this process


def ensure_engine() -> None:
    """Load the engine with a spinner; pages call this before any cached query."""
    if not _ENGINE_READY.is_set():
        with st.spinner("Loading the music engine (first time only)…"):
            engine()
        _ENGINE_READY.set()


def with_engine(work: Callable[[Any], T]) -> T:
    """Run ``work(engine)`` under the engine lock (loading the engine on first use)."""
    loaded = engine()
    _ENGINE_READY.set()
    with _engine_lock():
        return work(loaded)


def warm_up() -> None:
    """Load the engine and migrate the database ahead of the first visitor (server start-up).

    Failures are only logged: the first page that needs the engine reports them properly.
    """
    started = time.perf_counter()
    try:
        database()
        loaded = engine()
        _ENGINE_READY.set()
        with _engine_lock():
            loaded.search("warm up", k=1)  # loads the query encoder, facet rows and BM25 index
        loaded.melody_index()  # what "more like this" ranks with (built once, then cached)
    except Exception:
        log.warning("warm-up failed; the first page will retry", exc_info=True)
        return
    log.info("warm-up done in %.1f s", time.perf_counter() - started)


@st.cache_resource(show_spinner=False)
def database() -> bool:
    """Migrate the user database to head once per process (``db.session.get_engine``)."""
    from db.session import get_engine

    get_engine()
    return True


def repo() -> Any:
    """``db.repo``, with the database migrated."""
    import db.repo

    database()
    return db.repo


# ------------------------------------------------------------------------------- errors


@contextlib.contextmanager
def friendly_errors(what: str = "this page") -> Iterator[None]:
    """Turn failures into one ``st.error`` line; the session goes on (no traceback shown).

    Streamlit's own control flow (``st.stop``, ``st.rerun``, ``st.switch_page``) raises
    ``BaseException`` subclasses and passes through untouched.
    """
    try:
        yield
    except CantusError as exc:  # messages quote ids, names and files: shown literally
        st.error(md(str(exc)), icon=":material/error:")
    except Exception as exc:
        log.exception("dashboard failure in %s", what)
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        st.error(
            md(f"Sorry, {what} failed: {type(exc).__name__}: {first_line}"),
            icon=":material/error:",
        )


# ------------------------------------------------------------------------------- queries


def filters_of(values: dict[str, str]) -> dict[str, str]:
    """The non-empty filters, in a fixed order (stable cache keys and history rows)."""
    return {name: values[name] for name in FILTER_FIELDS if values.get(name)}


@st.cache_data(show_spinner=False, max_entries=512)
def search(query: str, filters: tuple[tuple[str, str], ...] = (), k: int = K_RESULTS) -> list[dict]:
    """Search hits as dicts (``Hit.to_dict``); ``filters`` as sorted (field, value) pairs."""
    hits = with_engine(lambda e: e.search(query, k=k, filters=dict(filters) or None))
    return [hit.to_dict() for hit in hits]


def weak_match(hits: list[dict]) -> bool:
    """Whether even the best hit matches the query poorly (``SearchConfig.weak_match``)."""
    return bool(hits) and hits[0]["score"] < engine().config.weak_match  # no lock: a read


def channel_off(channel: str) -> str | None:
    """Why the engine cannot use ``channel`` (``caption`` for search, ``melody`` for similar),
    or None when it can; pages say so, as the CLI's ``channels_off`` does."""
    return engine().channels_off().get(channel)  # no lock: reads what the engine was built with


@st.cache_data(show_spinner=False, max_entries=512)
def similar(piece_id: str, k: int = K_RESULTS) -> list[dict]:
    return [hit.to_dict() for hit in with_engine(lambda e: e.similar(piece_id, k=k))]


@st.cache_data(show_spinner=False, max_entries=4096)
def piece(piece_id: str) -> dict:
    """All catalog columns of one piece; BadInput if unknown."""
    return with_engine(lambda e: e.piece(piece_id))


def known_piece(piece_id: str) -> bool:
    return piece_id in engine()  # no lock: a read of the id map


@st.cache_data(show_spinner=False)
def filter_options() -> dict[str, list[str]]:
    """The values each Search filter can take, from the catalog (most common first for keys)."""
    return with_engine(lambda e: {name: options(e.catalog, name) for name in FILTER_FIELDS})


def options(frame: Any, name: str) -> list[str]:
    """One filter's choices in ``frame``: its values, or yes/no for a presence field (lyrics:
    their texts are no choices) when any piece has one."""
    from recommender.checks import LIST_FIELDS, PRESENCE_FIELDS, PRESENCE_VALUES

    if name not in frame:
        return []
    column = frame[name].fillna("").astype(str)
    if name in PRESENCE_FIELDS:
        return list(PRESENCE_VALUES) if column.str.strip().ne("").any() else []
    if name in LIST_FIELDS:  # "China, Shaanxi" offers China and Shaanxi
        column = column.str.split(", ").explode().str.strip()
    known = [v for v in column.value_counts().index if v]
    return known if name in BY_COUNT_FIELDS else sorted(known)


@st.cache_data(show_spinner=False)
def titles() -> dict[str, str]:
    """piece id -> "title — collection" for pickers."""

    def label(row: Any) -> str:
        return f"{row.title or row.id} — {row.collection}"

    return with_engine(lambda e: {str(r.id): label(r) for r in e.catalog.itertuples(index=False)})


# ------------------------------------------------------------------------------- people


def current_user() -> str | None:
    """The name picked in the sidebar, or None (then nothing is recorded)."""
    name = st.session_state.get("user")
    return name if isinstance(name, str) and name.strip() else None


@st.cache_data(show_spinner=False, ttl=5)
def user_names() -> list[str]:
    """Names for the sidebar picker (cached for a few seconds: it runs on every rerun)."""
    return [row.name for row in repo().list_users()]


def erase_user(name: str) -> dict[str, Any]:
    """Delete a person's history, seed files and uploads (``db.erase.erase_user``)."""
    from db.erase import erase_user as erase

    database()
    counts = erase(name)
    user_names.clear()
    return counts


def record(kind: str, piece_id: str, value: float | None = None) -> None:
    """Log an interaction for the current user (silently nothing when nobody is picked)."""
    user = current_user()
    if user:
        repo().record_interaction(user, piece_id, kind, value)


def record_once(kind: str, piece_id: str) -> None:
    """Like ``record`` but once per session and piece (reruns must not inflate "open")."""
    marker = ("_recorded", current_user(), kind, piece_id)
    if current_user() and marker not in st.session_state.setdefault("_recorded", set()):
        record(kind, piece_id)
        st.session_state["_recorded"].add(marker)


def record_search_once(query: str, filters: dict[str, str], ids: list[str]) -> None:
    """Log a search once per sitting; changing only its filters refines the same entry."""
    user = current_user()
    marker = (user, query, tuple(sorted(filters.items())))
    last = st.session_state.get("_last_search")  # (marker, event id)
    if not user or (last and last[0] == marker):
        return
    if last and last[0][:2] == marker[:2]:
        with contextlib.suppress(BadInput):  # refined; a deleted entry is logged anew below
            repo().refine_search(user, last[1], filters, ids)
            st.session_state["_last_search"] = (marker, last[1])
            return
    event_id = repo().record_search(user, query, filters, ids)
    st.session_state["_last_search"] = (marker, event_id)


def _known_user_or_empty(read: Callable[[str], list[T]]) -> list[T]:
    """``read(user)`` for the current user; [] when nobody is picked or they have no history."""
    user = current_user()
    if not user:
        return []
    try:
        return read(user)
    except BadInput:  # db.repo: reads of a user nobody has written for yet
        return []


def favourites() -> list[str]:
    return _known_user_or_empty(lambda user: repo().list_favourites(user))


def toggle_favourite(piece_id: str) -> bool:
    """Flip the ♥ of a piece for the current user; returns the new state."""
    user = current_user()
    if not user:
        raise BadInput("pick or create a user name in the sidebar to keep favourites")
    if piece_id in favourites():
        repo().remove_favourite(user, piece_id)
        return False
    repo().add_favourite(user, piece_id)
    user_names.clear()  # a first favourite creates the user
    return True


def interactions() -> list[Any]:
    """The current user's history as ``recommender.personal.Interaction`` records."""
    from recommender.personal_types import Interaction

    rows = _known_user_or_empty(lambda user: repo().interactions(user))
    return [Interaction.from_row(row) for row in rows]


def recommend(k: int = K_RESULTS) -> list[dict]:
    """Personal recommendations for the current user (recomputed only when history changes)."""
    history = interactions()
    key = tuple((i.piece_id, i.kind, i.at.isoformat(), i.weight) for i in history)
    return _recommend(key, k)


@st.cache_data(show_spinner=False, max_entries=256)
def _recommend(history: tuple[tuple[str, str, str, float | None], ...], k: int) -> list[dict]:
    from datetime import datetime

    from recommender.personal import recommend as personal_recommend
    from recommender.personal_types import Interaction

    rows = [Interaction(pid, kind, datetime.fromisoformat(at), w) for pid, kind, at, w in history]
    return [hit.to_dict() for hit in with_engine(lambda e: personal_recommend(e, rows, k=k))]


def cache_dir() -> Path:
    """Where the pages keep what survives a restart (thumbnails, maps)."""
    path = config.cantus_home() / "cache" / "dashboard"
    path.mkdir(parents=True, exist_ok=True)
    return path
