"""Answer calibration: reader evidence -> probability of being right (logistic fit), reliability and ECE."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FEATURES = ("margin", "log_odds", "rank", "support", "gap")
FILE = "calibration.json"


@dataclass(frozen=True)
class Evidence:
    """What the reader and the retriever say about one candidate answer."""

    margin: float  # span logit minus the window's no-answer logit
    prob: float  # the reader's in-window probability of the span
    rank: int  # retrieval rank of the passage it was read from (0 = best)
    support: int  # passages proposing the same answer
    gap: float  # best span logit of the question minus this one (0 for the best)

    def vector(self) -> np.ndarray:
        p = min(max(self.prob, 1e-6), 1 - 1e-6)
        return np.array([self.margin, math.log(p / (1 - p)), math.log1p(self.rank), math.log(self.support), self.gap])


class Calibrator:
    """Logistic regression over `Evidence`; without fitted weights the reader's own probability is returned."""

    def __init__(self, weights: Sequence[float] | None = None, bias: float = 0.0, meta: dict | None = None):
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.bias, self.meta = bias, meta or {}

    def __call__(self, evidence: Evidence) -> float:
        if self.weights is None:
            return evidence.prob
        return float(1 / (1 + math.exp(-float(np.clip(evidence.vector() @ self.weights + self.bias, -30, 30)))))

    @classmethod
    def fit(cls, evidence: Sequence[Evidence], correct: Sequence[bool], l2: float = 1e-3, **meta) -> Calibrator:
        """Maximum-likelihood weights (Newton's method, a little L2) for P(correct | evidence)."""
        x = np.array([e.vector() for e in evidence])
        x = np.hstack([x, np.ones((len(x), 1))])
        y = np.asarray(correct, dtype=float)
        w = np.zeros(x.shape[1])
        for _ in range(50):
            p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
            grad = x.T @ (p - y) + l2 * np.r_[w[:-1], 0]
            hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return cls(w[:-1].tolist(), float(w[-1]), {"examples": len(y), "positives": int(y.sum()), **meta})

    def save(self, directory: Path) -> Path:
        path = Path(directory) / FILE
        body = {"features": FEATURES, "weights": None if self.weights is None else self.weights.tolist()}
        path.write_text(json.dumps({**body, "bias": self.bias, "meta": self.meta}, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: Path) -> Calibrator:
        """The calibration saved beside a reader checkpoint, or the uncalibrated default."""
        path = Path(directory) / FILE
        if not path.exists():
            return cls()
        body = json.loads(path.read_text())
        if tuple(body.get("features", ())) != FEATURES:
            raise ValueError(f"{path}: calibrated for features {body.get('features')}, expected {list(FEATURES)}")
        return cls(body["weights"], body["bias"], body.get("meta"))


def _bins(predicted: Sequence[float], correct: Sequence[bool], bins: int) -> list[tuple[str, int, float, float]]:
    p, y = np.asarray(predicted, dtype=float), np.asarray(correct, dtype=float)
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = (p >= lo) & ((p < hi) if b < bins - 1 else (p <= hi))
        if inside.any():
            out.append((f"{lo:.1f}-{hi:.1f}", int(inside.sum()), float(p[inside].mean()), float(y[inside].mean())))
    return out


def reliability(predicted: Sequence[float], correct: Sequence[bool], bins: int = 10) -> list[dict]:
    """Predicted probability against observed accuracy, in equal-width bins (empty bins left out)."""
    return [
        {"bin": name, "count": n, "predicted": round(mean_p, 3), "accuracy": round(acc, 3)}
        for name, n, mean_p, acc in _bins(predicted, correct, bins)
    ]


def expected_calibration_error(predicted: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Mean |accuracy - predicted| over the bins of `reliability`, weighted by their counts."""
    rows = _bins(predicted, correct, bins)
    total = sum(n for _, n, _, _ in rows)
    return round(sum(n * abs(acc - mean_p) for _, n, mean_p, acc in rows) / total, 4) if total else 0.0
