"""Generator checkpoints: ``config.json`` + ``model.safetensors`` (fp16) in a folder.

Serving (``generator.inspire``) loads through here and never imports the training code;
``generator.train`` saves through here.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import MissingArtifact
from generator.model_config import GeneratorConfig
from generator.onnx_decoder import OnnxDecoder, load_onnx_decoder
from generator.vocab import Controls, default_controls, vocab_fingerprint

if TYPE_CHECKING:
    from generator.model import SeedTransformer

GENERATOR_DIR = "generator"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


_DECODER_LOCK = threading.Lock()


@dataclass
class LoadedGenerator:
    cfg: GeneratorConfig  # the model's configuration
    controls: Controls  # control-token layout it was trained with
    encoder_id: str | None  # encoder whose embedding space conditions it (None: unknown)
    conditioned: bool  # False when trained without embeddings (condition always dropped)
    meta: dict  # the whole config.json (plus "weights_sha256")
    state: dict[str, np.ndarray] = field(repr=False, default_factory=dict)  # float32 weights
    _decoder: OnnxDecoder | None = field(repr=False, default=None)
    _model: SeedTransformer | None = field(repr=False, default=None)

    @property
    def decoder(self) -> OnnxDecoder:
        """What serving decodes with: its ONNX graphs in onnxruntime (``generator.onnx_decoder``),
        exported on first use when no cache holds it; built once."""
        with _DECODER_LOCK:  # the dashboard's threads: one builds it, the others wait
            if self._decoder is None:
                from cantus.onnx_graphs import graph_dirs

                sha = self.meta["weights_sha256"]
                self._decoder = load_onnx_decoder(self.cfg, self.state, sha, *graph_dirs())
        return self._decoder

    @property
    def model(self) -> SeedTransformer:
        """The torch model of the same weights (training code, tests), built on first use."""
        if self._model is None:
            from generator.decoder_export import torch_model

            self._model = torch_model(self.cfg, self.state)
        return self._model


def save_generator(
    folder: Path,
    model: SeedTransformer,
    controls: Controls,
    tcfg: Any,  # generator.train.TrainConfig (a dataclass), saved beside the weights
    encoder_id: str | None,
    metrics: dict,
) -> None:
    import torch
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


def load_generator(folder: Path) -> LoadedGenerator:
    """Load and check a saved generator (``MissingArtifact`` with the fix when unusable);
    numpy only: serving never imports torch."""
    from safetensors.numpy import load

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
    raw = (folder / WEIGHTS_FILE).read_bytes()
    state = {k: v.astype(np.float32) for k, v in load(raw).items()}
    _check_weights(state, cfg, folder)
    meta["weights_sha256"] = hashlib.sha256(raw).hexdigest()
    return LoadedGenerator(
        cfg=cfg,
        controls=controls,
        encoder_id=meta.get("encoder_id"),
        conditioned=bool(meta.get("conditioned", True)),
        meta=meta,
        state=state,
    )


def weight_shapes(cfg: GeneratorConfig) -> dict[str, tuple[int, ...]]:
    """The saved tensors of a model of ``cfg`` and their shapes (the tied head is not saved)."""
    c, f = cfg.d_model, 4 * cfg.d_model
    shapes = {
        "tok_emb.weight": (cfg.vocab_size, c),
        "pos_emb.weight": (cfg.ctx, c),
        "cond_proj.weight": (cfg.n_prefix * c, cfg.cond_dim),
        "cond_proj.bias": (cfg.n_prefix * c,),
        "null_prefix": (cfg.n_prefix, c),
        "cond_glob.weight": (c, cfg.cond_dim),
        "cond_glob.bias": (c,),
        "null_glob": (c,),
        "ln_f.weight": (c,),
        "ln_f.bias": (c,),
    }
    block = {
        "ln1.weight": (c,),
        "ln1.bias": (c,),
        "attn.qkv.weight": (3 * c, c),
        "attn.qkv.bias": (3 * c,),
        "attn.proj.weight": (c, c),
        "attn.proj.bias": (c,),
        "ln2.weight": (c,),
        "ln2.bias": (c,),
        "mlp.0.weight": (f, c),
        "mlp.0.bias": (f,),
        "mlp.2.weight": (c, f),
        "mlp.2.bias": (c,),
    }
    for i in range(cfg.n_layers):
        shapes.update({f"blocks.{i}.{k}": v for k, v in block.items()})
    return shapes


def _check_weights(state: dict[str, np.ndarray], cfg: GeneratorConfig, folder: Path) -> None:
    want = weight_shapes(cfg)
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != want:
        missing, unexpected = sorted(set(want) - set(got)), sorted(set(got) - set(want))
        wrong = sorted(k for k in set(want) & set(got) if want[k] != got[k])
        msg = (
            f"generator weights at {folder} do not fit its config "
            f"({missing=}, {unexpected=}, wrong shapes={wrong})"
        )
        raise MissingArtifact(msg)
