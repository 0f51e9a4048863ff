"""What ``cantus eval retrieval`` reads: its sizes and a data dir's catalog, models and split."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantus.errors import MissingArtifact
from recommender.engine_data import CATALOG_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from recommender.encoder import Encoder

# engine columns the evaluation does not read (catalogs older than them lack some)
ENGINE_ONLY_COLUMNS = frozenset(
    {"key_confidence", "seconds", "pitch_low", "pitch_high", "sha1", "genre", "genre_original",
     "region", "notes", "lyrics"}
)  # fmt: skip
# plus the columns only building and judging need
EVAL_COLUMNS = [c for c in CATALOG_COLUMNS if c not in ENGINE_ONLY_COLUMNS] + [
    "captions", "caption_families", "tokens", "text"
]  # fmt: skip


@dataclass
class EvalConfig:
    """Sizes of the evaluation (saved in the report)."""

    k: int = 10  # cut-off of R@k / nDCG@k / P@k / HR@k
    transposed_pieces: int = 500  # pieces whose transposed copy is searched
    max_transpose: int = 5  # transpositions are drawn from ±1..max_transpose semitones
    seed: int = 0  # sampling of pieces, transpositions and the random baseline
    skip_sets: tuple[str, ...] = ()  # fresh query sets left out of this run (still named)

    def __post_init__(self) -> None:
        if self.k < 1 or self.transposed_pieces < 1 or not 1 <= self.max_transpose <= 12:
            msg = f"invalid evaluation sizes (received {self})"
            raise ValueError(msg)


@dataclass
class EvalData:
    """Everything the evaluation reads from a data dir."""

    folder: Path
    catalog: pd.DataFrame
    encoder: Encoder
    embeddings: np.ndarray  # (N, D) float32
    held: np.ndarray  # (N,) bool: held-out pieces
    heldout_families: tuple[str, ...]
    train: dict  # the encoder's training settings and metrics


def load_eval_data(data_dir: Path | str | None = None) -> EvalData:
    """Catalog, encoder, embeddings and the held-out split of a data dir."""
    import pandas as pd

    from cantus.config import data_dir as default_data_dir
    from recommender.encoder import ENCODER_DIR, SPLIT_FILE, load_encoder

    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    encoder = load_encoder(folder)
    path = folder / "catalog.parquet"
    if not path.is_file():
        msg = f"no catalog at {path}: run `cantus build`"
        raise MissingArtifact(msg)
    catalog = pd.read_parquet(path, columns=EVAL_COLUMNS)
    meta = (
        json.loads((folder / "embeddings.json").read_text())
        if (folder / "embeddings.json").is_file()
        else {}
    )
    if meta.get("encoder_id") != encoder.encoder_id:
        msg = f"embeddings in {folder} are missing or from another encoder; run `cantus build`"
        raise MissingArtifact(msg)
    embeddings = np.load(folder / "embeddings.npy").astype(np.float32)
    split_path = folder / ENCODER_DIR / SPLIT_FILE
    split = json.loads(split_path.read_text()) if split_path.is_file() else {}
    held = catalog["id"].astype(str).isin(set(split.get("eval_ids", []))).to_numpy()
    families = tuple(split.get("heldout_families", []))
    return EvalData(folder, catalog, encoder, embeddings, held, families, encoder.meta)


def cache_dir(folder: Path) -> Path:
    """The build's MiniLM sentence cache, or one under CANTUS_HOME if that is read-only."""
    import os

    from cantus.config import SENTENCE_CACHE_DIR, cantus_home

    cache = folder / SENTENCE_CACHE_DIR
    if cache.is_dir() and os.access(cache, os.W_OK):
        return cache
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK):
            return cache
    except OSError:
        pass
    return cantus_home() / "cache" / "minilm"
