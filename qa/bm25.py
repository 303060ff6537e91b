"""Okapi BM25 over chunk texts, with an inverted index for sparse scoring."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from .tokens import terms


class BM25:
    """BM25 scores of a query against a fixed list of documents."""

    def __init__(self, documents: Sequence[str], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.size = len(documents)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        lengths = np.zeros(self.size, dtype=np.float32)
        for i, doc in enumerate(documents):
            counts = Counter(terms(doc))
            lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                self.postings[term].append((i, tf))
        avg = float(lengths.mean()) if self.size else 1.0
        self.norm = self.k1 * (1 - self.b + self.b * lengths / max(avg, 1e-9))

    def df(self, term: str) -> int:
        """Number of documents containing `term`."""
        return len(self.postings.get(term, ()))

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(terms(query)):
            idf = self.idf(term)
            for i, tf in self.postings.get(term, ()):
                out[i] += idf * tf * (self.k1 + 1) / (tf + self.norm[i])
        return out

    def top(self, query: str, n: int) -> list[tuple[int, float]]:
        """(document index, score) of the best `n` documents with a non-zero score."""
        scores = self.scores(query)
        hits = np.flatnonzero(scores)
        best = hits[np.argsort(-scores[hits], kind="stable")][:n]
        return [(int(i), float(scores[i])) for i in best]
