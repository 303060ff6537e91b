"""Model backends: PyTorch, or an int8 ONNX Runtime copy of the same weights, built once and cached (the reader
uses both; the embedder uses the ONNX export and runner)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import warnings
from pathlib import Path

import numpy as np

from qa.errors import ReaderError
from qa.models.cores import SharedCores, process_cores
from qa.models.tokenizer import INPUTS, FastTokenizer
from qa.settings import BACKENDS, threads_each

PACKAGED = Path(__file__).resolve().parents[2] / "models" / "reader"
INT8_SPEC = "int8.json"  # in a reader's folder: how its int8 copy is made
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


def export_int8(
    model,
    target: Path,
    outputs: tuple[str, ...] = ("start_logits", "end_logits"),
    eager: bool = True,
    keep_float: str = "",
) -> Path:
    """Export `model` (a BERT- or MPNet-style transformer with `outputs`) to ONNX and quantize its weights to int8
    (dynamic), written atomically to `target`. Its inputs are those of INPUTS its forward takes (MPNet has no token
    types).

    `eager` traces the model's plain attention rather than PyTorch's fused one: the same float32 logits (within
    2e-5), but a graph without the fused path's mask-building ops, in which ONNX Runtime reads the shipped reader's
    windows for a seed question in 60 ms instead of 76 on one thread. The embedder keeps the graph its indexes
    were built with (eager=False).

    `keep_float`: a regular expression; the MatMuls whose node names it matches stay float32 (a model whose int8
    copy loses too much where activations have outliers, e.g. MPNet's feed-forward outputs, names them in its
    `int8.json`)."""
    import inspect

    import torch

    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise ReaderError("the onnx-int8 backend needs onnxruntime and onnx: pip install onnxruntime onnx") from None

    inputs = [name for name in INPUTS if name in inspect.signature(model.forward).parameters]
    attention = getattr(model.config, "_attn_implementation", None)
    if eager and attention and attention != "eager":
        model.set_attn_implementation("eager")  # set back below: the caller's model is not changed

    class NamedOutputs(torch.nn.Module):  # keyword inputs in, the named outputs out as a tuple: traceable
        def __init__(self):
            super().__init__()
            self.model = model.float().eval()

        def forward(self, *tensors):
            out = self.model(**dict(zip(inputs, tensors, strict=True)))
            return tuple(out[name] for name in outputs)

    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f"{target.stem}.{os.getpid()}.fp32.onnx")
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp.onnx")
    dummy = torch.ones((1, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "tokens"} for name in (*inputs, *outputs)}
    root, level = logging.getLogger(), logging.getLogger().level
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes that are constant for BERT-style models
            root.setLevel(logging.ERROR)  # onnxruntime's advice to pre-process before quantizing
            torch.onnx.export(
                NamedOutputs(),
                tuple(torch.zeros_like(dummy) if name == "token_type_ids" else dummy for name in inputs),
                str(fp32),
                input_names=inputs,
                output_names=list(outputs),
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
            kept = _matmuls(fp32, keep_float) if keep_float else []
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=kept)
            os.replace(tmp, target)
    finally:
        root.setLevel(level)
        if eager and attention and attention != "eager":
            model.set_attn_implementation(attention)
        for f in (fp32, tmp):
            f.unlink(missing_ok=True)
    return target


def reader_onnx(path: str | Path, cache_dir: Path) -> Path:
    """Where the int8 copy of the reader at `path` is kept ("eager": exported with eager attention; a copy made by
    an older export keeps its own name, so it is never mistaken for this one)."""
    return Path(cache_dir) / f"reader-{weights_id(Path(path))}.eager.int8.onnx"


def _matmuls(onnx_file: Path, pattern: str) -> list[str]:
    """The MatMul nodes of an ONNX graph whose names match `pattern`."""
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and re.search(pattern, n.name)]


def int8_float(path: str | Path) -> str:
    """The pattern of MatMuls a reader keeps float32 in its int8 copy (its `int8.json`, "float_matmuls"; none
    without one)."""
    spec = Path(path) / INT8_SPEC
    if not spec.exists():
        return ""
    try:
        return str(json.loads(spec.read_text())["float_matmuls"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReaderError(f"cannot read {spec}: {exc}") from exc


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
            export_int8(load_torch(path, offline)[0], onnx, keep_float=int8_float(path))
        except OSError as exc:
            raise ReaderError(f"cannot build the int8 reader in {cache_dir}: {exc}; {cache_hint('reader')}") from exc
    if threads > 1:  # the process's readers share its cores
        runner = SharedCores(lambda n: OnnxRunner(onnx, n), threads, process_cores(threads))
    else:
        runner = OnnxRunner(onnx, threads)
    if (Path(path) / "tokenizer.json").exists():  # no transformers (and so no PyTorch) to import
        return runner, FastTokenizer(path)
    return runner, load_tokenizer(path, offline)
