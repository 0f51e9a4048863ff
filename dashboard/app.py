"""cantus dashboard: ``cantus dashboard`` or ``python -m streamlit run dashboard/app.py``.

The entry script only sets up the page, who is listening (a picker on 127.0.0.1, a sign-in
otherwise: ``dashboard.access``) and navigation; each page lives in ``dashboard/views/`` and
calls ``dashboard.services`` (cached engine, database, rendering).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts only dashboard/ on sys.path; the packages live one up.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import access, services, widgets  # noqa: E402

NEW_USER_HINT = "Type a name to create it"
USER_PARAM = "user"  # the listener's name in the URL, so reloads and shared links keep it

PAGES = [
    st.Page("views/search.py", title="Search", icon=":material/search:", default=True),
    st.Page("views/piece.py", title="Piece", icon=":material/music_note:", url_path="piece"),
    st.Page("views/for_you.py", title="For you", icon=":material/recommend:", url_path="for-you"),
    st.Page("views/inspire.py", title="Inspire", icon=":material/lightbulb:", url_path="inspire"),
    st.Page("views/history.py", title="History", icon=":material/history:", url_path="history"),
    st.Page("views/map.py", title="Map", icon=":material/scatter_plot:", url_path="map"),
]


def _pick_user() -> None:
    """Sidebar: choose an existing name or type a new one (created on the spot)."""
    try:
        names = services.user_names()
    except Exception as exc:  # the app still searches without a database
        services.log.exception("user database unavailable")
        st.sidebar.warning(f"History is off: the user database failed ({type(exc).__name__}).")
        return
    _user_from_url(names)
    current = services.current_user()
    options = sorted({*names, *([current] if current else [])})
    choice = st.sidebar.selectbox(
        "Who is listening?",
        options,
        index=options.index(current) if current in options else None,
        placeholder=NEW_USER_HINT,
        accept_new_options=True,
        help="Everything you do is kept under this name; delete it any time on History.",
    )
    if choice and choice != current:
        _switch_user(choice)


def _user_from_url(names: list[str]) -> None:
    """A reload or shared link keeps its listener: ``?user=NAME`` of a known user is adopted
    (a URL never creates a user); the picked name is written back to the URL."""
    wanted = st.query_params.get(USER_PARAM)
    if wanted and not services.current_user():
        if wanted in names:
            st.session_state["user"] = wanted
        else:
            del st.query_params[USER_PARAM]


def _user_to_url() -> None:
    current = services.current_user()
    if current and st.query_params.get(USER_PARAM) != current:
        st.query_params[USER_PARAM] = current
    elif not current and USER_PARAM in st.query_params:
        del st.query_params[USER_PARAM]


def _switch_user(name: str) -> None:
    try:
        services.repo().ensure_user(name)
    except Exception as exc:
        st.sidebar.error(widgets.md(str(exc)))
        return
    services.user_names.clear()
    st.session_state["user"] = name
    st.rerun()


def _signed_in(name: str) -> None:
    st.session_state["user"] = name
    if USER_PARAM in st.query_params:  # a link cannot pick someone else
        del st.query_params[USER_PARAM]
    access.signed_in_sidebar(name)


def main() -> None:
    st.set_page_config(page_title="cantus", page_icon=":material/music_note:", layout="wide")
    # also when started with plain `streamlit run`: a failure shows our one line, never a traceback
    st.set_option("client.showErrorDetails", "none")
    page = st.navigation(PAGES)
    with st.sidebar:
        st.caption("cantus — search, discover and get inspired by symbolic music")
    if access.is_local():  # only people at this computer: pick who is listening
        _pick_user()
        _user_to_url()
    else:  # reachable from the network: each person is who they signed in as, nobody else
        _signed_in(access.require_sign_in())
    widgets.show_flash()
    with services.friendly_errors(page.title):
        page.run()


# guarded: multiprocessing children re-run the main script (AppTest leaves it as __main__)
if __name__ == "__main__":
    main()
