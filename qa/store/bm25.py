"""Okapi BM25 over chunk terms, kept per index generation as term frequencies (so a write adds and drops
documents without re-reading the others) and precomputed per-term scores (memory-mapped when loaded)."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qa.errors import IndexStateError
from qa.store.manifest import Manifest
from qa.text.tokens import terms

K1, B = 1.2, 0.75
META = "meta.json"
ARRAYS = ("doc_ptr", "doc_terms", "doc_tf", "term_ptr", "term_docs", "term_scores")


class BM25:
    """BM25 (Lucene's variant) of a query against a list of documents given as their search terms:
    the sum over distinct query terms of `idf * tf / (tf + k1 * (1 - b + b * len / avg_len))`, with
    `idf = log(1 + (N - df + 0.5) / (df + 0.5))`.

    Documents are stored row by row (term ids and counts, for the next change) and term by term (documents and
    scores, for queries)."""

    def __init__(self, vocab: list[str], arrays: dict[str, np.ndarray]):
        self.vocab, self.ids = vocab, {t: i for i, t in enumerate(vocab)}
        self.doc_ptr, self.doc_terms, self.doc_tf = arrays["doc_ptr"], arrays["doc_terms"], arrays["doc_tf"]
        self.size = len(self.doc_ptr) - 1
        if "term_ptr" in arrays:
            self.term_ptr, self.term_docs, self.term_scores = (arrays[k] for k in ARRAYS[3:])
        else:
            self.term_ptr, self.term_docs, self.term_scores = self._by_term()

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> BM25:
        """The index of documents given as term lists (`qa.text.tokens.terms` of each passage)."""
        empty = {"doc_ptr": np.zeros(1, np.int64), "doc_terms": np.zeros(0, np.int32), "doc_tf": np.zeros(0, np.uint16)}
        return cls([], empty).changed(np.zeros(0, bool), documents)

    def changed(self, keep: np.ndarray, added: Sequence[Sequence[str]]) -> BM25:
        """A new index of the documents where `keep` is true (in order), then the `added` ones."""
        keep, rows = np.asarray(keep, bool), np.diff(self.doc_ptr)
        entries = np.repeat(keep, rows)
        vocab, ids = list(self.vocab), dict(self.ids)
        new_terms: list[int] = []
        new_tf: list[int] = []
        new_rows = []
        for doc in added:
            counts = Counter(doc)
            for term in counts:
                if term not in ids:
                    ids[term] = len(vocab)
                    vocab.append(term)
            new_terms += [ids[t] for t in counts]
            new_tf += [min(n, 65535) for n in counts.values()]
            new_rows.append(len(counts))
        lengths = np.concatenate([rows[keep], np.asarray(new_rows, np.int64)])
        arrays = {
            "doc_ptr": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            "doc_terms": np.concatenate([self.doc_terms[entries], np.asarray(new_terms, np.int32)]),
            "doc_tf": np.concatenate([self.doc_tf[entries], np.asarray(new_tf, np.uint16)]),
        }
        return BM25(vocab, arrays)

    def _by_term(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every (term, document) pair's score, grouped by term (documents ascending within a term): the
        document-by-term matrix transposed by scipy in linear time."""
        from scipy.sparse import csr_matrix

        shape = (self.size, len(self.vocab))
        terms_, tf = self.doc_terms, self.doc_tf.astype(np.float32)
        length = np.asarray(csr_matrix((tf, terms_, self.doc_ptr), shape=shape).sum(axis=1)).ravel()
        avg = float(length.mean()) if self.size and length.mean() > 0 else 1.0
        df = np.bincount(terms_, minlength=len(self.vocab))
        idf = np.log1p((self.size - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (K1 * (1 - B + B * length / avg)).astype(np.float32)
        scores = idf[terms_] * tf / (tf + np.repeat(norm, np.diff(self.doc_ptr)))
        by_term = csr_matrix((scores, terms_, self.doc_ptr), shape=shape).tocsc()
        indptr, docs, scores = by_term.indptr, by_term.indices, by_term.data
        return (
            indptr.astype(np.int64, copy=False),
            docs.astype(np.int32, copy=False),
            scores.astype(np.float32, copy=False),
        )

    def save(self, directory: Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name))
        (directory / META).write_text(json.dumps({"k1": K1, "b": B, "size": self.size, "vocab": self.vocab}))

    @classmethod
    def load(cls, directory: Path) -> BM25:
        """A saved index, its arrays memory-mapped (processes serving the same generation share one copy)."""
        directory = Path(directory)
        meta = json.loads((directory / META).read_text())
        if (meta.get("k1"), meta.get("b")) != (K1, B):
            raise ValueError(f"{directory}: saved with k1={meta.get('k1')}, b={meta.get('b')}")
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        bm25 = cls(meta["vocab"], arrays)
        if bm25.size != meta["size"] or len(bm25.term_ptr) != len(bm25.vocab) + 1:
            raise ValueError(f"{directory}: arrays do not match ({bm25.size} documents, expected {meta['size']})")
        return bm25

    def df(self, term: str) -> int:
        """Number of documents containing `term`."""
        t = self.ids.get(term)
        return 0 if t is None else int(self.term_ptr[t + 1] - self.term_ptr[t])

    def idf(self, term: str) -> float:
        df = self.df(term)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """The score of every document for `query`."""
        out = np.zeros(self.size, dtype=np.float32)
        for term in dict.fromkeys(terms(query)):
            t = self.ids.get(term)
            if t is not None:
                a, b = self.term_ptr[t], self.term_ptr[t + 1]
                out[self.term_docs[a:b]] += self.term_scores[a:b]  # a document appears once per term
        return out

    def top(self, query: str, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(document index, score) of the best `n` documents with a non-zero score (only `allowed` ones)."""
        scores = self.scores(query)
        if allowed is not None:
            scores[~allowed] = 0.0
        hits = np.flatnonzero(scores)
        if len(hits) > n:
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
        best = hits[np.lexsort((hits, -scores[hits]))]
        return [(int(i), float(scores[i])) for i in best]


def has_bm25(index_dir: Path, manifest: Manifest) -> bool:
    """The generation has its BM25 index on disk (older ones are indexed from their texts when loaded)."""
    return manifest.bm25 and (Path(index_dir) / manifest.bm25_dir / META).exists()


def load_bm25(index_dir: Path, manifest: Manifest) -> BM25:
    try:
        return BM25.load(Path(index_dir) / manifest.bm25_dir)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexStateError(f"cannot read the BM25 index in {index_dir}: {exc}; rebuild it") from None
