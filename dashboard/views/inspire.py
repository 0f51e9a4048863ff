"""Inspire: new seeds conditioned on favourites, a piece and its neighbours, words (the search
engine's pieces for a description), or an uploaded motif.

``/inspire?from=<id>`` starts from that piece (the Piece page's "Inspire from this").
"""

from __future__ import annotations

import random
from pathlib import Path

import streamlit as st

from cantus.errors import BadInput
from dashboard import scores, seeding, services, widgets
from generator.checks import TEMPERATURE
from generator.phrase import fitting_bars

SOURCES = ("A piece and its neighbours", "My favourites", "Describe it in words", "Upload a motif")
FORMS = {
    "phrase": "One phrase",
    "AB": "Question and answer (AB)",
    "AABB": "Dance tune (AABB)",
}
TONICS = ("C", "G", "D", "A", "E", "B", "F#", "C#", "F", "B-", "E-", "A-", "D-", "G-")
KEYS = ("", *(f"{t} {m}" for m in ("major", "minor") for t in TONICS))
MAX_CONDITIONING = 16  # pieces whose centroid conditions the generator


def conditioning() -> tuple[list[str] | None, Path | None, str | None]:
    """What the seeds follow: piece ids, an uploaded motif file (checked), or words."""
    default = 1 if st.query_params.get("from") is None and services.favourites() else 0
    source = st.radio("Start from", SOURCES, index=default, horizontal=True)
    if source == SOURCES[0]:
        return neighbours(), None, None
    if source == SOURCES[1]:
        return favourite_ids(), None, None
    if source == SOURCES[2]:
        return None, None, described()
    return None, uploaded_motif(), None


def described() -> str | None:
    text = st.text_input(
        "Describe the music",
        placeholder="melancholy waltz, a lively Irish jig, solemn chorale…",
        help="The seeds follow the pieces this finds; metre and key come from your words "
        '("waltz" → 3/4, "melancholy" → minor) unless you set them below.',
    )
    return text.strip() or None


def neighbours() -> list[str] | None:
    linked = st.query_params.get("from")
    if linked and not services.known_piece(linked):
        st.warning(widgets.md(f"No piece with id {linked!r} in this catalog; pick one below."))
        linked = None
    choice = widgets.piece_picker("inspire", default=linked)
    if not choice:
        return None
    count = st.slider(
        "Neighbours to include", 0, 10, 4, help="Similar pieces added to the conditioning"
    )
    near = [hit["id"] for hit in services.similar(choice, k=count)] if count else []
    return [choice, *near]


def favourite_ids() -> list[str] | None:
    if not widgets.need_user("use your favourites"):
        return None
    favs = services.favourites()
    if not favs:
        st.info("No favourites yet: ♥ some pieces on Search first.")
        return None
    labels = services.titles()
    chosen = st.multiselect(
        "Favourites",
        favs,
        default=favs[-MAX_CONDITIONING:],
        format_func=lambda pid: labels.get(pid, pid),
        max_selections=MAX_CONDITIONING,
    )
    return chosen or None


def uploaded_motif() -> Path | None:
    upload = st.file_uploader(
        "A motif or tune (MIDI, MusicXML, ABC, Humdrum; at most 2 MB)",
        type=list(seeding.UPLOAD_SUFFIXES),
        max_upload_size=seeding.MAX_UPLOAD_BYTES // (1024 * 1024),
    )
    if upload is None:
        return None
    checked = st.session_state.setdefault("_uploads", {})  # file id -> path or error (reruns)
    if upload.file_id not in checked:
        try:
            with st.spinner(f"Reading {widgets.md(upload.name)}…"):
                checked[upload.file_id] = seeding.check_upload(upload.name, upload.getvalue())
        except BadInput as exc:
            checked[upload.file_id] = str(exc)
    result = checked[upload.file_id]
    if isinstance(result, str):
        st.error(widgets.md(result), icon=":material/error:")
        return None
    st.caption(f"{widgets.md(upload.name)} read: the seeds continue it.")
    return result


def parameters() -> dict:
    meters, max_bars = seeding.generator_controls()
    left, right = st.columns(2)
    with left:
        offered = tuple(f for f in FORMS if fitting_bars(f, max_bars))  # forms that fit at all
        form = st.selectbox("Form", offered, format_func=FORMS.get)
        bars = bars_picker(form, max_bars)
        key = st.selectbox("Key", KEYS, format_func=lambda v: v or "Like the conditioning")
        meter = st.selectbox(
            "Meter", ("", *meters), format_func=lambda v: v or "Like the conditioning"
        )
    with right:
        n = st.slider("Number of seeds", 1, 8, 4)
        temperature = st.slider(
            "Temperature", 0.5, 1.5, TEMPERATURE, 0.05, help="Higher = more adventurous"
        )
        seed = st.number_input(
            "Random seed", 0, 2**31 - 1, value=st.session_state.setdefault("_rng", 0)
        )
        ending = st.radio(
            "Last phrase ends",
            ("closed", "open"),
            horizontal=True,
            format_func=lambda v: "on the tonic" if v == "closed" else "open (dominant)",
        )
    return {
        "form": form,
        "ending": ending,
        "bars": bars,
        "key": key or None,
        "meter": meter or None,
        "n": n,
        "temperature": float(temperature),
        "seed": int(seed),
    }


def bars_picker(form: str, max_bars: int) -> int:
    """Offer only the bar counts the form fits (``generator.phrase.fitting_bars``): a dance
    tune's strains are 4+ bars, so AABB is 16 bars."""
    fits = fitting_bars(form, max_bars)  # never empty: the picker offers only forms that fit
    if len(fits) == 1:  # a slider cannot have one stop
        st.caption(f"Bars: {fits[0]}, the only length that fits this form.")
        return fits[0]
    step = fits[1] - fits[0]
    default = min((b for b in fits if b >= 8), default=fits[-1])
    return st.slider("Bars", fits[0], fits[-1], default, step, key=f"bars-{form}")


def _seed_owner() -> str:
    """The signed-in user, who may act only on their own seeds (``db.seeds``)."""
    user = services.current_user()
    if user is None:
        raise BadInput("pick your user name in the sidebar to save or rate seeds")
    return user


def _save(record: dict) -> None:
    services.repo().set_seed_saved(_seed_owner(), record["db_id"], True)
    record["saved"] = True


def _rate(record: dict, key: str) -> None:
    stars = st.session_state.get(key)
    if stars is not None:
        services.repo().rate_seed(_seed_owner(), record["db_id"], int(stars) + 1)


def seed_card(record: dict, index: int) -> None:
    with st.container(border=True):
        st.subheader(f"Seed {index + 1}")
        figures = st.columns(4)
        figures[0].metric(
            "Fidelity",
            f"{float(record.get('fidelity') or 0):.2f}",
            help="Cosine between the seed's embedding and the conditioning centroid",
        )
        figures[1].metric(
            "Longest copied run",
            f"{record.get('max_copied_notes', 0)} notes",
            help="Novelty guard: the longest note run also found in a corpus piece",
        )
        figures[2].metric("Key", record.get("key") or "—")
        figures[3].metric("Meter", record.get("meter") or "—")
        if record.get("texture_note"):
            st.caption(f"Texture: {record['texture_note']}.")
        try:
            for svg in scores.seed_svgs(str(record["musicxml"])):
                st.image(svg, width="stretch")
        except ValueError:  # one unreadable seed must not hide the others
            st.caption("(this seed's score could not be engraved; MIDI and audio below)")
        midi = Path(record["midi"]).read_bytes()
        sources = tuple(record.get("conditioned_on") or ())
        st.audio(scores.midi_audio(midi, sources).wav, format="audio/wav")
        seed_actions(record, index, midi)


def seed_actions(record: dict, index: int, midi: bytes) -> None:
    tag = record["id"]  # widget keys follow the seed, so new seeds start unrated
    with st.container(horizontal=True, vertical_alignment="center"):
        mine = record.get("owner") is not None and record.get("owner") == services.current_user()
        if record.get("db_id") is not None and mine:  # a seed made before a user switch: no buttons
            st.button(
                "Saved" if record.get("saved") else "Save",
                icon=":material/bookmark:",
                key=f"save-{tag}",
                disabled=bool(record.get("saved")),
                on_click=widgets.safely,
                args=(_save, record),
            )
            st.feedback(
                "stars",
                key=f"rate-{tag}",
                on_change=widgets.safely,
                args=(_rate, record, f"rate-{tag}"),
            )
        st.download_button(
            "MIDI",
            midi,
            icon=":material/download:",
            file_name=f"seed-{index + 1}.mid",
            mime="audio/midi",
            key=f"dl-midi-{tag}",
            on_click="ignore",
        )
        st.download_button(
            "MusicXML",
            icon=":material/download:",
            data=Path(record["musicxml"]).read_bytes(),
            file_name=f"seed-{index + 1}.musicxml",
            key=f"dl-xml-{tag}",
            on_click="ignore",
        )


def generate(
    params: dict, from_ids: list[str] | None, motif: Path | None, text: str | None
) -> None:
    with st.status("Generating seeds…", expanded=False) as status:
        st.session_state["seeds"] = seeding.inspire(params, from_ids, motif, text)
        status.update(label=f"{len(st.session_state['seeds'])} seeds ready", state="complete")
    st.session_state["_rng"] = random.randrange(2**31 - 1)  # next press gives new seeds


st.title("Inspire")
st.caption("New musical seeds that follow what you like, in the key and meter you ask for.")
services.ensure_engine()
from_ids, motif, text = conditioning()
params = parameters()
ready = bool(from_ids) or motif is not None or bool(text)
if st.button("Generate seeds", icon=":material/lightbulb:", type="primary", disabled=not ready):
    generate(params, from_ids, motif, text)
seeds_so_far = st.session_state.get("seeds", [])
if seeds_so_far and seeds_so_far[0].get("conditioned_titles"):
    st.caption("Conditioned on: " + ", ".join(seeds_so_far[0]["conditioned_titles"]))
if not services.current_user():
    st.caption("Seeds are not kept in a history until you pick a user name in the sidebar.")
for i, seed_record in enumerate(st.session_state.get("seeds", [])):
    seed_card(seed_record, i)
