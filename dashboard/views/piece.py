"""Piece: full score (verovio, server-side), audio, metadata, similar pieces, ♥, downloads.

Linkable as ``/piece?piece=<id>``.
"""

from __future__ import annotations

import streamlit as st

from dashboard import scores, services, widgets

FIRST_PAGES = 3  # score pages drawn at once; the rest behind a toggle (big scores take seconds)
METRICS = (("Key", "key"), ("Meter", "meter"), ("Bars", "bars"), ("Parts", "parts"))
DETAILS = (
    ("Composer", "composer"),
    ("Form", "form"),
    ("Tempo", "tempo_text"),
    ("Origin", "origin"),
)


def _open(piece_id: str) -> None:
    st.query_params["piece"] = piece_id


def pick_piece() -> None:
    """No ``?piece=`` in the URL: let the person choose one by title."""
    st.title("Piece")
    st.info(
        "Open a piece from Search, For you or the Map — or pick one here.",
        icon=":material/music_note:",
    )
    choice = widgets.piece_picker("piece")
    if choice and st.button("Open", icon=":material/open_in_new:"):
        _open(choice)
        st.rerun()


def header(piece_id: str, row: dict) -> None:
    st.title(widgets.md(row.get("title") or piece_id))
    st.caption(widgets.meta_line(row) + " · " + widgets.md(piece_id))
    with st.container(horizontal=True, vertical_alignment="center"):
        widgets.fav_button(piece_id, "piece", services.favourites())
        if st.button("Inspire from this", icon=":material/lightbulb:"):
            st.switch_page(widgets.INSPIRE_PAGE, query_params={"from": piece_id})
        st.download_button(
            "MIDI",
            icon=":material/download:",
            data=lambda: scores.piece_midi(piece_id),
            file_name=f"{_stem(row)}.mid",
            mime="audio/midi",
            on_click="ignore",
        )
        st.download_button(
            "MusicXML",
            icon=":material/download:",
            data=lambda: scores.piece_musicxml(piece_id),
            file_name=f"{_stem(row)}.musicxml",
            mime="application/vnd.recordare.musicxml+xml",
            on_click="ignore",
        )


def _stem(row: dict) -> str:
    title = "".join(c if c.isalnum() else "-" for c in str(row.get("title") or "piece"))
    return "-".join(part for part in title.split("-") if part)[:60] or "piece"


def facts(row: dict) -> None:
    """Short facts as metrics (long ones would be cut off), the rest as one line of text."""
    shown = [
        (label, str(row[name])) for label, name in METRICS if row.get(name) not in (None, "", 0)
    ]
    if row.get("seconds"):
        shown.append(("Length", f"{float(row['seconds']):.0f} s"))
    for column, (label, value) in zip(st.columns(len(shown) or 1), shown, strict=False):
        column.metric(label, value)
    details = [f"**{label}:** {widgets.md(row[name])}" for label, name in DETAILS if row.get(name)]
    if details:
        st.markdown(" · ".join(details))


def lyrics(row: dict) -> None:
    """The sung words the source carries (their opening, ``MAX_LYRICS_CHARS``), shown literally:
    they are file text, so Markdown or HTML in them stays text."""
    words = " ".join(str(row.get("lyrics") or "").split())
    if words:
        st.markdown(f"**Lyrics:** {widgets.md(words)}")


def score(piece_id: str) -> None:
    with st.spinner("Engraving the score…"):
        pages = scores.score_pages(piece_id)
    show_all = len(pages) <= FIRST_PAGES or st.toggle(f"Show all {len(pages)} pages")
    for svg in pages if show_all else pages[:FIRST_PAGES]:
        st.image(svg, width="stretch")


def similar(piece_id: str) -> None:
    st.subheader("Similar pieces")
    widgets.channel_notice("melody")
    for hit in services.similar(piece_id, k=8):
        with st.container(horizontal=True, vertical_alignment="center"):
            widgets.piece_link(hit["id"], hit.get("title") or hit["id"], width=32)
            # the "why" already names key and meter; fall back to them when it is empty
            fallback = " · ".join(v for v in (hit.get("key"), hit.get("meter")) if v)
            st.caption(widgets.md(hit.get("why") or fallback))


def show(piece_id: str) -> None:
    row = services.piece(piece_id)
    services.record_once("open", piece_id)
    header(piece_id, row)
    facts(row)
    lyrics(row)
    main, side = st.columns([3, 1])
    with side:
        st.subheader("Listen")
        widgets.play_button(piece_id, "piece")
        if st.session_state.get("playing") == piece_id:
            widgets.audio_player(piece_id)
        similar(piece_id)
    with main:
        score(piece_id)


services.ensure_engine()
current = st.query_params.get("piece")
if current and services.known_piece(current):
    show(current)
else:
    if current:  # a stale or mistyped link: say so, then offer the picker
        st.error(
            widgets.md(f"No piece with id {current!r} in this catalog."), icon=":material/error:"
        )
    pick_piece()
