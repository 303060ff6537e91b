"""Benchmarks that need no external data run here in smoke mode (tiny sizes), so they cannot rot."""

import json
import os
import subprocess
import sys

from benchmarks import webpage

from .conftest import ROOT, like


def bench(module: str, *args: str, timeout: int = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m module args` from the repository root, which must succeed."""
    run = subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run


def test_serving_benchmark_smoke(fresh_service, tmp_path):
    fresh_service.build()
    out = tmp_path / "results"
    args = ["--workers", "1", "--concurrency", "2", "--requests", "4", "--answerer", "rules"]
    bench("benchmarks.serve", *args, "--index-dir", str(fresh_service.settings.index_dir), "--out", str(out))
    (row,) = json.loads((out / "serve.json").read_text())
    assert row["errors"] == 0 and row["requests_per_second"] > 0 and row["largest_rss_mb"] > 50
    assert "| workers | concurrency |" in (out / "serve.md").read_text()


def test_answerers_benchmark_asks_both_answerers(service, rules):
    from benchmarks.answerers import INTRODUCED_WITH, compare

    out, text = compare(service, rules, [INTRODUCED_WITH], "seed")
    assert out[0]["rules"] == "Boris Johnson" and out[0]["rules_right"]
    assert out[0]["reader_right"] == (out[0]["reader"] == "Boris Johnson")
    lines = text.splitlines()
    assert lines[2] == "| question | gold | reader | rules |" and "who threatened sanctions?" in lines[4]


def _smoke(module: str, out, *args: str) -> None:
    bench(module, "--smoke", "--out", str(out), *args)


def test_search_benchmark_smoke(tmp_path):
    _smoke("benchmarks.search", tmp_path)
    rows = json.loads((tmp_path / "search.json").read_text())
    assert {r["index"] for r in rows} == {"flat", "ivf", "ivf-sq8"}
    assert next(r for r in rows if r["index"] == "flat")["recall_at_10"] == 1.0
    assert "| vectors | index |" in (tmp_path / "search.md").read_text()


def test_build_benchmark_smoke(tmp_path):
    _smoke("benchmarks.build", tmp_path, "--modes", "torch")
    (row,) = json.loads((tmp_path / "build.json").read_text())
    assert row["mode"] == "torch" and row["chunks"] > 0 and row["chunks_per_second"] > 0
    assert row["open_seconds"] >= 0 and row["add_one_seconds"] > 0
    assert "| mode | seconds | chunks/s |" in (tmp_path / "build.md").read_text()


def test_tuning_data_places_v2_answers_and_keeps_unanswerable(tmp_path):
    """benchmarks.tuning writes SQuAD 2.0 tuning questions with answer offsets (no-answer ones with none) that
    the trainer reads, mixed with SQuAD v1.1 train."""
    import gzip

    from qa.training.squad import read_train

    v2 = tmp_path / "data" / "squad_v2.0_dev"
    v2.mkdir(parents=True)
    docs = [f"squad2.0-dev/A{i}" for i in range(6)]
    (v2 / "docs.jsonl").write_text("".join(json.dumps({"doc_id": d, "title": d[-2:]}) + "\n" for d in docs))
    text = "The mill was built in 1820 by Ada Brook. It burned down in 1901."
    (v2 / "paragraphs.jsonl").write_text(
        "".join(json.dumps({"doc_id": d, "para_idx": 0, "text": text}) + "\n" for d in docs)
    )
    questions = [
        {"id": f"{d}/{n}", "question": q, "answers": a, "doc_id": d, "para_idx": 0}
        for d in docs
        for n, (q, a) in enumerate(
            [("Who built the mill?", ["Ada Brook"]), ("Who rebuilt it?", []), ("Why?", ["not in the text"])]
        )
    ]
    (v2 / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    para = {
        "title": "T",
        "context": "Rain fell.",
        "qas": [{"question": "What fell?", "answers": [{"text": "Rain", "answer_start": 0}]}],
    }
    with gzip.open(tmp_path / "data" / "squad_v1.1_train.jsonl.gz", "wt") as fh:
        fh.write(json.dumps(para) + "\n")
    out = tmp_path / "tuning.jsonl.gz"
    bench(
        "benchmarks.tuning",
        "--out",
        str(out),
        "--train-questions",
        "1",
        timeout=120,
        env={**os.environ, "SQUAD_DATA": str(tmp_path), "BENCH_WORK": str(tmp_path / "work")},
    )
    assert (tmp_path / "work" / "squad_v2_dev_tuning.jsonl").exists()  # the split of this data, not in index/bench
    examples = read_train(out)
    tuned = [e for e in examples if e.context == text]
    assert 0 < len(tuned) < len(questions)  # the tuning articles only, the unplaceable answer left out
    assert {e.context[e.answer[0] : e.answer[1]] for e in tuned if e.answer} == {"Ada Brook"}
    assert any(e.answer is None for e in tuned)
    assert [e.question for e in examples if e.context != text] == ["What fell?"]


def test_large_index_copies_articles_until_the_size(fresh_service, tmp_path):
    """benchmarks.large_index grows a built index with copies (same texts, nearby vectors) that load and answer."""
    from qa.store.manifest import read_manifest

    fresh_service.build()
    out = tmp_path / "large"
    bench(
        "benchmarks.large_index", "--source", str(fresh_service.settings.index_dir), "--out", str(out), "--chunks", "20"
    )
    manifest = read_manifest(out)
    assert manifest.chunks >= 20 and manifest.articles >= 3 and manifest.bm25
    large = like(fresh_service, index_dir=out)
    passages = large.ask("Who is the Italian foreign minister?").passages
    assert passages and all(p.chunk.article_id.startswith("russia-sanctions-syria") for p in passages)


def test_swapped_entity_questions_name_what_their_paragraph_lacks():
    import random

    from benchmarks.unanswerable import mentions, swapped
    from qa.text.metrics import normalize

    context = "Chopin left Warsaw in 1830, a few weeks before the November Uprising."
    question = "When did Chopin leave Warsaw?"
    assert [question[a:b] for a, b, _ in mentions(question)] == ["Chopin", "Warsaw"]
    possessive = "What year did Chopin's father die?"
    assert [possessive[a:b] for a, b, _ in mentions(possessive)] == ["Chopin"]
    pool = {"name1": ["Liszt", "Chopin", "Paris"], "name2": ["Franz Liszt"], "name3": ["Royal Albert Hall"]}
    for seed in range(20):
        changed = swapped(question, context, pool, random.Random(seed))
        assert changed and changed != question
        new = [changed[a:b] for a, b, _ in mentions(changed) if changed[a:b] not in ("Chopin", "Warsaw")]
        assert len(new) == 1 and f" {normalize(new[0])} " not in f" {normalize(context)} "
    assert swapped("How many people live there?", context, pool, random.Random(0)) is None  # nothing to swap


def test_antonym_and_negated_questions_ask_what_their_paragraph_does_not_say():
    import random

    from benchmarks.unanswerable import antonym, negated

    context = "Lagos is the largest city in Nigeria. It was founded by fishermen, who built its first port."
    for seed in range(10):
        assert antonym("What is the largest city in Nigeria?", context, random.Random(seed)) == (
            "What is the smallest city in Nigeria?"
        )
    assert antonym("What is the smallest city in Nigeria?", context, random.Random(0)) is None  # not held
    assert antonym("Who is West's mother?", "West and his mother moved east.", random.Random(0)) is None  # a name
    assert antonym("Where did West live?", "West lived in the west.", random.Random(0)) is None  # a capitalised name
    assert antonym("What is a first-person view?", "A first-person view, seen last.", random.Random(0)) is None
    start = context.index("fishermen")
    assert negated("Who was Lagos founded by?", context, start) is None  # "Lagos" is no participle
    assert negated("What was founded by fishermen?", context, 0) == "What was not founded by fishermen?"
    assert negated("Who founded Lagos?", context, start) == "Who never founded Lagos?"
    assert negated("Who did not found Lagos?", context, start) is None  # already negated
    assert negated("Who founded Lagos?", "Lagos was not founded by fishermen.", 0) is None  # its sentence negates


def test_training_files_merge_into_one_record_per_paragraph(tmp_path):
    """benchmarks.trainset keeps every question (a file named twice counts twice) and each paragraph's text once."""
    import gzip

    from benchmarks.trainset import merged
    from qa.training.squad import read_train

    def para(context: str, *questions: str) -> dict:
        return {"title": "T", "context": context, "qas": [{"question": q, "answers": []} for q in questions]}

    squad, extra = tmp_path / "squad.jsonl.gz", tmp_path / "extra.jsonl"
    with gzip.open(squad, "wt") as fh:
        fh.write(json.dumps(para("Rain fell.", "What fell?")) + "\n" + json.dumps(para("Snow fell.", "Why?")) + "\n")
    extra.write_text(json.dumps(para("Rain fell.", "What never fell?")) + "\n\n")
    paragraphs = merged([squad, extra, extra])
    assert [(p["context"], [q["question"] for q in p["qas"]]) for p in paragraphs] == [
        ("Rain fell.", ["What fell?", "What never fell?", "What never fell?"]),
        ("Snow fell.", ["Why?"]),
    ]
    out = tmp_path / "data.jsonl.gz"
    run = bench("benchmarks.trainset", "--out", str(out), str(squad), str(extra), timeout=60)
    assert "3 questions over 2 paragraphs" in run.stdout
    assert sorted(e.question for e in read_train(out)) == ["What fell?", "What never fell?", "Why?"]


def test_lease_script_trains_and_brings_the_model_back_in_pieces(tmp_path):
    """benchmarks/lease.sh, as a GPU lease runs it but on the CPU: a short run from the shipped reader, its fp16
    export split into pieces under 16 MiB under $OUT, which join into a checkpoint that loads."""
    import gzip
    import shutil

    from qa.models.runtime import load_torch

    gpu, out = tmp_path / "gpu", tmp_path / "out"
    gpu.mkdir()
    out.mkdir()
    (gpu / "data.jsonl.gz").write_bytes(gzip.compress((ROOT / "tests" / "data" / "tiny_squad.jsonl").read_bytes()))
    options = "--device cpu --minutes 0.02 --max-length 64 --stride 16 --batch-size 2 --no-bf16 --data-workers 1"
    env = {"PY": sys.executable, "RUNS": str(tmp_path / "runs"), "GPU_DIR": str(gpu), "OUT": str(out)}
    run = subprocess.run(
        ["bash", "benchmarks/lease.sh", "train", "1", "21"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env, "TRAIN_ARGS": options},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "saved step" in (out / "logs.txt").read_text()
    pieces = sorted((out / "21").glob("model.safetensors.part-*"))
    assert len(pieces) > 1 and all(p.stat().st_size <= 15 * 2**20 for p in pieces)
    model = tmp_path / "model"
    shutil.copytree(out / "21", model, ignore=shutil.ignore_patterns("*.part-*"))
    (model / "model.safetensors").write_bytes(b"".join(p.read_bytes() for p in pieces))
    assert sum(p.numel() for p in load_torch(model)[0].parameters()) > 20_000_000


def test_news_questions_quote_their_articles():
    """benchmarks/news: every accepted answer is a span of its own article, and the articles load as articles."""
    from qa.ingest.formats import load_file

    articles = {a.id: a for a in load_file(ROOT / "benchmarks" / "news" / "docs.jsonl", 10**6)}
    rows = [json.loads(line) for line in (ROOT / "benchmarks" / "news" / "qa.jsonl").read_text().splitlines()]
    assert len(articles) == 12 and len(rows) == 138
    assert all(a in articles[r["doc_id"]].text for r in rows for a in r["answers"])
    assert sum(not r["answers"] for r in rows) == 24


def test_webpage_benchmark_smoke(tmp_path):
    _smoke("benchmarks.webpage", tmp_path)
    rows = json.loads((tmp_path / "webpage.json").read_text())
    assert {r["mode"] for r in rows[:-1]} == set(webpage.MODES) and rows[-1] == {"refused": 0}
    assert all(0 <= r["precision"] <= 1 and r["recall"] == 1.0 for r in rows[:-1] if r["pages"] == "all")
    assert "| reading | pages |" in (tmp_path / "webpage.md").read_text()


def test_cli_benchmark_times_qa_ask_in_new_processes(tmp_path, cache_dir):
    env = {**os.environ, "BENCH_WORK": str(tmp_path / "work"), "QA_CACHE_DIR": str(cache_dir)}
    bench("benchmarks.cli", "--runs", "1", "--out", str(tmp_path), env=env)
    (row,) = json.loads((tmp_path / "cli.json").read_text())
    assert row["runs"] == 1 and row["wall_s_median"] > 0 and row["heavy_imports"] == "none"


def test_hangup_benchmark_smoke(fresh_service, tmp_path):
    fresh_service.build()
    out = tmp_path / "results"
    args = ["--questions", "3", "--hang-up", "0", "2", "--after", "0", "--answerer", "rules"]
    bench("benchmarks.hangup", *args, "--index-dir", str(fresh_service.settings.index_dir), "--out", str(out))
    rows = json.loads((out / "hangup.json").read_text())
    assert [r["answered"] for r in rows] == ["3 of 3", "1 of 1"]


def test_reader_speed_benchmark_smoke(tiny_model, tmp_path, cache_dir):
    env = {**os.environ, "BENCH_WORK": str(tmp_path / "work"), "QA_CACHE_DIR": str(cache_dir)}
    out = tmp_path / "results"
    bench("benchmarks.reader_speed", "--reader", f"tiny={tiny_model}:1", "--seconds", "0.2", "--out", str(out), env=env)
    rows = json.loads((out / "reader-speed.json").read_text())
    assert [r["threads"] for r in rows] == [1, 2] and all(r["p95_ms"] >= r["p50_ms"] > 0 for r in rows)


def test_int8_benchmark_scores_each_copy_and_writes_the_outlier_channels(tiny_model, tmp_path):
    """benchmarks.int8 finds the outlier channels on train questions, scores float32 / int8 / int8 with them read
    apart on dev questions, and with --write leaves them in the reader's int8.json."""
    import gzip
    import shutil

    from qa.models.int8 import int8_outliers

    paragraphs = [json.loads(line) for line in (ROOT / "tests" / "data" / "tiny_squad.jsonl").read_text().splitlines()]
    (tmp_path / "data").mkdir()
    with gzip.open(tmp_path / "data" / "squad_v1.1_train.jsonl.gz", "wt") as fh:
        fh.writelines(json.dumps(p) + "\n" for p in paragraphs)
    dev = tmp_path / "eval" / "squad_v1.1_dev"
    dev.mkdir(parents=True)
    (dev / "paragraphs.jsonl").write_text(
        "".join(json.dumps({"doc_id": p["title"], "para_idx": 0, "text": p["context"]}) + "\n" for p in paragraphs)
    )
    questions = [
        {"question": q["question"], "answers": [a["text"] for a in q["answers"]], "doc_id": p["title"], "para_idx": 0}
        for p in paragraphs
        for q in p["qas"]
    ]
    (dev / "qa.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    reader = tmp_path / "reader"
    shutil.copytree(tiny_model, reader)
    out = tmp_path / "results"
    env = {**os.environ, "SQUAD_DATA": str(tmp_path)}
    bench("benchmarks.int8", "--reader", str(reader), "--channels", "2", "--write", "--out", str(out), env=env)
    rows = json.loads((out / "int8.json").read_text())
    assert [r["copy"] for r in rows] == [
        "float32 (PyTorch)",
        "int8, every MatMul",
        "int8, 2 outlier channels a layer in float32",
    ]
    assert all(r["questions"] == len(questions) and 0 <= r["f1"] <= 100 for r in rows)
    assert [len(c) for c in int8_outliers(reader).values()] == [2, 2]  # one entry per layer of the 2


def test_cascade_benchmark_takes_the_second_reader_below_the_threshold(service):
    from benchmarks.cascade import asked, cascade, compare

    rows = [{"question": "who threatened sanctions?", "answers": ["Boris Johnson"]},
            {"question": "What is the capital of Peru?", "answers": []}]  # fmt: skip
    first = asked(service, rows)
    second = [{"top": "Boris Johnson", "candidate": "Boris Johnson", "confidence": 0.9, "ms": 1.0}] * 2
    by = {r["reader"]: r for r in compare(rows, first, second, below=(0.0, 1.01))}
    assert by["cascade, second below 0.0"]["exact_match"] == by["first alone"]["exact_match"]
    everything = by["cascade, second below 1.01"]
    assert everything["re_read"] == 1.0 and everything["exact_match"] == 1.0 and everything["latency_ms_p50"] > 1.0
    assert by["second alone"]["exact_match"] == 1.0 and by["second alone"]["unanswerable_abstained"] == "0/1"
    answered, abstained = {"top": "x", "confidence": 0.5, "ms": 1.0}, {"top": None, "confidence": 0.1, "ms": 2.0}
    assert cascade([answered], [abstained], 0.8) == [{**answered, "ms": 3.0}]  # as the service: no answer taken away


def test_calibration_threshold_is_the_one_with_the_best_overall_f1():
    from benchmarks.calibrate import choose_threshold

    tops = [(["Paris"], 0.9, "Paris"), (["Rome"], 0.3, "Milan"), ([], 0.2, "Oslo"), ([], 0.5, "Bern")]
    assert choose_threshold(tops) == 0.52  # above the wrong 0.5 answer, keeping the right 0.9 one
