"""The reader's training, export, backends, span decoding and calibration, on a tiny randomly initialised model."""

import json
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from qa.cli import main
from qa.errors import ReaderError
from qa.models.calibration import Calibrator, Evidence, expected_calibration_error, reliability
from qa.models.int8 import export_int8, outlier_channels, write_outliers
from qa.models.reader import SpanReader, Window, best_spans, tokenizer_windows
from qa.models.runtime import OnnxRunner, TorchRunner, load_torch, open_runner
from qa.training.squad import Example, labelled_windows, read_dev, read_train, with_negatives, without_answers
from qa.training.trainer import STATE, TrainConfig, batches, export, train

DATA = Path(__file__).parent / "data" / "tiny_squad.jsonl"


@pytest.fixture(scope="module")
def dev_dir(tmp_path_factory) -> Path:
    """The tiny questions in the eval-directory format (paragraphs.jsonl + qa.jsonl)."""
    path = tmp_path_factory.mktemp("dev")
    paragraphs, questions = [], []
    for line in DATA.read_text().splitlines():
        p = json.loads(line)
        where = {"doc_id": p["title"], "para_idx": p["para_idx"]}
        paragraphs.append({**where, "char_start": 0, "text": p["context"]})
        questions += [
            {**where, "question": q["question"], "answers": [a["text"] for a in q["answers"]]} for q in p["qas"]
        ]
    (path / "paragraphs.jsonl").write_text("".join(json.dumps(p) + "\n" for p in paragraphs))
    (path / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    return path


def test_training_data_and_labels(tiny_model):
    _, tokenizer = load_torch(tiny_model)
    examples = read_train(DATA)
    assert len(examples) == 9 and all(e.context[e.answer[0] : e.answer[1]] == e.answers[0] for e in examples)
    mixed = with_negatives(examples, 1.0, random.Random(0))
    negatives = mixed[len(examples) :]
    assert negatives and all(n.answer is None for n in negatives)
    assert all(n.context != e.context for n in negatives for e in examples if e.question == n.question)
    for example, w in zip(examples, labelled_windows(tokenizer, examples, 64, 16, random.Random(0)), strict=True):
        decoded = tokenizer.decode(w.ids[w.start : w.end + 1])
        assert decoded.replace(" ", "") == example.answers[0].lower().replace(" ", "")


def test_worker_processes_prepare_the_batches_prepared_in_line(tiny_model):
    _, tokenizer = load_torch(tiny_model)
    examples = with_negatives(read_train(DATA) * 3, 0.5, random.Random(0))
    cfg = TrainConfig(data="d", out="o", batch_size=2, max_length=64, stride=16, seed=5)

    def prepared(workers: int, first_block: int = 0) -> list:
        config = TrainConfig(**{**cfg.__dict__, "data_workers": workers})
        made = batches(tokenizer, examples, config, 1, first_block)
        return [(b, {k: v.tolist() for k, v in t.items()}) for b, t in made]

    in_line = prepared(0)
    assert len({b for b, _ in in_line}) == 2 and sum(len(t["input_ids"]) for _, t in in_line) == len(examples)
    assert prepared(2) == in_line
    assert prepared(0, first_block=1) == [x for x in in_line if x[0] == 1]  # a resume starts at its block
    with pytest.raises(ValueError, match="data_workers"):
        TrainConfig(data="d", out="o", data_workers=-1)


def test_on_topic_negatives_cut_the_answer_sentence():
    context = (
        "The museum stands on the old harbour front and draws large crowds every summer. "
        "It was designed by Elena Ruiz in 1998. Its roof is made of glass and steel panels. "
        "Visitors can reach it by tram or by ferry from the central station."
    )
    start = context.index("Elena Ruiz")
    example = Example("Who designed the museum?", context, (start, start + 10), ("Elena Ruiz",))
    (negative,) = without_answers([example], 1.0, random.Random(0))[1:]
    assert negative.answer is None and negative.question == example.question
    assert "Elena Ruiz" not in negative.context and "harbour front" in negative.context and "ferry" in negative.context
    repeated = Example(example.question, context + " Elena Ruiz also built the bridge.", example.answer)
    assert without_answers([repeated], 1.0, random.Random(0)) == [repeated]  # the answer is still there: no negative


def test_long_context_labels_the_window_holding_the_answer(tiny_model):
    _, tokenizer = load_torch(tiny_model)
    filler = "Nothing happened on that day at all. " * 30
    context = filler + "The bridge opened in 1932."
    example = Example("When did the bridge open?", context, (context.index("1932"), len(context) - 1))
    (w,) = labelled_windows(tokenizer, [example], 64, 16, random.Random(0))
    assert tokenizer.decode(w.ids[w.start : w.end + 1]) == "1932"
    assert example.context[w.first : w.last].endswith("1932.") and w.offsets[w.start][0] == context.index("1932")


def test_train_resume_export_and_load(tiny_model, dev_dir, tmp_path):
    out = tmp_path / "run"
    cfg = TrainConfig(
        data=str(DATA),
        out=str(out),
        base=str(tiny_model),
        dev=str(dev_dir),
        minutes=5,
        examples=64,
        batch_size=4,
        max_length=64,
        stride=16,
        dev_every=2,
        dev_sample=5,
        bf16=False,
    )
    first = train(cfg.__class__(**{**cfg.__dict__, "examples": 32}), log=lambda _: None)
    assert first["step"] == 8 and (out / "checkpoint" / STATE).exists()
    assert [r["step"] for r in first["log"]] == [2, 4, 6, 8]
    resumed = train(cfg, log=lambda _: None)  # a longer schedule continues from the checkpoint
    assert resumed["step"] == 16
    saved = torch.load(out / "checkpoint" / "optimizer.pt", weights_only=True)
    assert saved["schedule"]["last_epoch"] == 16  # the optimizer and schedule resumed too, not restarted
    shipped = export(out / "checkpoint", tmp_path / "shipped")
    assert not (shipped / "optimizer.pt").exists()
    model, _ = load_torch(shipped)
    assert next(model.parameters()).dtype.is_floating_point
    dev = read_dev(dev_dir)
    assert len(dev) == 9 and all(e.answers for e in dev)


def test_time_schedule_fills_its_minutes_and_frozen_embeddings_stay(tiny_model, tmp_path):
    from safetensors.torch import load_file

    cfg = TrainConfig(
        data=str(DATA),
        out=str(tmp_path / "run"),
        base=str(tiny_model),
        minutes=0.05,
        schedule="time",
        freeze_embeddings=True,
        warmup=0.1,
        batch_size=4,
        max_length=64,
        stride=16,
        bf16=False,
    )
    state = train(cfg, log=lambda _: None)
    assert state["step"] > 0 and state["seconds"] >= 3
    ckpt = tmp_path / "run" / "checkpoint"
    last_rate = torch.load(ckpt / "optimizer.pt", weights_only=True)["schedule"]["_last_lr"][0]
    assert last_rate < 0.25 * cfg.lr  # decayed towards 0 as the minutes ran out
    before, after = load_file(tiny_model / "model.safetensors"), load_file(ckpt / "model.safetensors")
    name = next(n for n in after if "word_embeddings" in n)
    assert torch.equal(before[name], after[name])
    assert not torch.equal(before["qa_outputs.weight"], after["qa_outputs.weight"])
    assert train(cfg, log=lambda _: None)["step"] == state["step"]  # its minutes are spent: nothing more
    with pytest.raises(ValueError, match="schedule must be one of steps, time"):
        TrainConfig(data="d", out="o", schedule="epochs")


def test_training_imports_none_of_the_index_libraries():
    """A GPU machine with torch and transformers but no FAISS or web stack can train."""
    code = "import sys, qa.training; print(sorted({'faiss', 'litestar', 'sqlite3', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_trains_and_exports(tiny_model, tmp_path, capsys):
    args = ["reader", "train", "--data", str(DATA), "--out", str(tmp_path / "run"), "--base", str(tiny_model)]
    args += ["--examples", "8", "--batch-size", "4", "--max-length", "64", "--stride", "16", "--no-bf16"]
    assert main([*args[:-3], "--stride", "40"]) == 2
    assert "stride (40) must be less than half of max_length (64)" in capsys.readouterr().err
    assert main(args) == 0
    assert "saved step 2 of 2" in capsys.readouterr().out
    assert main(["reader", "export", str(tmp_path / "run" / "checkpoint"), "--out", str(tmp_path / "m")]) == 0
    assert (tmp_path / "m" / "config.json").exists()


def test_a_plain_encoder_is_no_reader_but_a_base_to_train_from(tiny_model, tmp_path, capsys):
    from transformers import BertModel

    encoder = tmp_path / "encoder"
    model, tokenizer = load_torch(tiny_model)
    BertModel(model.config).save_pretrained(encoder)  # the same architecture without the span head
    tokenizer.save_pretrained(encoder)
    with pytest.raises(ReaderError, match="has no extractive-QA head .*qa_outputs.weight"):
        load_torch(encoder)
    with pytest.raises(ReaderError, match="no extractive-QA head"):
        open_runner(encoder, "onnx-int8", tmp_path / "cache")
    args = ["reader", "train", "--data", str(DATA), "--out", str(tmp_path / "run"), "--base", str(encoder)]
    assert main([*args, "--examples", "8", "--batch-size", "4", "--max-length", "64", "--stride", "16"]) == 0
    assert "saved step 2 of 2" in capsys.readouterr().out
    assert load_torch(tmp_path / "run" / "checkpoint")[0] is not None  # the trained head is there now


def test_export_averages_several_checkpoints(tiny_model, tmp_path, capsys):
    from transformers import BertConfig, BertForQuestionAnswering

    other = tmp_path / "other"
    BertForQuestionAnswering(BertConfig.from_pretrained(tiny_model)).save_pretrained(other)  # another random init
    load_torch(tiny_model)[1].save_pretrained(other)
    both = ["reader", "export", str(tiny_model), str(other)]
    assert main([*both, "--out", str(tmp_path / "soup"), "--dtype", "float32"]) == 0
    a, b, soup = (load_torch(p)[0].state_dict() for p in (tiny_model, other, tmp_path / "soup"))
    assert all(torch.allclose(soup[k], (a[k] + b[k]) / 2, atol=1e-6) for k in soup if soup[k].is_floating_point())
    assert not torch.equal(soup["qa_outputs.weight"], a["qa_outputs.weight"])

    BertForQuestionAnswering(BertConfig.from_pretrained(tiny_model, num_hidden_layers=1)).save_pretrained(other)
    assert main([*both, "--out", str(tmp_path / "bad")]) == 2
    assert "not the architecture of" in capsys.readouterr().err and not (tmp_path / "bad").exists()


def test_an_export_in_parts_loads_as_one_model(tiny_model, tmp_path):
    """A large reader is shipped in files under a git host's limit; both backends read the parts as one."""
    out = export(tiny_model, tmp_path / "parts", dtype="float32", shard_mb=1)
    assert len(list(out.glob("*.safetensors"))) > 1 and (out / "model.safetensors.index.json").exists()
    a, b = load_torch(tiny_model)[0].state_dict(), load_torch(out)[0].state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    runner, tokenizer = open_runner(out, "onnx-int8", tmp_path / "cache", threads=1)
    start, end = runner(tokenizer_windows(tokenizer, "what is it?", ["Short one."], 64, 16)["inputs"])
    assert start.shape == end.shape


def test_a_readers_outlier_channels_are_read_apart_in_float32_in_its_int8_copy(tiny_model, tmp_path):
    """Its int8.json names, per feed-forward output layer, the input channels whose outliers would crush one int8
    scale: the copy reads them in a float32 MatMul beside the int8 one, and still reads as the float model does."""
    import shutil

    import onnx

    model, tokenizer = load_torch(tiny_model)
    inputs = tokenizer_windows(tokenizer, "what is it?", ["A longer context " * 20, "and another one"], 64, 16)
    channels = outlier_channels(model, [inputs["inputs"]], count=3)
    assert list(channels) == [f"bert.encoder.layer.{i}.output.dense" for i in range(2)]
    assert all(len(c) == 3 and c == sorted(c) for c in channels.values())
    kept = tmp_path / "kept"
    shutil.copytree(tiny_model, kept)
    write_outliers(kept, channels, measured="two windows")

    def ops(reader):
        runner, _ = open_runner(reader, "onnx-int8", tmp_path / reader.name, threads=1)
        (graph,) = [onnx.load(str(f)).graph for f in (tmp_path / reader.name).glob("*.onnx")]
        return runner, [n.op_type for n in graph.node]

    (_, plain), (runner, apart) = ops(tiny_model), ops(kept)
    assert plain.count("MatMulInteger") == apart.count("MatMulInteger")  # every layer still int8
    assert apart.count("MatMul") - plain.count("MatMul") == 2  # and one small float32 MatMul per layer of the 2
    for a, b in zip(TorchRunner(model)(inputs["inputs"]), runner(inputs["inputs"]), strict=True):
        assert np.abs(a - b).max() < 0.05
    assert [type(m).__name__ for m in model.modules()].count("Apart") == 0  # the caller's model is left as it was
    (kept / "int8.json").write_text(json.dumps({"outlier_channels": {"bert.no.such.layer": [0]}}))
    with pytest.raises(ReaderError, match="not a linear layer of this model"):
        open_runner(kept, "onnx-int8", tmp_path / "other", threads=1)
    (kept / "int8.json").write_text(json.dumps({"float_matmuls": "layer"}))  # the old form
    with pytest.raises(ReaderError, match="int8.json.*outlier_channels"):
        open_runner(kept, "onnx-int8", tmp_path / "another", threads=1)


def test_onnx_int8_copy_agrees_with_torch(tiny_model, tmp_path):
    model, tokenizer = load_torch(tiny_model)
    torch_runner, onnx_runner = TorchRunner(model), OnnxRunner(export_int8(model, tmp_path / "m.onnx"))
    for contexts in (["Short one."], ["A longer context " * 20, "and another, of a different length"]):
        inputs = tokenizer_windows(tokenizer, "what is it?", contexts, 64, 16)["inputs"]
        for a, b in zip(torch_runner(inputs), onnx_runner(inputs), strict=True):
            assert a.shape == b.shape and np.abs(a - b).max() < 0.05
    runner, _ = open_runner(tiny_model, "onnx-int8", tmp_path / "cache", threads=1)
    assert isinstance(runner, OnnxRunner) and len(list((tmp_path / "cache").glob("*.onnx"))) == 1
    with pytest.raises(ReaderError, match="unknown reader backend"):
        open_runner(tiny_model, "tpu", tmp_path)
    with pytest.raises(ReaderError, match="not found"):
        open_runner(tmp_path / "missing", "torch", tmp_path)
    (tmp_path / "a-file").write_text("not a directory")
    with pytest.raises(ReaderError, match="cannot build the int8 reader in .*a-file: .*reader_backend=torch"):
        open_runner(tiny_model, "onnx-int8", tmp_path / "a-file")


def test_reader_maps_spans_to_context_characters(tiny_model):
    model, tokenizer = load_torch(tiny_model)
    reader = SpanReader(TorchRunner(model), tokenizer, max_length=48, stride=16, max_answer_tokens=5)
    contexts = ["The ferry leaves at seven. " * 12, "Gull Point."]
    found = reader.read("when does it leave?", contexts, top=2)
    assert {f.context for f in found} == {0, 1}
    for f in found:
        assert 0 <= f.start < f.end <= len(contexts[f.context]) and 0 <= f.prob <= 1
        assert contexts[f.context][f.start : f.end].strip() == contexts[f.context][f.start : f.end]
    assert reader.windows_read > 2, "the long context is read in several windows"
    assert reader.read("why " * 300 + "?", ["Gull Point."]), "a very long question still leaves room to read"


def test_a_tokenizer_that_drops_the_end_of_long_passages_is_refused(tiny_model, monkeypatch):
    """tokenizers 0.23.2 returned two windows of a long passage and no more; a reader must not load on one."""
    model, tokenizer = load_torch(tiny_model)
    SpanReader(TorchRunner(model), tokenizer)  # the installed tokenizers covers every character

    def two_windows(*args, **kwargs):
        batch = tokenizer_windows(*args, **kwargs)
        return {**batch, "windows": batch["windows"][:2]}

    monkeypatch.setattr("qa.models.reader.tokenizer_windows", two_windows)
    with pytest.raises(ReaderError, match="drops the end of long passages"):
        SpanReader(TorchRunner(model), tokenizer)


def test_windows_longer_than_the_model_reads_are_refused(tiny_model):
    model, tokenizer = load_torch(tiny_model)
    SpanReader(TorchRunner(model), tokenizer, max_length=tokenizer.model_max_length)
    with pytest.raises(ReaderError, match="reader_max_length 1024 is longer than this reader reads \\(512 tokens"):
        SpanReader(TorchRunner(model), tokenizer, max_length=1024)


def test_best_spans_respect_order_length_and_context():
    offsets = [None, None, (0, 3), (4, 9), (10, 12), None]
    start = np.array([9.0, 0, 1, 5, 0, -50])
    end = np.array([9.0, 0, 0, 1, 6, 50])
    spans = best_spans(start, end, Window(0, offsets, 6), max_tokens=2, top=3)
    assert spans[0][:2] == (3, 4)  # best start and best end, in the context, within 2 tokens
    assert all(a <= b < a + 2 and offsets[a] and offsets[b] for a, b, _, _ in spans)
    assert abs(
        sum(math.exp(x) for x in start) * spans[0][3] * sum(math.exp(x) for x in end) - math.exp(5 + 6)
    ) < 1e-3 * math.exp(11)


def test_calibrator_learns_and_round_trips(tmp_path):
    rng = random.Random(0)
    evidence, correct = [], []
    for _ in range(400):
        margin = rng.uniform(-5, 5)
        evidence.append(Evidence(margin=margin, prob=0.5, rank=rng.randrange(5), support=1, gap=0.0))
        correct.append(rng.random() < 1 / (1 + math.exp(-margin)))
    fitted = Calibrator.fit(evidence, correct)
    low, high = Evidence(-4, 0.5, 0, 1, 0), Evidence(4, 0.5, 0, 1, 0)
    assert fitted(low) < 0.1 < 0.9 < fitted(high)
    assert Calibrator.load(tmp_path)(high) == 0.5, "uncalibrated: the reader's own probability"
    fitted.save(tmp_path)
    assert Calibrator.load(tmp_path)(high) == pytest.approx(fitted(high))
    predicted = [fitted(e) for e in evidence]
    assert expected_calibration_error(predicted, correct) < 0.1
    assert expected_calibration_error([0.9] * 10, [False] * 10) == pytest.approx(0.9)
    rows = reliability(predicted, correct)
    assert sum(r["count"] for r in rows) == 400 and all(0 <= r["accuracy"] <= 1 for r in rows)


def test_calibration_follows_the_share_of_answerable_questions(tmp_path):
    """Half the questions unanswerable when fitted; the probability rises when most are answerable."""
    rng = random.Random(1)
    evidence, correct, answerable = [], [], []
    for _ in range(2000):
        has_answer = rng.random() < 0.5
        margin = rng.gauss(3 if has_answer else 0, 2)
        evidence.append(Evidence(margin=margin, prob=0.5, rank=0, support=1, gap=0.0))
        answerable.append(has_answer)
        correct.append(has_answer and rng.random() < 0.8)
    fitted = Calibrator.fit(evidence, correct, answerable)
    assert fitted.meta["answerable_share"] == pytest.approx(0.5, abs=0.05)
    as_fitted = [fitted(e) for e in evidence]
    assert expected_calibration_error(as_fitted, correct) < 0.05
    mostly = fitted.with_prior(0.9)
    keep = [i for i in range(2000) if answerable[i] or i % 9 == 0]  # resample: ~90% answerable
    shifted = [mostly(evidence[i]) for i in keep]
    assert expected_calibration_error(shifted, [correct[i] for i in keep]) < 0.05
    assert all(mostly(e) > fitted(e) for e in evidence[:50])
    assert fitted.with_prior(0)(evidence[0]) == pytest.approx(fitted(evidence[0]))
    fitted.save(tmp_path)
    assert Calibrator.load(tmp_path).with_prior(0.9)(evidence[0]) == pytest.approx(mostly(evidence[0]))
