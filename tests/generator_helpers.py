"""Synthetic music tokens, catalogs and a stand-in Engine for the generator tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cantus import tokens
from cantus.errors import BadInput
from generator.vocab import KIND_DUR, meter_bar_positions, tables


def token_id(name: str) -> int:
    return int(tokens.get_tokenizer().vocab[name])


def duration_id(positions: int) -> int:
    t = tables()
    ids = np.flatnonzero((t.kind == KIND_DUR) & (t.value == positions))
    if len(ids) == 0:
        msg = f"no Duration token lasts {positions} positions"
        raise ValueError(msg)
    return int(ids[0])


def melody_ids(pitches: list[int], durations: list[int], meter: str = "4/4") -> list[int]:
    """REMI ids of a monophonic line; durations in positions (12 per beat; a note may overhang
    its bar line, as in real catalog tokens)."""
    bar_len = meter_bar_positions(meter)
    out: list[int] = []
    clock = 0
    current_bar = -1
    for pitch, dur in zip(pitches, durations, strict=True):
        bar, pos = divmod(clock, bar_len)
        while current_bar < bar:
            out += [token_id("Bar_None"), token_id(f"TimeSig_{meter}")]
            current_bar += 1
        out += [token_id(f"Position_{pos}"), token_id(f"Pitch_{pitch}"), duration_id(dur)]
        clock += dur
    return out


def random_melody(
    rng: np.random.Generator, n_notes: int, meter: str = "4/4", low: int = 55
) -> list[int]:
    steps = rng.choice([-4, -3, -2, -1, 1, 2, 3, 5], size=n_notes)
    pitches = np.clip(low + 10 + np.cumsum(steps), low, low + 24).tolist()
    durations = rng.choice([6, 12, 12, 24], size=n_notes).tolist()
    return melody_ids(pitches, durations, meter)


def catalog_rows(
    token_lists: list[list[int]], meters: list[str], keys: list[tuple[str, str]]
) -> pd.DataFrame:
    """A full catalog frame (every column) around the given tokens."""
    from cantus.catalog import COLUMNS, rows_to_frame

    rows = []
    for i, (ids, meter, (tonic, mode)) in enumerate(zip(token_lists, meters, keys, strict=True)):
        row = {c: "" for c in COLUMNS}
        row.update(
            {
                "id": f"m21:synthetic/{i}.abc#",
                "source": f"synthetic/{i}.abc",
                "collection": "synthetic",
                "title": f"tune {i}",
                "meter": meter,
                "key": f"{tonic} {mode}",
                "tonic": tonic,
                "mode": mode,
                "key_confidence": 0.9,
                "tempo_bpm": float("nan"),
                "bars": int(sum(1 for t in ids if t == token_id("Bar_None"))),
                "seconds": 10.0,
                "pitch_low": 40,
                "pitch_high": 80,
                "ambitus": 40,
                "n_notes": len(ids) // 3,
                "note_density": 2.0,
                "parts": 1,
                "captions": [],
                "caption_families": [],
                "tokens": list(ids),
                "n_tokens": len(ids),
                "sha1": "0" * 12,
            }
        )
        rows.append(row)
    return rows_to_frame(rows)


class HistogramEncoder:
    """Deterministic stand-in for the music encoder: a random projection of token counts."""

    encoder_id = "test-histogram"

    def __init__(self, dim: int = 16, seed: int = 0) -> None:
        self.proj = np.random.default_rng(seed).normal(size=(tokens.vocab_size(), dim))

    def encode_ids(self, seqs) -> np.ndarray:
        x = np.zeros((len(seqs), self.proj.shape[0]))
        for i, ids in enumerate(seqs):
            np.add.at(x[i], np.asarray(ids, dtype=np.int64), 1.0)
        e = x @ self.proj
        return (e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-8)).astype(np.float32)


class FakeEngine:
    """The parts of ``recommender.engine.Engine`` that ``generator.inspire`` uses."""

    def __init__(self, catalog: pd.DataFrame, data_dir: Path | None = None, dim: int = 16) -> None:
        self.catalog = catalog.reset_index(drop=True)
        self.encoder = HistogramEncoder(dim)
        self.embeddings = self.encoder.encode_ids(list(self.catalog["tokens"]))
        self.data_dir = data_dir
        self._rows = {pid: i for i, pid in enumerate(self.catalog["id"])}

    def row(self, piece_id: str) -> int:
        if piece_id not in self._rows:
            msg = f"unknown piece id {piece_id!r}"
            raise BadInput(msg)
        return self._rows[piece_id]

    def vector(self, piece_id: str) -> np.ndarray:
        return self.embeddings[self.row(piece_id)].copy()


def synthetic_corpus(
    n: int = 24, seed: int = 0
) -> tuple[list[list[int]], list[str], list[tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    meters = [["4/4", "3/4", "6/8"][i % 3] for i in range(n)]
    keys = [(["C", "D", "G", "B-"][i % 4], ["major", "minor"][i % 2]) for i in range(n)]
    token_lists = [random_melody(rng, int(rng.integers(20, 48)), meters[i]) for i in range(n)]
    return token_lists, meters, keys


def write_data_dir(
    folder: Path, n: int = 24, seed: int = 0, embeddings: bool = True, train_steps: int | None = 3
) -> FakeEngine:
    """A synthetic data dir (catalog, embeddings, optionally a briefly trained generator)."""
    import json

    from cantus.catalog import save_catalog
    from generator.train import build_generator

    folder.mkdir(parents=True, exist_ok=True)
    token_lists, meters, keys = synthetic_corpus(n=n, seed=seed)
    frame = catalog_rows(token_lists, meters, keys)
    save_catalog(frame, folder / "catalog.parquet")
    engine = FakeEngine(frame, data_dir=folder)
    if embeddings:
        np.save(folder / "embeddings.npy", engine.embeddings.astype(np.float16))
        (folder / "embeddings.json").write_text(
            json.dumps({"encoder_id": engine.encoder.encoder_id})
        )
    if train_steps is not None:
        build_generator(folder, "tiny", seed=seed, steps=train_steps)
    return engine


# the seed fields DESIGN.md names for `inspire --json`
DESIGN_FIELDS = {
    "id",
    "midi",
    "musicxml",
    "bars",
    "key",
    "meter",
    "conditioned_on",
    "fidelity",
    "max_copied_notes",
}


def tiny_config(**overrides: Any) -> Any:
    """A tiny ``GeneratorConfig`` over the default controls (``overrides`` replace fields)."""
    from generator.model import GeneratorConfig
    from generator.vocab import default_controls

    controls = default_controls()
    fields = {"cond_dim": 8, "n_prefix": 2, "d_model": 32, "n_layers": 1, "n_heads": 2}
    fields |= {"ctx": 160, "dropout": 0.0, **overrides}
    return GeneratorConfig(vocab_size=controls.vocab_size, n_music=controls.n_music, **fields)


def random_seed_model(ctx: int) -> tuple[Any, Any]:
    """A tiny randomly initialised generator (seeded) and its controls, for decoding tests."""
    import torch

    from generator.model import SeedTransformer
    from generator.vocab import default_controls

    torch.manual_seed(0)
    return SeedTransformer(tiny_config(ctx=ctx)).eval(), default_controls()
