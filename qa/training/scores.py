"""The reader scored on SQuAD examples read from their gold paragraphs: EM / F1, and the no-answer margin."""

from __future__ import annotations

import time

import numpy as np

from qa.models.reader import SpanReader
from qa.text.metrics import best_f1, exact, ratio
from qa.training.squad import Example


def reader_scores(reader: SpanReader, examples: list[Example]) -> dict:
    """EM / F1 (in %) of the top span of each answerable question, read from its gold context. Where some are
    unanswerable (SQuAD 2.0), also their number and the best overall F1 over no-answer margins, chosen on these
    same questions as SQuAD 2.0's official script does (`no_answer_scores` tunes it on other questions)."""
    started = time.perf_counter()
    rows = _gold_reading(reader, examples)
    answerable = rows[:, 1] > 0
    n = max(int(answerable.sum()), 1)
    scores = {
        "questions": len(examples),
        "exact_match": round(100 * float(rows[answerable, 3].sum()) / n, 2),
        "f1": round(100 * float(rows[answerable, 2].sum()) / n, 2),
    }
    if not answerable.all():
        margin = _best_margin(rows)
        scores["unanswerable"] = int((~answerable).sum())
        scores["best_overall_f1"] = round(100 * _overall(rows, margin), 2)
        scores["best_no_answer_margin"] = round(margin, 3)
    return {**scores, "seconds": round(time.perf_counter() - started, 1)}


def no_answer_scores(reader: SpanReader, tuning: list[Example], report: list[Example]) -> dict:
    """SQuAD 2.0 read from the gold paragraph and scored the official way: answer with the best span when its
    logit beats the paragraph's no-answer logit by more than a margin, else abstain. The margin is the one with
    the best overall F1 on `tuning`; the scores (ratios) are those of `report` at that margin. This measures the
    reader alone: no retrieval, no calibration."""
    margin = _best_margin(_gold_reading(reader, tuning))
    rows = _gold_reading(reader, report)
    answered, answerable = rows[:, 0] > margin, rows[:, 1] > 0
    return {
        "questions": len(rows),
        "answerable": int(answerable.sum()),
        "unanswerable": int((~answerable).sum()),
        "f1": ratio(float((rows[:, 2] * answered)[answerable].sum()), int(answerable.sum())),
        "no_answer_accuracy": ratio(float((~answered)[~answerable].sum()), int((~answerable).sum())),
        "overall_f1": round(_overall(rows, margin), 4),
        "no_answer_margin": round(margin, 3),
    }


def _gold_reading(reader: SpanReader, examples: list[Example]) -> np.ndarray:
    """Per example: the best span's logit minus the lowest no-answer logit of the context's windows, whether
    the question is answerable, and the span's F1 and exact match (0 for unanswerable questions)."""
    out = []
    for e in examples:
        found = reader.read(e.question, [e.context], top=1)
        text = e.context[found[0].start : found[0].end] if found else ""
        margin = found[0].logit - min(f.null_logit for f in found) if found else -np.inf
        scored = (best_f1(text, e.answers), exact(text, e.answers)) if e.answers else (0.0, 0.0)
        out.append((margin, bool(e.answers), *scored))
    return np.array(out, dtype=float).reshape(-1, 4)


def _best_margin(rows: np.ndarray) -> float:
    """The no-answer margin with the best overall F1 on `rows` (answer where the margin is above it)."""
    ranked = rows[np.argsort(-rows[:, 0])]
    gains = np.where(ranked[:, 1] > 0, ranked[:, 2], -1.0)  # answering: its F1, or an abstention's point lost
    answering = int(np.argmax(np.r_[0.0, np.cumsum(gains)]))  # how many of the highest margins to answer
    return float(ranked[answering, 0]) if answering < len(ranked) else -np.inf


def _overall(rows: np.ndarray, margin: float) -> float:
    """SQuAD 2.0 overall F1 when answering above `margin`: an abstention on an unanswerable question scores 1."""
    answered = rows[:, 0] > margin
    return float(np.where(rows[:, 1] > 0, rows[:, 2] * answered, ~answered).mean()) if len(rows) else 0.0
