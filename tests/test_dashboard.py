"""Dashboard: rendering helpers, upload checks, the CLI, and an AppTest smoke test per page.

Page tests run the real app (``dashboard/app.py``) against the shared ``--profile tiny`` data
dir (``tiny_data_dir`` in conftest.py); they skip when the build stages are not available.
"""

from __future__ import annotations

import importlib.util
import io
import threading
import wave
from pathlib import Path

import pytest

from cantus.errors import BadInput
from tests.music_helpers import ABC

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
TIMEOUT = 180  # first run loads the engine and engraves thumbnails on 2 busy cores


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def tiny_dir(tiny_data_dir: Path) -> Path:
    return tiny_data_dir


@pytest.fixture
def data_env(tiny_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Serve the tiny data dir: with no build under CANTUS_HOME, data_dir() is CANTUS_ARTIFACTS."""
    monkeypatch.setenv("CANTUS_ARTIFACTS", str(tiny_dir))
    return tiny_dir


@pytest.fixture(scope="session")
def some_ids(tiny_dir: Path) -> list[str]:
    from cantus.catalog import load_catalog

    return [
        str(pid) for pid in load_catalog(tiny_dir, columns=["id"], include_user=False)["id"][:5]
    ]


def app(address: str = "127.0.0.1", **query: str):
    """The app as `cantus dashboard` serves it: on this computer only, unless ``address``."""
    from streamlit import config as st_config
    from streamlit.testing.v1 import AppTest

    st_config.set_option("server.address", address)  # dashboard.access reads it per run
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in query.items():
        at.query_params[name] = value
    return at


def run_page(at, page: str | None = None, user: str | None = None):
    """Run once on the default page, then (optionally) switch to ``page`` and run again."""
    if user:
        at.session_state["user"] = user
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at) -> str:
    parts = [*at.markdown, *at.caption, *at.title, *at.subheader, *at.info, *at.error]
    return "\n".join(str(p.value) for p in parts)


def plain(text: str) -> str:
    """Shown text without the Markdown escapes (``dashboard.text.md``)."""
    return str(text).replace("\\", "")


def buttons(at) -> list[str]:
    return [b.label for b in at.button]


# ---------------------------------------------------------------- rendering (no data dir)


def test_abc_tune_follows_ingest_numbering() -> None:
    from dashboard.render import abc_tune

    text = "X:1\nT:A\nK:C\nC|\n\nX:2\nT:B\nK:C\nD|\n\nX:2\nT:C\nK:C\nE|\n"
    assert "T:B" in abc_tune(text, "2")
    assert "T:C" in abc_tune(text, "2.2")  # a repeated X number is "<x>.2" in piece ids
    assert abc_tune(text, "9") is None
    padded = "X:0001\nT:A\nK:C\nC|]\n\nX:0002\nT:B\nK:C\nD|]\n"  # Aird's books write X:0001
    assert "T:B" in abc_tune(padded, "2")


def test_thumbnail_is_an_svg_of_the_first_bars() -> None:
    from dashboard.render import ScoreSource, score_svgs, thumbnail_svg

    long_tune = ABC + "a2 ba gf | e2 d4 |" * 20
    thumb = thumbnail_svg(ScoreSource(long_tune, "abc"), bars=2)
    full = score_svgs(ScoreSource(long_tune, "abc"))[0]
    assert thumb.lstrip().startswith("<svg")
    assert thumb.count('class="measure"') == 2
    assert full.count('class="measure"') > 20


def test_scores_render_from_any_thread() -> None:
    # Streamlit serves each session from its own thread; verovio's font path is thread-local
    from dashboard.render import ScoreSource, thumbnail_svg

    results: list[str] = []
    worker = threading.Thread(target=lambda: results.append(thumbnail_svg(ScoreSource(ABC, "abc"))))
    worker.start()
    worker.join()
    assert results and 'class="measure"' in results[0]


def test_unreadable_score_raises() -> None:
    from dashboard.render import ScoreSource, thumbnail_svg

    with pytest.raises(ValueError, match="verovio could not read"):
        thumbnail_svg(ScoreSource("<not-a-score/>", "musicxml"))


def _midi(seconds: float) -> bytes:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(program=0)
    piano.notes = [
        pretty_midi.Note(80, 60 + i % 12, i * 0.5, i * 0.5 + 0.45) for i in range(int(seconds * 2))
    ]
    pm.instruments.append(piano)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def test_audio_is_capped_wav() -> None:
    from dashboard.render import midi_to_audio

    audio = midi_to_audio(_midi(60), max_seconds=5, rate=8000)
    with wave.open(io.BytesIO(audio.wav)) as handle:
        assert handle.getframerate() == 8000
        assert handle.getnframes() / 8000 <= 5.0
        assert handle.getnframes() / 8000 > 4.0
    assert audio.truncated
    short = midi_to_audio(_midi(2), max_seconds=5, rate=8000)
    assert not short.truncated and short.seconds < 5


def test_markdown_escaping_keeps_hostile_titles_literal() -> None:
    from dashboard.widgets import md

    hostile = "[click](javascript:alert(1)) **bold** <b>x</b>"
    escaped = md(hostile)
    assert "](" not in escaped and "**" not in escaped and "<b>" not in escaped
    assert escaped.replace("\\", "") == hostile


def test_map_click_opens_the_clicked_piece() -> None:
    from dashboard.widgets import selected_id

    event = {"selection": {"pick": [{"id": "m21:bach/bwv66.6.mxl#"}]}}
    assert selected_id(event, "pick") == "m21:bach/bwv66.6.mxl#"
    assert selected_id({"selection": {"pick": []}}, "pick") is None
    assert selected_id(None, "pick") is None


# ---------------------------------------------------------------- uploads and CLI


def test_cli_passes_streamlit_options_through() -> None:
    from cantus.cli import build_parser
    from dashboard.cli import streamlit_command

    args = build_parser().parse_args(
        ["dashboard", "--server.port", "8765", "--server.headless=true"]
    )
    cmd = streamlit_command(args.streamlit_args)
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[-3:] == ["--server.port", "8765", "--server.headless=true"]
    assert Path(cmd[4]).name == "server.py"


# ---------------------------------------------------------------- pages (tiny data dir)


def test_search_page_reads_query_and_filters_from_the_url(data_env: Path) -> None:
    at = run_page(app(q="melancholy waltz", meter="3/4"))
    assert at.text_input(key="q").value == "melancholy waltz"
    assert at.selectbox(key="meter").value == "3/4"
    assert "results for" in texts(at)
    plays = [label for label in buttons(at) if label == "Play"]
    assert plays, "no result cards"
    metas = [c.value for c in at.caption if " · " in str(c.value)]
    assert metas and all("3/4" in m for m in metas)
    assert at.get("image"), "no score thumbnails"
    assert not at.error


def test_weak_matches_are_flagged(data_env: Path, monkeypatch) -> None:
    from dashboard import services

    scores = []

    def below(threshold: float):
        def weak(hits: list[dict]) -> bool:
            scores.append(hits[0]["score"])
            return hits[0]["score"] < threshold

        return weak

    monkeypatch.setattr(services, "weak_match", below(2.0))  # every cosine is below 2
    at = run_page(app(q="the tax code of 1998"))
    assert at.info and "Nothing matches this well" in at.info[0].value
    monkeypatch.setattr(services, "weak_match", below(-2.0))
    assert not run_page(app(q="melancholy waltz")).info
    assert len(scores) == 2


def test_search_page_without_query_offers_examples(data_env: Path) -> None:
    at = run_page(app())
    assert "melancholy waltz" in buttons(at)
    at.button(key="example-0").click().run()
    assert at.text_input(key="q").value == "melancholy waltz"
    assert "results for" in texts(at)


def test_sidebar_picks_a_user(data_env: Path) -> None:
    # typing a new name (accept_new_options) needs a browser; AppTest can pick existing ones
    from dashboard import services
    from db import repo

    repo.ensure_user("Zoë")
    services.user_names.clear()  # the picker caches names for a few seconds
    at = run_page(app())
    at.sidebar.selectbox[0].set_value("Zoë").run()
    assert not at.exception
    assert at.session_state["user"] == "Zoë"
    assert "Zoë" in [u.name for u in repo.list_users()]


def test_refining_filters_keeps_one_search_in_history(data_env: Path) -> None:
    from db import repo

    at = run_page(app(q="lively jig"), user="refiner")
    mode = at.selectbox(key="mode")
    mode.set_value(mode.options[1]).run()
    assert not at.exception
    searches = repo.history("refiner")["searches"]
    assert [s["query"] for s in searches] == ["lively jig"]
    assert searches[0]["filters"].get("mode")  # the entry now holds the refinement


def test_user_lives_in_the_url(data_env: Path) -> None:
    from dashboard import services
    from db import repo

    repo.ensure_user("ana")
    services.user_names.clear()
    at = run_page(app(q="lively jig", user="ana"))  # a reload or shared link
    assert at.session_state["user"] == "ana" and at.query_params["user"] == "ana"
    stranger = run_page(app(user="nobody-known"))  # a URL never creates a user
    assert "user" not in stranger.session_state and "user" not in stranger.query_params
    picked = run_page(app(), user="ana")  # a picked name is written to the URL
    assert picked.query_params["user"] == "ana"


def test_search_records_history_and_favourites(data_env: Path) -> None:
    from db import repo

    at = run_page(app(q="lively jig"), user="searcher")
    at.button(key="fav-search-0").click().run()
    assert repo.list_favourites("searcher"), "♥ did not reach the database"
    assert [s["query"] for s in repo.history("searcher")["searches"]] == ["lively jig"]
    at.button(key="like-search-0").click().run()
    assert "More like" in texts(at)


def test_piece_page_shows_score_metadata_and_similar(data_env: Path, some_ids: list[str]) -> None:
    at = run_page(app(piece=some_ids[0]), page="views/piece.py")
    assert "Similar pieces" in texts(at)
    assert "Inspire from this" in buttons(at)
    assert len(at.get("download_button")) == 2
    assert at.get("image"), "no score"
    assert at.metric, "no metadata"
    at.button(key="play-piece").click().run()
    assert at.get("audio")


def test_piece_page_unknown_id_is_a_friendly_error(data_env: Path) -> None:
    at = run_page(app(piece="m21:nope#1"), page="views/piece.py")
    assert at.error and "No piece with id 'm21:nope#1'" in plain(at.error[0].value)
    assert "Open a piece from Search" in at.info[0].value  # the picker is offered instead


def test_inspire_link_with_an_unknown_id_says_so(data_env: Path) -> None:
    at = run_page(app(**{"from": "m21:nope#1"}), page="views/inspire.py")
    assert at.warning and "No piece with id 'm21:nope#1'" in plain(at.warning[0].value)


def test_for_you_page(data_env: Path) -> None:
    at = run_page(app(), page="views/for_you.py")
    assert "Pick or create a user name" in texts(at)
    at = run_page(app(), page="views/for_you.py", user="newcomer")
    assert "Not for me" in buttons(at)
    at.button(key="dismiss-foryou-0").click().run()
    assert not at.exception


def test_inspire_page_generates_seeds(data_env: Path, some_ids: list[str]) -> None:
    pytest.importorskip("generator.inspire", reason="generator.inspire not in this checkout yet")
    at = run_page(app(**{"from": some_ids[0]}), page="views/inspire.py", user="composer")
    generate = next(b for b in at.button if b.label == "Generate seeds")
    assert not generate.disabled
    next(s for s in at.slider if s.label == "Number of seeds").set_value(2)  # keeps it short
    generate.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(s.value == "Seed 1" for s in at.subheader)
    assert at.get("audio") and at.get("image")
    from db import repo

    assert len(repo.list_seeds("composer")) == 2, "every generated seed is history"
    next(b for b in at.button if b.key and b.key.startswith("save-")).click().run()
    at.feedback[0].set_value(4).run()  # the fifth star
    first = repo.list_seeds("composer")[0]
    assert first.saved and first.rating == 5
    # Another person at the same browser session cannot keep or rate the composer's seeds.
    repo.ensure_user("intruder")
    at.session_state["user"] = "intruder"
    at.run()
    before = repo.list_seeds("composer")
    assert not [b for b in at.button if b.key and b.key.startswith("save-")], "no Save for them"
    assert not at.feedback, "no stars for them"
    assert any(s.value == "Seed 1" for s in at.subheader)  # the seeds still show, to play
    assert repo.list_seeds("composer") == before and repo.list_seeds("intruder") == []
    with pytest.raises(BadInput, match="no seed"):  # and the store refuses them anyway
        repo.set_seed_saved("intruder", before[-1].id, True)
    assert repo.list_seeds("composer") == before


def test_inspire_form_picker_offers_only_bars_that_fit(data_env: Path, some_ids: list[str]) -> None:
    at = run_page(app(**{"from": some_ids[0]}), page="views/inspire.py")
    assert next(s for s in at.slider if s.label == "Bars").min == 1  # one phrase: any length
    next(s for s in at.selectbox if s.label == "Form").set_value("AB").run()
    bars = next(s for s in at.slider if s.label == "Bars")
    assert (bars.min, bars.step, bars.value) == (4, 2, 8)  # two phrases of 2+ bars
    next(s for s in at.selectbox if s.label == "Form").set_value("AABB").run()
    assert not any(s.label == "Bars" for s in at.slider)  # four strains of 4 bars: only 16
    assert "Bars: 16" in texts(at)


def test_inspire_page_from_words(data_env: Path) -> None:
    at = run_page(app(), page="views/inspire.py")
    at.radio[0].set_value("Describe it in words").run()
    assert next(b for b in at.button if b.label == "Generate seeds").disabled  # nothing typed
    at.text_input[0].set_value("melancholy waltz").run()
    next(s for s in at.slider if s.label == "Number of seeds").set_value(1)
    next(b for b in at.button if b.label == "Generate seeds").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.subheader] == ["Seed 1"]
    assert any("Conditioned on:" in c.value for c in at.caption)


def test_inspire_page_reports_a_bad_upload_and_goes_on(data_env: Path) -> None:
    at = run_page(app(), page="views/inspire.py")
    at.radio[0].set_value("Upload a motif").run()
    at.get("file_uploader")[0].upload("motif.mid", b"MThd but not really MIDI").run()
    assert not at.exception
    assert at.error and "could not read 'motif.mid'" in plain(at.error[0].value)
    assert next(b for b in at.button if b.label == "Generate seeds").disabled
    at.get("file_uploader")[0].upload("motif.abc", ABC.encode(), "text/plain").run()
    assert not at.error
    generate = next(b for b in at.button if b.label == "Generate seeds")
    assert not generate.disabled
    if importlib.util.find_spec("generator.inspire") is not None:
        next(s for s in at.slider if s.label == "Number of seeds").set_value(1)
        generate.click().run()
        assert not at.exception and not at.error, [e.value for e in at.error]
        assert [s.value for s in at.subheader] == ["Seed 1"]


def test_history_page_lists_and_deletes(data_env: Path) -> None:
    from db import repo

    repo.record_search("historian", "solemn chorale", {}, [])
    at = run_page(app(), page="views/history.py", user="historian")
    assert "solemn chorale" in texts(at)
    delete = next(b for b in at.button if b.key and b.key.startswith("del-search-"))
    delete.click().run()
    assert repo.history("historian")["searches"] == []
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Delete my data").click().run()
    assert "historian" not in [u.name for u in repo.list_users()]


def test_map_page(data_env: Path) -> None:
    at = run_page(app(), page="views/map.py")
    assert at.get("vega_lite_chart")
    assert not at.error


def test_not_for_me_on_search_hides_then_undo_and_history_restore(data_env: Path) -> None:
    from db import repo

    at = run_page(app(q="lively jig"), user="picky")
    assert "Not for me" in buttons(at)
    at.button(key="dismiss-search-0").click().run()
    (hidden,) = repo.list_hidden("picky")
    assert "Hidden:" in texts(at) and not at.exception
    at.button(key="undo-hide").click().run()
    assert repo.list_hidden("picky") == []
    repo.hide_piece("picky", hidden)
    at = run_page(app(), page="views/history.py", user="picky")
    at.button(key=f"del-hidden-{repo.history('picky')['hidden'][0]['id']}").click().run()
    assert repo.list_hidden("picky") == []  # deleting the entry un-hides the piece
