"""What one question costs, in core-milliseconds, at each stage of `ask`: embedding the question, searching,
reading (the reader's model calls) and the rest (tokenising, choosing spans, calibrating, citing, follow-ups).

    .venv/bin/python -m benchmarks.stages [--sample 200] [--out benchmarks/results]

Asks --sample SQuAD v1.1 dev questions (distinct, so no question embedding is cached) of the 48-article v1.1
index in index/bench, one at a time, with the reader on one thread: each stage's process CPU time is then its
cost in core-ms, what a loaded server pays per question. Writes stages.md and stages.json under --out; the capacity
table in the README is worked out from them and `benchmarks.serve`.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.squad import ROOT, V1_DEV, WORK, require
from qa import QAService, Settings
from qa.evaluation.report import load_questions
from qa.search.retrieval import Retriever

STAGES = ("embed", "search", "read", "rest")


def timed(spent: dict, stage: str, call):
    """`call`, its process CPU time added to `spent[stage]`."""

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return call(*args, **kwargs)
        finally:
            spent[stage] += time.process_time() - started

    return wrapper


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    require(V1_DEV / "qa.jsonl", WORK / "squad-v1.1" / "manifest.json")
    settings = Settings.from_env(os.environ, progress=False).replace(index_dir=WORK / "squad-v1.1", reader_threads=1)
    qa = QAService(settings)
    rows = load_questions(V1_DEV / "qa.jsonl", args.sample, args.seed)
    qa.ask(rows[0]["question"])  # models loaded, the generation opened
    spent: dict[str, float] = defaultdict(float)
    qa.questions.encode = timed(spent, "embed", qa.questions.encode)
    qa.reader.runner = timed(spent, "read", qa.reader.runner)
    search = Retriever.search
    Retriever.search = timed(spent, "search", search)  # type: ignore[method-assign]
    per_question, wall = [], time.perf_counter()
    for row in rows[1:]:
        before, started = dict(spent), time.process_time()
        qa.ask(row["question"])
        total = time.process_time() - started
        stages = {s: spent[s] - before.get(s, 0.0) for s in STAGES[:3]}
        per_question.append([*stages.values(), total - sum(stages.values())])
    Retriever.search = search  # type: ignore[method-assign]
    wall = time.perf_counter() - wall
    ms = np.array(per_question) * 1000
    table = {s: {"mean": round(float(ms[:, i].mean()), 1), "p95": round(float(np.percentile(ms[:, i], 95)), 1)}
             for i, s in enumerate(STAGES)}  # fmt: skip
    total = ms.sum(axis=1)
    table["total"] = {"mean": round(float(total.mean()), 1), "p95": round(float(np.percentile(total, 95)), 1)}
    n, chunks = len(per_question), qa.current().snapshot.manifest.chunks
    caption = (
        f"Core-ms per question by stage: {n} SQuAD v1.1 dev questions, {chunks}-chunk index, reader on 1 thread,"
        f" one question at a time ({n / wall:.1f} questions/s on one core)"
    )
    cells = [[s, v["mean"], v["p95"]] for s, v in table.items()]
    report.write(args.out, "stages", table, report.markdown(caption, ["stage", "mean core-ms", "p95 core-ms"], cells))


if __name__ == "__main__":
    main()
