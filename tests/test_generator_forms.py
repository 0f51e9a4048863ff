"""Forms a seed may take (``generator.phrase.check_form``): which bar counts fit which form,
and the clear refusal of every other request."""

from __future__ import annotations

import pytest

from cantus.errors import BadInput
from generator.phrase import check_form, fitting_bars, last_final_onset
from generator.vocab import POSITIONS_PER_BEAT


@pytest.mark.parametrize(
    ("form", "bars", "match"),
    [
        ("AB", 7, "even number of bars"),
        ("AB", 2, r"at least 4 .*smallest that fits is --bars 4$"),
        ("AABB", 6, "multiple of 4"),
        ("AABB", 8, r"at least 16 .*4 bars or more.*smallest that fits is --bars 16$"),
        ("AABB", 12, "smallest that fits is --bars 16"),
        ("rondo", 8, "unknown --form"),
        (None, 8, None),
    ],
)
def test_forms_that_do_not_fit_are_refused(form, bars, match) -> None:
    if match is None:
        assert check_form(form, None, bars).form == "phrase"
        return
    with pytest.raises(BadInput, match=match) as caught:
        check_form(form, None, bars)
    assert "\n" not in str(caught.value)
    with pytest.raises(BadInput, match="unknown --ending"):
        check_form("phrase", "half", 8)


def test_every_fitting_bar_count_is_accepted_and_every_other_refused() -> None:
    """A dance tune's four strains are 4+ bars, AB's two halves 2+ bars (check_form)."""
    for form in ("phrase", "AB", "AABB"):
        fits = fitting_bars(form)
        for bars in range(1, 17):
            if bars in fits:
                plan = check_form(form, None, bars)
                sections = sorted(plan.ends)
                lengths = [b - a for a, b in zip([0, *sections], sections, strict=False)]
                assert min(lengths) >= {"phrase": 1, "AB": 2, "AABB": 4}[form], (form, bars)
            else:
                with pytest.raises(BadInput, match=f"--bars {fits[0]}$"):
                    check_form(form, None, bars)
    assert fitting_bars("AABB") == (16,)
    assert check_form("AABB", None, 16).repeats == {5: (1, 4), 13: (9, 12)}
    with pytest.raises(BadInput, match="unknown --form"):
        fitting_bars("ABAB")


def test_last_final_onset_leaves_room_for_a_beat() -> None:
    assert last_final_onset("4/4") == 2 * POSITIONS_PER_BEAT
    assert last_final_onset("3/4") == 0
    assert last_final_onset("6/8") == 3 * POSITIONS_PER_BEAT
