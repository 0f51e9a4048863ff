"""Dashboard (issue 13, items 4, 5 and 8): hostile text stays text, uploads are capped on the
server, and an app opened to the network signs people in and shows each only their own data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.text import md
from tests.test_dashboard import (  # noqa: F401 (fixtures)
    ABC,
    app,
    data_env,
    run_page,
    some_ids,
    tiny_dir,
)

LINK = "[click to log in](https://evil.example)"
IMAGE = "![x](http://host/p.png)"
HOSTILE = f"{LINK} {IMAGE} [/bold] :red[x] \x1b[31m"
HEADER = "X-Forwarded-User"


def shown(at) -> list[str]:
    """Every Markdown body on the page (texts, alerts, link labels), main area and sidebar."""
    parts = [
        *at.markdown,
        *at.caption,
        *at.title,
        *at.subheader,
        *at.info,
        *at.error,
        *at.warning,
        *at.success,
        *at.sidebar.markdown,
        *at.sidebar.caption,
    ]
    values = [str(p.value) for p in parts]
    values += [str(link.proto.label) for link in at.get("page_link")]
    return values


def assert_literal(at, *fragments: str) -> None:
    """Each fragment is on the page, and only in its escaped (literal) form."""
    values = shown(at)
    for fragment in fragments:
        assert any(md(fragment) in v for v in values), f"{fragment!r} not shown"
        live = [v for v in values if fragment in v]
        assert not live, f"{fragment!r} reaches Markdown unescaped: {live}"


# ------------------------------------------------------------------ item 8: who may come in


def test_cli_listens_on_this_computer_and_caps_uploads() -> None:
    from dashboard.cli import open_address_note, streamlit_command

    cmd = streamlit_command([])
    assert cmd[cmd.index("--server.address") + 1] == "127.0.0.1"
    assert cmd[cmd.index("--server.maxUploadSize") + 1] == "2"
    opened = streamlit_command(["--server.address", "0.0.0.0"])
    assert opened[-2:] == ["--server.address", "0.0.0.0"]  # the user's choice comes last: wins
    assert open_address_note(cmd) is None
    assert "lets nobody in" in open_address_note(opened)
    assert open_address_note(streamlit_command(["--server.address=::1"])) is None


def test_open_app_without_a_sign_in_method_lets_nobody_in() -> None:
    at = app(address="0.0.0.0", user="ana")
    at.run()
    assert not at.exception
    assert at.error and "no sign-in is configured" in at.error[0].value
    assert not at.sidebar.selectbox, "the user picker must not be offered"
    assert "user" not in at.session_state


@pytest.mark.usefixtures("data_env")
def test_open_app_shows_each_person_only_their_own_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboard import access
    from db import repo

    repo.record_search("ana-open", "ana's secret search", {}, [])
    repo.record_search("bo-open", "bo's secret search", {}, [])
    monkeypatch.setenv(access.AUTH_HEADER_ENV, HEADER)
    monkeypatch.setattr(access, "_request_headers", lambda: {HEADER: "ana-open"})
    at = app(address="0.0.0.0", user="bo-open")  # a link naming someone else
    run_page(at, page="views/history.py")
    text = "\n".join(shown(at))
    assert "ana's secret search" in text.replace("\\", "")
    assert "bo's secret" not in text.replace("\\", "")
    assert at.session_state["user"] == "ana-open" and "user" not in at.query_params
    assert not at.sidebar.selectbox and "Signed in as" in "\n".join(shown(at))

    monkeypatch.setattr(access, "_request_headers", lambda: {})  # past the proxy: no header
    stranger = app(address="0.0.0.0")
    stranger.run()
    assert stranger.error and md(HEADER) in stranger.error[0].value
    assert "user" not in stranger.session_state


def test_open_app_offers_streamlit_sign_in_when_configured(monkeypatch) -> None:
    from dashboard import access

    monkeypatch.setattr(access, "_oidc_configured", lambda: True)
    at = app(address="0.0.0.0")
    at.run()
    assert not at.exception
    assert "Sign in" in [b.label for b in at.button]
    assert "user" not in at.session_state


# ------------------------------------------------------------------ items 4 and 5


@pytest.fixture
def hostile_piece(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """A user piece whose title is hostile Markdown, ingested and embedded like any other."""
    from cantus import user_ingest

    request.getfixturevalue("data_env")
    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    tune = tmp_path / "hostile.abc"
    tune.write_text(ABC.replace("T:Test Tune", f"T:{HOSTILE}"))
    from recommender.embed import embed_user_pieces

    report = user_ingest.ingest_paths([tune], jobs=1, progress=False, embed=embed_user_pieces)
    assert report.embedded == "embedded", report.embedded
    return report.added[0]


def test_hostile_titles_and_urls_stay_literal_on_every_page(hostile_piece: str) -> None:
    from db import repo

    piece = run_page(app(piece=hostile_piece), page="views/piece.py")
    assert_literal(piece, LINK, IMAGE)
    like = run_page(app(like=hostile_piece))
    assert_literal(like, LINK, IMAGE)
    search = run_page(app(q=f"{LINK} waltz {IMAGE}"))
    assert_literal(search, LINK, IMAGE)
    unknown = run_page(app(piece=f"{LINK} {IMAGE}"), page="views/piece.py")
    assert_literal(unknown, LINK, IMAGE)
    inspire = run_page(app(**{"from": f"{LINK} {IMAGE}"}), page="views/inspire.py")
    assert_literal(inspire, LINK, IMAGE)
    repo.record_search("hostile-fan", f"{LINK} {IMAGE}", {}, [])
    repo.add_favourite("hostile-fan", hostile_piece)
    history = run_page(app(), page="views/history.py", user="hostile-fan")
    assert_literal(history, LINK, IMAGE)


@pytest.mark.usefixtures("data_env")
def test_upload_is_parsed_once_in_the_capped_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check parses; generating from the upload reuses that parse (no second parse under
    the engine lock)."""
    from cantus import isolated
    from dashboard import seeding, services

    calls: list[tuple] = []
    real = isolated.run_capped

    def counting(func, args, time_limit_s):
        calls.append(args)
        return real(func, args, time_limit_s)

    monkeypatch.setattr(isolated, "run_capped", counting)
    path = seeding.check_upload("motif.abc", (ABC + "% parsed once\n").encode())
    assert path.parent == services.config.uploads_dir(None) and len(calls) == 1
    from recommender.music_search import file_token_ids

    assert file_token_ids(path) and len(calls) == 1  # what inspire calls: a cache hit
    monkeypatch.setattr(isolated, "run_capped", real)
    monkeypatch.setattr(seeding, "UPLOAD_PARSE_TIMEOUT_S", 3)
    with pytest.raises(services.BadInput, match=r"ran out of memory|took longer"):
        seeding.check_upload("bomb.abc", b"X:1\nT:bomb\nM:4/4\nL:1000000/1\nK:C\nCDEF|GABc|\n")
