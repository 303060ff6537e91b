"""Hybrid passage retrieval: dense FAISS search and BM25 over one snapshot, fused (`fusion.py`)."""

from __future__ import annotations

import numpy as np

from qa.search.fusion import normalised, reciprocal_rank
from qa.store.snapshot import Snapshot
from qa.types import Passage

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
            fused = reciprocal_rank(self.rrf_k, dense, lexical)
        else:
            fused = normalised(self.dense_weight, dense, lexical)
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
