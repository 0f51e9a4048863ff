"""Speed work on decoding must not change a seed: fixed requests decode to the ids recorded
before it (``tests/fixtures/decode_golden.json``, written by the decoder as it stood before the
decoding loops were merged and the grammar's constants cached; the melody + bass cases
re-recorded when the part-writing costs came in, task 9j: only "outer 4/4 AB" and "outer 3/4
phrase" changed, every one-line and plain case kept its ids; and when the slip and final-leap
costs came in, task 9l: every case with a phrase-end bar decoded by the grammar changed, the
prompt, rhythm-template and plain cases kept their ids; all re-recorded in task 9k/9m, when the
draw moved from torch.multinomial to a seeded numpy Generator; and when the costs against
unprepared strong-beat dissonances and flat closes came in, task 9n: only "outer 4/4 AB"
changed).

Random weights at a high temperature reach odd corners of the grammar (forced cadences,
budgets, both textures, forms, templates, contours, prompts, guidance, the plain decoder).
Rewrite the file only for a change that is meant to change seeds:
``PYTHONPATH=. python tests/test_generator_decode_golden.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from generator.decode import DecodeSpec, decode
from generator.phrase import form_plan
from generator.sample import SampleSpec, sample
from generator.variation import rhythm_template
from generator.voices import canonical_voices
from tests.generator_helpers import melody_ids, random_seed_model

GOLDEN = Path(__file__).parent / "fixtures" / "decode_golden.json"
_LINE = melody_ids([60, 62, 64, 65, 67, 65, 64, 62], [12, 12, 12, 12, 24, 12, 12, 12])
# name: (meter, mode, form, ending, bars, texture, n, seed, guidance, extra DecodeSpec fields)
CASES = {
    "melody 4/4 phrase": ("4/4", "major", "phrase", "closed", 4, "melody", 2, 1, 1.0, {}),
    "melody 6/8 AABB": ("6/8", "minor", "AABB", "closed", 8, "melody", 1, 2, 1.0, {}),
    "melody 3/4 open": ("3/4", "major", "phrase", "open", 4, "melody", 2, 3, 1.5, {}),
    "outer 4/4 AB": ("4/4", "major", "AB", "closed", 4, "melody+bass", 2, 4, 1.0, {}),
    "outer 3/4 phrase": ("3/4", "minor", "phrase", "closed", 4, "melody+bass", 1, 5, 1.5, {}),
    "outer 2/4 prompt": (
        "2/4",
        "major",
        "phrase",
        "closed",
        4,
        "melody+bass",
        1,
        6,
        1.0,
        {"prompt": melody_ids([60, 64], [12, 12], "2/4")},
    ),
    "rhythm template": (
        "4/4",
        "major",
        "phrase",
        "closed",
        2,
        "melody",
        2,
        7,
        1.0,
        {"template": rhythm_template(_LINE), "template_final": 0},
    ),
    "contour": (
        "4/4",
        "major",
        "phrase",
        "closed",
        4,
        "melody",
        1,
        8,
        1.0,
        {"contour": [1, 1, -1]},
    ),
}
PLAIN = {"plain 4/4": ("4/4", 2, 9, 1.0), "plain 6/8 guided": ("6/8", 2, 10, 1.5)}


@pytest.fixture(scope="module")
def random_model():
    return random_seed_model(ctx=512)


def decode_all(model, controls) -> dict[str, list[list[int]]]:
    """Every case's ids, decoded by the code under test."""
    cond = torch.nn.functional.normalize(torch.arange(model.cfg.cond_dim).float().sin(), dim=0)
    out = {}
    for name, (meter, mode, form, ending, bars, texture, n, seed, guidance, extra) in CASES.items():
        spec = DecodeSpec(
            meter=meter,
            mode=mode,
            plan=form_plan(form, ending, bars),  # the golden AABB is 8 bars, short to decode
            voices=canonical_voices(texture, 0),
            n=n,
            inner=texture == "melody+bass",
            temperature=1.5,
            top_p=0.95,
            seed=seed,
            guidance=guidance,
            **extra,
        )
        out[name] = decode(model, controls, spec, cond)
    for name, (meter, n, seed, guidance) in PLAIN.items():
        spec = SampleSpec(meter=meter, mode="major", bars=4, n=n, seed=seed, guidance=guidance)
        out[name] = sample(model, controls, spec, cond)
    return out


def test_fixed_requests_decode_to_the_recorded_ids(random_model) -> None:
    want = json.loads(GOLDEN.read_text())
    got = decode_all(*random_model)
    assert set(got) == set(want)
    for name in want:
        assert got[name] == want[name], f"{name}: the decoded ids changed"


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(decode_all(*random_seed_model(ctx=512))) + "\n")
