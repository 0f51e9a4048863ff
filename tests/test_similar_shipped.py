"""Shipped catalog: a played, transposed and ornamented copy of a corpus tune finds that tune."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

TUNES = [  # a jig, a reel and a German folk song, each as the corpus holds it
    ("m21:oneills1850/0001-0050.abc#5", "oneills1850/0001-0050.abc", 5),
    ("m21:ryansMammoth/AcaciaReel.abc#", "ryansMammoth/AcaciaReel.abc", None),
    # turns on the half notes of this 4/2 song rewrite many interval n-grams; the song's
    # whole melody line (not its opening window) and its scale-step n-grams still find it
    ("m21:essenFolksong/altdeu10.abc#1", "essenFolksong/altdeu10.abc", 1),
]


@pytest.fixture(scope="module")
def engine():
    from recommender.engine import Engine

    return Engine.load()


def ornamented_midi(source: str, number: int | None, shift: int, out) -> None:
    """The tune up ``shift`` semitones, every fourth note of a half beat or more turned into
    the note, its upper neighbour and the note again (a turn a player adds), as MIDI."""
    from music21 import corpus, interval, note

    score = corpus.parse(source, number=number) if number is not None else corpus.parse(source)
    part = score.parts[0] if score.parts else score
    melody = part.transpose(interval.Interval(shift)).flatten().notes.stream()
    for i, n in enumerate(list(melody.getElementsByClass(note.Note))):
        if i % 4 == 1 and n.quarterLength >= 0.5:
            half = n.quarterLength / 2
            upper = note.Note(n.pitch.transpose(2), quarterLength=half / 2)
            back = note.Note(n.pitch, quarterLength=half / 2)
            n.quarterLength = half
            melody.insert(n.offset + half, upper)
            melody.insert(n.offset + half + half / 2, back)
    melody.write("midi", fp=str(out))


@pytest.mark.parametrize(("piece_id", "source", "number"), TUNES)
def test_a_transposed_ornamented_midi_of_a_corpus_tune_finds_it_first(
    engine, tmp_path, piece_id, source, number
) -> None:
    assert piece_id in engine
    path = tmp_path / "played.mid"
    ornamented_midi(source, number, 3, path)
    hits = engine.similar(str(path), k=5)
    assert hits[0].id == piece_id, [h.id for h in hits]
