"""The int8 copy of a model: an ONNX export with int8 weights, and its few outlier input channels read apart in
float32 where one int8 scale per tensor would crush every other value (how a reader's copy is made: its int8.json)."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from qa.errors import ReaderError
from qa.models.tokenizer import INPUTS

INT8_SPEC = "int8.json"  # in a reader's folder: {"outlier_channels": {linear layer's name: [input channels]}}
FEED_FORWARD_OUT = r"layer\.\d+\.output\.dense$"  # BERT's and MPNet's feed-forward output layers (inputs: GELU's)
_APART = "outliers"  # the float32 part's module name, found again among the ONNX graph's MatMuls


def export_int8(
    model,
    target: Path,
    outputs: tuple[str, ...] = ("start_logits", "end_logits"),
    eager: bool = True,
    outliers: Mapping[str, Sequence[int]] | None = None,
) -> Path:
    """Export `model` (a BERT- or MPNet-style transformer with `outputs`) to ONNX and quantize its weights to int8
    (dynamic), written atomically to `target`. Its inputs are those of INPUTS its forward takes (MPNet has no token
    types).

    `eager` traces the model's plain attention rather than PyTorch's fused one: the same float32 logits (within
    2e-5), but a graph without the fused path's mask-building ops, in which ONNX Runtime reads the shipped reader's
    windows for a seed question in 60 ms instead of 76 on one thread. The embedder keeps the graph its indexes
    were built with (eager=False).

    `outliers`: for linear layers by name, the input channels read apart in float32 (`outlier_channels`). ONNX
    Runtime quantizes a MatMul's input with one scale for the whole tensor; where a few channels run 30-60 times
    larger than the rest (MPNet's feed-forward outputs), the others are left with a handful of int8 steps. The
    layer is then two MatMuls: int8 over the other channels, float32 over these few (LLM.int8()'s decomposition)."""
    import torch

    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise ReaderError("the onnx-int8 backend needs onnxruntime and onnx: pip install onnxruntime onnx") from None

    inputs = [name for name in INPUTS if name in inspect.signature(model.forward).parameters]
    attention = getattr(model.config, "_attn_implementation", None)
    if eager and attention and attention != "eager":
        model.set_attn_implementation("eager")  # set back below: the caller's model is not changed
    replaced: dict = {}  # the layers `outliers` names, put back below

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
        for name, channels in (outliers or {}).items():
            replaced[name] = _apart(model, name, channels)
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
            kept = _matmuls(fp32, f"/{_APART}/") if replaced else []
            quantize_dynamic(str(fp32), str(tmp), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=kept)
            os.replace(tmp, target)
    finally:
        root.setLevel(level)
        if eager and attention and attention != "eager":
            model.set_attn_implementation(attention)
        for name, linear in replaced.items():
            model.set_submodule(name, linear)
        for f in (fp32, tmp):
            f.unlink(missing_ok=True)
    return target


def outlier_channels(
    model, batches: Iterable[Mapping[str, np.ndarray]], count: int, layers: str = FEED_FORWARD_OUT
) -> dict[str, list[int]]:
    """For each linear layer whose name matches `layers`, the `count` input channels with the largest absolute
    values over `batches` (tokenised windows), in float32: what `export_int8(outliers=...)` reads apart. About a
    hundred windows of ordinary text find them; they are a property of the weights, not of one input."""
    import torch

    peaks: dict[str, torch.Tensor] = {}

    def hook(name):
        def record(_module, args):
            x = args[0].detach().float().abs().reshape(-1, args[0].shape[-1]).amax(0)
            peaks[name] = torch.maximum(peaks[name], x) if name in peaks else x

        return record

    named = [(n, m) for n, m in model.named_modules() if re.search(layers, n) and isinstance(m, torch.nn.Linear)]
    hooks = [m.register_forward_pre_hook(hook(n)) for n, m in named]
    model.float().eval()
    try:
        with torch.inference_mode():
            for batch in batches:
                model(**{k: torch.from_numpy(np.asarray(v, dtype=np.int64)) for k, v in batch.items()})
    finally:
        for h in hooks:
            h.remove()
    top = {n: torch.topk(p, min(count, len(p))).indices for n, p in peaks.items()}
    return {n: sorted(int(i) for i in top[n]) for n, _ in named if n in top}


def int8_outliers(path: str | Path) -> dict[str, list[int]]:
    """The outlier channels a reader's int8 copy reads apart (its `int8.json`; none without one)."""
    spec = Path(path) / INT8_SPEC
    if not spec.exists():
        return {}
    try:
        found = json.loads(spec.read_text())["outlier_channels"]
        return {str(name): [int(c) for c in channels] for name, channels in found.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        expected = "{'outlier_channels': {layer: [channels]}}"
        raise ReaderError(f"cannot read {spec} (expected {expected}): {exc}") from exc


def write_outliers(path: str | Path, channels: Mapping[str, Sequence[int]], measured: str) -> Path:
    """Save `channels` as the reader's `int8.json` (`measured`: on what), atomically."""
    spec = Path(path) / INT8_SPEC
    tmp = spec.with_suffix(".tmp")  # (qa.store.files.write_whole is the store's: models sit below it)
    layers = ",\n".join(f"  {json.dumps(name)}: {json.dumps(list(c))}" for name, c in channels.items())
    tmp.write_text(f'{{"measured": {json.dumps(measured)},\n "outlier_channels": {{\n{layers}\n }}\n}}\n')
    os.replace(tmp, spec)
    return spec


def _apart(model, name: str, channels: Sequence[int]):
    """Put a layer reading `channels` apart in place of the linear layer `name`; the original is returned."""
    import torch

    try:
        linear = model.get_submodule(name)
    except AttributeError:
        linear = None
    fits = isinstance(linear, torch.nn.Linear) and all(0 <= c < linear.in_features for c in channels)
    if not fits or not channels:
        raise ReaderError(f"{INT8_SPEC}: {name!r} is not a linear layer of this model with channels {list(channels)}")
    model.set_submodule(name, _apart_class()(linear, channels))
    return linear


@functools.cache
def _apart_class():
    """The layer `_apart` puts in (made on first use: this module imports without PyTorch)."""
    import torch

    class Apart(torch.nn.Module):
        """A linear layer as two: int8 over the ordinary channels (the outliers zeroed in its input and weights),
        float32 over the outlier channels."""

        def __init__(self, linear, channels: Sequence[int]):
            super().__init__()
            index = torch.tensor(sorted(channels), dtype=torch.long, device=linear.weight.device)
            keep = torch.ones(linear.in_features, device=linear.weight.device)
            keep[index] = 0.0
            self.register_buffer("keep", keep)
            self.register_buffer("index", index)
            self.ordinary = copy.deepcopy(linear)
            self.ordinary.weight.data[:, index] = 0.0
            apart = torch.nn.Linear(len(index), linear.out_features, bias=False, device=linear.weight.device)
            apart.weight.data = linear.weight.data[:, index].clone()
            setattr(self, _APART, apart)

        def forward(self, x):
            return self.ordinary(x * self.keep) + getattr(self, _APART)(x.index_select(-1, self.index))

    return Apart


def _matmuls(onnx_file: Path, pattern: str) -> list[str]:
    """The MatMul nodes of an ONNX graph whose names match `pattern`."""
    import onnx

    graph = onnx.load(str(onnx_file), load_external_data=False).graph
    return [n.name for n in graph.node if n.op_type == "MatMul" and re.search(pattern, n.name)]
