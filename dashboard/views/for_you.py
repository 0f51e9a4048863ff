"""For you: personal recommendations with the reason for each; "Not for me" dismisses."""

from __future__ import annotations

import streamlit as st

from dashboard import services, widgets

st.title("For you")
services.ensure_engine()
if widgets.need_user("get recommendations from your listening"):
    with st.spinner("Finding music for you…"):
        hits = services.recommend()
    if not services.interactions():
        st.caption(
            "Nothing in your history yet, so here is a spread across the collections. "
            "Search, play and ♥ pieces to make this yours."
        )
    widgets.result_list(hits, "foryou", dismiss=True)
