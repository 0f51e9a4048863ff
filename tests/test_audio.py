"""Sampled-instrument audio (cantus.audio) and ``cantus render`` (issue 13, item 13)."""

from __future__ import annotations

import io
import json
import wave

import numpy as np
import pytest

from cantus import audio
from cantus.cli import main


def _midi(parts: list[tuple[str, int]], seconds: float = 4.0) -> bytes:
    """A MIDI file with one track per (name, program), each playing a scale."""
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=120)
    for i, (name, program) in enumerate(parts):
        inst = pretty_midi.Instrument(program=program, name=name)
        base = 72 - 12 * i
        inst.notes = [
            pretty_midi.Note(90, base + (k % 8), k * 0.5, k * 0.5 + 0.45)
            for k in range(int(seconds * 2))
        ]
        pm.instruments.append(inst)
    buffer = io.BytesIO()
    pm.write(buffer)
    return buffer.getvalue()


def _samples(wav: bytes) -> tuple[np.ndarray, int, int]:
    with wave.open(io.BytesIO(wav)) as handle:
        rate, channels = handle.getframerate(), handle.getnchannels()
        frames = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
    return frames.reshape(-1, channels) / 32768.0, rate, channels


@pytest.mark.parametrize(
    ("name", "collection", "program"),
    [
        ("Soprano", "", audio.CHOIR),
        ("Bass", "bach", audio.CHOIR),
        ("Violoncello", "", audio.CELLO),
        ("Viola", "", audio.VIOLA),
        ("Violin 1", "", audio.VIOLIN),
        ("Contrabass", "", audio.CONTRABASS),
        ("Flute", "", 73),
        ("", "oneills1850", audio.VIOLIN),
        ("", "essenFolksong", audio.VOICE),
        ("", "bach", audio.CHOIR),
        ("", "user", audio.PIANO),
    ],
)
def test_each_part_gets_its_instrument(name, collection, program) -> None:
    assert audio.program_for(name, collection) == program


def test_quartet_parts_without_names_are_strings_and_set_programs_stay() -> None:
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(_midi([("", 0)] * 4)))
    assert audio.assign_programs(pm, "haydn") == audio.QUARTET
    pm = pretty_midi.PrettyMIDI(io.BytesIO(_midi([("Soprano", 24), ("", 0)])))
    assert audio.assign_programs(pm, "") == (24, audio.PIANO)  # a chosen guitar stays


def test_render_is_loudness_normalised_stereo_48k() -> None:
    result = audio.render_midi(_midi([("Soprano", 0), ("Bass", 0)]))
    samples, rate, channels = _samples(result.wav)
    assert (rate, channels) == (audio.SYNTH_RATE, 2)
    assert 3.5 < result.seconds < 6.0 and not result.truncated
    peak = float(np.abs(samples).max())
    sounding = samples[np.abs(samples).max(axis=1) > peak * 1e-3]
    rms = float(np.sqrt(np.mean(sounding**2)))
    assert peak <= audio.PEAK_CEILING + 1e-3
    # the SoundFont alone renders near 10 % peak; normalised, loud but never clipped
    assert rms == pytest.approx(audio.TARGET_RMS, rel=0.1) or peak >= audio.PEAK_CEILING - 0.01


def test_instruments_are_sampled_not_one_waveform() -> None:
    """The same notes on choir and on violin sound different (a sine synth would not)."""
    choir = _samples(audio.render_midi(_midi([("Soprano", 0)]), mono=True).wav)[0][:, 0]
    violin = _samples(audio.render_midi(_midi([("Violin", 0)]), mono=True).wav)[0][:, 0]
    n = min(len(choir), len(violin))
    spectra = [np.abs(np.fft.rfft(x[:n])) for x in (choir, violin)]
    corr = float(np.corrcoef(*spectra)[0, 1])
    assert corr < 0.9


def test_cap_and_resample_for_the_app() -> None:
    result = audio.render_midi(_midi([("", 0)], seconds=20), max_seconds=5, rate=22_050, mono=True)
    samples, rate, channels = _samples(result.wav)
    assert (rate, channels) == (22_050, 1) and result.truncated
    assert 4.0 < len(samples) / rate <= 5.0


def test_render_command_writes_wav_for_a_file(tmp_path, capsys) -> None:
    src = tmp_path / "duet.mid"
    src.write_bytes(_midi([("Violin", 0), ("Violoncello", 0)]))
    out = tmp_path / "duet.wav"
    assert main(["render", str(src), "--wav", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["programs"] == [audio.VIOLIN, audio.CELLO] and report["seconds"] > 3
    samples, rate, _ = _samples(out.read_bytes())
    assert rate == audio.SYNTH_RATE and np.abs(samples).max() > 0.3


def test_render_json_with_non_utf8_names_is_valid_utf8(tmp_path, capsys) -> None:
    import os

    from tests.test_cli_tables import utf8_json_lines

    src = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.abc")  # parsed, not only echoed
    with open(src, "w") as handle:
        handle.write("X:1\nT:t\nM:4/4\nL:1/4\nK:C\nCDEF GABc|\n")
    out = os.fsdecode(bytes(tmp_path) + b"/out\xe9.wav")
    assert main(["render", src, "--wav", out, "--json"]) == 0
    (report,) = utf8_json_lines(capsys.readouterr().out)
    assert report["item"].endswith("/caf\ufffd.abc") and report["wav"].endswith("/out\ufffd.wav")
    assert os.path.getsize(out) > 1000


def test_render_command_keeps_musicxml_parts(tmp_path, capsys) -> None:
    import music21

    score = music21.corpus.parse("bach/bwv66.6")
    src = score.write("musicxml", fp=str(tmp_path / "chorale.musicxml"))
    out = tmp_path / "chorale.wav"
    assert main(["render", str(src), "--wav", str(out), "--seconds", "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["programs"] == [audio.CHOIR] * 4 and report["truncated"]
    assert out.is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["m21:nope.abc#1", "--wav", "x.wav"], "unknown piece id"),
        (["SRC", "--wav", "x.mp3"], "ending in .wav"),
        (["SRC", "--wav", "no/such/dir/x.wav"], "no folder"),
        (["SRC", "--wav", "x.wav", "--seconds", "0"], "--seconds"),
    ],
)
def test_render_bad_input_exits_2(tmp_path, capsys, monkeypatch, args, needle) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src.mid").write_bytes(_midi([("", 0)]))
    args = [str(tmp_path / "src.mid") if a == "SRC" else a for a in args]
    assert main(["render", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cantus: ") and needle in err and err.count("\n") == 1


def test_render_command_plays_a_catalog_piece_as_the_app_does(tmp_path, capsys) -> None:
    """A shipped chorale: its four voices from the score (verovio), sung by a choir."""
    from cantus.precheck import known_ids

    piece = "m21:bach/bwv66.6.mxl#"
    if piece not in known_ids():
        pytest.skip("the data dir in use does not hold the shipped chorale")
    out = tmp_path / "bwv66.wav"
    assert main(["render", piece, "--wav", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["programs"] == [audio.CHOIR] * 4 and report["seconds"] > 10


def test_the_app_plays_a_reel_on_the_fiddle_in_mono() -> None:
    from dashboard.render import SAMPLE_RATE, midi_to_audio

    played = midi_to_audio(_midi([("", 0)]), collection="oneills1850")
    samples, rate, channels = _samples(played.wav)
    assert played.programs == (audio.VIOLIN,) and (rate, channels) == (SAMPLE_RATE, 1)
    rms = float(np.sqrt(np.mean(samples[np.abs(samples[:, 0]) > 1e-3] ** 2)))
    assert rms == pytest.approx(audio.TARGET_RMS, rel=0.15)  # normalised loudness


def test_render_parses_files_in_a_capped_child(tmp_path, capsys, monkeypatch) -> None:
    import dashboard.cli_render as cli_render
    from cantus import isolated

    src = tmp_path / "tune.abc"
    src.write_text("X:1\nT:t\nM:4/4\nK:C\nCDEF GABc|\n")
    monkeypatch.setattr(cli_render, "parse_memory_cap", lambda: 256 * 1024**2)  # the child's
    # a parse that wants 4 GiB, as the 74-byte ABC with L:1000000/1 once did
    monkeypatch.setattr(isolated, "first_score", lambda path, fmt: bytearray(4 * 1024**3))
    assert main(["render", str(src), "--wav", str(tmp_path / "c.wav")]) == 2
    err = capsys.readouterr().err
    assert "needs more than 256 MiB" in err and err.count("\n") == 1
    assert not (tmp_path / "c.wav").exists()  # the child failed; this process carries on


def test_render_survives_an_abc_with_a_huge_unit_length(tmp_path, capsys) -> None:
    hostile = tmp_path / "long.abc"
    hostile.write_text("X:1\nL:1000000/1\nK:C\nCDEF|\n")
    code = main(["render", str(hostile), "--wav", str(tmp_path / "h.wav")])
    err = capsys.readouterr().err
    assert code == 0 or (code == 2 and err.count("\n") == 1)
