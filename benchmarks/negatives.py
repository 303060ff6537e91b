"""Retrieved no-answer passages for reader training: SQuAD v1.1 train questions asked of an index of the train
articles; the passages retrieval ranks highest that hold none of the question's answers become no-answer
examples, in the paragraph format `qa reader train` reads. These are the passages the reader must turn down when
it serves, unlike other paragraphs picked at random.

    .venv/bin/python -m benchmarks.negatives --out FILE.jsonl.gz [--questions 20000] [--per-question 2]

The index is index/bench/build-onnx-int8 (`python -m benchmarks.build`, all 442 train articles); no dev article is
in it. The data is CC BY-SA 4.0, and so is what is trained on it.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from benchmarks.squad import WORK, require, train_articles, write_paragraphs
from qa import QAService, Settings
from qa.text.metrics import normalize


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--index", type=Path, default=WORK / "build-onnx-int8")
    p.add_argument("--questions", type=int, default=20000, help="train questions asked (a random sample)")
    p.add_argument("--per-question", type=int, default=2, help="most no-answer passages kept per question")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    require(args.index / "manifest.json")
    qa = QAService(Settings(index_dir=args.index))
    asked = [q for paras in train_articles().values() for para in paras for q in para["qas"]]
    asked = random.Random(args.seed).sample(asked, min(args.questions, len(asked)))
    by_passage: dict[tuple[str, int], dict] = {}
    started, kept = time.perf_counter(), 0
    for n, q in enumerate(asked, 1):
        golds = [f" {normalize(a['text'])} " for a in q["answers"] if normalize(a["text"])]
        misses = [p for p in qa.passages(q["question"]) if not any(g in f" {normalize(p.text)} " for g in golds)]
        for passage in misses[: args.per_question]:
            key = (passage.chunk.article_id, passage.chunk.start)
            record = by_passage.setdefault(key, {"title": passage.title, "context": passage.text, "qas": []})
            record["qas"].append({"id": q["id"], "question": q["question"], "answers": []})
            kept += 1
        if n % 2000 == 0:
            print(f"{n}/{len(asked)} questions, {kept} no-answer passages ({time.perf_counter() - started:.0f}s)")
    write_paragraphs(args.out, by_passage.values())
    print(f"wrote {args.out}: {kept} no-answer questions over {len(by_passage)} passages, from {len(asked)} questions")


if __name__ == "__main__":
    main()
