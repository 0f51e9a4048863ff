"""Map: every piece placed by its music embedding (PCA or t-SNE); click a point to open it."""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboard import map_data, services, widgets

POINT = "pick"  # name of the Vega-Lite selection parameter


def chart(frame, colour: str) -> alt.LayerChart:
    pick = alt.selection_point(name=POINT, fields=["id"], on="click")
    tooltip = [alt.Tooltip(c) for c in ("title", "collection", "key", "meter")]
    base = alt.Chart(frame).encode(
        x=alt.X("x", axis=None),
        y=alt.Y("y", axis=None),
        tooltip=tooltip,
    )
    dots = (
        base.mark_circle(size=28, opacity=0.7)
        .encode(
            color=alt.Color(
                f"{colour}:N",
                # every collection listed, in a 20-colour palette (the default repeats after 10)
                scale=alt.Scale(scheme="tableau20"),
                legend=alt.Legend(orient="bottom", columns=5, symbolLimit=0),
            ),
        )
        .add_params(pick)
    )
    loved = base.transform_filter(alt.datum.favourite).mark_point(
        shape="diamond",
        size=320,
        filled=True,
        color="black",  # no palette colour is black, so favourites stand out in any colouring
        stroke="white",
        strokeWidth=1.5,
        opacity=1,
    )
    return alt.layer(dots, loved).properties(height=620).interactive()


st.title("Map")
st.caption("Nearby points sound alike. Hover for titles, click to open a piece, scroll to zoom.")
services.ensure_engine()
left, right = st.columns(2)
method = left.radio(
    "Projection",
    ("PCA", "t-SNE"),
    horizontal=True,
    help=f"t-SNE is computed once and cached (on at most {map_data.MAP_TSNE_MAX} pieces)",
)
colour = right.radio("Colour by", ("collection", "mode"), horizontal=True)
with st.spinner(f"Placing pieces with {method} (once per catalog)…"):
    frame = map_data.projection(method)
favs = set(services.favourites())
frame = frame.assign(favourite=frame["id"].isin(favs))
if favs:
    st.caption(f"♦ your {len(favs)} favourites")
event = st.altair_chart(
    chart(frame, colour), on_select="rerun", key=f"map-{method}-{colour}", width="stretch"
)
clicked = widgets.selected_id(event, POINT)
if clicked:
    st.switch_page(widgets.PIECE_PAGE, query_params={"piece": clicked})
