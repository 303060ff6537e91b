"""Hybrid passage retrieval: dense FAISS search and BM25, fused by reciprocal rank."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .bm25 import BM25
from .index import Chunk, Snapshot


@dataclass(frozen=True)
class Passage:
    chunk: Chunk
    title: str
    text: str
    score: float  # fused reciprocal-rank score


def passage_text(title: str, text: str) -> str:
    """What gets embedded and BM25-indexed for a chunk: its article title gives context."""
    return f"{title}\n{text}"


class Retriever:
    """Searches one index snapshot."""

    def __init__(self, snapshot: Snapshot, candidates: int, rrf_k: int):
        self.snapshot = snapshot
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.bm25 = BM25(
            [passage_text(snapshot.articles[c.article_id].title, snapshot.chunk_text(c)) for c in snapshot.chunks]
        )

    def search(self, query: str, query_vector: np.ndarray, k: int) -> list[Passage]:
        """Top `k` passages for `query` (with its embedding `query_vector`)."""
        if not self.snapshot.chunks:
            return []
        n = min(self.candidates, len(self.snapshot.chunks))
        _, ids = self.snapshot.vectors.search(query_vector.reshape(1, -1), n)
        dense = [int(i) for i in ids[0] if i >= 0]
        lexical = [self.snapshot.chunks[i].id for i, _ in self.bm25.top(query, n)]
        fused: dict[int, float] = {}
        for ranking in (dense, lexical):
            for rank, cid in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + 1.0 / (self.rrf_k + rank + 1)
        out = []
        for cid in sorted(fused, key=lambda cid: (-fused[cid], cid))[:k]:
            chunk = self.snapshot.chunk_by_id[cid]
            out.append(
                Passage(
                    chunk, self.snapshot.articles[chunk.article_id].title, self.snapshot.chunk_text(chunk), fused[cid]
                )
            )
        return out
