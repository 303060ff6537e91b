"""Model backends: PyTorch, or an int8 ONNX Runtime copy of the same weights, built once and cached (the reader
uses both; the embedder uses the ONNX export and runner)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from qa.errors import ReaderError
from qa.models.cores import SharedCores, process_cores
from qa.models.int8 import export_int8, int8_outliers
from qa.models.tokenizer import FastTokenizer
from qa.settings import BACKENDS, threads_each

PACKAGED = Path(__file__).resolve().parents[2] / "models" / "reader"
SHIPPED = {"packaged": PACKAGED, "teacher": PACKAGED.parent / "teacher"}  # reader settings' names for them


def _transformers():
    try:
        import transformers
        from transformers.utils import logging as hf_logging
    except ImportError:
        raise ReaderError("the reader needs transformers: pip install transformers") from None
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return transformers


def _loading(path: str | Path, what, offline: bool):
    where = Path(path)
    if not where.exists() and (offline or where.is_absolute() or str(path)[:1] == "."):
        raise ReaderError(f"reader model {str(path)!r} not found (offline, only local checkpoint directories load)")
    try:
        return what(str(path), local_files_only=offline)
    except Exception as exc:  # transformers raises many kinds; say which model failed
        raise ReaderError(f"cannot load reader model {str(path)!r}: {exc}") from exc


def reader_path(name: str) -> Path | str:
    """The checkpoint directory for a reader setting: "packaged" is the reader shipped in models/reader, "teacher"
    the larger one shipped in models/teacher (`second_reader`)."""
    if name in SHIPPED:
        if not (SHIPPED[name] / "config.json").exists():
            raise ReaderError(
                f"the {name} reader is missing from {SHIPPED[name]}; point the setting at a QA checkpoint"
            )
        return SHIPPED[name]
    return Path(name) if Path(name).exists() else name


def load_tokenizer(path: str | Path, offline: bool = True):
    return _loading(path, _transformers().AutoTokenizer.from_pretrained, offline)


def load_torch(path: str | Path, offline: bool = True, trained_head: bool = True):
    """(model, tokenizer) of a Hugging Face extractive-QA checkpoint, in float32, in eval mode; `offline`: never
    contact a model hub. A checkpoint without a QA head (a plain encoder) is refused unless `trained_head` is
    False (the base of a training run): its head would start random and every answer would be noise."""
    load = _transformers().AutoModelForQuestionAnswering.from_pretrained
    model, info = _loading(path, lambda name, **kw: load(name, output_loading_info=True, **kw), offline)
    head = [key for key in info.get("missing_keys", ()) if key.startswith("qa_outputs")]
    if trained_head and head:
        raise ReaderError(
            f"reader model {str(path)!r} has no extractive-QA head ({', '.join(sorted(head))} missing): point the "
            f"reader setting at a question-answering checkpoint, or train one from it with `qa reader train --base`"
        )
    return model.float().eval(), load_tokenizer(path, offline)


class TorchRunner:
    """Start/end logits from a PyTorch model."""

    def __init__(self, model, threads: int = 0):
        import torch

        self.model, self.torch = model, torch
        if threads:
            torch.set_num_threads(threads)

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        self.model.eval()  # a model being trained is read without dropout
        device = next(self.model.parameters()).device
        with self.torch.inference_mode():
            out = self.model(**{k: self.torch.from_numpy(v).to(device) for k, v in inputs.items()})
        return out.start_logits.float().cpu().numpy(), out.end_logits.float().cpu().numpy()


class OnnxRunner:
    """The outputs of an ONNX Runtime session (a QA model's: start and end logits)."""

    def __init__(self, path: Path, threads: int = 0):
        try:
            import onnxruntime as ort
        except ImportError:
            raise ReaderError("the onnx-int8 backend needs onnxruntime: pip install onnxruntime") from None
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.names = {i.name for i in self.session.get_inputs()}

    def __call__(self, inputs: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        return tuple(self.session.run(None, {k: v.astype(np.int64) for k, v in inputs.items() if k in self.names}))


def cache_hint(model: str) -> str:
    """What to do when the int8 copy of the `model` ("reader" or "embedder") cannot be written."""
    return f"set cache_dir (QA_CACHE_DIR) to a writable directory, or use {model}_backend=torch"


def weights_id(path: Path) -> str:
    """A short content hash of a checkpoint's weights and config (names its ONNX copy in the cache)."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode() if not Path(path).is_dir() else b"")
    for f in sorted(Path(path).glob("*")):
        if f.suffix in (".safetensors", ".bin", ".json") and f.is_file():
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    return digest.hexdigest()[:16]


def reader_onnx(path: str | Path, cache_dir: Path) -> Path:
    """Where the int8 copy of the reader at `path` is kept ("eager": exported with eager attention; a copy made by
    an older export keeps its own name, so it is never mistaken for this one)."""
    return Path(cache_dir) / f"reader-{weights_id(Path(path))}.eager.int8.onnx"


def open_runner(path: str | Path, backend: str, cache_dir: Path, threads: int = 0, offline: bool = True):
    """(runner, tokenizer) for the checkpoint at `path` on `threads` threads (0: the cores this process may use);
    the int8 ONNX copy is built on first use."""
    if backend not in BACKENDS:
        raise ReaderError(f"unknown reader backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    threads = threads_each(threads)
    if backend == "torch":
        model, tokenizer = load_torch(path, offline)
        return TorchRunner(model, threads), tokenizer
    onnx = reader_onnx(path, cache_dir)
    if not onnx.exists():
        try:
            export_int8(load_torch(path, offline)[0], onnx, outliers=int8_outliers(path))
        except OSError as exc:
            raise ReaderError(f"cannot build the int8 reader in {cache_dir}: {exc}; {cache_hint('reader')}") from exc
    if threads > 1:  # the process's readers share its cores
        runner = SharedCores(lambda n: OnnxRunner(onnx, n), threads, process_cores(threads))
    else:
        runner = OnnxRunner(onnx, threads)
    if (Path(path) / "tokenizer.json").exists():  # no transformers (and so no PyTorch) to import
        return runner, FastTokenizer(path)
    return runner, load_tokenizer(path, offline)
