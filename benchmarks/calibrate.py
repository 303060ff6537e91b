"""Calibrate the reader's answer probability and choose the abstention threshold, on the calibration part of
SQuAD 2.0 dev (articles 13-18 of its first half: answerable and on-topic unanswerable questions, open retrieval
over all 35 articles; the reader was tuned on articles 1-12, see `benchmarks.tuning`).

    .venv/bin/python -m benchmarks.calibrate [--sample 1500] [--seed 0]

Writes calibration.json beside the reader weights (models/reader by default) and prints the `min_probability`
with the best SQuAD-2.0 overall F1 (an abstention on an unanswerable question scores 1).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from benchmarks.squad import V2_DEV, service, v2_parts
from qa.evaluation.report import load_questions
from qa.models.calibration import Calibrator, expected_calibration_error
from qa.models.runtime import reader_path
from qa.text.metrics import best_f1, exact

TOP = 5  # candidates per question the fit sees (the ones that could be shown)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", type=int, default=1500)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    _, calibration, _ = v2_parts()
    qa = service("squad-v2", V2_DEV / "docs.jsonl", second_reader="")  # calibrates QA_READER, never a cascade
    rows = load_questions(calibration, args.sample, args.seed)
    answerer = qa.current().answerer
    evidence, correct, answerable, per_question = [], [], [], []
    started = time.perf_counter()
    for n, row in enumerate(rows, 1):
        candidates = answerer.proposals(row["question"], qa.passages(row["question"]))[:TOP]
        texts = [c.text for c in candidates]
        evidence += [c.evidence for c in candidates]
        correct += [exact(t, row["answers"]) for t in texts]
        answerable += [bool(row["answers"])] * len(texts)
        per_question.append((row["answers"], candidates, texts))
        if n % 250 == 0:
            print(f"{n}/{len(rows)} questions read ({time.perf_counter() - started:.0f}s)", flush=True)
    calibrator = Calibrator.fit(
        evidence,
        correct,
        answerable,
        data="SQuAD 2.0 dev, calibration part (articles 13-18)",
        questions=len(rows),
        seed=args.seed,
        read_passages=qa.settings.read_passages,  # the evidence (rank, support) depends on how many were read
    )
    tops = [(gold, *_best(calibrator, c, t)) for gold, c, t in per_question]  # what the service would show first
    best = choose_threshold(tops)
    calibrator.meta["min_probability"] = best
    path = calibrator.save(reader_path(qa.settings.reader))
    answered = [(p, exact(text, gold)) for gold, p, text in tops if text]
    print(f"fitted on {len(evidence)} candidates of {len(rows)} questions; wrote {path}")
    print(f"ECE of the top answer on the calibration part: {expected_calibration_error(*zip(*answered, strict=True))}")
    print(f"best min_probability: {best} (set QA_MIN_PROBABILITY or the default in qa/settings.py)")


def choose_threshold(tops: list[tuple[list[str], float, str]]) -> float:
    """The abstention threshold with the best SQuAD-2.0 overall F1 over (gold, probability, text) of each
    question's first answer."""
    scored = [(p, best_f1(text, gold), not gold) for gold, p, text in tops]
    best, overall = 0.0, -1.0
    for t in np.round(np.arange(0.02, 0.9, 0.02), 2):
        total = sum((f if p >= t else 0.0) if not unanswerable else float(p < t) for p, f, unanswerable in scored)
        if total / len(scored) > overall:
            best, overall = float(t), total / len(scored)
    print(f"overall F1 at the best threshold on the calibration part: {overall:.4f}")
    return best


def _best(calibrator: Calibrator, candidates: list, texts: list[str]) -> tuple[float, str]:
    """The probability and text of the candidate the calibrated service would show first (0, "" if none)."""
    return max(
        ((calibrator(c.evidence), t) for c, t in zip(candidates, texts, strict=True)),
        key=lambda x: x[0],
        default=(0.0, ""),
    )


if __name__ == "__main__":
    main()
