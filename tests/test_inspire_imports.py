"""A cold ``cantus inspire`` imports only what it uses (issue 9, item 7: <= 5 s cold)."""

from __future__ import annotations

import subprocess
import sys


def test_the_inspire_path_does_not_import_scipy() -> None:
    # scipy (~0.35 s of CPU) serves the lexical channel of text search, which `inspire --from`
    # never builds; recommender.lexical imports it where a matrix is made
    code = (
        "import sys, cantus.cli, generator.cli, generator.inspire, generator.seeds, "
        "recommender.engine; assert 'scipy' not in sys.modules, 'scipy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_lexical_index_still_builds_its_matrices() -> None:
    from recommender.lexical import LexicalIndex

    index = LexicalIndex.build([{"title": "The Kesh jig"}, {"title": "A reel"}])
    scores, terms = index.scores("kesh jig")
    assert scores.shape == (2,) and scores[0] > scores[1] and "kesh" in terms
