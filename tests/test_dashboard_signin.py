"""An app opened to the network (issue 13, item 8), beyond the sign-in button: signed in by
Streamlit's OIDC (``st.user``, as ``AppTest.user`` sets it) or by a proxy header (read through
``dashboard.access._request_headers``, as ``st.context.headers`` is not settable in AppTest),
each person sees and deletes only their own history, favourites and seeds; a visitor who is
not signed in sees the sign-in and nothing else, on every page."""

from __future__ import annotations

import uuid

import pytest

from tests.test_dashboard import (  # noqa: F401 (fixtures)
    app,
    data_env,
    plain,
    run_page,
    some_ids,
    tiny_dir,
)
from tests.test_dashboard_access import HEADER, shown

PAGES = (
    None,
    "views/piece.py",
    "views/for_you.py",
    "views/inspire.py",
    "views/history.py",
    "views/map.py",
)
OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not-a-real-secret",
        "client_id": "cantus-test",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
}


@pytest.fixture(params=["oidc", "header"])
def sign_in(request, monkeypatch):
    """``open_app(name)``: the app on every interface with ``name`` signed in (None: nobody),
    by Streamlit's OIDC or by the proxy header."""
    from dashboard import access

    method = request.param
    if method == "header":
        monkeypatch.setenv(access.AUTH_HEADER_ENV, HEADER)
    else:
        monkeypatch.delenv(access.AUTH_HEADER_ENV, raising=False)

    def open_app(name: str | None, **query: str):
        at = app(address="0.0.0.0", **query)
        if method == "header":
            headers = {HEADER: name} if name else {}
            monkeypatch.setattr(access, "_request_headers", lambda: headers)
        else:
            at.secrets.update(OIDC_SECRETS)
            at.user = {"is_logged_in": True, "email": name} if name else {"is_logged_in": False}
        return at

    open_app.method = method
    return open_app


@pytest.fixture
def two_people(data_env, some_ids):  # noqa: F811 (fixture)
    """Ana and Bo, each with a search, a favourite and a seed (fresh names per test)."""
    from db import repo

    tag = uuid.uuid4().hex[:6]
    people = {}
    for who, piece in (("ana", some_ids[0]), ("bo", some_ids[1])):
        name = f"{who}-{tag}@example.org"
        repo.record_search(name, f"{who}'s secret search", {}, [piece])
        repo.add_favourite(name, piece)
        seed = repo.save_seed(
            name, [piece], {"bars": 3, "key": f"{who} key"}, "test", b"MThd", "<score-partwise/>"
        )
        people[who] = {"name": name, "piece": piece, "seed": seed}
    return people


def _text(at) -> str:
    return plain("\n".join(shown(at)))


@pytest.mark.usefixtures("data_env")
@pytest.mark.parametrize("page", PAGES)
def test_a_visitor_not_signed_in_sees_only_the_sign_in(sign_in, page, some_ids):  # noqa: F811
    at = sign_in(None, user="someone", piece=some_ids[0])  # links naming a person or a piece
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    if sign_in.method == "oidc":
        assert [b.label for b in at.button] == ["Sign in"]
    else:
        assert not at.button and at.error and HEADER in plain(at.error[0].value)
    assert not at.title and not at.text_input and not at.tabs and not at.sidebar.selectbox
    assert not at.get("page_link") and "user" not in at.session_state


def test_each_person_sees_only_their_own_history_favourites_and_seeds(sign_in, two_people):
    ana, bo = two_people["ana"], two_people["bo"]
    at = run_page(sign_in(ana["name"], user=bo["name"]), page="views/history.py")
    text = _text(at)
    assert at.session_state["user"] == ana["name"] and "user" not in at.query_params
    assert "ana's secret search" in text and f"seed #{ana['seed']}" in text
    assert "bo's secret search" not in text and f"seed #{bo['seed']}" not in text
    assert [t.label for t in at.tabs][:4] == [
        "Searches (1)",
        "Plays & opens (0)",
        "Favourites (1)",
        "Seeds (1)",
    ]
    favourite_links = [str(link.proto.page) for link in at.get("page_link")]
    assert favourite_links and all("piece" in p for p in favourite_links)
    assert not at.sidebar.selectbox, "no picker: nobody can switch to another person"

    inspire = run_page(sign_in(ana["name"]), page="views/inspire.py")
    inspire.radio[0].set_value("My favourites").run()
    favourites = inspire.multiselect[0]
    assert len(favourites.options) == 1 and favourites.value == [ana["piece"]]  # not bo's


def test_a_person_deletes_only_their_own_entries_and_data(sign_in, two_people):
    from cantus.errors import BadInput
    from db import repo

    ana, bo = two_people["ana"], two_people["bo"]
    at = run_page(sign_in(ana["name"]), page="views/history.py")
    deletes = [b for b in at.button if b.label == "Delete"]
    assert len(deletes) == 3  # her search, favourite and seed: nothing of bo's to press
    seed_button = next(b for b in deletes if b.key == f"del-seed-{ana['seed']}")
    seed_button.click().run()
    assert not at.exception
    assert [s["id"] for s in repo.history(ana["name"])["seeds"]] == []
    assert [s["id"] for s in repo.history(bo["name"])["seeds"]] == [bo["seed"]]
    with pytest.raises(BadInput, match="no seed with id"):  # what a forged delete would do
        repo.delete_event(ana["name"], "seed", bo["seed"])

    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Delete my data").click().run()
    assert not at.exception
    with pytest.raises(BadInput):
        repo.history(ana["name"])
    kept = repo.history(bo["name"])
    assert len(kept["searches"]) == len(kept["favourites"]) == len(kept["seeds"]) == 1


def test_signing_out_leaves_nobody_signed_in(sign_in, two_people):
    if sign_in.method == "header":
        pytest.skip("the proxy signs people out; the app shows no button for it")
    at = run_page(sign_in(two_people["ana"]["name"]), page="views/history.py")
    assert "Sign out" in [b.label for b in at.sidebar.button]
    at.sidebar.button[0].click().run()
    assert "ana's secret search" not in _text(at)
    assert [b.label for b in at.button] == ["Sign in"]
