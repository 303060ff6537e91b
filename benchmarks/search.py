"""Vector search at scale: latency, recall@10 against exact search, memory and build time per index type.

    .venv/bin/python -m benchmarks.search [--sizes 100000 1000000 5000000] [--queries 500] [--smoke]

The collection is real chunk embeddings (every vector of the benchmark indexes under index/bench, which
`benchmarks.reader` and `benchmarks.retrieval` build from SQuAD) plus synthetic vectors drawn around them: a
random real vector plus Gaussian noise of norm 0.6-1.2, normalised (cosine 0.64-0.86 to its origin, like a
related chunk). The queries are real SQuAD v1.1 dev questions embedded by the packaged model. Exact neighbours
are computed block by block, so sizes past memory for two copies work. Each index is searched one query at a
time, as the service does. Writes search.md and search.json under --out; --smoke runs tiny sizes on
random vectors (no data needed, for the test suite).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import faiss
import numpy as np

from benchmarks import report
from benchmarks.squad import ROOT, V1_DEV, WORK, require
from qa import Settings
from qa.models.embedding import Embedder
from qa.store.vectors import TRAIN_POINTS_PER_LIST, VectorSpec, contents

K = 10
BLOCK = 250_000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 5_000_000])
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--flat-up-to", type=int, default=1_000_000, help="measure exact search up to this size")
    p.add_argument("--smoke", action="store_true", help="tiny sizes on random vectors (for the test suite)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    if args.smoke:
        args.sizes, args.queries = [2_000], 20
    base, queries = data(args)
    rows = []
    for n in args.sizes:
        rows += measure(base, queries, n, args)
    report.write(args.out, "search", rows, table(rows, args, len(base)))


def data(args) -> tuple[np.ndarray, np.ndarray]:
    """Real chunk vectors and real question vectors (random unit vectors in smoke mode)."""
    if args.smoke:
        return unit(np.random.default_rng(1).standard_normal((500, 384))), unit(
            np.random.default_rng(2).standard_normal((args.queries, 384))
        )
    paths = sorted(WORK.glob("*/vectors-*.faiss"))
    if not paths:
        raise SystemExit("no benchmark indexes under index/bench: run `python -m benchmarks.reader` first")
    base = np.unique(np.concatenate([contents(faiss.read_index(str(p)))[1] for p in paths]), axis=0)  # no ties
    require(V1_DEV / "qa.jsonl")
    rows = [json.loads(line) for line in (V1_DEV / "qa.jsonl").read_text().splitlines() if line]
    picked = np.random.default_rng(0).choice(len(rows), args.queries, replace=False)
    s = Settings()
    embedder = Embedder(s.model, s.device, s.batch_size, s.offline)
    return base, embedder.encode([rows[i]["question"] for i in picked]).astype(np.float32)


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32 (what the index stores)."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    faiss.normalize_L2(x)
    return x


def blocks(base: np.ndarray, n: int):
    """The collection of size `n`, in blocks: the real vectors first, then synthetic ones around them."""
    yield base[:n]
    done, seed = min(n, len(base)), 0
    while done < n:
        size = min(BLOCK, n - done)
        rng = np.random.default_rng(1000 + seed)
        noise = unit(rng.standard_normal((size, base.shape[1])))
        scale = rng.uniform(0.6, 1.2, size)[:, None].astype(np.float32)
        yield unit(base[rng.integers(0, len(base), size)] + scale * noise)
        done, seed = done + size, seed + 1


def measure(base: np.ndarray, queries: np.ndarray, n: int, args) -> list[dict]:
    spec = VectorSpec.ivf_for(n)
    dims = base.shape[1]
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dims), dims, spec.nlist, faiss.METRIC_INNER_PRODUCT)
    sq8 = faiss.IndexIVFScalarQuantizer(
        faiss.IndexFlatIP(dims), dims, spec.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    flat = faiss.IndexFlatIP(dims) if n <= args.flat_up_to else None
    train_seconds = {}
    sample = _training_sample(base, n, spec.nlist * TRAIN_POINTS_PER_LIST)
    for name, index in (("ivf", ivf), ("ivf-sq8", sq8)):
        index.cp.niter = 10
        started = time.perf_counter()
        index.train(sample)
        train_seconds[name] = time.perf_counter() - started
    add_seconds = dict.fromkeys(("flat", "ivf", "ivf-sq8"), 0.0)
    truth_scores = np.full((len(queries), K), -np.inf, np.float32)
    truth_ids = np.full((len(queries), K), -1, np.int64)
    offset = 0
    for block in blocks(base, n):
        scores, ids = faiss.knn(queries, block, K, faiss.METRIC_INNER_PRODUCT)
        merged_s = np.concatenate([truth_scores, scores], axis=1)
        merged_i = np.concatenate([truth_ids, ids + offset], axis=1)
        order = np.argsort(-merged_s, axis=1)[:, :K]
        truth_scores, truth_ids = np.take_along_axis(merged_s, order, 1), np.take_along_axis(merged_i, order, 1)
        for name, index in (("flat", flat), ("ivf", ivf), ("ivf-sq8", sq8)):
            if index is not None:
                started = time.perf_counter()
                index.add(block)
                add_seconds[name] += time.perf_counter() - started
        offset += len(block)
        print(f"{n}: {offset} vectors added", flush=True)
    rows = []
    settings = [("flat", flat, 0)] if flat is not None else []
    settings += [("ivf", ivf, p) for p in sorted({max(1, spec.nprobe // 2), spec.nprobe, spec.nprobe * 2})]
    settings += [("ivf-sq8", sq8, spec.nprobe)]
    for name, index, nprobe in settings:
        if nprobe:
            index.nprobe = nprobe
        latencies, found = _search(index, queries)
        recall = np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth_ids, strict=True)])
        rows.append(
            {
                "vectors": n,
                "index": name,
                "nlist": spec.nlist if name != "flat" else None,
                "nprobe": nprobe or None,
                "shipped": name == ("ivf" if n >= Settings().ann_threshold else "flat") and nprobe in (0, spec.nprobe),
                "recall_at_10": round(float(recall), 4),
                "latency_ms_p50": round(float(np.percentile(latencies, 50)), 2),
                "latency_ms_p95": round(float(np.percentile(latencies, 95)), 2),
                "index_mb": round(_bytes(index) / 2**20, 1),
                "train_s": round(train_seconds.get(name, 0.0), 1),
                "add_s": round(add_seconds[name], 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def _training_sample(base: np.ndarray, n: int, size: int) -> np.ndarray:
    """A k-means sample spread over the whole collection (its first blocks, which are drawn at random)."""
    parts, total = [], 0
    for block in blocks(base, n):
        parts.append(block)
        total += len(block)
        if total >= size * 2:
            break
    pool = np.concatenate(parts)
    return pool[np.random.default_rng(0).choice(len(pool), min(size, len(pool)), replace=False)]


def _search(index: faiss.Index, queries: np.ndarray) -> tuple[list[float], np.ndarray]:
    index.search(queries[:5], K)  # warm-up
    latencies, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), K)
        latencies.append(1000 * (time.perf_counter() - started))
        found.append(ids[0])
    return latencies, np.array(found)


def _bytes(index: faiss.Index) -> int:
    """Size of the index's data: its vectors or codes, ids and coarse centroids."""
    if isinstance(index, faiss.IndexFlat):
        return index.ntotal * index.code_size
    return index.ntotal * (index.invlists.code_size + 8) + index.nlist * index.d * 4


def table(rows: list[dict], args, real: int) -> str:
    caption = (
        f"Vector search, {args.queries} real questions one at a time, k={K}; collection: {real:,} real chunk "
        f"vectors plus synthetic ones around them; {len(os.sched_getaffinity(0))} cores, FAISS {faiss.__version__}"
    )
    columns = ["vectors", "index", "nlist", "nprobe", "recall@10", "p50 ms", "p95 ms", "index MB", "train s", "add s"]
    cells = [
        [f"{r['vectors']:,}", r["index"] + (" (default)" if r["shipped"] else ""), r["nlist"] or "-"]
        + [r["nprobe"] or "-", f"{r['recall_at_10']:.3f}", r["latency_ms_p50"], r["latency_ms_p95"]]
        + [r["index_mb"], r["train_s"], r["add_s"]]
        for r in rows
    ]
    return report.markdown(caption, columns, cells)


if __name__ == "__main__":
    main()
