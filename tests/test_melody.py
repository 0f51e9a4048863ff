"""The melody line read from tokens, and the melody n-gram index ``similar`` fuses."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from music21 import converter, meter, note, stream

from cantus import token_decode, tokens
from cantus.melody_line import melody_line, notes_of
from recommender.melody import MAX_INTERVAL, MelodyIndex, melody_codes, ngrams, scale_steps

REEL = """X:1
T:Test Reel
M:4/4
L:1/8
K:D
|:A2FA DAFA|B2GB dBGB|A2FA DAFA|BcdB A2F2:|
"""


def _part(pitches: list[str], lengths: list[float], ts: str = "4/4") -> stream.Part:
    part = stream.Part()
    part.append(meter.TimeSignature(ts))
    for p, ql in zip(pitches, lengths, strict=True):
        part.append(note.Rest(quarterLength=ql) if p == "r" else note.Note(p, quarterLength=ql))
    return part


def _hymn() -> stream.Score:
    """A soprano in half notes over an alto in quarters and a bass: a chorale's texture."""
    soprano = _part(["G5", "A5", "B5", "A5", "G5", "G5"], [2, 2, 2, 2, 4, 4])
    alto_pitches = ["D5", "E5", "F#5", "D5", "E5", "G5", "F#5", "E5", "D5", "D5", "D5"]
    alto = _part(alto_pitches, [1] * 9 + [2, 4])
    bass = _part(["G3", "C4", "G3", "D4", "G3", "G3"], [2, 2, 2, 2, 4, 4])
    return stream.Score([soprano, alto, bass])


def test_notes_read_from_ids_match_the_tokenizers_decoder() -> None:
    ids = tokens.score_to_ids(_hymn())
    onset, pitch, length = notes_of(ids)
    ours = sorted(zip(onset.round(4), pitch.tolist(), length.round(4), strict=True))
    theirs = sorted((round(o, 4), p, round(d, 4)) for o, p, d in token_decode.ids_to_notes(ids))
    assert ours == theirs


def test_the_line_of_a_chorale_is_its_soprano_not_its_voices_interleaved() -> None:
    line = melody_line(tokens.score_to_ids(_hymn()))
    assert line.pitch.tolist() == [79, 81, 83, 81, 79, 79]  # the alto's quarters never cut in
    assert line.onset.tolist() == [0, 2, 4, 6, 8, 12]


def test_the_line_of_a_tune_is_the_tune() -> None:
    line = melody_line(tokens.score_to_ids(converter.parse(REEL, format="abc")))
    assert line.pitch[:8].tolist() == [69, 66, 69, 62, 69, 66, 69, 71]  # A2 F A D A F A B
    assert line.onset[:3].tolist() == [0, 1, 1.5]


def test_melody_codes_ignore_the_key_and_follow_the_rhythm() -> None:
    ids = tokens.score_to_ids(converter.parse(REEL, format="abc"))
    pitch, rhythm, steps = melody_codes(ids)
    up = melody_codes(tokens.transpose_ids(ids, 5))
    assert all(np.array_equal(a, b) for a, b in zip((pitch, rhythm, steps), up, strict=True))
    assert (pitch[:3] - MAX_INTERVAL - 1).tolist() == [-3, 3, -7]  # A2 F A D: down 3, up 3, ...
    # F to A (+3), leaving an F shorter than the A before it (change 0 = shorter)
    assert rhythm[0] == (3 + MAX_INTERVAL + 1) * 3 + 0


def test_steps_keep_a_tune_in_the_other_mode_and_in_halved_note_values() -> None:
    """E A A B C B C A D C D E (minor, Ryan's First of May) and the same with C# and F#
    (major, O'Neill's) differ in semitones but not in scale steps; quavers and semiquavers of
    one tune give the same steps (lengths are read against the piece's median)."""
    minor = ["E4", "A4", "A4", "B4", "C5", "B4", "C5", "A4", "D5", "C5", "D5", "E5", "F5", "E5"]
    major = [p.replace("C5", "C#5").replace("F5", "F#5") for p in minor]
    lengths = [1.0, 0.5, 0.5] * 4 + [1.0, 2.0]
    codes = {}
    for name, pitches, scale in (("minor", minor, 1), ("major", major, 1), ("half", minor, 0.5)):
        part = _part(pitches, [x * scale for x in lengths])
        codes[name] = melody_codes(tokens.score_to_ids(stream.Score([part])))
    assert not np.array_equal(codes["minor"][0], codes["major"][0])  # semitones differ
    assert np.array_equal(codes["minor"][2], codes["major"][2])  # scale steps do not
    assert np.array_equal(codes["minor"][2], codes["half"][2])
    # a rising minor and major third are one step class, a fourth another, a tritone a fourth
    one = np.ones(4)
    assert len(set(scale_steps(np.array([3, 4, 5, 6]), one).tolist())) == 2
    assert scale_steps(np.array([-3]), one[:1])[0] != scale_steps(np.array([3]), one[:1])[0]
    assert scale_steps(np.array([24, -24]), one[:2]).min() > 0  # symbols stay 1..255


def test_a_document_of_weight_zero_is_not_indexed(tunes) -> None:
    codes = [melody_codes(t) for t in tunes]
    two = MelodyIndex.from_codes(codes, rhythm_weight=1.0, steps_weight=0.0)
    three = MelodyIndex.from_codes(codes, rhythm_weight=1.0, steps_weight=2.0)
    assert len(two.channels) == 2 and len(three.channels) == 3
    assert three.matrix.shape[1] > two.matrix.shape[1]
    scores = three.scores([tunes[0]])[0]
    assert scores[1] == pytest.approx(1.0) and scores[2:].max() < 0.5  # other key: same tune
    with pytest.raises(ValueError, match="steps_weight"):
        MelodyIndex(tunes, steps_weight=-1.0)


def test_ngrams_are_exact_and_the_tfidf_is_sklearns() -> None:
    """Each n-gram is one exact integer; the index's cosines equal sklearn's TfidfVectorizer
    (sublinear tf) over the same n-grams written as words."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    assert ngrams(np.array([1, 2, 3, 4]), (3, 4)).tolist() == [
        (1 * 256 + 2) * 256 + 3, (2 * 256 + 3) * 256 + 4, ((1 * 256 + 2) * 256 + 3) * 256 + 4,
    ]  # fmt: skip
    rng = np.random.default_rng(1)
    codes = [(rng.integers(1, 6, n), rng.integers(1, 6, max(n - 1, 0))) for n in (9, 14, 2, 30, 20)]
    index = MelodyIndex.from_codes(codes, rhythm_weight=1.0, ngram_range=(2, 4), steps_weight=0)
    ours = (index.matrix @ index.matrix.T).toarray()
    theirs = np.zeros_like(ours)
    for i in range(2):
        words = [" ".join(f"s{x}" for x in c[i]) for c in codes]
        m = TfidfVectorizer(ngram_range=(2, 4), token_pattern=r"\S+", sublinear_tf=True)
        m = m.fit_transform(words)
        theirs += (m @ m.T).toarray() / 2
    assert np.allclose(ours, theirs, atol=1e-5)


@pytest.fixture(scope="module")
def tunes() -> list[list[int]]:
    """A reel, the reel in another key, the hymn, and two unrelated lines."""
    reel = tokens.score_to_ids(converter.parse(REEL, format="abc"))
    rng = np.random.default_rng(0)
    others = [
        tokens.score_to_ids(
            stream.Score([_part([f"{n}5" for n in rng.choice(list("CDEFGAB"), 24)], [0.5] * 24)])
        )
        for _ in range(2)
    ]
    return [reel, tokens.transpose_ids(reel, -3), tokens.score_to_ids(_hymn()), *others]


def test_the_index_finds_a_tune_in_another_key_first(tunes) -> None:
    index = MelodyIndex(tunes)
    scores = index.scores([tunes[0]])[0]
    assert np.argsort(-scores)[1] == 1 and scores[1] == pytest.approx(1.0)
    assert scores[2:].max() < 0.5
    query = index.query_vector(tunes[0])
    assert np.allclose(index.cosines(query), scores)
    assert np.allclose(query.toarray(), index.matrix[0].toarray())  # as its indexed row


def test_the_index_survives_pickling(tunes) -> None:
    index = MelodyIndex(tunes, rhythm_weight=2.0)
    again = pickle.loads(pickle.dumps(index))
    assert (again.matrix != index.matrix).nnz == 0
    assert np.allclose(again.scores([tunes[1]]), index.scores([tunes[1]]))


def test_a_negative_rhythm_weight_is_refused(tunes) -> None:
    with pytest.raises(ValueError, match="rhythm_weight"):
        MelodyIndex(tunes, rhythm_weight=-1.0)
