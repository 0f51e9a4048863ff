"""Dashboard: lyrics on the piece page and as a Search filter, and visible notices when a
search channel is off.

Runs the real app against the shared tiny data dir (``tests/test_dashboard.py`` helpers); the
source text and the engine's channel state are replaced to reach each case.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_dashboard import app, data_env, plain, run_page, some_ids, texts, tiny_dir

__all__ = ["data_env", "some_ids", "tiny_dir"]  # fixtures used by name below

HOSTILE = (
    "**Kyrie** <script>alert(1)</script> [x](javascript:alert(1)) ![i](http://h/p.png) # eleison"
)


def _with_lyrics(monkeypatch: pytest.MonkeyPatch, words: str) -> None:
    from dashboard import services

    real = services.piece
    monkeypatch.setattr(services, "piece", lambda pid: {**real(pid), "lyrics": words})


def _channel_off(monkeypatch: pytest.MonkeyPatch, off: dict[str, str]) -> None:
    from dashboard import services

    monkeypatch.setattr(services, "channel_off", off.get)


def test_piece_page_shows_hostile_lyrics_literally(
    data_env: Path, some_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard.text import md

    _with_lyrics(monkeypatch, HOSTILE + "\n\n<b>more</b>")
    at = run_page(app(piece=some_ids[0]), page="views/piece.py")
    shown = [m.value for m in at.markdown if str(m.value).startswith("**Lyrics:**")]
    assert shown == [f"**Lyrics:** {md(HOSTILE + ' <b>more</b>')}"]  # one line, all escaped
    assert plain(shown[0]).endswith(HOSTILE + " <b>more</b>")


def test_piece_page_without_lyrics_shows_none(
    data_env: Path, some_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_lyrics(monkeypatch, "  ")
    at = run_page(app(piece=some_ids[0]), page="views/piece.py")
    assert "Lyrics:" not in texts(at)


def test_search_hit_matched_by_lyrics_says_so(
    data_env: Path, monkeypatch: pytest.MonkeyPatch, some_ids: list[str]
) -> None:
    from dashboard import services

    why = "lyrics: Qui tollis peccata [x](javascript:alert(1))"
    hit = {"id": some_ids[0], "title": "Gloria", "score": 0.9, "why": why}
    monkeypatch.setattr(services, "search", lambda query, filters=(), k=10: [hit])
    at = run_page(app(q="qui tollis"))
    assert why in [plain(m.value) for m in at.markdown]


def test_search_and_similar_say_when_a_channel_is_off(
    data_env: Path, some_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _channel_off(monkeypatch, {"caption": "no caption vectors", "melody": "no music tokens"})
    searched = run_page(app(q="melancholy waltz"))
    assert "Caption channel off (no caption vectors)" in plain(texts(searched))
    liked = run_page(app(like=some_ids[0]))
    assert "Melody channel off (no music tokens)" in plain(texts(liked))
    piece = run_page(app(piece=some_ids[0]), page="views/piece.py")
    assert "Melody channel off (no music tokens)" in plain(texts(piece))


def test_no_notice_while_channels_are_on(
    data_env: Path, some_ids: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _channel_off(monkeypatch, {})
    assert "channel off" not in plain(texts(run_page(app(q="melancholy waltz"))))
    piece = run_page(app(piece=some_ids[0]), page="views/piece.py")
    assert "channel off" not in plain(texts(piece))


def test_lyrics_filter_offers_yes_or_no_never_the_texts() -> None:
    import pandas as pd

    from dashboard.services import options

    sung = pd.DataFrame({"lyrics": ["", HOSTILE, None]})
    assert options(sung, "lyrics") == ["yes", "no"]
    assert options(pd.DataFrame({"lyrics": ["", " ", None]}), "lyrics") == []


def test_search_page_filters_by_lyrics_from_the_url(
    data_env: Path, monkeypatch: pytest.MonkeyPatch, some_ids: list[str]
) -> None:
    from dashboard import services

    real, asked = services.filter_options, []
    monkeypatch.setattr(services, "filter_options", lambda: {**real(), "lyrics": ["yes", "no"]})

    def search(query: str, filters: tuple = (), k: int = 10) -> list[dict]:
        asked.append(filters)
        return [{"id": some_ids[0], "title": "Gloria", "score": 0.9, "why": ""}]

    monkeypatch.setattr(services, "search", search)
    at = run_page(app(q="solemn chorale", lyrics="yes"))
    assert at.selectbox(key="lyrics").value == "yes"
    assert asked == [(("lyrics", "yes"),)]
