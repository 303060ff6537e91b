"""Okapi BM25 over chunk terms (bm25s: a sparse score matrix, saved with each index generation, memory-mapped)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .tokens import terms

K1, B = 1.2, 0.75
logging.getLogger("bm25s").setLevel(logging.WARNING)


class BM25:
    """BM25 (Lucene's variant) of a query against a fixed list of documents, given as their search terms.
    Scores are Lucene's: tf saturation `tf / (tf + k1 * (1 - b + b * len / avg_len))` times
    `idf = log(1 + (N - df + 0.5) / (df + 0.5))`, summed over the distinct query terms."""

    def __init__(self, model, size: int):
        self.model, self.size = model, size  # model: a bm25s.BM25, None for an empty collection

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> BM25:
        """The index of documents given as term lists (`qa.tokens.terms` of each passage)."""
        import bm25s

        if not any(documents):
            return cls(None, len(documents))
        model = bm25s.BM25(method="lucene", k1=K1, b=B)
        model.index([list(d) or [""] for d in documents], show_progress=False)
        return cls(model, len(documents))

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        if self.model is not None:
            self.model.save(str(directory))
        (directory / "size").write_text(f"{self.size}\n")

    @classmethod
    def load(cls, directory: Path) -> BM25:
        """A saved index, its matrix memory-mapped (processes serving the same generation share one copy)."""
        import bm25s

        directory = Path(directory)
        size = int((directory / "size").read_text())
        model = bm25s.BM25.load(str(directory), mmap=True) if (directory / "params.index.json").exists() else None
        if model is not None and model.scores["num_docs"] != size:
            raise ValueError(f"{directory}: {model.scores['num_docs']} documents, expected {size}")
        return cls(model, size)

    def df(self, term: str) -> int:
        """Number of documents containing `term`."""
        t = self.model.vocab_dict.get(term) if self.model is not None and term else None
        if t is None:
            return 0
        indptr = self.model.scores["indptr"]
        return int(indptr[t + 1] - indptr[t])

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """The score of every document for `query`."""
        ids = self.model.get_tokens_ids(list(dict.fromkeys(terms(query)))) if self.model is not None else []
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return self.model.get_scores_from_ids(ids)

    def top(self, query: str, n: int) -> list[tuple[int, float]]:
        """(document index, score) of the best `n` documents with a non-zero score."""
        scores = self.scores(query)
        hits = np.flatnonzero(scores)
        if len(hits) > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        best = hits[np.lexsort((hits, -scores[hits]))]
        return [(int(i), float(scores[i])) for i in best]
