"""Evaluation: exact match, F1, recall@k, abstention accuracy and latency on a JSONL question file."""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections import Counter
from pathlib import Path

import numpy as np

from .articles import make_id
from .service import QAService

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """SQuAD answer normalisation: lower case, no punctuation, articles or extra spaces."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(_ARTICLES.sub(" ", text).split())


def f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def load_questions(path: Path, sample: int | None = None, seed: int = 0) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: invalid JSON ({exc.msg})") from None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("question"), str)
            or not isinstance(row.get("answers"), list)
        ):
            raise ValueError(f'{path}:{n}: expected {{"question": str, "answers": [str, ...]}}')
        rows.append(row)
    if sample is not None and sample < len(rows):
        rows = random.Random(seed).sample(rows, sample)
    return rows


def evaluate(
    service: QAService, questions: Path, docs: Path | None = None, sample: int | None = None, seed: int = 0, k: int = 5
) -> dict:
    """Ask every question; with `docs`, first index them (incrementally) into `<index_dir>/eval`."""
    build = None
    if docs is not None:
        index_dir = service.settings.index_dir
        service = QAService(service.settings.replace(index_dir=index_dir / "eval"), embedder=service.embedder)
        report = service.add(docs)
        build = {
            "index_dir": str(service.settings.index_dir),
            "chunks_embedded": report.chunks,
            "seconds": round(report.seconds, 2),
            "chunks_per_second": round(report.chunks_per_second, 1),
        }
    rows = load_questions(questions, sample, seed)
    service.current()  # load before timing
    counts = Counter()
    em = f1s = em_any = recall = doc_recall = 0.0
    latencies = []
    for row in rows:
        started = time.perf_counter()
        result = service.ask(row["question"], k=k)
        latencies.append(time.perf_counter() - started)
        gold = row["answers"]
        if not gold:
            counts["unanswerable"] += 1
            counts["abstain_correct"] += result.abstained
            continue
        counts["answerable"] += 1
        counts["abstain_correct"] += not result.abstained
        counts["false_abstain"] += result.abstained
        top = result.answers[0].text if result.answers else ""
        em += max(normalize(top) == normalize(g) for g in gold)
        f1s += max(f1(top, g) for g in gold)
        em_any += any(normalize(a.text) == normalize(g) for a in result.answers for g in gold)
        passages = " ".join(normalize(p.text) for p in result.passages[:k])
        recall += any(normalize(g) in passages for g in gold)
        if row.get("doc_id"):
            counts["with_doc"] += 1
            doc_recall += make_id(row["doc_id"]) in {p.chunk.article_id for p in result.passages[:k]}
    n, answerable = len(rows), counts["answerable"]
    ms = np.array(latencies) * 1000 if latencies else np.zeros(1)
    return {
        "questions": n,
        "answerable": answerable,
        "unanswerable": counts["unanswerable"],
        "exact_match": _ratio(em, answerable),
        "f1": _ratio(f1s, answerable),
        "exact_match_any_answer": _ratio(em_any, answerable),
        f"recall@{k}": _ratio(recall, answerable),
        f"article_recall@{k}": _ratio(doc_recall, counts["with_doc"]) if counts["with_doc"] else None,
        "abstention_accuracy": _ratio(counts["abstain_correct"], n),
        "false_abstention_rate": _ratio(counts["false_abstain"], answerable),
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "build": build,
    }


def _ratio(value: float, total: int) -> float | None:
    return round(value / total, 4) if total else None


def format_report(report: dict) -> str:
    lines = []
    for key, value in report.items():
        if key == "build" and value:
            lines.append(
                f"build: {value['chunks_embedded']} chunks in {value['seconds']}s "
                f"({value['chunks_per_second']} chunks/s) into {value['index_dir']}"
            )
        elif key != "build":
            lines.append(f"{key}: {'n/a' if value is None else value}")
    return "\n".join(lines)
