"""Benchmark data: where the SQuAD files are, the two halves of SQuAD 2.0 dev, and services over their indexes.

The data (CC BY-SA 4.0) is not in the repository: it is looked for in ../shared beside the checkout, or in the
directory named by the SQUAD_DATA environment variable (holding eval/ and data/ as ../shared does).
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from pathlib import Path

from qa import QAService, Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SQUAD_DATA", ROOT.parent / "shared"))
V1_DEV = SHARED / "eval" / "squad_v1.1_dev"
V2_DEV = SHARED / "data" / "squad_v2.0_dev"
TRAIN = SHARED / "data" / "squad_v1.1_train.jsonl.gz"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
WORK = ROOT / "index" / "bench"  # benchmark indexes and question files (ignored by git)


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


def v2_halves() -> tuple[Path, Path]:
    """SQuAD 2.0 dev questions split by article into two files: the first articles holding half the questions
    (for tuning) and the rest (for reporting)."""
    require(V2_DEV / "qa.jsonl", V2_DEV / "docs.jsonl")
    docs = [json.loads(line)["doc_id"] for line in (V2_DEV / "docs.jsonl").read_text().splitlines() if line]
    rows = [json.loads(line) for line in (V2_DEV / "qa.jsonl").read_text().splitlines() if line]
    order = {d: i for i, d in enumerate(docs)}
    rows.sort(key=lambda r: order[r["doc_id"]])  # stable: file order inside an article
    counts = [sum(r["doc_id"] == d for r in rows) for d in docs]
    cut, total = 0, 0
    while total + counts[cut] <= len(rows) / 2:
        total += counts[cut]
        cut += 1
    first_docs = set(docs[: cut + 1])  # the article that crosses the middle belongs to the first half
    WORK.mkdir(parents=True, exist_ok=True)
    paths = WORK / "squad_v2_dev_first_half.jsonl", WORK / "squad_v2_dev_second_half.jsonl"
    for path, keep in zip(paths, (True, False), strict=True):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows if (r["doc_id"] in first_docs) == keep))
    return paths


def service(name: str, docs: Path | None = None, like: QAService | None = None) -> QAService:
    """A service answering with the trained reader over the benchmark index `name`, built from `docs` (a .jsonl
    of articles) or the seeds; with `like`, it shares that service's loaded models."""
    settings = Settings.from_env(os.environ, progress=False).replace(index_dir=WORK / name, answerer="reader")
    qa = QAService(settings, like.embedder, like.reader) if like else QAService(settings)
    if docs is not None:
        qa.add(docs)
    elif qa.manifest() is None:
        qa.build()
    return qa
