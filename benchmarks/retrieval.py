"""Retrieval fusion benchmark: recall@1 and recall@5 of reciprocal-rank fusion and of normalised-score fusion
at several dense weights, tuned on SQuAD v1.1 *train* articles and reported on v1.1 dev.

    .venv/bin/python -m benchmarks.retrieval [--articles 40] [--sample 1000] [--seed 0]

The train sample (--articles whole articles, their paragraphs joined) is indexed in index/bench/squad-train-sample.
Writes retrieval.md and retrieval.json under --out.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from benchmarks.squad import ROOT, TRAIN, V1_DEV, WORK, require, service, train_articles
from qa.evaluation.report import load_questions, sampled
from qa.text.metrics import normalize

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--articles", type=int, default=40)
    p.add_argument("--sample", type=int, default=1000, help="questions per set (0: all of them)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    require(TRAIN, V1_DEV / "docs.jsonl")
    docs, questions = train_sample(args.articles, args.seed)
    train = service("squad-train-sample", docs)
    dev = service("squad-v1.1", V1_DEV / "docs.jsonl", like=train)
    sets = {
        "train sample": (train, sampled(questions, args.sample, args.seed)),
        "v1.1 dev": (dev, load_questions(V1_DEV / "qa.jsonl", args.sample, args.seed)),
    }
    configs = [("rrf", 0.0)] + [("score", w) for w in WEIGHTS]
    results = {f"{name} {w:g}" if name == "score" else name: {} for name, w in configs}
    for label, (qa, rows) in sets.items():
        retriever = qa.current().retriever
        vectors = qa.embedder.encode([r["question"] for r in rows])
        for (fusion, weight), key in zip(configs, results, strict=True):
            retriever.fusion, retriever.dense_weight = fusion, weight
            results[key][label] = recall(retriever, rows, vectors)
            print(label, key, results[key][label], flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "retrieval.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        f"Retrieval fusion: recall@1 / recall@5 ({args.sample} questions per set, seed {args.seed}; train sample: "
        f"{args.articles} SQuAD v1.1 train articles)",
        "",
        "| fusion | " + " | ".join(sets) + " |",
        "|---" * (len(sets) + 1) + "|",
    ]
    for key, by_set in results.items():
        lines.append(f"| {key} | " + " | ".join(f"{r1:.3f} / {r5:.3f}" for r1, r5 in by_set.values()) + " |")
    (args.out / "retrieval.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def recall(retriever, rows: list[dict], vectors) -> tuple[float, float]:
    """recall@1 and recall@5: the share of questions with a gold answer in the top passage / top five."""
    hits1 = hits5 = 0
    for row, vector in zip(rows, vectors, strict=True):
        found = [normalize(p.text) for p in retriever.search(row["question"], vector, 5)]
        gold = [normalize(a) for a in row["answers"]]
        hits1 += any(g in found[0] for g in gold) if found else 0
        hits5 += any(g in text for g in gold for text in found)
    return round(hits1 / len(rows), 4), round(hits5 / len(rows), 4)


def train_sample(articles: int, seed: int) -> tuple[Path, list[dict]]:
    """`articles` whole SQuAD train articles as a docs .jsonl, and their questions."""
    by_title = train_articles()
    chosen = random.Random(seed).sample(sorted(by_title), articles)
    docs, questions = [], []
    for title in chosen:
        docs.append({"id": f"train-{title}", "title": title.replace("_", " "), "text": ""})
        texts = [p["context"] for p in by_title[title]]
        docs[-1]["text"] = "\n\n".join(texts)
        questions += [
            {"question": q["question"], "answers": [a["text"] for a in q["answers"]]}
            for p in by_title[title]
            for q in p["qas"]
        ]
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"squad_train_sample_{articles}_{seed}.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path, questions


if __name__ == "__main__":
    main()
