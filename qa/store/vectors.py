"""The FAISS vector index of a generation: exact search below a size threshold, IVF (inverted lists) above it.

Both kinds keep chunk ids as FAISS ids, so articles are added and removed by id without a rebuild. An IVF index
is trained once (k-means on a sample) and retrained only when the collection has grown or shrunk past a
factor of the size it was trained for; its lists hold the full vectors, so the distances inside the probed
lists are exact and every vector can be read back to retrain. The kind and its parameters live in the manifest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import faiss
import numpy as np

KINDS = ("flat", "ivf")
GROWTH = 4.0  # retrain an IVF index when the collection is this many times larger (or smaller) than its training
TRAIN_POINTS_PER_LIST = 40  # k-means sample per inverted list (FAISS warns below 39)
KMEANS_ITERATIONS = 10


@dataclass(frozen=True)
class VectorSpec:
    """Which FAISS index a generation uses: `flat` (exact) or `ivf` with `nlist` lists, `nprobe` searched."""

    kind: str = "flat"
    nlist: int = 0
    nprobe: int = 0
    trained_on: int = 0  # vectors the IVF index was trained for

    @classmethod
    def ivf_for(cls, n: int) -> VectorSpec:
        """IVF parameters for `n` vectors: about 4 sqrt(n) lists (a power of two), 1/32 of them probed
        (recall@10 >= 0.95 on real embeddings, see benchmarks/search.py)."""
        nlist = 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))
        nlist = max(1, min(nlist, 65536, n // TRAIN_POINTS_PER_LIST))
        return cls("ivf", nlist, min(nlist, max(8, nlist // 32)), n)


def empty(dims: int) -> faiss.Index:
    """A new exact inner-product index keyed by chunk id."""
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dims))


def plan(n: int, current: VectorSpec, threshold: int) -> VectorSpec | None:
    """The index a collection of `n` vectors should move to, or None to keep `current`. Exact search up to
    `threshold` vectors (0: always exact); IVF above it, retrained after growing or shrinking `GROWTH` times;
    back to exact below half the threshold."""
    if current.kind == "flat":
        return VectorSpec.ivf_for(n) if 0 < threshold <= n else None
    if threshold <= 0 or n < max(threshold // 2, 1):
        return VectorSpec()
    if n > current.trained_on * GROWTH or n * GROWTH < current.trained_on:
        return VectorSpec.ivf_for(n)
    return None


def rebuild(index: faiss.Index, spec: VectorSpec, seed: int = 0) -> faiss.Index:
    """A new index of kind `spec` holding every vector (and id) of `index`."""
    ids, vectors = contents(index)
    dims = index.d
    if spec.kind == "flat":
        out = empty(dims)
    else:
        out = faiss.IndexIVFFlat(faiss.IndexFlatIP(dims), dims, spec.nlist, faiss.METRIC_INNER_PRODUCT)
        out.cp.niter = KMEANS_ITERATIONS
        out.cp.seed = seed
        rng = np.random.default_rng(seed)
        sample = min(len(vectors), spec.nlist * TRAIN_POINTS_PER_LIST)
        out.train(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
        out.nprobe = spec.nprobe
    if len(ids):
        out.add_with_ids(vectors, ids)
    return out


def contents(index: faiss.Index) -> tuple[np.ndarray, np.ndarray]:
    """Every (id, vector) pair of a flat or IVF-flat index."""
    if isinstance(index, faiss.IndexIDMap2):
        flat = faiss.downcast_index(index.index)
        return faiss.vector_to_array(index.id_map).astype(np.int64), flat.reconstruct_n(0, flat.ntotal)
    ivf = faiss.extract_index_ivf(index)
    lists = ivf.invlists
    ids, vectors = [], []
    for i in range(ivf.nlist):
        size = lists.list_size(i)
        if size:
            ids.append(faiss.rev_swig_ptr(lists.get_ids(i), size).copy())
            codes = faiss.rev_swig_ptr(lists.get_codes(i), size * lists.code_size).copy()
            vectors.append(codes.view(np.float32).reshape(size, ivf.d))
    if not ids:
        return np.zeros(0, np.int64), np.zeros((0, ivf.d), np.float32)
    return np.concatenate(ids).astype(np.int64), np.concatenate(vectors)


def configure(index: faiss.Index, spec: VectorSpec, nprobe: int = 0) -> faiss.Index:
    """Set search-time parameters on a loaded index (`nprobe` > 0 overrides the manifest's)."""
    if spec.kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = nprobe or spec.nprobe
    return index
