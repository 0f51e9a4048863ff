"""UI pieces several pages share: result cards, ♥ and play buttons, safe text, flash messages.

Titles and metadata come from files anyone can write, so they reach the page only through
native widgets with Markdown escaped (``md``); no raw HTML is built anywhere in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from cantus.errors import BadInput, CantusError
from dashboard import scores, services
from dashboard.text import md

PIECE_PAGE = "views/piece.py"
INSPIRE_PAGE = "views/inspire.py"


# ------------------------------------------------------------------------------- callbacks


def safely(work: Callable[..., Any], *args: Any) -> None:
    """Run a widget callback; a failure becomes a message on the next run, not a traceback."""
    try:
        work(*args)
    except CantusError as exc:
        st.session_state["_flash"] = str(exc)
    except Exception as exc:  # callbacks run outside the page's error guard
        services.log.exception("callback %s failed", getattr(work, "__name__", work))
        st.session_state["_flash"] = f"Sorry, that did not work: {type(exc).__name__}: {exc}"


def show_flash() -> None:
    """The message a failed callback left behind, once."""
    message = st.session_state.pop("_flash", None)
    if message:
        st.error(md(message), icon=":material/error:")


def _play(piece_id: str) -> None:
    st.session_state["playing"] = piece_id
    services.record("play", piece_id)


def _like(piece_id: str) -> None:
    # ?like= takes precedence over ?q= on Search; "Back to search" drops it and the query is kept
    if st.query_params.get("like") != piece_id:
        st.session_state.pop("playing", None)
    st.query_params["like"] = piece_id


def hidden_ids() -> set[str]:
    """The current user's "not for me" pieces (none before their first write)."""
    user = services.current_user()
    if not user:
        return set()
    try:
        return set(services.repo().list_hidden(user))
    except CantusError:  # a name nothing was recorded for yet
        return set()


def _dismiss(piece_id: str) -> None:
    user = services.current_user()
    if not user:
        raise BadInput('pick or create a user name in the sidebar to say "not for me"')
    services.repo().hide_piece(user, piece_id)
    st.session_state["_last_hidden"] = piece_id


def _undo_hide(piece_id: str) -> None:
    user = services.current_user()
    if user:
        services.repo().unhide_piece(user, piece_id)
    st.session_state.pop("_last_hidden", None)


def undo_hide_bar(hidden: set[str]) -> None:
    """After "Not for me": say so, with an Undo (also possible later from History);
    ``hidden``: the user's hidden pieces."""
    piece_id = st.session_state.get("_last_hidden")
    if not piece_id or piece_id not in hidden:
        return
    title = services.piece(piece_id).get("title") or piece_id
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"Hidden: {md(title)}. You will get less music like it.")
        st.button("Undo", key="undo-hide", on_click=safely, args=(_undo_hide, piece_id))


# ------------------------------------------------------------------------------- widgets


def fav_button(piece_id: str, key: str, favourites: list[str]) -> None:
    liked = piece_id in favourites
    st.button(
        "Favourited" if liked else "Favourite",
        key=f"fav-{key}",
        icon=":material/favorite:" if liked else ":material/favorite_border:",
        type="primary" if liked else "secondary",
        help=_fav_help(liked),
        on_click=safely,
        args=(services.toggle_favourite, piece_id),
        disabled=services.current_user() is None,
    )


def _fav_help(liked: bool) -> str:
    if services.current_user() is None:
        return "Pick or create a user name in the sidebar to keep favourites"
    return "Remove from favourites" if liked else "Add to favourites"


def play_button(piece_id: str, key: str) -> None:
    st.button(
        "Play",
        icon=":material/play_arrow:",
        key=f"play-{key}",
        on_click=safely,
        args=(_play, piece_id),
    )


def piece_link(piece_id: str, label: str = "Open", width: int | None = None) -> None:
    """A link to the piece page; ``width`` shortens long labels with an ellipsis."""
    import textwrap

    short = textwrap.shorten(label, width, placeholder=" …") if width else label
    if short.strip(" …") == "":  # one word longer than width
        short = label[: max(1, (width or 1) - 1)] + "…"
    st.page_link(
        PIECE_PAGE,
        label=md(short),
        icon=":material/open_in_new:",
        query_params={"piece": piece_id},
        help=md(label) if short != label else None,
    )


def audio_player(piece_id: str) -> None:
    """Render the piece to audio (cached) and play it."""
    with st.spinner("Rendering audio…"):
        audio = scores.piece_audio(piece_id)
    st.audio(audio.wav, format="audio/wav", autoplay=True)
    if audio.truncated:
        st.caption(f"First {audio.seconds:.0f} s")


def meta_line(row: dict) -> str:
    parts = [row.get("origin"), row.get("key"), row.get("meter"), row.get("collection")]
    return " · ".join(md(p) for p in parts if p)


# What each channel adds, for the notice shown while it is off (``Engine.channels_off``).
CHANNEL_ROLE = {
    "caption": "ranking uses the music embedding and keywords only",
    "melody": "similar pieces are ranked by the music embedding alone",
}


def channel_notice(channel: str) -> None:
    """A short visible notice when ``channel`` is off, naming it and why; nothing when on."""
    reason = services.channel_off(channel)
    if reason:
        text = f"{channel.capitalize()} channel off ({reason}): {CHANNEL_ROLE[channel]}."
        st.caption(":material/info: " + md(text))


def result_card(hit: dict, key: str, favourites: list[str], dismiss: bool = False) -> Any:
    """One result: title, origin, key, meter, why, buttons; returns the thumbnail slot."""
    piece_id = hit["id"]
    row = services.piece(piece_id)
    with st.container(border=True):
        text, picture = st.columns([1, 1], vertical_alignment="center")
        with text:
            st.markdown(f"**{md(hit.get('title') or piece_id)}**")
            st.caption(meta_line(row))
            if hit.get("why"):
                st.markdown(md(hit["why"]))
            _card_buttons(piece_id, key, favourites, dismiss)
        slot = picture.empty()
        if st.session_state.get("playing") == piece_id:
            audio_player(piece_id)
    return slot


def _card_buttons(piece_id: str, key: str, favourites: list[str], dismiss: bool) -> None:
    with st.container(horizontal=True, gap="small"):
        play_button(piece_id, key)
        fav_button(piece_id, key, favourites)
        st.button(
            "More like this",
            icon=":material/radar:",
            key=f"like-{key}",
            on_click=safely,
            args=(_like, piece_id),
        )
        if dismiss:
            st.button(
                "Not for me",
                icon=":material/block:",
                key=f"dismiss-{key}",
                on_click=safely,
                args=(_dismiss, piece_id),
                help="Hide this and get less music like it (undo here or in History)",
                disabled=services.current_user() is None,
            )
        piece_link(piece_id)


def fill_thumbnails(slots: list[tuple[Any, str]]) -> None:
    """Engrave the first bars into each card's slot, after every card's text is on screen."""
    for slot, piece_id in slots:
        svg = scores.thumbnail(piece_id)
        if svg:
            slot.image(svg, width="stretch")
        else:
            slot.caption("(no score preview)")


def result_list(hits: list[dict], prefix: str, dismiss: bool = False) -> None:
    if dismiss:  # hidden pieces leave the list at once; Undo brings them back
        gone = hidden_ids()
        undo_hide_bar(gone)
        hits = [hit for hit in hits if hit["id"] not in gone]
    favourites = services.favourites()
    slots = [
        (result_card(hit, f"{prefix}-{i}", favourites, dismiss), hit["id"])
        for i, hit in enumerate(hits)
    ]
    fill_thumbnails(slots)


def piece_picker(key: str, default: str | None = None, max_shown: int = 50) -> str | None:
    """Choose a piece by typing part of its title (the catalog is too big for one dropdown)."""
    labels = services.titles()
    needle = st.text_input("Find a piece by title", key=f"{key}-find", placeholder="e.g. waltz")
    words = needle.casefold().split()
    matches = [pid for pid, label in labels.items() if all(w in label.casefold() for w in words)]
    shown = list(dict.fromkeys([*([default] if default in labels else []), *matches[:max_shown]]))
    if not shown:
        st.caption("No title matches.")
        return None
    return st.selectbox(
        "Piece",
        shown,
        index=0 if default in labels or words else None,
        format_func=labels.get,
        key=f"{key}-pick-{needle}",
        placeholder=f"{len(matches)} pieces; type above to narrow down",
    )


def selected_id(event: Any, param: str) -> str | None:
    """The ``id`` of the point clicked in a chart drawn with ``on_select="rerun"``, if any."""
    selection = (event or {}).get("selection") or {}
    points = selection.get(param) or []
    return str(points[0]["id"]) if points and points[0].get("id") else None


def need_user(action: str) -> bool:
    """True when a user is picked; otherwise say how to get one."""
    if services.current_user():
        return True
    st.info(f"Pick or create a user name in the sidebar to {action}.", icon=":material/person:")
    return False
