"""The lexical channel's stop words are scikit-learn's, without importing scikit-learn."""

from __future__ import annotations

import subprocess
import sys


def test_the_copy_equals_scikit_learns_list() -> None:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS as theirs

    from recommender.stop_words import ENGLISH_STOP_WORDS as ours

    assert ours == theirs


def test_search_modules_do_not_import_sklearn() -> None:
    code = "import sys, recommender.lexical; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
