"""``cantus eval generation``: one run that scores the generator beside its baselines.

Requests imitate users: an anchor piece and its nearest neighbours form a "favourites" set of
``SET_SIZE`` pieces; the condition is their embedding centroid. Half the requests keep the
majority key/metre of the set, half ask for a random key and metre (control test).

Reported (all measured in this run):

* **fidelity** — cosine of each seed's music embedding to the request's centroid, for the
  generator as shipped, with *shuffled* conditions (another request's centroid), and
  *unconditioned* (null prefix); beside real music: 8-bar openings of the set's next
  neighbours (not part of the centroid), of the set members themselves, and of random pieces;
* **control accuracy** — music21's analysed key (tonic + mode) and the re-read metre and bar
  count vs the request; music21's key analysis of real 8-bar openings vs their catalog key is
  the ceiling the analyser allows;
* **well-formed rate** — grammar check + MusicXML written and re-read by music21 with the
  requested bars and metre;
* **novelty** — distribution of the longest run of melody notes shared with a catalog piece
  (guard off, so the raw model is measured) and the share the guard would re-sample;
* **diversity** — mean pairwise 1 - cosine among the seeds of one request, and distinct melody
  4-grams, beside the same measures on the real set members;
* **held-out NLL** — from the training run (conditioned and unconditioned).
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from generator.checkpoint import LoadedGenerator
from generator.checks import TEMPERATURE
from generator.inspire import (
    Request,
    _to_key,
    get_generator,
    get_novelty_index,
    parse_key,
    sampling_range,
)
from generator.novelty import DEFAULT_MAX_COPIED_NOTES, melody_events, window_hashes
from generator.sample import SampleSpec, check_ids, sample
from generator.vocab import bar_starts, tonic_pitch_class

log = logging.getLogger(__name__)

SET_SIZE = 4  # pieces per simulated favourites set
SEEDS_PER_REQUEST = 4  # seeds sampled per request and variant
EVAL_BARS = 8  # bars per seed
CONTROL_METERS = ("2/4", "3/4", "4/4", "6/8")  # metres drawn for the control half
REPORT_NAME = "generation.json"


def opening(ids: list[int], bars: int = EVAL_BARS) -> list[int]:
    """The first ``bars`` bars of ``ids``."""
    starts = bar_starts(ids)
    return list(ids[: int(starts[bars])]) if len(starts) > bars else list(ids)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def embed(engine: Any, seqs: list[list[int]]) -> np.ndarray:
    return _unit_rows(engine.encoder.encode_ids(seqs))


def make_requests(
    engine: Any, n: int, rng: np.random.Generator, meters: tuple[str, ...]
) -> list[dict]:
    """Favourites-like sets: an anchor and its nearest neighbours, plus the next neighbours."""
    emb = _unit_rows(engine.embeddings)
    out = []
    anchors = rng.choice(len(emb), size=min(n, len(emb)), replace=False)
    for i, a in enumerate(anchors):
        sims = emb @ emb[a]
        order = [int(j) for j in np.argsort(-sims) if j != a]
        members = [int(a), *order[: SET_SIZE - 1]]
        following = order[SET_SIZE - 1 : 2 * SET_SIZE - 1]
        centroid = emb[members].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-8)
        cat = engine.catalog.iloc[members]
        if i % 2 == 0:  # majority controls, as `cantus inspire --from` would choose
            meter = _majority([m for m in cat["meter"].astype(str) if m in meters], "4/4")
            key = _majority([k for k in cat["key"].astype(str) if k.strip()], "C major")
            try:
                tonic, mode = parse_key(key)
            except Exception:
                tonic, mode = "C", "major"
            kind = "majority"
        else:
            meter = str(rng.choice(CONTROL_METERS))
            tonic = str(rng.choice(["C", "D", "E-", "E", "F", "G", "A", "B-"]))
            mode = str(rng.choice(["major", "minor"]))
            kind = "random"
        out.append(
            {
                "members": members,
                "following": following,
                "centroid": centroid,
                "meter": meter,
                "tonic": tonic,
                "mode": mode,
                "kind": kind,
            }
        )
    return out


def _majority(values: list[str], default: str) -> str:
    from collections import Counter

    return Counter(values).most_common(1)[0][0] if values else default


def run_variant(
    gen: LoadedGenerator,
    reqs: list[dict],
    conds: list[np.ndarray | None],
    seed: int,
    temperature: float = TEMPERATURE,
    top_p: float = 0.95,
    guidance: float = 1.0,
) -> list[list[list[int]]]:
    """Seeds (in each request's key) per request for one conditioning variant."""
    out = []
    for r, (req, cond) in enumerate(zip(reqs, conds, strict=True)):
        spec = SampleSpec(
            meter=req["meter"],
            mode=req["mode"],
            bars=EVAL_BARS,
            n=SEEDS_PER_REQUEST,
            temperature=temperature,
            top_p=top_p,
            seed=seed + r,
            guidance=guidance,
            pitch_range=sampling_range(req["tonic"]),
        )
        c = cond if cond is not None and gen.conditioned else None
        canon = sample(gen.decoder, gen.controls, spec, c)
        out.append([_to_key(ids, req["tonic"]) for ids in canon])
    return out


def fidelity_of(engine: Any, reqs: list[dict], seeds: list[list[list[int]]]) -> np.ndarray:
    """(requests, seeds) cosine of seed embeddings to their request's centroid."""
    flat = [s for group in seeds for s in group]
    e = embed(engine, flat).reshape(len(reqs), -1, engine.embeddings.shape[1])
    return np.einsum("rsd,rd->rs", e, np.stack([r["centroid"] for r in reqs]))


def _summary(x: np.ndarray | list[float]) -> dict[str, float]:
    a = np.asarray(x, dtype=np.float64).ravel()
    a = a[~np.isnan(a)]
    if a.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "n": 0}
    return {"mean": round(float(a.mean()), 4), "std": round(float(a.std()), 4), "n": int(a.size)}


def control_check(ids: list[int], meter: str, tonic: str, mode: str, bars: int) -> dict[str, bool]:
    """Well-formedness and control adherence of one seed (music21 re-read through MusicXML)."""
    import tempfile

    import music21

    from cantus import token_decode

    res = {
        "grammar": True,
        "reread": False,
        "bars": False,
        "meter": False,
        "tonic": False,
        "mode": False,
        "key": False,
    }
    try:
        check_ids(ids, meter, bars)
    except ValueError:
        res["grammar"] = False
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = token_decode.ids_to_musicxml(
                ids, Path(tmp) / "seed.musicxml", key=f"{tonic} {mode}"
            )
            score = music21.converter.parse(str(path))
        part = score.parts[0]
        res["reread"] = True
        res["bars"] = len(part.getElementsByClass("Measure")) == bars
        ts = score.recurse().getElementsByClass("TimeSignature").first()
        res["meter"] = ts is not None and ts.ratioString == meter
        k = score.analyze("key")
        res["tonic"] = k.tonic.pitchClass == tonic_pitch_class(tonic)
        res["mode"] = k.mode == mode
        res["key"] = res["tonic"] and res["mode"]
    except Exception as exc:  # a seed music21 cannot read is exactly what we count
        log.warning("seed failed the music21 re-read: %s", exc)
    return res


def real_key_ceiling(
    engine: Any, token_of: dict[str, list[int]], rows: list[int]
) -> dict[str, float]:
    """music21 key analysis of real 8-bar openings vs their catalog key (the analyser's ceiling)."""
    from cantus import token_decode

    hits = {"tonic": [], "mode": [], "key": []}
    for r in rows:
        row = engine.catalog.iloc[r]
        ids = token_of.get(str(row["id"]))
        if not ids or str(row["mode"]) not in ("major", "minor"):
            continue
        try:
            k = token_decode.ids_to_music21(opening(ids)).analyze("key")
            t = k.tonic.pitchClass == tonic_pitch_class(str(row["tonic"]))
        except Exception:
            continue
        m = k.mode == str(row["mode"])
        hits["tonic"].append(t)
        hits["mode"].append(m)
        hits["key"].append(t and m)
    return {k: round(float(np.mean(v)), 4) if v else float("nan") for k, v in hits.items()} | {
        "n": len(hits["key"])
    }


def diversity(engine: Any, groups: list[list[list[int]]]) -> dict[str, float]:
    """Mean pairwise 1 - cosine within each group, and distinct melody 4-grams per group."""
    dists, distinct = [], []
    for g in groups:
        if len(g) < 2:
            continue
        e = embed(engine, g)
        sims = e @ e.T
        iu = np.triu_indices(len(g), 1)
        dists.append(float(np.mean(1 - sims[iu])))
        grams = [h for s in g for h in window_hashes(melody_events(s), 4)[3].tolist()]
        distinct.append(len(set(grams)) / max(1, len(grams)))
    return {
        "pairwise_1_minus_cos": round(float(np.mean(dists)), 4),
        "distinct_4grams": round(float(np.mean(distinct)), 4),
    }


def novelty_stats(runs: list[int], limit: int = DEFAULT_MAX_COPIED_NOTES) -> dict[str, Any]:
    a = np.asarray(runs)
    hist = {str(v): int((a == v).sum()) for v in sorted(set(a.tolist()))}
    return {
        "mean": round(float(a.mean()), 2),
        "p50": float(np.median(a)),
        "p95": float(np.percentile(a, 95)),
        "max": int(a.max()),
        "over_limit_rate": round(float((a > limit).mean()), 4),
        "limit": limit,
        "histogram": hist,
    }


def evaluate_generation(
    data_dir: Path | None = None,
    n_requests: int = 24,
    seed: int = 0,
    guidance_variants: tuple[float, ...] = (2.0,),
    *,
    engine: Any = None,
    generator: LoadedGenerator | None = None,
) -> dict[str, Any]:
    """Run the whole evaluation and return the report (see the module docstring)."""
    from cantus.catalog import load_catalog
    from cantus.config import data_dir as default_data_dir

    started = time.perf_counter()
    folder = Path(data_dir or getattr(engine, "data_dir", None) or default_data_dir())
    if engine is None:
        from recommender.engine import Engine

        engine = Engine.load(folder)
    gen = generator or get_generator(folder / "generator")
    novelty = get_novelty_index(folder)
    rng = np.random.default_rng(seed)
    reqs = make_requests(engine, n_requests, rng, gen.controls.meters)
    tok_frame = load_catalog(folder, columns=["id", "tokens"])
    token_of = {
        str(i): [int(t) for t in ts]
        for i, ts in zip(tok_frame["id"], tok_frame["tokens"], strict=True)
    }
    conds = [r["centroid"] for r in reqs]
    shuffled = conds[1:] + conds[:1]
    variants = {
        "conditioned": run_variant(gen, reqs, conds, seed),
        "shuffled_condition": run_variant(gen, reqs, shuffled, seed),
        "unconditioned": run_variant(gen, reqs, [None] * len(reqs), seed),
    }
    for g in guidance_variants:
        variants[f"guidance_{g:g}"] = run_variant(gen, reqs, conds, seed, guidance=g)
    report = _seed_report(engine, reqs, variants, token_of, novelty, rng)
    train_metrics = gen.meta.get("metrics", {})
    report["heldout_nll"] = {k: train_metrics.get(k) for k in ("heldout_nll", "heldout_nll_uncond")}
    report["generator"] = {
        "params": train_metrics.get("params"),
        "steps": train_metrics.get("steps"),
        "train_seconds": train_metrics.get("train_seconds"),
    }
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _seed_report(
    engine: Any,
    reqs: list[dict],
    variants: dict[str, list],
    token_of: dict[str, list[int]],
    novelty: Any,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """Fidelity, controls, novelty and diversity of each decoding variant's seeds."""
    report: dict[str, Any] = {
        "requests": len(reqs),
        "seeds_per_request": SEEDS_PER_REQUEST,
        "bars": EVAL_BARS,
    }
    report["fidelity"] = {
        name: _summary(fidelity_of(engine, reqs, s)) for name, s in variants.items()
    }
    report["fidelity"].update(_real_fidelity(engine, reqs, token_of, rng))
    report["controls"] = _controls(reqs, variants["conditioned"])
    report["controls"]["real_opening_key_ceiling"] = real_key_ceiling(
        engine, token_of, [m for r in reqs for m in r["members"]]
    )
    runs = [novelty.longest_copied_run(s) for g in variants["conditioned"] for s in g]
    report["novelty"] = novelty_stats(runs)
    report["diversity"] = {
        "seeds": diversity(engine, variants["conditioned"]),
        "real_members": diversity(
            engine,
            [
                [opening(token_of[str(engine.catalog.iloc[m]["id"])]) for m in r["members"]]
                for r in reqs
            ],
        ),
    }
    return report


def _real_fidelity(
    engine: Any, reqs: list[dict], token_of: dict[str, list[int]], rng: np.random.Generator
) -> dict:
    def cos(rows_per_req: list[list[int]]) -> dict[str, float]:
        vals = []
        for req, rows in zip(reqs, rows_per_req, strict=True):
            seqs = [opening(token_of[str(engine.catalog.iloc[r]["id"])]) for r in rows]
            vals.extend((embed(engine, seqs) @ req["centroid"]).tolist())
        return _summary(vals)

    randoms = [list(rng.choice(len(engine.catalog), size=SET_SIZE, replace=False)) for _ in reqs]
    return {
        "real_next_neighbours": cos([r["following"] for r in reqs]),
        "real_members": cos([r["members"] for r in reqs]),
        "real_random_pieces": cos(randoms),
    }


def _controls(reqs: list[dict], seeds: list[list[list[int]]]) -> dict[str, Any]:
    rows: dict[str, list[dict[str, bool]]] = {"majority": [], "random": []}
    for req, group in zip(reqs, seeds, strict=True):
        for ids in group:
            rows[req["kind"]].append(
                control_check(ids, req["meter"], req["tonic"], req["mode"], EVAL_BARS)
            )
    out: dict[str, Any] = {}
    every = rows["majority"] + rows["random"]
    out["well_formed_rate"] = round(
        float(np.mean([r["grammar"] and r["reread"] and r["bars"] and r["meter"] for r in every])),
        4,
    )
    for kind, checks in {"all": every, **rows}.items():
        if checks:
            out[kind] = {k: round(float(np.mean([c[k] for c in checks])), 4) for k in checks[0]} | {
                "n": len(checks)
            }
    return out


def save_report(report: dict[str, Any], name: str = REPORT_NAME) -> Path:
    from cantus.config import bench_dir

    path = bench_dir() / name
    path.write_text(json.dumps(report, indent=2, default=str))
    return path


def summarise(report: dict[str, Any]) -> str:
    """A few lines for people."""
    f = report["fidelity"]
    lines = [f"fidelity {k}: {v['mean']:.3f} ± {v['std']:.3f}" for k, v in f.items()]
    c = report["controls"]
    lines.append(
        f"well-formed {c['well_formed_rate']:.1%}; key {c['all']['key']:.1%} "
        f"meter {c['all']['meter']:.1%} bars {c['all']['bars']:.1%}"
    )
    lines.append(f"novelty p50 {report['novelty']['p50']} max {report['novelty']['max']}")
    return "\n".join(lines)


__all__ = ["Request", "evaluate_generation", "save_report", "summarise"]
