"""``--filter lyrics=yes|no`` (pieces with or without the sources' sung words) and hostile
filter input, through the engine and ``cantus search``."""

from __future__ import annotations

import pytest

import recommender.cli as search_cli
from cantus.cli import main
from cantus.errors import BadInput
from recommender.engine import Engine
from tests.test_engine import (
    KeywordEncoder,
    bag_of_words,
    caption_vectors,
    fake_describe,
    music_vectors,
    synthetic_catalog,
)
from tests.test_search_cli import _lines, use_catalog

SUNG = "Qui tollis peccata mundi *[x](javascript:alert(1))* <b>"


@pytest.fixture(scope="module")
def sung_engine() -> Engine:
    """Every fifth piece has lyrics (one of them hostile text)."""
    catalog = synthetic_catalog(60)
    catalog["lyrics"] = ["" if i % 5 else f"{SUNG} {i}" for i in range(len(catalog))]
    return Engine(
        catalog, music_vectors(catalog), KeywordEncoder(),
        caption_embeddings=caption_vectors(catalog), text_embedder=bag_of_words,
        describe=fake_describe,
    )  # fmt: skip


@pytest.fixture
def cli_engine(sung_engine, monkeypatch) -> Engine:
    monkeypatch.setattr(search_cli, "load_engine", lambda: sung_engine)
    use_catalog(monkeypatch, sung_engine.catalog)
    return sung_engine


def _sung(engine: Engine, piece_id: str) -> bool:
    return bool(engine.piece(piece_id)["lyrics"])


@pytest.mark.parametrize(("value", "sung"), [("yes", True), ("No", False), (" YES ", True)])
def test_lyrics_filter_keeps_pieces_with_or_without_words(sung_engine, value, sung):
    hits = sung_engine.search("waltz", k=30, filters=[f"lyrics={value}"])
    assert hits and all(_sung(sung_engine, h.id) is sung for h in hits)


def test_lyrics_yes_and_no_together_keep_every_piece(sung_engine):
    hits = sung_engine.search("waltz", k=60, filters={"lyrics": ["yes", "no"]})
    assert len(hits) == 60


@pytest.mark.parametrize("bad", ["maybe", "Qui tollis", "<b>", "1"])
def test_lyrics_filter_takes_only_yes_or_no(sung_engine, bad):
    with pytest.raises(BadInput, match=r"filter lyrics takes yes or no \(received"):
        sung_engine.search("waltz", filters=[f"lyrics={bad}"])


def test_lyrics_filter_on_a_catalog_without_words_says_so_without_texts():
    catalog = synthetic_catalog(20)
    engine = Engine(catalog, music_vectors(catalog), KeywordEncoder())
    with pytest.raises(BadInput, match=r"^no piece in this catalog has lyrics=yes$"):
        engine.search("waltz", filters=["lyrics=yes"])


def test_cli_lyrics_filter(cli_engine, capsys):
    assert main(["search", "waltz", "-k", "5", "--filter", "lyrics=yes", "--json"]) == 0
    (obj,) = _lines(capsys)
    assert len(obj["results"]) == 5 and all(_sung(cli_engine, r["id"]) for r in obj["results"])


@pytest.mark.parametrize(
    ("arg", "says"),
    [
        ("lyrics=maybe", "filter lyrics takes yes or no (received 'maybe')"),
        ("lyrics=", "a filter is FIELD=VALUE"),
        ("=yes", "a filter is FIELD=VALUE"),
        ("tempo=fast", "unknown filter field 'tempo'; valid fields: meter, mode, key"),
        ("<script>=x", "unknown filter field '<script>'"),
        ("lyrics=yes\x1b[31m", "filter lyrics takes yes or no (received 'yes\\x1b[31m')"),
    ],
)
def test_cli_bad_filters_exit_2_with_one_line(cli_engine, capsys, arg, says):
    assert main(["search", "waltz", "--filter", arg]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and "\x1b" not in err


def test_search_help_documents_the_filter_fields(capsys):
    with pytest.raises(SystemExit):
        main(["search", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "lyrics=yes|no" in out and "region" in out and "unknown field" in out
