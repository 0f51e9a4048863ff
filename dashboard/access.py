"""Who may come in: a local app picks its listener; an app on the network signs people in.

``cantus dashboard`` listens on 127.0.0.1 unless told otherwise (``--server.address``). On
a loopback address everyone who can reach the app sits at this computer, so the sidebar's
"Who is listening?" picker stays. On any other address (or Streamlit's default, every
interface) the app requires a sign-in and each person sees only their own history,
favourites and seeds: the picker, the ``?user=`` link and the user list are gone.

Two ways to sign in, checked in this order:

- a reverse proxy that authenticates people and passes the name in a header: set
  ``CANTUS_AUTH_HEADER`` to that header (e.g. ``X-Forwarded-User``). Only safe when the app
  is reachable through that proxy alone, and the proxy overwrites the header;
- Streamlit's built-in OpenID Connect (``st.login``), configured under ``[auth]`` in
  ``.streamlit/secrets.toml``; the person's e-mail (or subject) is their name here.

Without either, an app on the network shows how to configure one and nothing else.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from dashboard.text import md

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
AUTH_HEADER_ENV = "CANTUS_AUTH_HEADER"
MAX_NAME = 64  # db.models.MAX_USER_NAME


def listening_address() -> str:
    """The address Streamlit binds (empty: every interface)."""
    return str(st.get_option("server.address") or "").strip()


def is_local() -> bool:
    return listening_address() in LOOPBACK


def _request_headers() -> Any:
    return st.context.headers


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml at all
        return False


def signed_in_name() -> str | None:
    """The signed-in person's name, or None when nobody is signed in (or no way is set up)."""
    header = os.environ.get(AUTH_HEADER_ENV, "").strip()
    if header:
        value = (_request_headers().get(header) or "").strip()
        return value[:MAX_NAME] or None
    if _oidc_configured() and st.user.get("is_logged_in"):
        name = st.user.get("email") or st.user.get("sub") or ""
        return str(name)[:MAX_NAME] or None
    return None


def require_sign_in() -> str:
    """The signed-in name; otherwise explain how to sign in and stop this run."""
    name = signed_in_name()
    if name:
        return name
    where = md(listening_address() or "every network interface")
    header = os.environ.get(AUTH_HEADER_ENV, "").strip()
    if header:
        st.error(
            md(f"Sign-in required: this request has no {header} header from the sign-in proxy."),
            icon=":material/lock:",
        )
    elif _oidc_configured():
        st.info("Sign in to keep your own history, favourites and seeds.", icon=":material/lock:")
        st.button("Sign in", icon=":material/login:", on_click=st.login)
    else:
        st.error(
            f"This dashboard listens on {where}, beyond this computer, and no sign-in is "
            f"configured. Start it on 127.0.0.1 (the default of `cantus dashboard`), or set "
            f"{AUTH_HEADER_ENV} to the header of an authenticating reverse proxy, or configure "
            "Streamlit's OpenID Connect sign-in under \\[auth\\] in .streamlit/secrets.toml.",
            icon=":material/lock:",
        )
    st.stop()


def signed_in_sidebar(name: str) -> None:
    """Who is signed in (no picker: nobody can switch to another person's data)."""
    st.sidebar.caption(f"Signed in as **{md(name)}**")
    if not os.environ.get(AUTH_HEADER_ENV, "").strip() and _oidc_configured():
        st.sidebar.button("Sign out", icon=":material/logout:", on_click=st.logout)
