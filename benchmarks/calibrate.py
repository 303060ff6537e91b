"""Calibrate `min_score` (abstention): best-sentence scores of SQuAD questions on their own articles
(answerable) and on the seed index (off-topic, must abstain); prints the threshold with the best accuracy.

    python benchmarks/calibrate.py [--sample 500] [--seed 1]

Needs the SQuAD eval index (`qa eval ... --docs .../docs.jsonl` builds it in index/eval) and the seed index.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from qa import QAService, Settings
from qa.evaluation import load_questions

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "eval"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--questions", type=Path, default=SHARED / "squad_v1.1_dev" / "qa.jsonl")
    p.add_argument("--sample", type=int, default=500)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    settings = Settings.from_env(os.environ, min_score=0.0, progress=False)
    squad = QAService(settings.replace(index_dir=settings.index_dir / "eval"))
    seed = QAService(settings, embedder=squad.embedder)
    rows = load_questions(args.questions, args.sample, args.seed)
    seed_rows = load_questions(SHARED / "seed_questions.jsonl")
    answerable = [squad.ask(r["question"]).confidence for r in rows]
    answerable += [seed.ask(r["question"]).confidence for r in seed_rows if r["answers"]]
    off_topic = [seed.ask(r["question"]).confidence for r in rows]
    off_topic += [seed.ask(r["question"]).confidence for r in seed_rows if not r["answers"]]
    pos, neg = np.array(answerable), np.array(off_topic)
    best = max(np.arange(0.05, 0.6, 0.005), key=lambda t: ((pos >= t).mean() + (neg < t).mean()) / 2)
    print(f"answerable: n={len(pos)} p5={np.percentile(pos, 5):.3f} p50={np.median(pos):.3f}")
    print(f"off-topic:  n={len(neg)} p50={np.median(neg):.3f} p95={np.percentile(neg, 95):.3f} max={neg.max():.3f}")
    print(
        f"best min_score={best:.3f}: answers {100 * (pos >= best).mean():.1f}% of answerable, "
        f"abstains on {100 * (neg < best).mean():.1f}% of off-topic"
    )


if __name__ == "__main__":
    main()
