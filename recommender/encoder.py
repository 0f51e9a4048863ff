"""The trained text↔music encoder at inference time, and its files.

``load_encoder(data_dir)`` reads ``<data_dir>/encoder/{config.json, model.safetensors}`` and
returns an ``Encoder`` with ``encode_texts`` (MiniLM → trained projection, both without torch:
onnxruntime and numpy) and ``encode_ids`` (music tokens → the music tower as an ONNX graph in
onnxruntime, ``recommender.music_onnx``, loaded on the first music input), both giving
L2-normalised float32 (N, D) arrays.

Token windows reach the model as four aligned arrays built by ``window_arrays`` (the only place
that knows the tokenizer's vocabulary):

- ``ids`` (B, T): the tokens, ``PAD_ID`` after the end; with ``relative_pitch`` every ``Pitch``
  token becomes one shared "a note sounds" id, so the tower never sees absolute pitch;
- ``groups`` (B, T): the event each token belongs to (a ``Bar``/``Position`` token opens one),
  -1 for padding; the tower sums the tokens of an event;
- ``intervals`` (B, T): for a ``Pitch`` token the semitones from the previous pitch (clipped to
  ±24);
- ``degrees`` (B, T): for a ``Pitch`` token its distance in semitones from the window's tonic
  (Krumhansl-Schmuckler key estimate on the window's pitch classes), placed in the octave
  below the window's median pitch, so scale degrees, register shape and mode survive.

Intervals and degrees do not change when the music is transposed (the key estimate moves with
it), so with ``relative_pitch`` a transposed copy gets exactly the same embedding.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantus.errors import BadInput, MissingArtifact
from cantus.keys import estimate_tonic
from recommender.encoder_config import EncoderConfig
from recommender.music_onnx import OnnxMusicTower, load_music_tower
from recommender.text_head import TextProjection

if TYPE_CHECKING:
    from recommender.model import ContrastiveEncoder

log = logging.getLogger(__name__)

ENCODER_DIR = "encoder"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
SPLIT_FILE = "split.json"
MAX_INTERVAL = 24  # semitones; larger leaps share the outermost interval id
DEGREE_RANGE = (-24, 36)  # semitones from the reference tonic kept apart (clipped beyond)
# Krumhansl-Kessler key profiles (major, minor), tonic first.


# --------------------------------------------------------------------------- token windows


@functools.cache
def _vocab_tables() -> tuple[np.ndarray, np.ndarray]:
    """(is_event_start per id, MIDI pitch per id or -1) for the project tokenizer."""
    from cantus import tokens

    kinds = tokens.token_kinds()
    starts = np.zeros(tokens.vocab_size(), dtype=bool)
    for kind in ("Bar", "Position"):
        starts[kinds.get(kind, np.array([], dtype=np.int64))] = True
    return starts, tokens.pitch_of_ids()


def first_window(ids: Sequence[int], max_len: int) -> list[int]:
    """The opening ``max_len`` tokens of a piece (what inference embeds)."""
    return [int(i) for i in list(ids)[:max_len]]


def _degrees(pitch: np.ndarray) -> np.ndarray:
    """Degree ids (0 = not a pitch) of one window's pitches (-1 = not a pitch)."""
    out = np.zeros(len(pitch), dtype=np.int64)
    notes = pitch[pitch >= 0]
    if notes.size == 0:
        return out
    tonic = estimate_tonic(notes)
    median = int(np.floor(np.median(notes)))
    reference = median - ((median - tonic) % 12)  # the tonic at or below the median pitch
    low, high = DEGREE_RANGE
    out[pitch >= 0] = (notes - reference).clip(low, high) - low + 1  # 1..high-low+1
    return out


def _one_window(
    ids: np.ndarray, max_events: int, relative_pitch: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ids, groups, intervals, degrees) of one window, cut after ``max_events`` events."""
    starts, pitch_of = _vocab_tables()
    if ids.size and (ids.min() < 0 or ids.max() >= len(starts)):
        msg = f"token ids outside the vocabulary 0..{len(starts) - 1}"
        raise BadInput(msg)
    opens = starts[ids]
    groups = np.cumsum(opens) - 1
    groups[groups < 0] = 0  # tokens before the first event start join event 0
    keep = groups < max_events
    ids, groups = ids[keep], groups[keep]
    pitch = pitch_of[ids]
    intervals = np.zeros(len(ids), dtype=np.int64)
    where = np.flatnonzero(pitch >= 0)
    if where.size:
        steps = np.diff(pitch[where]).clip(-MAX_INTERVAL, MAX_INTERVAL)
        intervals[where[0]] = 1
        intervals[where[1:]] = steps + MAX_INTERVAL + 2  # -24..24 → 2..50
    degrees = _degrees(pitch)
    if relative_pitch and where.size:
        ids = ids.copy()
        ids[where] = _shared_pitch_id()
    return ids, groups, intervals, degrees


@functools.cache
def _shared_pitch_id() -> int:
    """The one id all Pitch tokens become with ``relative_pitch`` (the lowest Pitch id)."""
    return int(np.flatnonzero(_vocab_tables()[1] >= 0).min())


def window_arrays(
    windows: Sequence[Sequence[int]], max_len: int, max_events: int, relative_pitch: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Padded int64 arrays (B, T) ``ids``, ``groups``, ``intervals``, ``degrees``.

    Each window is cut to ``max_len`` tokens and ``max_events`` events; T is the longest kept.
    """
    from cantus.tokens import PAD_ID

    parts = [
        _one_window(np.asarray(list(w)[:max_len], dtype=np.int64), max_events, relative_pitch)
        for w in windows
    ]
    width = max([len(p[0]) for p in parts] + [1])
    ids = np.full((len(parts), width), PAD_ID, dtype=np.int64)
    groups = np.full((len(parts), width), -1, dtype=np.int64)
    intervals = np.zeros((len(parts), width), dtype=np.int64)
    degrees = np.zeros((len(parts), width), dtype=np.int64)
    for row, (i, g, v, d) in enumerate(parts):
        n = len(i)
        ids[row, :n], groups[row, :n], intervals[row, :n], degrees[row, :n] = i, g, v, d
    groups[ids == PAD_ID] = -1
    return ids, groups, intervals, degrees


# --------------------------------------------------------------------------- files


def weights_id(path: Path) -> str:
    """``encoder_id``: the first 16 hex digits of the weights file's sha256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def save_encoder(model: ContrastiveEncoder, out_dir: Path, extra: dict | None = None) -> str:
    """Write ``out_dir/encoder/{config.json, model.safetensors}`` (fp16); return the encoder_id."""
    from safetensors.torch import save_file

    folder = Path(out_dir) / ENCODER_DIR
    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: v.detach().to("cpu", copy=True).half().contiguous()
        for k, v in model.state_dict().items()
    }
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / WEIGHTS_FILE).chmod(0o644)  # safetensors writes 0600; the artifact is shared
    encoder_id = weights_id(folder / WEIGHTS_FILE)
    meta = {"encoder_id": encoder_id, "model": model.cfg.to_dict(), **(extra or {})}
    (folder / CONFIG_FILE).write_text(json.dumps(meta, indent=2, default=str))
    return encoder_id


def read_encoder_meta(data_dir: Path) -> dict:
    """``encoder/config.json`` of a data dir (``MissingArtifact`` if absent)."""
    path = Path(data_dir) / ENCODER_DIR / CONFIG_FILE
    if not path.is_file():
        msg = f"no trained encoder at {path.parent} (run `cantus build`)"
        raise MissingArtifact(msg)
    return json.loads(path.read_text())


def _read_files(data_dir: Path) -> tuple[EncoderConfig, str, dict, Path]:
    """(config, encoder_id, meta, weights path) of a data dir's encoder, checked, no torch."""
    meta = read_encoder_meta(data_dir)
    folder = Path(data_dir) / ENCODER_DIR
    try:
        cfg = EncoderConfig.from_dict(meta["model"])
    except (KeyError, TypeError, ValueError) as exc:
        msg = f"encoder config in {folder} is unusable ({exc}); rebuild with `cantus build`"
        raise MissingArtifact(msg) from exc
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        msg = f"encoder weights missing: {weights} (run `cantus build`)"
        raise MissingArtifact(msg)
    encoder_id = weights_id(weights)
    if encoder_id != meta.get("encoder_id"):
        msg = f"encoder weights in {folder} do not match config.json's encoder_id; rebuild"
        raise MissingArtifact(msg)
    return cfg, encoder_id, meta, weights


def _torch_model(cfg: EncoderConfig, weights: Path) -> ContrastiveEncoder:
    """Both towers in torch (the music tower needs them), from a checked weights file."""
    from safetensors.torch import load_file

    from recommender.model import ContrastiveEncoder

    model = ContrastiveEncoder(cfg)
    try:
        model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    except (RuntimeError, ValueError) as exc:  # other shapes or names: another model version
        msg = f"encoder weights in {weights.parent} do not fit this version's model; "
        raise MissingArtifact(msg + "run `cantus build`") from exc
    return model.eval()


# --------------------------------------------------------------------------- inference


class Encoder:
    """A loaded encoder: text and music into the shared space (float32, L2-normalised).

    Text goes through the numpy ``TextProjection``; music through the tower's ONNX graph, loaded
    on the first music input (an encoder around an in-memory torch model, in training and
    tests, runs that model); neither imports torch.
    """

    def __init__(
        self,
        cfg: EncoderConfig,
        encoder_id: str,
        text_head: TextProjection,
        load_model: Callable[[], ContrastiveEncoder],
        meta: dict | None = None,
        device: str | None = None,
        source: str = "",
        onnx_tower: Callable[[], OnnxMusicTower] | None = None,
    ) -> None:
        self.cfg = cfg
        # an encoder read from its files embeds music in onnxruntime (no torch); one around an
        # in-memory model (training, tests) runs that model
        self._load_onnx_tower = onnx_tower
        self._onnx_tower: OnnxMusicTower | None = None
        self.encoder_id = encoder_id
        self.meta = meta or {}
        self.source = source  # where it was loaded from (for messages)
        self._text_head = text_head
        self._load_model = load_model
        self._device = device
        self._model: ContrastiveEncoder | None = None
        self._model_lock = threading.Lock()
        self._vocab_checked = False

    @classmethod
    def from_model(
        cls, model: ContrastiveEncoder, encoder_id: str, meta: dict | None = None
    ) -> Encoder:
        """An encoder around an in-memory model (training, tests)."""
        return cls(model.cfg, encoder_id, TextProjection.from_module(model), lambda: model, meta)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its torch model loaded (a Ray actor cannot reach this machine's files,
        and an onnxruntime session does not pickle: the copy embeds music in torch); the lock
        and the loaders stay behind."""
        state = self.__dict__.copy()
        state["_model"] = self.model
        state["_load_model"] = None
        state["_onnx_tower"], state["_load_onnx_tower"] = None, None
        del state["_model_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._model_lock = threading.Lock()
        model = self._model
        self._load_model = lambda: model

    @property
    def dim(self) -> int:
        return self.cfg.embed_dim

    @property
    def model(self) -> ContrastiveEncoder:
        """The torch model (both towers), loaded on first use."""
        with self._model_lock:
            if self._model is None:
                import torch

                device = self._device or ("cuda" if torch.cuda.is_available() else "cpu")
                self._model = self._load_model().to(torch.device(device)).eval()
        return self._model

    @property
    def device(self) -> Any:
        return next(self.model.parameters()).device

    def encode_sentence_vectors(self, vectors: np.ndarray) -> np.ndarray:
        """Project MiniLM vectors (N, 384) into the shared space (N, D)."""
        return self._text_head(vectors) if len(vectors) else self._empty()

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Text queries or captions → (N, D)."""
        from recommender.query_text import query_text_embedder

        if isinstance(texts, str):
            texts = [texts]
        cleaned = [str(t).strip() for t in texts]
        if any(not t for t in cleaned):
            msg = "empty text query"
            raise BadInput(msg)
        return self.encode_sentence_vectors(query_text_embedder()(cleaned))

    def encode_ids(self, token_lists: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        """Token sequences (their opening window) → (N, D)."""
        self._check_vocabulary()
        tower = self.music_tower()
        out = []
        for lo in range(0, len(token_lists), batch_size):
            windows = [
                first_window(ids, self.cfg.max_len) for ids in token_lists[lo : lo + batch_size]
            ]
            if any(len(w) == 0 for w in windows):
                msg = "cannot embed a piece with no tokens"
                raise BadInput(msg)
            arrays = window_arrays(
                windows, self.cfg.max_len, self.cfg.max_events, self.cfg.relative_pitch
            )
            out.append(tower(*arrays))  # (B, D)
        return np.concatenate(out) if out else self._empty()

    def music_tower(self) -> Callable[..., np.ndarray]:
        """The music tower as a function of the four window arrays → (B, D) float32."""
        if self._onnx_tower is not None:
            return self._onnx_tower
        if self._load_onnx_tower is not None:
            with self._model_lock:
                if self._onnx_tower is None:
                    self._onnx_tower = self._load_onnx_tower()
            return self._onnx_tower
        import torch

        model, device = self.model, self.device

        def run(*arrays: np.ndarray) -> np.ndarray:
            tensors = (torch.as_tensor(a, device=device) for a in arrays)
            with torch.inference_mode():
                return model.music(*tensors).float().cpu().numpy()  # (B, D)

        return run

    def _check_vocabulary(self) -> None:
        """The tokenizer must be the one the music tower was trained on. Checked on the first
        music input, not at load: text search never needs the tokenizer (miditok, ~0.3 s)."""
        if self._vocab_checked:
            return
        from cantus import tokens

        if self.cfg.vocab_size != tokens.vocab_size() or self.cfg.pad_id != tokens.PAD_ID:
            msg = (
                f"encoder in {self.source or 'memory'} was trained for a vocabulary of "
                f"{self.cfg.vocab_size} tokens, the tokenizer has {tokens.vocab_size()}; "
                "rebuild with `cantus build`"
            )
            raise MissingArtifact(msg)
        self._vocab_checked = True

    def _empty(self) -> np.ndarray:
        return np.zeros((0, self.dim), dtype=np.float32)


@functools.lru_cache(maxsize=4)
def _cached_encoder(folder: str, mtime_ns: int) -> Encoder:
    start = time.perf_counter()
    cfg, encoder_id, meta, weights = _read_files(Path(folder))
    head = TextProjection.from_file(weights, cfg)
    log.info("loaded encoder %s in %.2fs", encoder_id, time.perf_counter() - start)
    return Encoder(
        cfg,
        encoder_id,
        head,
        functools.partial(_torch_model, cfg, weights),
        meta,
        source=str(weights.parent),
        onnx_tower=functools.partial(_onnx_tower, cfg, weights, encoder_id),
    )


def _onnx_tower(cfg: EncoderConfig, weights: Path, encoder_id: str) -> OnnxMusicTower:
    """The music tower's graph from the shared cache or this home's (exported there once)."""
    from cantus.onnx_graphs import graph_dirs

    return load_music_tower(cfg, weights, encoder_id, *graph_dirs())


def build_shared_tower() -> None:
    """The data dir's encoder's music tower, exported to ONNX into the virtual environment's
    cache (``make install``): no seed's fidelity then needs torch."""
    from cantus.config import data_dir, shared_cache_dir

    cfg, encoder_id, _meta, weights = _read_files(data_dir())
    load_music_tower(cfg, weights, encoder_id, (shared_cache_dir(),), shared_cache_dir())


def load_encoder(data_dir: Path | str | None = None) -> Encoder:
    """The encoder of ``data_dir`` (default: ``cantus.config.data_dir()``), cached per version."""
    from cantus.config import data_dir as default_data_dir

    folder = Path(data_dir) if data_dir is not None else default_data_dir()
    weights = folder / ENCODER_DIR / WEIGHTS_FILE
    mtime = weights.stat().st_mtime_ns if weights.is_file() else 0
    return _cached_encoder(str(folder.resolve()), mtime)
