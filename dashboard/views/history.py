"""History: searches, plays, favourites, seeds and "not for me"; delete any entry (deleting a
"not for me" entry un-hides the piece), or everything."""

from __future__ import annotations

import streamlit as st

from cantus.errors import BadInput
from dashboard import services, widgets

TABS = ("Searches", "Plays & opens", "Favourites", "Seeds", "Not for me")


def _delete(kind: str, event_id: int) -> None:
    services.repo().delete_event(services.current_user(), kind, event_id)


def _delete_me() -> None:
    services.erase_user(services.current_user())
    st.session_state.pop("user", None)
    st.session_state["_flash_ok"] = "Your data is deleted."


def _history(user: str) -> dict | None:
    try:
        return services.repo().history(user)
    except BadInput:  # the name exists only in this session: nothing written yet
        return None


def _when(entry: dict) -> str:
    return str(entry.get("at", ""))[:16].replace("T", " ")


def entry_row(kind: str, entry: dict, describe: str, piece_id: str | None = None) -> None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.caption(_when(entry), width="content")
        if piece_id:
            widgets.piece_link(piece_id, describe)
        else:
            st.markdown(widgets.md(describe), width="content")
        st.space("stretch")  # pushes Delete to the right edge
        st.button(
            "Delete",
            icon=":material/delete:",
            key=f"del-{kind}-{entry['id']}",
            help="Delete this entry",
            on_click=widgets.safely,
            args=(_delete, kind, entry["id"]),
        )


def _title(piece_id: str) -> str:
    try:
        return services.piece(piece_id).get("title") or piece_id
    except Exception:  # a piece no longer in the catalog keeps its history row
        return piece_id


def searches(history: dict) -> None:
    for entry in reversed(history["searches"]):
        filters = ", ".join(f"{k}={v}" for k, v in (entry.get("filters") or {}).items())
        entry_row("search", entry, entry["query"] + (f" ({filters})" if filters else ""))


def interactions(history: dict) -> None:
    for entry in reversed(history["interactions"]):
        label = f"{entry['kind']}: {_title(entry['piece_id'])}"
        entry_row("interaction", entry, label, entry["piece_id"])


def favourites(history: dict) -> None:
    for entry in reversed(history["favourites"]):
        entry_row("favourite", entry, "♥ " + _title(entry["piece_id"]), entry["piece_id"])


def seeds(history: dict) -> None:
    for entry in reversed(history["seeds"]):
        params = entry.get("params") or {}
        stars = f" · {'★' * entry['rating']}" if entry.get("rating") else ""
        saved = "saved · " if entry.get("saved") else ""
        entry_row(
            "seed",
            entry,
            f"seed #{entry['id']}: {saved}{params.get('bars', '?')} bars, "
            f"{params.get('key') or 'any key'}, {params.get('meter') or 'any meter'}{stars}",
        )


def hidden(history: dict) -> None:
    for entry in reversed(history.get("hidden", [])):
        label = "not for me: " + _title(entry["piece_id"])
        entry_row("hidden", entry, label, entry["piece_id"])


def danger_zone() -> None:
    with st.expander("Delete my data"):
        st.write("This removes your name and everything recorded under it. It cannot be undone.")
        sure = st.checkbox("Yes, delete everything about me")
        st.button(
            "Delete my data",
            type="primary",
            disabled=not sure,
            on_click=widgets.safely,
            args=(_delete_me,),
        )


st.title("History")
if st.session_state.get("_flash_ok"):
    st.success(st.session_state.pop("_flash_ok"))
if widgets.need_user("see your history"):
    user = services.current_user()
    history = _history(user)
    if history is None:
        st.info("Nothing recorded yet.")
    else:
        services.ensure_engine()
        parts = ("searches", "interactions", "favourites", "seeds", "hidden")
        counts = [len(history.get(k, [])) for k in parts]
        for tab, show, count in zip(
            st.tabs([f"{t} ({n})" for t, n in zip(TABS, counts, strict=True)]),
            (searches, interactions, favourites, seeds, hidden),
            counts,
            strict=True,
        ):
            with tab:
                if count:
                    show(history)
                else:
                    st.caption("Nothing here yet.")
        danger_zone()
