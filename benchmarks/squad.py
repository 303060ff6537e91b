"""Benchmark data: where the SQuAD files are, the two halves of SQuAD 2.0 dev, and services over their indexes.

The data (CC BY-SA 4.0) is not in the repository: it is looked for in ../shared beside the checkout, or in the
directory named by the SQUAD_DATA environment variable (holding eval/ and data/ as ../shared does).
"""

from __future__ import annotations

import gzip
import json
import os
import random
import sys
from pathlib import Path

from qa import QAService, Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SQUAD_DATA", ROOT.parent / "shared"))
V1_DEV = SHARED / "eval" / "squad_v1.1_dev"
V2_DEV = SHARED / "data" / "squad_v2.0_dev"
TRAIN = SHARED / "data" / "squad_v1.1_train.jsonl.gz"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
NEWS = ROOT / "benchmarks" / "news"  # invented news articles and questions about them
# benchmark indexes and question files (ignored by git); tests that run a benchmark point it elsewhere
WORK = Path(os.environ.get("BENCH_WORK", ROOT / "index" / "bench"))


def require(*paths: Path) -> None:
    """Stop with a clear message when the benchmark data is not there."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        sys.exit(f"benchmark data not found: {', '.join(missing)}\n(set SQUAD_DATA to a directory like ../shared)")


def train_articles() -> dict[str, list[dict]]:
    """SQuAD v1.1 train paragraphs (with their questions) by article title, in file order."""
    require(TRAIN)
    by_title: dict[str, list[dict]] = {}
    with gzip.open(TRAIN, "rt", encoding="utf-8") as fh:
        for line in fh:
            para = json.loads(line)
            by_title.setdefault(para["title"], []).append(para)
    return by_title


def write_paragraphs(path: Path, paragraphs) -> None:
    """Training paragraphs (`{"title", "context", "qas"}`, as `qa reader train` reads them) as gzipped JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in paragraphs)


def write_dev_sample(out: Path, questions: int, seed: int = 0) -> int:
    """`questions` SQuAD v1.1 dev questions drawn at random with just their paragraphs, as an eval directory
    (`qa reader train --dev` reads it): a dev set small enough to travel to a GPU lease."""
    require(V1_DEV)
    rows = [json.loads(line) for line in (V1_DEV / "qa.jsonl").read_text().splitlines() if line]
    rows = random.Random(seed).sample(rows, min(questions, len(rows)))
    wanted = {(r["doc_id"], r["para_idx"]) for r in rows}
    lines = (V1_DEV / "paragraphs.jsonl").read_text().splitlines()
    kept = [line for line in lines if line and tuple(json.loads(line)[k] for k in ("doc_id", "para_idx")) in wanted]
    out.mkdir(parents=True, exist_ok=True)
    (out / "paragraphs.jsonl").write_text("".join(line + "\n" for line in kept))
    (out / "qa.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return len(rows)


def v2_parts() -> tuple[Path, Path, Path]:
    """SQuAD 2.0 dev questions split by article into three files. The first half of the questions is for tuning:
    its first articles holding two thirds of that half teach the reader on-topic "no answer" (`benchmarks.tuning`),
    the rest fit the calibration (`benchmarks.calibrate`). The second half is only ever reported on."""
    require(V2_DEV / "qa.jsonl", V2_DEV / "docs.jsonl")
    docs = [json.loads(line)["doc_id"] for line in (V2_DEV / "docs.jsonl").read_text().splitlines() if line]
    rows = [json.loads(line) for line in (V2_DEV / "qa.jsonl").read_text().splitlines() if line]
    order = {d: i for i, d in enumerate(docs)}
    rows.sort(key=lambda r: order[r["doc_id"]])  # stable: file order inside an article
    counts = [sum(r["doc_id"] == d for r in rows) for d in docs]
    half, tune = _cut(counts, len(rows) / 2), _cut(counts, len(rows) / 3)
    part = {d: 0 if i <= tune else 1 if i <= half else 2 for i, d in enumerate(docs)}
    WORK.mkdir(parents=True, exist_ok=True)
    paths = tuple(WORK / f"squad_v2_dev_{name}.jsonl" for name in ("tuning", "calibration", "second_half"))
    for n, path in enumerate(paths):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows if part[r["doc_id"]] == n))
    return paths


def _cut(counts: list[int], questions: float) -> int:
    """Index of the article that crosses `questions` questions (it belongs to the part before the cut)."""
    cut, total = 0, 0
    while total + counts[cut] <= questions:
        total += counts[cut]
        cut += 1
    return cut


def service(name: str, docs: Path | None = None, like: QAService | None = None, **changes) -> QAService:
    """A service answering with the trained reader over the benchmark index `name`, built from `docs` (a .jsonl
    of articles) or the seeds, with the settings `changes`; with `like`, it shares that service's loaded models."""
    env = Settings.from_env(os.environ, progress=False)
    settings = env.replace(index_dir=WORK / name, answerer="reader", **changes)
    qa = QAService(settings, like.embedder, like.reader, like.second_reader) if like else QAService(settings)
    if docs is not None:
        qa.add(docs)
    elif qa.manifest() is None:
        qa.build()
    return qa


if __name__ == "__main__":  # python -m benchmarks.squad sample --out DIR --questions N
    import argparse

    p = argparse.ArgumentParser(description="write a sample of SQuAD v1.1 dev as an eval directory")
    p.add_argument("action", choices=["sample"])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--questions", type=int, default=2000)
    args = p.parse_args()
    print(f"wrote {write_dev_sample(args.out, args.questions)} questions to {args.out}")
