"""Everything the pages share: cached resources, locked engine calls, history, scores, audio.

Pages call only these functions (and ``dashboard.widgets`` for repeated UI bits), so caching,
locking and error wording live in one place:

- the engine (catalog, embeddings, encoders, index) and the database are loaded once per
  process behind ``st.cache_resource``, and lazily: the first page draws before either loads;
- engine calls share one ``threading.Lock``, because Streamlit serves every browser tab from
  its own thread and the encoders' torch modules and query cache are not re-entrant;
- results, scores and audio are cached per piece with ``st.cache_data``; score thumbnails also
  on disk (``$CANTUS_HOME/cache/dashboard``), so a restart does not re-engrave them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import streamlit as st

from cantus import config
from cantus.errors import BadInput, CantusError
from dashboard import render
from dashboard.cli import MAX_UPLOAD_MB
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
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024  # also server.maxUploadSize (dashboard.cli)
UPLOAD_SUFFIXES = ("mid", "midi", "mxl", "musicxml", "xml", "abc", "krn")
UPLOAD_PARSE_TIMEOUT_S = 30  # parse in a child process we can kill (music21 import takes ~3 s)
MAP_TSNE_MAX = 5000  # t-SNE is O(N log N) but slow on 2 cores; bigger catalogs are sampled
# the Search page's filters; genre and region list every part of their values
FILTER_FIELDS = ("collection", "genre", "region", "meter", "mode", "key")
BY_COUNT_FIELDS = frozenset({"key", "genre", "region"})  # most common first, not alphabetical


# ------------------------------------------------------------------------------- resources


def engine() -> Any:
    """The recommender engine over ``cantus.config.data_dir()`` plus the user's pieces.

    Loaded once per process, and again after ``cantus build`` or ``cantus ingest`` changed
    the files it reads (then every cached result is dropped too).
    """
    stamp = _data_stamp()
    if _LAST_STAMP and _LAST_STAMP[-1] != stamp:
        st.cache_data.clear()  # results, scores and maps of the old catalog
        _ENGINE_READY.clear()
    _LAST_STAMP[:] = [stamp]
    return _engine(stamp)


_LAST_STAMP: list[tuple] = []  # the data stamp of the engine in use


def _data_stamp() -> tuple:
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

    def values(frame: Any, name: str) -> list[str]:
        if name not in frame:
            return []
        column = frame[name].fillna("").astype(str)
        if name in ("genre", "region"):  # "China, Shaanxi" offers China and Shaanxi
            column = column.str.split(", ").explode().str.strip()
        counts = column.value_counts()
        known = [v for v in counts.index if v]
        return known if name in BY_COUNT_FIELDS else sorted(known)

    return with_engine(lambda e: {name: values(e.catalog, name) for name in FILTER_FIELDS})


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
    from recommender.personal import Interaction

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

    from recommender.personal import Interaction
    from recommender.personal import recommend as personal_recommend

    rows = [Interaction(pid, kind, datetime.fromisoformat(at), w) for pid, kind, at, w in history]
    return [hit.to_dict() for hit in with_engine(lambda e: personal_recommend(e, rows, k=k))]


# ------------------------------------------------------------------------------- scores


def _cache_dir() -> Path:
    path = config.cantus_home() / "cache" / "dashboard"
    path.mkdir(parents=True, exist_ok=True)
    return path


@st.cache_resource(show_spinner=False, max_entries=1)
def _stored_tokens(stamp: tuple) -> dict[str, list[int]]:
    """Piece id -> stored music tokens, for pieces whose source verovio cannot read."""
    from cantus.catalog import load_catalog

    del stamp  # only the cache key: reloaded after a build or ingest
    frame = load_catalog(columns=["id", "tokens"])
    return {str(pid): list(ids) for pid, ids in zip(frame["id"], frame["tokens"], strict=True)}


def _token_ids(piece_id: str) -> list[int]:
    ids = _stored_tokens(_data_stamp()).get(piece_id)
    if not ids:
        raise BadInput(f"no score available for {piece_id!r}")
    return ids


def _engrave(piece_id: str, draw: Callable[[render.ScoreSource], T]) -> T:
    """``draw`` the piece from its own file; from its decoded tokens when verovio cannot."""
    row = piece(piece_id)
    direct = render.read_source(row)
    if direct is not None:
        try:
            return draw(direct)
        except ValueError as exc:  # e.g. unmeasured Essen tunes ("M: none") engrave empty
            log.info("engraving %s from tokens: %s", piece_id, exc)
    return draw(render.tokens_source(_token_ids(piece_id), key=row.get("key") or None))


@st.cache_data(show_spinner=False, max_entries=2000)
def thumbnail(piece_id: str) -> str | None:
    """SVG of the first bars, or None when the piece cannot be engraved (logged)."""
    path = _cache_dir() / f"thumb-{hashlib.sha1(piece_id.encode()).hexdigest()[:16]}.svg"
    if path.is_file():
        return path.read_text(encoding="utf-8")
    try:
        svg = _engrave(piece_id, render.thumbnail_svg)
    except Exception:  # a card without a picture is better than a failed search page
        log.warning("no thumbnail for %s", piece_id, exc_info=True)
        return None
    path.write_text(svg, encoding="utf-8")
    return svg


@st.cache_data(show_spinner=False, max_entries=32)
def score_pages(piece_id: str) -> list[str]:
    return _engrave(piece_id, render.score_svgs)


@st.cache_data(show_spinner=False, max_entries=64)
def piece_midi(piece_id: str) -> bytes:
    """MIDI of the piece as the score shows it (its stored opening when verovio cannot read it)."""
    return render.piece_midi(piece(piece_id), lambda: _token_ids(piece_id))


@st.cache_data(show_spinner=False, max_entries=64)
def piece_audio(piece_id: str) -> render.Audio:
    collection = str(piece(piece_id).get("collection") or "")
    return render.midi_to_audio(piece_midi(piece_id), collection=collection)


@st.cache_data(show_spinner=False, max_entries=64)
def midi_audio(midi: bytes, conditioned_on: tuple[str, ...] = ()) -> render.Audio:
    """A seed's audio, on the instrument of the pieces it was conditioned on."""
    return render.midi_to_audio(midi, collection=_main_collection(conditioned_on))


def _main_collection(piece_ids: tuple[str, ...]) -> str:
    collections = [str(piece(pid).get("collection") or "") for pid in piece_ids if known_piece(pid)]
    return max(collections, key=collections.count) if collections else ""


@st.cache_data(show_spinner=False, max_entries=32)
def piece_musicxml(piece_id: str) -> bytes:
    """MusicXML for download: the source file itself when it is MusicXML, else converted."""
    row = piece(piece_id)
    path = render.source_path(row)
    if (
        path is not None
        and path.suffix.lower() in (".musicxml", ".xml", ".mxl")
        and not row.get("number")
    ):
        return path.read_bytes()
    xml = _music21_musicxml(row)
    return xml if xml is not None else render.tokens_source(_token_ids(piece_id)).data.encode()


def _music21_musicxml(row: dict) -> bytes | None:
    """The whole work converted by music21 (ABC, Humdrum, MEI sources)."""
    source = render.read_source(row)
    if source is None or not isinstance(source.data, str):
        return None
    from music21 import converter
    from music21.musicxml.m21ToXml import GeneralObjectExporter

    fmt = {"abc": "abc", "humdrum": "humdrum", "mei": "mei", "musicxml": "musicxml"}[source.fmt]
    return GeneralObjectExporter(converter.parseData(source.data, format=fmt)).parse()


# ------------------------------------------------------------------------------- uploads


def check_upload(name: str, data: bytes) -> Path:
    """Store an uploaded motif after size, type and parse checks; BadInput says what is wrong.

    The file goes to the current person's upload folder (deleted with them). It is parsed
    once, here, outside the engine lock, in a child process with a time limit and a memory
    cap (``recommender.engine.file_token_ids``): a hostile or enormous file costs at most
    ``UPLOAD_PARSE_TIMEOUT_S`` and never blocks or crashes the app; generating from it later
    reuses this parse.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_SUFFIXES:
        raise BadInput(f"{name!r} is not a music file we read ({', '.join(UPLOAD_SUFFIXES)})")
    if len(data) > MAX_UPLOAD_BYTES:
        raise BadInput(
            f"{name!r} is {len(data) / 1e6:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 1e6:.0f} MB"
        )
    if not data.strip():
        raise BadInput(f"{name!r} is empty")
    from recommender.engine import file_token_ids

    path = config.uploads_dir(current_user()) / f"{hashlib.sha1(data).hexdigest()[:12]}.{suffix}"
    path.write_bytes(data)
    try:
        file_token_ids(path, time_limit_s=UPLOAD_PARSE_TIMEOUT_S)
    except BadInput as exc:
        path.unlink(missing_ok=True)  # a refused file is not kept
        reason = str(exc).replace(f"could not read music from {path}: ", "")
        reason = reason.replace(f"reading {path} ", "it ").replace(str(path), name)
        raise BadInput(f"could not read {name!r}: {reason}") from None
    return path


# ------------------------------------------------------------------------------- inspire


def inspire(
    params: dict[str, Any],
    from_ids: list[str] | None,
    motif: Path | None,
    text: str | None = None,
) -> list[dict]:
    """Generate seeds (``generator.inspire.inspire``) and log each one to the user's history."""
    from generator.inspire import inspire as generate

    out_dir = config.seeds_dir() / time.strftime("%Y%m%d-%H%M%S")
    seeds = with_engine(
        lambda e: generate(
            e, from_ids=from_ids or None, motif_path=motif, text=text, out_dir=out_dir, **params
        )
    )
    return [_seed_record(seed, params) for seed in seeds]


def _seed_record(seed: Any, params: dict[str, Any]) -> dict:
    record_ = seed.to_dict()
    record_["db_id"] = None
    user = current_user()
    if user:
        record_["db_id"] = repo().save_seed(
            user,
            list(seed.conditioned_on),
            # "files": where the seed was written, removed with the user (db.erase)
            {
                **params,
                "seed_id": seed.id,
                "files": [str(Path(p).resolve()) for p in (seed.midi, seed.musicxml)],
            },
            _model_version(),
            Path(seed.midi).read_bytes(),
            Path(seed.musicxml).read_text(encoding="utf-8"),
        )
    return record_


@st.cache_resource(show_spinner=False)
def generator_controls() -> tuple[tuple[str, ...], int]:
    """(meters the generator knows, most bars per seed): the Inspire page offers only these."""
    from generator.inspire import get_generator
    from generator.vocab import MAX_BARS

    return tuple(get_generator().controls.meters), int(MAX_BARS)


@st.cache_resource(show_spinner=False)
def _model_version() -> str:
    """Short id of the generator weights in use (stored with each seed)."""
    from generator.inspire import get_generator, model_version

    return model_version(get_generator())


@st.cache_data(show_spinner=False, max_entries=64)
def seed_svgs(musicxml_path: str) -> list[str]:
    return render.score_svgs(render.musicxml_source(musicxml_path))


# ------------------------------------------------------------------------------- map


@st.cache_data(show_spinner=False, max_entries=4)
def projection(method: str) -> Any:
    """2-D map of the music embeddings (PCA or t-SNE), computed once and cached on disk."""
    import numpy as np
    import pandas as pd

    frame, vectors, encoder_id = with_engine(
        lambda e: (
            e.catalog[["id", "title", "collection", "mode", "key", "meter"]].copy(),
            e.embeddings,
            getattr(e.encoder, "encoder_id", ""),
        )
    )
    rows = _map_rows(len(frame), method)
    key = hashlib.sha1(f"{method}|{encoder_id}|{len(frame)}|{rows.size}".encode()).hexdigest()[:16]
    path = _cache_dir() / f"map-{key}.npy"
    if path.is_file():
        xy = np.load(path)
    else:
        xy = _project(np.asarray(vectors, dtype=np.float32)[rows], method)
        np.save(path, xy)
    out = frame.iloc[rows].reset_index(drop=True)
    out[["x", "y"]] = pd.DataFrame(xy, columns=["x", "y"])
    return out


def _map_rows(n: int, method: str) -> Any:
    import numpy as np

    if method != "t-SNE" or n <= MAP_TSNE_MAX:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAP_TSNE_MAX, replace=False))


def _project(vectors: Any, method: str) -> Any:
    from sklearn.decomposition import PCA

    if method != "t-SNE" or len(vectors) < 5:
        return PCA(n_components=2, random_state=0).fit_transform(vectors)
    from sklearn.manifold import TSNE

    # PCA to 50 dims first: the standard speed-up, and it removes noise dimensions
    reduced = PCA(
        n_components=min(50, vectors.shape[1], len(vectors)), random_state=0
    ).fit_transform(vectors)
    perplexity = float(min(30, max(2, (len(vectors) - 1) // 3)))
    # 500 iterations from the PCA start: ~5 s for 5,000 pieces on 2 cores (1,000 took ~10 s)
    tsne = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0, max_iter=500)
    return tsne.fit_transform(reduced)
