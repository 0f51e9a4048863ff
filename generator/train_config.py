"""Settings of a generator training run and the build profiles (saved beside the weights)."""

from __future__ import annotations

from dataclasses import dataclass

from generator.vocab import MAX_BARS


@dataclass
class TrainConfig:
    batch_size: int = 16  # windows per optimisation step (more updates per token on a slow CPU)
    lr: float = 1.5e-3  # peak AdamW learning rate
    min_lr_frac: float = 0.1  # cosine decay floor, as a fraction of lr
    warmup_steps: int = 60  # linear warm-up
    weight_decay: float = 0.05  # AdamW weight decay on matrices
    grad_clip: float = 1.0  # gradient-norm clip
    # optimisation steps; a count, never a time budget, so a rebuild on any machine gives the
    # same model (the shipped default generator ran 3167 steps; 1300 on 2 threads fits ~24 min
    # here but scored clearly worse: README)
    steps: int = 3167
    min_bars: int = 1  # shortest training window, bars
    long_min_bars: int = 8  # windows are drawn from long_min_bars..MAX_BARS with p_long
    p_long: float = 0.75  # probability of a long (8..16 bar) window
    p_opening: float = 0.3  # probability the window starts at the first bar
    # probability a piece with marked phrases gives a whole-phrase window (EOS after a phrase
    # end); a design choice, not tuned: 1 in 5 keep arbitrary bar spans so every --bars count
    # 1..16 stays in training (sums of whole phrases are mostly multiples of 2 and 4 bars)
    p_phrase: float = 0.8
    heldout_frac: float = 0.05  # pieces held out for NLL
    eval_windows: int = 256  # held-out windows scored at the end
    eval_every: int = 400  # steps between held-out evaluations
    # torch CPU threads, fixed: sums depend on the thread count, not on the cores, so a count
    # chosen per run made two seeded builds differ; 2 ran a step 1.47x faster than 1 here, but
    # the shipped weights ran on 1 (README)
    threads: int = 1
    pool_batches: int = 8  # batches drawn together and sorted by length (less padding)

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.steps < 1:
            got = (self.batch_size, self.steps)
            msg = f"`batch_size` and `steps` must be >= 1 (received {got})"
            raise ValueError(msg)
        if self.threads < 1:
            msg = f"`threads` must be >= 1 (received {self.threads})"
            raise ValueError(msg)
        if not 0 < self.lr < 1:
            msg = f"`lr` must lie in (0, 1) (received {self.lr})"
            raise ValueError(msg)
        if not 1 <= self.min_bars <= self.long_min_bars <= MAX_BARS:
            got = (self.min_bars, self.long_min_bars)
            msg = f"need 1 <= min_bars <= long_min_bars <= {MAX_BARS} (received {got})"
            raise ValueError(msg)
        if not 0 <= self.p_phrase <= 1:
            msg = f"`p_phrase` must lie in [0, 1] (received {self.p_phrase})"
            raise ValueError(msg)
        if not 0 <= self.heldout_frac < 0.5:
            msg = f"`heldout_frac` must lie in [0, 0.5) (received {self.heldout_frac})"
            raise ValueError(msg)


PROFILES: dict[str, tuple[dict, dict]] = {
    # profile: (GeneratorConfig overrides, TrainConfig overrides)
    "tiny": (
        {"d_model": 64, "n_layers": 2, "n_heads": 2, "ctx": 256, "n_prefix": 2, "dropout": 0.0},
        {
            "batch_size": 16,
            "lr": 2e-3,
            "warmup_steps": 10,
            "steps": 100,
            "eval_windows": 32,
            "eval_every": 10_000,
        },
    ),
    "default": ({}, {}),
}
