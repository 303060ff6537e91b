"""Fusing dense and BM25 rankings of chunks: min-max normalised scores mixed by weight, or reciprocal rank."""

from __future__ import annotations


def reciprocal_rank(rrf_k: int, *rankings: list[tuple[int, float]]) -> dict[int, float]:
    """sum over the rankings of 1 / (rrf_k + rank), rank counted from 1."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (cid, _) in enumerate(ranking):
            fused[cid] = fused.get(cid, 0.0) + 1.0 / (rrf_k + rank + 1)
    return fused


def normalised(dense_weight: float, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]) -> dict:
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
