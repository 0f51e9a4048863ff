"""Inside an ingest worker: a parse past its time limit is a recorded failure, not a hang."""

from __future__ import annotations

import pytest

from cantus import worker, works


def test_time_limit_is_a_recorded_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    root = works.corpus_root()
    spec = works.corpus_works([root / "beethoven" / "opus18no1" / "movement1.mxl"])[0][0]
    real_parse = worker.parse

    def slow_parse(s: works.WorkSpec) -> object:  # a parse that outlives the limit
        time.sleep(3)
        return real_parse(s)

    monkeypatch.setattr(worker, "parse", slow_parse)
    result = worker.process_work(spec, time_limit_s=1)
    assert result.rows == []
    assert result.errors == [{"source": spec.source, "number": "", "reason": "timed out after 1 s"}]
