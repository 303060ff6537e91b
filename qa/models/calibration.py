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
    """P(answer is right | evidence). Fitted as two logistic regressions, so that the share of questions the
    articles can answer (`prior`) can differ from the calibration data's (`share`):

        P(right | e) = P(answerable | e, prior) * P(right | e, answerable)

    where P(answerable | e, prior) moves the fitted log-odds by logit(prior) - logit(share) (label shift).
    Without fitted weights the reader's own probability is returned."""

    def __init__(self, weights=None, bias: float = 0.0, meta: dict | None = None, answerable=None, share=0.5):
        self.weights = None if weights is None else np.asarray(weights, dtype=float)  # P(right | e, answerable)
        self.bias, self.meta = bias, meta or {}
        self.answerable = None if answerable is None else (np.asarray(answerable[0], dtype=float), answerable[1])
        self.share, self.prior = share, share

    def with_prior(self, prior: float) -> Calibrator:
        """The same calibration for questions of which a share `prior` is answerable (0: as in the fitting data)."""
        if not 0 <= prior <= 1:
            raise ValueError(f"answerable prior {prior} is not in [0, 1]")
        shifted = Calibrator(self.weights, self.bias, self.meta, self.answerable, self.share)
        shifted.prior = prior or self.share
        return shifted

    def __call__(self, evidence: Evidence) -> float:
        if self.weights is None:
            return evidence.prob
        x = evidence.vector()
        right = _sigmoid(x @ self.weights + self.bias)
        if self.answerable is None:
            return right
        shift = _logit(self.prior) - _logit(self.share)
        return _sigmoid(x @ self.answerable[0] + self.answerable[1] + shift) * right

    @classmethod
    def fit(
        cls, evidence: Sequence[Evidence], correct: Sequence[bool], answerable: Sequence[bool] | None = None, **meta
    ) -> Calibrator:
        """Fit on candidates with whether each is right and (optionally) whether its question is answerable."""
        if answerable is None:
            w, b = _logistic(evidence, correct)
            return cls(w, b, {"examples": len(correct), "positives": int(sum(correct)), **meta})
        on_answerable = [i for i, a in enumerate(answerable) if a]
        w, b = _logistic([evidence[i] for i in on_answerable], [correct[i] for i in on_answerable])
        share = float(np.mean(answerable))
        meta = {"examples": len(correct), "positives": int(sum(correct)), "answerable_share": round(share, 4), **meta}
        return cls(w, b, meta, _logistic(evidence, answerable), share)

    def save(self, directory: Path) -> Path:
        path = Path(directory) / FILE
        body = {"features": FEATURES, "weights": None if self.weights is None else self.weights.tolist()}
        body["bias"] = self.bias
        if self.answerable is not None:
            body["answerable"] = {"weights": self.answerable[0].tolist(), "bias": self.answerable[1]}
            body["answerable_share"] = self.share
        path.write_text(json.dumps({**body, "meta": self.meta}, indent=2) + "\n")
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
        answerable = body.get("answerable")
        return cls(
            body["weights"],
            body["bias"],
            body.get("meta"),
            (answerable["weights"], answerable["bias"]) if answerable else None,
            body.get("answerable_share", 0.5),
        )


def _sigmoid(z: float) -> float:
    return float(1 / (1 + math.exp(-float(np.clip(z, -30, 30)))))


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _logistic(evidence: Sequence[Evidence], labels: Sequence[bool], l2: float = 1e-3) -> tuple[list[float], float]:
    """Maximum-likelihood logistic-regression weights and bias (Newton's method, a little L2)."""
    x = np.array([e.vector() for e in evidence])
    x = np.hstack([x, np.ones((len(x), 1))])
    y = np.asarray(labels, dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (p - y) + l2 * np.r_[w[:-1], 0]
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1].tolist(), float(w[-1])


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
