"""Hybrid passage retrieval: dense FAISS search and BM25, fused by normalised score (or reciprocal rank)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .index import Chunk, Snapshot


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    title: str
    text: str
    score: float  # fused retrieval score


FUSIONS = ("score", "rrf")
OVERFETCH = 8  # dense candidates fetched per one kept, when a date window filters them afterwards


class Retriever:
    """Searches one index snapshot. `fusion="score"`: each retriever's scores over its candidates are min-max
    normalised and mixed, `dense_weight` for FAISS and the rest for BM25; `"rrf"`: reciprocal-rank fusion."""

    def __init__(self, snapshot: Snapshot, candidates: int, rrf_k: int, fusion: str = "score", dense_weight=0.5):
        self.snapshot = snapshot
        self.candidates, self.rrf_k = candidates, rrf_k
        self.fusion, self.dense_weight = fusion, dense_weight
        self.bm25 = snapshot.bm25

    def search(
        self,
        query: str,
        query_vector: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        recency: tuple[float, np.ndarray] | None = None,
    ) -> list[Passage]:
        """Top `k` passages for `query` (with its embedding `query_vector`); only chunks where `allowed` (per chunk,
        id order) is true; `recency` = (weight, per-chunk 0-1 newness) adds weight * newness to the fused score."""
        chunks = self.snapshot.chunks
        if not chunks or (allowed is not None and not allowed.any()):
            return []
        n = min(self.candidates, len(chunks))
        fetch = n if allowed is None else min(len(chunks), n * OVERFETCH)  # the vector index cannot filter
        scores, ids = self.snapshot.vectors.search(query_vector.reshape(1, -1), fetch)
        dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
        if allowed is not None:
            dense = [(i, s) for i, s in dense if allowed[chunks.row(i)]][:n]
        lexical = [(int(chunks.ids[i]), score) for i, score in self.bm25.top(query, n, allowed)]
        if self.fusion == "rrf":
            fused = _reciprocal_rank(self.rrf_k, dense, lexical)
        else:
            fused = _normalised(self.dense_weight, dense, lexical)
        if recency is not None and recency[0]:
            weight, newness = recency
            fused = {cid: f + weight * float(newness[chunks.row(cid)]) for cid, f in fused.items()}
        out = []
        for cid in sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]:
            chunk = self.snapshot.chunks.by_id(cid)
            out.append(
                Passage(
                    chunk, self.snapshot.articles[chunk.article_id].title, self.snapshot.chunk_text(chunk), fused[cid]
                )
            )
        return out


def _reciprocal_rank(rrf_k: int, *rankings: list[tuple[int, float]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
    return fused


def _normalised(dense_weight: float, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]) -> dict:
    """w * minmax(dense) + (1 - w) * minmax(bm25); a chunk missing from one list scores 0 there."""
    fused: dict[int, float] = {}
    for weight, ranking in ((dense_weight, dense), (1 - dense_weight, lexical)):
        if not ranking:
            continue
        values = [s for _, s in ranking]
        low, span = min(values), max(values) - min(values)
        for cid, s in ranking:
            fused[cid] = fused.get(cid, 0.0) + weight * ((s - low) / span if span > 0 else 1.0)
    return fused
