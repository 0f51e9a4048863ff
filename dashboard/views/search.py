"""Search: a description in words (``?q=melancholy+waltz``), filters, and result cards."""

from __future__ import annotations

import streamlit as st

from dashboard import services, widgets

EXAMPLES = (
    "melancholy waltz",
    "lively jig in D major",
    "solemn chorale",
    "slow air in a minor key",
)


def _set_query(text: str) -> None:
    st.session_state["q"] = text


def _back_to_search() -> None:
    st.query_params.pop("like", None)


def query_box() -> str:
    query = st.text_input(
        "Describe the music",
        key="q",
        bind="query-params",
        placeholder="e.g. melancholy waltz, a bright reel, a solemn chorale",
    )
    return (query or "").strip()


def filter_row() -> dict[str, str]:
    """Collection / genre / region / meter / mode / key selectors, each bound to its URL
    parameter."""
    options = services.filter_options()
    values = {}
    for column, name in zip(
        st.columns(len(services.FILTER_FIELDS)), services.FILTER_FIELDS, strict=True
    ):
        with column:
            values[name] = st.selectbox(
                name.capitalize(),
                ["", *options.get(name, [])],
                key=name,
                bind="query-params",
                format_func=lambda v: v or "Any",
            )
    return services.filters_of(values)


def examples() -> None:
    st.caption("Try one of these:")
    with st.container(horizontal=True):
        for i, text in enumerate(EXAMPLES):
            st.button(text, key=f"example-{i}", on_click=_set_query, args=(text,))


def show_search(query: str, filters: dict[str, str]) -> None:
    with st.spinner("Searching…"):
        hits = services.search(query, tuple(filters.items()))
    services.record_search_once(query, filters, [h["id"] for h in hits])
    st.caption(f"{len(hits)} results for “{widgets.md(query)}”")
    widgets.channel_notice("caption")
    if services.weak_match(hits):
        st.info(
            "Nothing matches this well; these are the closest pieces. Describe the music: "
            "a mood, a form, an origin, a key or a meter (e.g. “slow air in D minor”).",
            icon=":material/info:",
        )
    widgets.result_list(hits, "search", dismiss=True)


def show_similar(piece_id: str) -> None:
    title = services.piece(piece_id).get("title") or piece_id
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(f"More like {widgets.md(title)}")
        st.button("Back to search", icon=":material/close:", on_click=_back_to_search)
    with st.spinner("Finding similar music…"):
        hits = services.similar(piece_id)
    widgets.channel_notice("melody")
    widgets.result_list(hits, "like", dismiss=True)


st.title("Search")
query = query_box()
services.ensure_engine()
filters = filter_row()
like = st.query_params.get("like")
if like:
    show_similar(like)
elif query:
    show_search(query, filters)
else:
    examples()
