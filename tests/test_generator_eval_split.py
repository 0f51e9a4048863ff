"""The generation eval's splits: test requests only from pieces the generator never trained on."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cantus.errors import BadInput
from generator.eval_styles import STYLES, heldout_rows, style_requests
from generator.windows import is_heldout

FRAC = 0.3  # larger than the shipped 5 % so a small fake catalog has test pieces


def _every_style(per_style: int) -> pd.DataFrame:
    """``per_style`` pieces of each evaluated style."""
    kinds = [
        ("oneills1850", 1, "jig", "Irish"),
        ("oneills1850", 1, "reel", "Irish"),
        ("airdsAirs", 1, "", "Scottish"),
        ("bach", 4, "", "German"),
        ("essenFolksong", 1, "", "Chinese, Han"),
        ("essenFolksong", 1, "", "German"),
    ]
    rows = [
        {"id": f"m21:{c}/{form or 'x'}{i}.abc#{k}", "collection": c, "parts": parts}
        | {"form": form, "origin": origin}
        for k, (c, parts, form, origin) in enumerate(kinds)
        for i in range(per_style)
    ]
    return pd.DataFrame(rows)


def test_test_requests_use_heldout_pieces_and_tune_requests_the_others() -> None:
    catalog = _every_style(80)
    held = heldout_rows(catalog, FRAC)
    assert 0 < len(held) < len(catalog)
    chorales = style_requests(catalog, 6, seed=0, heldout=held)["chorales"]
    test = [r for pair in chorales["test"] for r in pair]
    tune = [r for pair in chorales["tune"] for r in pair]
    assert len(chorales["test"]) == 6 and len(chorales["tune"]) == 6
    assert set(test) <= held and not set(tune) & held
    assert all(is_heldout(catalog["id"].iloc[r], FRAC) for r in test)


def test_more_requests_than_a_pool_holds_is_a_clear_error() -> None:
    catalog = _every_style(24)
    held = heldout_rows(catalog, FRAC)
    sizes = [len(held & set(np.flatnonzero(pick(catalog)))) for pick in STYLES.values()]
    sizes += [24 - n for n in sizes]  # the tune pools
    most = min(sizes) // 2
    assert most >= 1
    requests = style_requests(catalog, most, seed=0, heldout=held)
    assert set(requests) == set(STYLES)
    assert all(len(r[split]) == most for r in requests.values() for split in ("tune", "test"))
    with pytest.raises(BadInput, match=f"largest --requests: {most}"):
        style_requests(catalog, most + 1, seed=0, heldout=held)


def test_the_tune_sweeps_are_information_and_the_test_runs_as_shipped(monkeypatch) -> None:
    from types import SimpleNamespace

    from generator import eval_grids, eval_styles
    from generator.checks import TEMPERATURE
    from generator.voices import SLIP, ZIGZAG_AFTER, ZIGZAG_COST, VoiceTuning

    def fake_scores(ctx, pairs, system, setting, seed):  # prefers a cold, strongly led decoder
        oa = 1 - setting if system == "constrained" else setting / 10
        oa += (ctx.tuning.leading or 0) / 10
        oa += (ctx.tuning.zigzag or (0, 0))[1] / 100  # ... that seldom turns back
        real = {"top_stepwise": 0.8, "bass_stepwise": 0.6}
        slipped = max(0.0, 8 - (ctx.tuning.slip or 0))  # ... and slips the less, the costlier
        return {
            "oa": {"mean": oa},
            "musician": {
                "phrase_end_tonic_or_dominant": 1,
                "chromatic_slips_per_100": slipped,
                **real,
            },
            "real": real,
        }

    monkeypatch.setattr(eval_styles, "split_scores", fake_scores)
    corpus = {style: {"chromatic_slips_per_100": 0.0} for style in eval_styles.STYLES}
    ctx = SimpleNamespace(tuning=VoiceTuning(), corpus_melodic=lambda: corpus)
    requests = {style: {"tune": [[0, 1]], "test": [[2, 3]]} for style in eval_styles.STYLES}
    tuned = eval_styles.tune(ctx, requests, seed=0)
    assert tuned["best_on_tune"]["constrained_temperature"] == min(eval_styles.TEMPERATURES)
    assert tuned["best_on_tune"]["voice_leading"] == max(eval_styles.LEADING)
    assert tuned["best_on_tune"]["zigzag_turns_cost"] == list(
        max(eval_styles.ZIGZAG, key=lambda z: z[1])
    )
    assert set(tuned["sweep"]["zigzag_chorales"]) == {str(z) for z in eval_styles.ZIGZAG}
    assert tuned["shipped"]["constrained_temperature"] == TEMPERATURE
    assert tuned["shipped"]["zigzag_turns_cost"] == [ZIGZAG_AFTER, ZIGZAG_COST]
    # the melodic sweeps match the style's training pieces (here: no slips at all)
    assert tuned["best_on_tune"]["melody_slip"] == max(eval_grids.SLIP)
    assert set(tuned["sweep"]["final_leap_all"]) == {str(x) for x in eval_grids.FINAL_LEAP}
    assert tuned["shipped"]["melody_slip"] == SLIP
    assert ctx.tuning == VoiceTuning(), "the test split runs with the shipped voices"


def test_cli_defaults_are_six_requests_and_the_shipped_temperature() -> None:
    from cantus.cli import build_parser
    from generator.checks import TEMPERATURE

    parser = build_parser()
    assert parser.parse_args(["eval", "generation"]).requests == 6
    assert parser.parse_args(["inspire", "--from", "x"]).temperature == TEMPERATURE
