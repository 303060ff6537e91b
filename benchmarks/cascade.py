"""Two readers over one index, and the cascade between them: the first reads every question and the second
re-reads those the first is less sure of than X. Each reader's answers come from real asks; the cascade's are
put together from them, and cost both asks where the second re-reads.

    .venv/bin/python -m benchmarks.cascade QUESTIONS --index-dir DIR --second READER_DIR [--first packaged]
        [--first-min-probability P] [--second-min-probability P] [--out benchmarks/results]

Writes cascade.md and cascade.json under --out (one row per reader and per X).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.squad import ROOT
from qa import QAService
from qa.answering.cascade import second_stands
from qa.evaluation.report import load_questions
from qa.settings import Settings
from qa.text.metrics import best_f1, exact, ratio

BELOW = (0.2, 0.4, 0.5, 0.6, 0.7, 0.8)


def asked(qa: QAService, rows: list[dict]) -> list[dict]:
    """Each question's top answer (None: abstained), best candidate (the guess after an abstention), the reader's
    confidence and the ask's milliseconds."""
    qa.warm_up()
    out = []
    for row in rows:
        started = time.perf_counter()
        result = qa.ask(row["question"], history=row.get("history", []))
        top = result.answers[0] if result.answers else None
        best = top or result.guess
        ms = (time.perf_counter() - started) * 1000
        out.append({"top": top and top.text, "candidate": best and best.text, "confidence": result.confidence,
                    "ms": ms})  # fmt: skip
    return out


def cascade(first: list[dict], second: list[dict], below: float) -> list[dict]:
    """The first reader's answer where its confidence reaches `below`, else the second's where it stands (it
    replaces an answer or confirms an abstention, never takes an answer away: `second_stands`), after both asks."""
    out = []
    for a, b in zip(first, second, strict=True):
        if a["confidence"] >= below:
            out.append(a)
        else:
            reply = b if second_stands(a["top"] is not None, b["top"] is not None) else a
            out.append({**reply, "ms": a["ms"] + b["ms"]})
    return out


def scores(rows: list[dict], picks: list[dict]) -> dict:
    """EM and F1 of the top answer and the abstentions, over the answerable and the unanswerable questions, and
    the latency percentiles as `qa eval` reports them."""
    answerable = [(r["answers"], p) for r, p in zip(rows, picks, strict=True) if r["answers"]]
    unanswerable = [p for r, p in zip(rows, picks, strict=True) if not r["answers"]]
    n = len(answerable)
    ms = [p["ms"] for p in picks]
    return {
        "exact_match": ratio(sum(_right(p["top"], gold) for gold, p in answerable), n),
        "f1": ratio(sum(best_f1(p["top"], gold) for gold, p in answerable if p["top"] is not None), n),
        "answerable_abstained": ratio(sum(p["top"] is None for _, p in answerable), n),
        "unanswerable_abstained": f"{sum(p['top'] is None for p in unanswerable)}/{len(unanswerable)}",
        "candidate_right": ratio(sum(_right(p["candidate"], gold) for gold, p in answerable), n),
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 1),
        "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
    }


def _right(text: str | None, golds: list[str]) -> bool:
    return text is not None and exact(text, golds)


def compare(rows: list[dict], first: list[dict], second: list[dict], below=BELOW) -> list[dict]:
    """A row for each reader alone and for the cascade at each threshold in `below`."""
    out = [{"reader": "first alone", "re_read": 0.0, **scores(rows, first)}]
    out.append({"reader": "second alone", "re_read": 1.0, **scores(rows, second)})
    for x in below:
        share = ratio(sum(a["confidence"] < x for a in first), len(first))
        out.append(
            {"reader": f"cascade, second below {x}", "re_read": share, **scores(rows, cascade(first, second, x))}
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("questions", type=Path, help="JSONL questions, as `qa eval` takes them")
    p.add_argument("--index-dir", type=Path, required=True, help="an index built over the questions' articles")
    p.add_argument("--first", default="packaged", help="the reader that reads every question")
    p.add_argument("--second", required=True, help="the reader that re-reads the uncertain ones")
    defaults = Settings()
    p.add_argument("--first-min-probability", type=float, default=defaults.min_probability)
    p.add_argument("--second-min-probability", type=float, default=defaults.second_min_probability)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    rows = load_questions(args.questions)
    base = Settings.from_env(os.environ, progress=False).replace(
        index_dir=args.index_dir, answerer="reader", second_reader=""
    )
    read = [
        asked(QAService(base.replace(reader=reader, min_probability=threshold)), rows)
        for reader, threshold in ((args.first, args.first_min_probability), (args.second, args.second_min_probability))
    ]
    out = compare(rows, *read)
    columns = ["reader", "re_read", "exact_match", "f1", "answerable_abstained", "unanswerable_abstained",
               "candidate_right", "latency_ms_p50", "latency_ms_p95"]  # fmt: skip
    caption = f"Cascade on {args.questions.name}: first {args.first}, second {args.second} (ms: both asks in turn)"
    report.write(args.out, "cascade", out, report.markdown(caption, columns, [[r[c] for c in columns] for r in out]))


if __name__ == "__main__":
    main()
