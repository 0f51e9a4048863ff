"""Generator checkpoints: ``config.json`` + ``model.safetensors`` (fp16) in a folder.

Serving (``generator.inspire``) loads through here and never imports the training code;
``generator.train`` saves through here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from cantus.errors import MissingArtifact
from generator.model import GeneratorConfig, SeedTransformer
from generator.vocab import Controls, default_controls, vocab_fingerprint

GENERATOR_DIR = "generator"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


@dataclass
class LoadedGenerator:
    model: SeedTransformer  # in eval mode, float32
    controls: Controls  # control-token layout it was trained with
    encoder_id: str | None  # encoder whose embedding space conditions it (None: unknown)
    conditioned: bool  # False when trained without embeddings (condition always dropped)
    meta: dict  # the whole config.json (plus "weights_sha256")


def save_generator(
    folder: Path,
    model: SeedTransformer,
    controls: Controls,
    tcfg: Any,  # generator.train.TrainConfig (a dataclass), saved beside the weights
    encoder_id: str | None,
    metrics: dict,
) -> None:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    meta = {
        "model": asdict(model.cfg),
        "controls": controls.to_dict(),
        "vocab_fingerprint": vocab_fingerprint(),
        "encoder_id": encoder_id,
        "conditioned": bool(metrics.get("conditioned", True)),
        "train": asdict(tcfg),
        "metrics": metrics,
    }
    state = {
        k: v.detach().to("cpu", torch.float16).contiguous()
        for k, v in model.state_dict().items()
        if k != "head.weight"
    }
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True))


def load_generator(folder: Path, device: torch.device | str = "cpu") -> LoadedGenerator:
    """Load and check a saved generator (``MissingArtifact`` with the fix when unusable)."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not (folder / CONFIG_FILE).is_file() or not (folder / WEIGHTS_FILE).is_file():
        msg = f"no generator at {folder} (run `cantus build`)"
        raise MissingArtifact(msg)
    meta = json.loads((folder / CONFIG_FILE).read_text())
    cfg = GeneratorConfig(**meta["model"])
    controls = Controls(
        n_music=meta["controls"]["n_music"],
        meters=tuple(meta["controls"]["meters"]),
        modes=tuple(meta["controls"]["modes"]),
        max_bars=meta["controls"]["max_bars"],
    )
    if meta.get("vocab_fingerprint") != vocab_fingerprint() or controls != default_controls():
        msg = f"the generator at {folder} uses another tokenizer vocabulary; run `cantus build`"
        raise MissingArtifact(msg)
    if controls.vocab_size != cfg.vocab_size:
        sizes = (cfg.vocab_size, controls.vocab_size)
        msg = f"generator config at {folder} is inconsistent (vocab vs controls: {sizes})"
        raise MissingArtifact(msg)
    model = SeedTransformer(cfg)
    state = {k: v.float() for k, v in load_file(str(folder / WEIGHTS_FILE)).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"head.weight"}:
        msg = f"generator weights at {folder} do not fit its config ({missing=}, {unexpected=})"
        raise MissingArtifact(msg)
    model.head.weight = model.tok_emb.weight
    model.to(device).eval()
    meta["weights_sha256"] = hashlib.sha256((folder / WEIGHTS_FILE).read_bytes()).hexdigest()
    return LoadedGenerator(
        model=model,
        controls=controls,
        encoder_id=meta.get("encoder_id"),
        conditioned=bool(meta.get("conditioned", True)),
        meta=meta,
    )
