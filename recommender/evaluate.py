"""``cantus eval retrieval``: how well the encoder finds music, beside baselines, in one run.

1. **Held-out captions** (text→music): captions of the held-out families
   (``encoder/split.json``) of the held-out pieces query the held-out pieces; R@1, R@10, MRR.
2. **Natural queries** (``recommender.queries``) over the whole catalog, graded 0/1/2 from
   catalog features: nDCG@10 (gain 2^grade − 1), P@10 with grade ≥ 1 ("lenient") and with
   grade = 2 ("strict").
3. **Baselines** for 1 and 2: BM25 over the metadata ``text`` column, MiniLM over the captions
   alone (mean vector of each piece's cached training-family captions vs the query), the
   hybrid of cantus and that MiniLM score with ``recommender.engine.SearchConfig`` weights,
   and random.
4. **Music→music**: a transposed copy of each of ~500 pieces must find its original at rank 1
   (among all pieces; an identical-token duplicate counts); pieces sharing a normalised title
   in another collection/file: HR@10, MRR. Baselines: interval n-gram TF-IDF, random.

Source-judged queries (``recommender.eval_search``) are tuned on their tune half and reported
on their test half and on four blind fresh sets that are all test (``recommender.eval_fresh``).

The report is printed and saved to ``cantus.config.bench_dir() / "eval_retrieval.json"``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from recommender.eval_data import EvalConfig, load_eval_data
from recommender.eval_music import eval_music
from recommender.eval_same_tune import summary_lines as same_tune_lines
from recommender.eval_text import eval_heldout, eval_natural, eval_source_queries

log = logging.getLogger(__name__)

REPORT_NAME = "eval_retrieval.json"


def evaluate_retrieval(
    data_dir: Path | str | None = None, cfg: EvalConfig | None = None
) -> dict[str, Any]:
    """Run every section, save the JSON report to ``bench_dir()``, and return it."""
    from cantus.config import bench_dir

    cfg = cfg or EvalConfig()
    start = time.perf_counter()
    data = load_eval_data(data_dir)
    report: dict[str, Any] = {
        "data_dir": str(data.folder),
        "encoder_id": data.encoder.encoder_id,
        "pieces": len(data.catalog),
        "config": asdict(cfg),
        "training": data.train.get("metrics", {}),
    }
    for name, section in (
        ("heldout_captions", eval_heldout),
        ("natural_queries", eval_natural),
        ("source_queries", eval_source_queries),
        ("music_to_music", eval_music),
    ):
        t0 = time.perf_counter()
        report[name] = section(data, cfg)
        log.info("eval %s done in %.1fs", name, time.perf_counter() - t0)
    report["seconds"] = round(time.perf_counter() - start, 1)
    (bench_dir() / REPORT_NAME).write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


def summary_lines(report: dict[str, Any]) -> list[str]:
    """A short table of the headline numbers for people."""
    lines = [f"encoder {report.get('encoder_id')} over {report.get('pieces')} pieces"]
    held = report.get("heldout_captions", {})
    for name in ("cantus", "hybrid", "minilm_captions", "bm25_metadata", "random"):
        if name in held:
            m = held[name]
            lines.append(
                f"held-out captions  {name:16s} R@1 {m['R@1']:.3f}  "
                f"R@10 {m.get('R@10', 0):.3f}  MRR {m['MRR']:.3f}"
            )
    nat = report.get("natural_queries", {}).get("mean", {})
    for name, m in nat.items():
        lines.append(
            f"natural queries    {name:16s} nDCG@10 {m.get('nDCG@10', 0):.3f}  "
            f"P@10 lenient {m.get('P@10_lenient', 0):.3f}  strict {m.get('P@10_strict', 0):.3f}"
        )
    if "source_queries" in report:
        from recommender.eval_search import summary_lines as source_lines

        lines += source_lines(report["source_queries"])
        from recommender.eval_fresh import FRESH_SECTIONS
        from recommender.eval_fresh import summary_lines as fresh_lines

        for name in FRESH_SECTIONS:
            if name in report["source_queries"]:
                lines += fresh_lines(report["source_queries"][name])
    music = report.get("music_to_music", {})
    for name, m in music.get("transposed_copy", {}).items():
        if isinstance(m, dict):
            lines.append(
                f"transposed copy    {name:16s} rank-1 {m['rank1_rate']:.3f}  "
                f"(strict {m['rank1_rate_strict']:.3f})"
            )
    if "same_tune" in music:
        lines += same_tune_lines(music["same_tune"])
    return lines
