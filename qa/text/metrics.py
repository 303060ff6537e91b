"""SQuAD answer metrics: normalisation, exact match and token F1."""

from __future__ import annotations

import re
import string
from collections import Counter

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


def best_f1(prediction: str, golds: list[str]) -> float:
    """The prediction's token F1 against the closest of the gold answers (0.0 when there are none)."""
    return max((f1(prediction, g) for g in golds), default=0.0)


def exact(prediction: str, golds: list[str]) -> bool:
    """The prediction equals one of the gold answers after normalisation."""
    return any(normalize(prediction) == normalize(g) for g in golds)


def ratio(value: float, total: int) -> float | None:
    """value / total rounded for a report (None when there is nothing to divide by)."""
    return round(value / total, 4) if total else None
