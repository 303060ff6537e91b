"""Index build speed: chunks/s, peak memory and index size per way of embedding, the retrieval quality kept, and
the time to open the built index and to add one article to it.

    .venv/bin/python -m benchmarks.build [--articles 442] [--modes torch onnx-int8 ray] [--smoke]

The corpus is SQuAD v1.1 train (CC BY-SA 4.0): its 18,896 paragraphs as 442 articles (paragraphs joined by
blank lines). Each mode builds a fresh index in its own process: `torch` (sentence-transformers), `onnx-int8`
(the int8 ONNX Runtime embedder) and `ray` (a local Ray instance, one int8 embedding actor per core).
Quality: recall@5 of 1,000 SQuAD v1.1 dev questions over the 48 dev articles indexed with the same embedder.
Writes build.md and build.json under --out; --smoke builds the seed articles only (for the test suite).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.retrieval import recall
from benchmarks.squad import ROOT, V1_DEV, WORK, require, train_articles
from qa import QAService, Settings
from qa.evaluation.report import load_questions

MODES = ("torch", "onnx-int8", "ray")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=442)
    p.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    p.add_argument("--sample", type=int, default=1000, help="dev questions for recall@5 (0: skip)")
    p.add_argument("--smoke", action="store_true", help="the seed articles, no recall (for the test suite)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--one", nargs=3, metavar=("MODE", "SOURCE", "INDEX"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.one:
        print(json.dumps(build_one(*args.one)))
        return
    source = ROOT / "seeds" if args.smoke else corpus(args.articles)
    indexes = args.out if args.smoke else WORK  # the built indexes stay for `benchmarks.serve --index-dir`
    rows = []
    for mode in args.modes:
        index_dir = indexes / f"build-{mode}"
        run = subprocess.run(
            [sys.executable, "-m", "benchmarks.build", "--one", mode, str(source), str(index_dir)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if run.returncode:
            raise SystemExit(f"{mode} build failed:\n{run.stderr[-3000:]}")
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
        if not args.smoke and args.sample and mode != "ray":  # ray embeds as onnx-int8 does
            rows[-1]["recall_at_5"] = dev_recall(mode, args.sample)
        print(rows[-1], flush=True)
    report.write(args.out, "build", rows, table(rows, source))


def corpus(articles: int) -> Path:
    """SQuAD v1.1 train as a .jsonl of whole articles (the first `articles` of them), and its questions beside
    it (`squad-train-N-questions.jsonl`, for `benchmarks.serve --questions`)."""
    titles = train_articles()
    path = WORK / f"squad-train-{articles}-articles.jsonl"
    WORK.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f, (WORK / f"squad-train-{articles}-questions.jsonl").open("w") as q:
        for title, paragraphs in list(titles.items())[:articles]:
            text = "\n\n".join(dict.fromkeys(p["context"] for p in paragraphs))  # 5 paragraphs appear twice
            f.write(json.dumps({"id": title, "title": title.replace("_", " "), "text": text}) + "\n")
            for para in paragraphs:
                for qa in para["qas"]:
                    answers = [a["text"] for a in qa["answers"]]
                    q.write(json.dumps({"question": qa["question"], "answers": answers}) + "\n")
    return path


def _settings(mode: str, index_dir: Path) -> Settings:
    backend = "torch" if mode == "torch" else "onnx-int8"
    return Settings.from_env(os.environ, progress=False).replace(index_dir=index_dir, embedder_backend=backend)


def build_one(mode: str, source: str, index_dir: str) -> dict:
    """Build `source` into `index_dir` in this process; the report, peak RSS and index size, then how long a
    new process takes to open the index and how long adding one small article takes (write and reopen)."""
    service = QAService(_settings(mode, Path(index_dir)))
    service.embedder.encode(["warm-up"])  # the model load (and the one-time ONNX export) is not build time
    report = service.build(Path(source), ray="" if mode == "ray" else None)
    stats = service.stats()
    return {
        "mode": mode,
        "articles": stats["articles"],
        "chunks": report.chunks,
        "seconds": round(report.seconds, 1),
        "chunks_per_second": round(report.chunks / report.seconds, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "index_mb": round(stats["bytes"] / 2**20, 1),
        **open_and_add(service),
    }


def open_and_add(service: QAService) -> dict:
    """Seconds for a new process's service to open the index, and to add one short article (write + reopen)."""
    started = time.perf_counter()
    QAService(service.settings, service.embedder).current()
    opened = time.perf_counter() - started
    index_dir = Path(service.settings.index_dir)
    extra = index_dir.parent / f"{index_dir.name}-extra.txt"
    extra.write_text(f"Late news\n\nThe council approved bridge number {time.time_ns()} on Tuesday.")
    started = time.perf_counter()
    service.add(extra)
    service.current()
    return {"open_seconds": round(opened, 3), "add_one_seconds": round(time.perf_counter() - started, 3)}


def dev_recall(mode: str, sample: int) -> float:
    """recall@5 of SQuAD v1.1 dev questions over the dev articles, embedded as `mode` embeds."""
    require(V1_DEV / "docs.jsonl", V1_DEV / "qa.jsonl")
    service = QAService(_settings(mode, WORK / f"squad-v1.1-{mode}"))
    if service.manifest() is None:
        service.build(V1_DEV / "docs.jsonl")
    rows = load_questions(V1_DEV / "qa.jsonl", sample, 0)
    return recall(service.current().retriever, rows, service.embedder.encode([r["question"] for r in rows]))[1]


def table(rows: list[dict], source: Path) -> str:
    base = next((r["chunks_per_second"] for r in rows if r["mode"] == "torch"), None)
    caption = (
        f"Index build of {source.name}: {rows[0]['articles']} articles, {rows[0]['chunks']:,} chunks; "
        f"{len(os.sched_getaffinity(0))} cores"
    )
    columns = ["mode", "seconds", "chunks/s", "vs torch", "peak RSS MB (driver)", "index MB", "recall@5 v1.1 dev"]
    columns += ["open s", "add one article s"]
    cells = [
        [r["mode"], r["seconds"], r["chunks_per_second"], f"{r['chunks_per_second'] / base:.2f}x" if base else "-"]
        + [r["peak_rss_mb"], r["index_mb"], f"{r['recall_at_5']:.3f}" if "recall_at_5" in r else "-"]
        + [r["open_seconds"], r["add_one_seconds"]]
        for r in rows
    ]
    return report.markdown(caption, columns, cells)


if __name__ == "__main__":
    main()
