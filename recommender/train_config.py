"""Settings of an encoder training run and the build profiles (saved in ``encoder/config.json``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from cantus.captions import HELD_OUT_FAMILIES
from cantus.errors import BadInput

if TYPE_CHECKING:
    from recommender.encoder_config import EncoderConfig

# saved by older builds, no longer settings: "max_minutes" was a wall-clock cap on the steps
RETIRED_FIELDS = ("max_minutes",)


@dataclass
class TrainConfig:
    """Optimisation and data settings of one training run (saved in ``encoder/config.json``)."""

    # optimizer steps; a count, never a time budget, so a rebuild on any machine gives the same
    # model (the shipped default encoder ran 1300 steps)
    steps: int = 1300
    batch_size: int = 64  # pieces per step (in-batch negatives for InfoNCE)
    balance: float = 0.5  # draw pieces ∝ collection size^-balance (0: plain epochs; Essen is 57 %)
    views: int = 2  # windows per piece and step (2: another crop and key, with its own caption)
    pair_weight: float = 1.0  # weight of the view↔view InfoNCE (tune identity, invariance)
    lr: float = 2e-3  # peak AdamW learning rate
    weight_decay: float = 0.01  # AdamW weight decay (not on norms, biases, temperature)
    warmup_steps: int = 60  # linear warm-up, then cosine decay to 10 % of the peak
    max_transpose: int = 5  # random transposition range in semitones (±)
    transpose_prob: float = 0.7  # chance a sample is transposed (when its caption allows)
    eval_fraction: float = 0.05  # share of tunes held out for evaluation
    max_tune_versions: int = 20  # titles shared by more pieces ("Chorale") always train
    heldout_families: tuple[str, ...] = HELD_OUT_FAMILIES  # caption families never trained on
    captions_per_piece: int = 3  # captions kept per piece, each from another family (MiniLM cost)
    skip_families: tuple[str, ...] = ("title",)  # trainable but not sampled: names, not music
    log_every: int = 25  # steps between progress lines
    threads: int = 0  # torch CPU threads; 0 = all cores, or 1 when others load the machine

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "log_every", "captions_per_piece", "views"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                msg = f"`{name}` must be a positive int (received {value!r})"
                raise ValueError(msg)
        rules = (  # (field, holds, what it must be)
            ("batch_size", self.batch_size >= 2, ">= 2 for in-batch negatives"),
            ("views", self.views in (1, 2), "1 or 2"),
            ("balance", 0 <= self.balance <= 1, "lie in [0, 1]"),
            ("pair_weight", self.pair_weight >= 0, ">= 0"),
            ("lr", 0 < self.lr < 1, "lie in (0, 1)"),
            ("eval_fraction", 0 <= self.eval_fraction < 0.5, "lie in [0, 0.5)"),
            ("max_transpose", 0 <= self.max_transpose <= 12, "lie in 0..12"),
            ("transpose_prob", 0 <= self.transpose_prob <= 1, "lie in [0, 1]"),
            ("threads", self.threads >= 0, ">= 0"),
        )
        for name, holds, rule in rules:
            if not holds:
                msg = f"`{name}` must be {rule} (received {getattr(self, name)})"
                raise ValueError(msg)
        self.heldout_families = tuple(self.heldout_families)
        self.skip_families = tuple(self.skip_families)

    @classmethod
    def from_saved(cls, saved: dict) -> TrainConfig:
        """The settings a build saved in ``encoder/config.json``, less ``RETIRED_FIELDS``."""
        return cls(**{k: v for k, v in saved.items() if k not in RETIRED_FIELDS})


def profile_configs(profile: str) -> tuple[EncoderConfig, TrainConfig]:
    """Model and training settings of a build profile (``tiny`` or ``default``)."""
    from cantus import tokens
    from recommender.encoder_config import EncoderConfig

    vocab = {"vocab_size": tokens.vocab_size(), "pad_id": tokens.PAD_ID}
    if profile == "tiny":  # a few dozen steps of a toy model: < 1 minute, for tests and CI
        return (
            EncoderConfig(
                **vocab,
                max_len=128,
                max_events=64,
                d_model=64,
                n_layers=1,
                n_heads=2,
                ff_mult=2,
                text_hidden=128,
                embed_dim=64,
            ),
            TrainConfig(
                steps=30,
                batch_size=16,
                lr=3e-3,
                warmup_steps=5,
                eval_fraction=0.1,
                captions_per_piece=2,
                log_every=10,
            ),
        )
    if profile == "default":  # sized for ~15-20 minutes on a shared 2-core CPU
        return (
            EncoderConfig(
                **vocab,
                max_len=256,
                max_events=96,
                d_model=128,
                n_layers=2,
                n_heads=4,
                ff_mult=2,
                text_hidden=512,
                embed_dim=256,
            ),
            TrainConfig(),
        )
    msg = f"unknown profile {profile!r} (expected tiny or default)"
    raise BadInput(msg)
