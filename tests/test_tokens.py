"""Behaviour of the one tokenizer: round trips, decoding, editing, persistence, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from music21 import chord, converter, corpus, meter, note, stream

from cantus import score_bridge, token_decode, tokens


def _built_score() -> stream.Score:
    """Two parts in 3/4 with a rest, a chord, a triplet and notes across bar lines."""
    melody = stream.Part()
    melody.append(meter.TimeSignature("3/4"))
    for pitch, ql in [("G4", 1), ("C5", 1), ("E5", 0.5), ("D5", 0.5), ("C5", 1)]:
        melody.append(note.Note(pitch, quarterLength=ql))
    for pitch in ["D5", "E5", "F5"]:
        melody.append(note.Note(pitch, quarterLength=1 / 3))
    melody.append(note.Note("G5", quarterLength=2))
    melody.append(note.Note("C5", quarterLength=3))
    bass = stream.Part()
    bass.append(meter.TimeSignature("3/4"))
    bass.append(note.Rest(quarterLength=1))
    bass.append(chord.Chord(["C3", "G3"], quarterLength=3))
    bass.append(note.Note("G2", quarterLength=3))
    bass.append(note.Note("C3", quarterLength=3))
    return stream.Score([melody, bass])


# a jig with a pickup, repeats and a tie (ABC is how most of the corpus arrives)
JIG_ABC = """X:1
T:Test Jig
M:6/8
L:1/8
K:D
A|:dfa afd|ecA Ace|dfa agf|1 e3- edA:|2 e3 d2||
"""


@pytest.fixture(scope="module")
def chorale() -> stream.Score:
    return corpus.parse("bach/bwv66.6")


@pytest.fixture(scope="module")
def chorale_ids(chorale: stream.Score) -> list[int]:
    return tokens.score_to_ids(chorale, max_len=None)


def _sounding_pitches(s: stream.Stream) -> int:
    """Pitches that start a sound (tie continuations are not new notes)."""
    count = 0
    for n in s.recurse().notes:
        if n.tie is None or n.tie.type == "start":
            count += len(n.pitches)
    return count


def test_built_score_round_trips_through_midi() -> None:
    score = _built_score()
    ids = tokens.score_to_ids(score, max_len=None)
    assert tokens.midi_to_ids(token_decode.ids_to_midi_bytes(ids)) == ids
    notes = token_decode.ids_to_notes(ids)
    # the bass chord sounds with the melody: polyphony kept in one stream
    onsets = [onset for onset, _, _ in notes]
    assert len(onsets) > len(set(onsets))
    assert {48, 55} <= {pitch for _, pitch, _ in notes}
    assert len(notes) == _sounding_pitches(score)


def test_chorale_round_trip_and_pickup(chorale_ids: list[int]) -> None:
    assert tokens.midi_to_ids(token_decode.ids_to_midi_bytes(chorale_ids)) == chorale_ids
    names = [tokens.id_to_token(i) for i in chorale_ids[:3]]
    assert names[:2] == ["Bar_None", "TimeSig_4/4"]
    # bwv66.6 opens with a one-beat pickup: it lands on beat 4 of bar 1
    first_onset = token_decode.ids_to_notes(chorale_ids)[0][0]
    assert first_onset == pytest.approx(3.0)


def test_abc_jig_pickup_repeats_and_tie() -> None:
    jig = converter.parse(JIG_ABC, format="abc")
    ids = tokens.score_to_ids(jig, max_len=None)
    names = [tokens.id_to_token(i) for i in ids]
    assert names[:2] == ["Bar_None", "TimeSig_6/8"]
    notes = token_decode.ids_to_notes(ids)
    # the one-eighth pickup ends the first 6/8 bar (2.5 quarters in)
    assert notes[0][0] == pytest.approx(2.5)
    # written repeats are not expanded and the tied e3- e is one note
    assert len(notes) == _sounding_pitches(jig)
    assert tokens.midi_to_ids(token_decode.ids_to_midi_bytes(ids)) == ids


def test_held_note_restruck_in_other_voice_round_trips() -> None:
    """A voice holding E4 while another strikes E4 again must still survive MIDI."""
    upper, lower = stream.Part(), stream.Part()
    upper.append([note.Note("E4", quarterLength=3), note.Note("G4", quarterLength=1)])
    lower.append([note.Note("C4", quarterLength=1), note.Note("E4", quarterLength=1)])
    lower.append(note.Note("C4", quarterLength=2))
    ids = tokens.score_to_ids(stream.Score([upper, lower]), max_len=None)
    assert tokens.midi_to_ids(token_decode.ids_to_midi_bytes(ids)) == ids
    e4 = [(onset, dur) for onset, pitch, dur in token_decode.ids_to_notes(ids) if pitch == 64]
    assert e4 == [(0.0, 1.0), (1.0, 1.0)]  # the held E4 ends where it is struck again


@pytest.mark.filterwarnings("ignore:Cannot put in an element with a missing voice tag")
def test_musicxml_rereads_with_same_notes(tmp_path: Path) -> None:
    score = _built_score()
    ids = tokens.score_to_ids(score, max_len=None)
    path = token_decode.ids_to_musicxml(ids, tmp_path / "seed.musicxml", key="C major")
    reread = converter.parse(path)
    assert _sounding_pitches(reread) == len(token_decode.ids_to_notes(ids))
    assert reread.recurse().getElementsByClass("TimeSignature")[0].ratioString == "3/4"
    assert "Acoustic Grand Piano</part-name>" not in path.read_text()  # no invented staff label


def test_transpose_shifts_every_pitch_and_inverts(chorale_ids: list[int]) -> None:
    up = tokens.transpose_ids(chorale_ids, 5)
    before = [p for _, p, _ in token_decode.ids_to_notes(chorale_ids)]
    after = [p for _, p, _ in token_decode.ids_to_notes(up)]
    assert after == [p + 5 for p in before]
    assert tokens.transpose_ids(up, -5) == chorale_ids
    lo, hi = tokens.transpose_bounds(chorale_ids)
    with pytest.raises(ValueError, match="pitch range"):
        tokens.transpose_ids(chorale_ids, hi + 1)
    assert tokens.transpose_ids(chorale_ids, lo)  # the bound itself is allowed


def test_crop_starts_on_bar_and_respects_max_len(chorale_ids: list[int]) -> None:
    rng = np.random.default_rng(0)
    crops = [tokens.crop_ids(chorale_ids, 64, rng) for _ in range(20)]
    assert all(c[0] == tokens.bar_token_id() and len(c) == 64 for c in crops)
    assert len({tuple(c) for c in crops}) > 1  # random starts
    assert tokens.crop_ids(chorale_ids[:10], 64, rng) == chorale_ids[:10]


def test_stored_ids_cut_at_bar_boundary(chorale: stream.Score, chorale_ids: list[int]) -> None:
    cut = tokens.score_to_ids(chorale, max_len=100)
    assert len(cut) <= 100
    assert chorale_ids[len(cut)] == tokens.bar_token_id()
    assert cut == chorale_ids[: len(cut)]


def test_token_kinds_cover_vocab() -> None:
    kinds = tokens.token_kinds()
    assert {"Bar", "Position", "Pitch", "Duration", "TimeSig"} <= set(kinds)
    assert sum(len(v) for v in kinds.values()) == tokens.vocab_size()
    assert tokens.PAD_ID in kinds["PAD"]
    assert tokens.bar_token_id() in kinds["Bar"]
    assert "Velocity" not in kinds and "Tempo" not in kinds


def test_save_load_gives_same_ids(tmp_path: Path, chorale: stream.Score) -> None:
    path = tokens.save_tokenizer(tmp_path)
    loaded = tokens.load_tokenizer(path)
    midi = token_decode.ids_to_midi_bytes(tokens.score_to_ids(chorale))
    from symusic import Score

    merged = score_bridge.merge_tracks(Score.from_midi(midi))
    assert list(loaded.encode(merged)[0].ids) == tokens.midi_to_ids(midi)


@pytest.mark.parametrize(
    "data", [b"", b"garbage bytes", b"MThd" + b"\x00" * 40], ids=["empty", "text", "bad-chunk"]
)
def test_bad_midi_raises_value_error(data: bytes) -> None:
    with pytest.raises(ValueError, match="MIDI"):
        tokens.midi_to_ids(data)


def test_empty_score_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no pitched notes"):
        tokens.score_to_ids(stream.Score())


def test_load_rejects_missing_or_foreign_tokenizer(tmp_path: Path) -> None:
    import json

    from cantus.errors import MissingArtifact

    with pytest.raises(MissingArtifact, match="cantus build"):
        tokens.load_tokenizer(tmp_path / "absent.json")
    path = tokens.save_tokenizer(tmp_path / "tok.json")
    params = json.loads(path.read_text())
    params["config"]["pitch_range"] = [40, 90]
    path.write_text(json.dumps(params))
    with pytest.raises(MissingArtifact, match="differs"):
        tokens.load_tokenizer(path)


def test_the_vocabulary_cache_is_written_once_then_read(tmp_path, monkeypatch) -> None:
    from cantus import config

    monkeypatch.setenv("CANTUS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(config, "shared_cache_dir", lambda: tmp_path / "shared")
    tokens._vocab.cache_clear()
    try:
        assert tokens._vocab() == dict(tokens.get_tokenizer().vocab)
        (written,) = (tmp_path / "home" / "cache").iterdir()
        assert written.name == tokens._vocab_file_name()
        written.write_text('{"PAD_None": 0, "Bar_None": 1}')  # what is read is the file
        tokens._vocab.cache_clear()
        assert tokens._vocab() == {"PAD_None": 0, "Bar_None": 1}
        assert not (tmp_path / "shared").exists()
    finally:
        tokens._vocab.cache_clear()
