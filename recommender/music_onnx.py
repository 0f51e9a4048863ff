"""The encoder's music tower (``recommender.model.MusicTower``) as an ONNX graph run by
onnxruntime: an encoder loaded from its files embeds music without importing torch (~3 s of a
cold ``cantus inspire``, which embeds its seeds for their fidelity and copy checks).

The graph (exported by ``recommender.music_export`` from the tower's own modules, checked
against it) maps the four window arrays (B, T) of ``recommender.encoder.window_arrays`` to unit
vectors (B, D); its file is named by the encoder's weights (``cantus.onnx_graphs``), found in
the shared cache (``make install``) or exported on first use with a log line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cantus.onnx_graphs import ONNX_OPSET, find_or_export, graph_file_name, onnx_session
from recommender.encoder_config import EncoderConfig

TOWER_FORMAT = f"music-tower-onnx-opset{ONNX_OPSET}-v1"  # change when the graph changes
WHAT = "the encoder's music tower"


class OnnxMusicTower:
    """Event-pooled token windows (four (B, T) arrays) → (B, D) unit vectors."""

    def __init__(self, cfg: EncoderConfig, session: Any) -> None:
        self.cfg = cfg
        self.session = session

    def __call__(
        self, ids: np.ndarray, groups: np.ndarray, intervals: np.ndarray, degrees: np.ndarray
    ) -> np.ndarray:
        events = max(int(groups.max()) + 1 if groups.size else 1, 1)
        if self.cfg.max_events < events:  # the positions table ends there, as in the tower
            msg = f"{events} events exceed max_events {self.cfg.max_events}"
            raise ValueError(msg)
        arrays = (ids, groups, intervals, degrees)
        feed = dict(zip(("ids", "groups", "intervals", "degrees"), arrays, strict=True))
        (out,) = self.session.run(None, {k: np.asarray(v, np.int64) for k, v in feed.items()})
        return out


def load_music_tower(
    cfg: EncoderConfig, weights: Path, weights_id: str, read_dirs: tuple[Path, ...], write_dir: Path
) -> OnnxMusicTower:
    """The tower of the encoder ``weights`` (``weights_id``: their sha256 digits) from the first
    of ``read_dirs`` holding its graph; else exported into ``write_dir`` (needs torch)."""

    def export(paths: list[Path]) -> None:
        from recommender.music_export import export_music_tower

        export_music_tower(cfg, weights, paths[0])

    config = json.dumps(cfg.to_dict(), sort_keys=True)
    name = graph_file_name("music-tower", TOWER_FORMAT, weights_id, config)
    (path,) = find_or_export((name,), read_dirs, write_dir, export, WHAT)
    return OnnxMusicTower(cfg, onnx_session(path, WHAT))
