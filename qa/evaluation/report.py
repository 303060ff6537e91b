"""End-to-end evaluation of the service: exact match, F1, recall@k, abstention and latency on a JSONL question file."""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import numpy as np

from qa.ingest.metadata import make_id
from qa.models.calibration import expected_calibration_error, reliability
from qa.payload import result_payload
from qa.service import QAService
from qa.store.files import write_whole
from qa.text.metrics import best_f1, exact, normalize, ratio


def load_questions(path: Path, sample: int | None = None, seed: int = 0) -> list[dict]:
    """The questions of a JSONL file, or a random `sample` of them (None or 0: all). A question may carry the
    `history` of questions asked before it in the same conversation, as the API takes them."""
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
            or not isinstance(row.get("history", []), list)
            or not all(isinstance(h, str) for h in row.get("history", []))
        ):
            raise ValueError(f'{path}:{n}: expected {{"question": str, "answers": [str, ...], "history"?: [str, ...]}}')
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no questions in it")
    return sampled(rows, sample, seed)


def sampled(rows: list, sample: int | None, seed: int = 0) -> list:
    """A random `sample` of `rows` (seeded), or all of them when `sample` is None, 0 or at least their number."""
    if sample is not None and sample < 0:
        raise ValueError(f"sample must be 0 (all) or more, not {sample}")
    return random.Random(seed).sample(rows, sample) if sample and sample < len(rows) else rows


def evaluate(
    service: QAService,
    questions: Path,
    docs: Path | None = None,
    sample: int | None = None,
    seed: int = 0,
    k: int = 5,
    answers: Path | None = None,
) -> dict:
    """Ask every question; with `docs`, first index them (incrementally) into `<index_dir>/eval`. With
    `answers`, also write each question's answers and verdict there (`verdict_rows`)."""
    if answers is not None and (Path(answers).is_dir() or not os.access(Path(answers).parent, os.W_OK)):
        raise ValueError(f"cannot write {answers}: it is a folder, or its folder is missing or not writable")
    build = None
    reader = service.reader if service.settings.answerer == "reader" else None
    if docs is not None:
        eval_settings = service.settings.replace(index_dir=service.settings.index_dir / "eval")
        service = QAService(eval_settings, service.embedder, reader, service.second_reader)
        report = service.add(docs)
        build = {
            "index_dir": str(service.settings.index_dir),
            "chunks_embedded": report.chunks,
            "seconds": round(report.seconds, 2),
            "chunks_per_second": round(report.chunks_per_second, 1),
        }
    rows = load_questions(questions, sample, seed)
    service.warm_up()  # load before timing
    windows_before, reader_before = (reader.windows_read, reader.seconds) if reader else (0, 0.0)
    counts = Counter()
    em = f1s = em_any = recall = doc_recall = 0.0
    latencies, shown, right, results = [], [], [], []
    for row in rows:
        started = time.perf_counter()
        result = service.ask(row["question"], k=k, history=row.get("history", ()))
        latencies.append(time.perf_counter() - started)
        results.append(result)
        gold = row["answers"]
        for a in result.answers:  # every shown answer, for the reliability table
            shown.append(a.score)
            right.append(exact(a.text, gold))
        counts["wrong_extra_answers"] += sum(not exact(a.text, gold) for a in result.answers[1:])
        if not gold:
            counts["unanswerable"] += 1
            counts["abstain_correct"] += result.abstained
            counts["no_answer_correct"] += result.abstained
            continue
        counts["answerable"] += 1
        counts["abstain_correct"] += not result.abstained
        counts["false_abstain"] += result.abstained
        top = result.answers[0].text if result.answers else ""
        em += exact(top, gold)
        f1s += best_f1(top, gold)
        em_any += any(exact(a.text, gold) for a in result.answers)
        passages = " ".join(normalize(p.text) for p in result.passages[:k])
        recall += any(normalize(g) in passages for g in gold)
        if row.get("doc_id"):
            counts["with_doc"] += 1
            doc_recall += make_id(row["doc_id"]) in {p.chunk.article_id for p in result.passages[:k]}
    if answers is not None:
        write_whole(answers, "".join(json.dumps(line) + "\n" for line in verdict_rows(rows, results)))
    n, answerable, unanswerable = len(rows), counts["answerable"], counts["unanswerable"]
    ms = np.array(latencies) * 1000 if latencies else np.zeros(1)
    windows = reader.windows_read - windows_before if reader else 0
    return {
        "questions": n,
        "answerable": answerable,
        "unanswerable": unanswerable,
        "exact_match": ratio(em, answerable),
        "f1": ratio(f1s, answerable),
        "exact_match_any_answer": ratio(em_any, answerable),
        f"recall@{k}": ratio(recall, answerable),
        f"article_recall@{k}": ratio(doc_recall, counts["with_doc"]) if counts["with_doc"] else None,
        "abstention_accuracy": ratio(counts["abstain_correct"], n),
        "false_abstention_rate": ratio(counts["false_abstain"], answerable),
        "no_answer_accuracy": ratio(counts["no_answer_correct"], unanswerable),
        "overall_f1": ratio(f1s + counts["no_answer_correct"], n),
        "answers_shown": len(shown),
        "wrong_extra_answers": counts["wrong_extra_answers"],
        "expected_calibration_error": expected_calibration_error(shown, right),
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "reader_windows_per_question": ratio(windows, n) if reader else None,
        "reader_ms_per_window": ratio(1000 * (reader.seconds - reader_before), windows) if reader else None,
        "reliability": reliability(shown, right),
        "build": build,
    }


def verdict_rows(rows: list[dict], results: list) -> list[dict]:
    """One line per question for `qa eval --answers`: the question as asked and as read, the gold answers, the
    answers shown (as the API gives them) and a verdict: right, partial (F1 above 0), wrong or abstained for an
    answerable question; abstained or answered for an unanswerable one."""
    out = []
    for row, result in zip(rows, results, strict=True):
        gold, top = row["answers"], result.answers[0].text if result.answers else None
        score = best_f1(top, gold) if top is not None else 0.0
        if not gold:
            verdict = "abstained" if top is None else "answered"
        elif top is None:
            verdict = "abstained"
        else:
            verdict = "right" if exact(top, gold) else "partial" if score > 0 else "wrong"
        out.append(
            {
                "id": row.get("id"),
                "question": row["question"],
                "history": row.get("history", []),
                "read_as": result.interpreted,
                "gold": gold,
                "verdict": verdict,
                "f1": round(score, 4),
                "answers": result_payload(result)["answers"],
            }
        )
    return out


def format_report(report: dict) -> str:
    lines = []
    for key, value in report.items():
        if key == "build" and value:
            lines.append(
                f"build: {value['chunks_embedded']} chunks in {value['seconds']}s "
                f"({value['chunks_per_second']} chunks/s) into {value['index_dir']}"
            )
        elif key == "reliability":
            lines.append("reliability of shown answers (predicted probability vs exact-match accuracy):")
            lines.append("  bin       count  predicted  accuracy")
            lines += [f"  {r['bin']}  {r['count']:>6}  {r['predicted']:>9}  {r['accuracy']:>8}" for r in value]
        elif key != "build":
            lines.append(f"{key}: {'n/a' if value is None else value}")
    return "\n".join(lines)
