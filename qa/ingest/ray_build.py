"""Index builds on Ray: chunking and embedding as a Ray Data pipeline over an actor pool of embedders.

The driver (the `qa index build --ray` process) sends the articles, every actor loads the model once and embeds
batches of chunks, and the driver gets back each article's chunk spans and vectors and writes the generation
itself, atomically, as a single-process build does. Every Ray node needs this project installed
(`pip install -e '.[cluster]'`) and the model available offline, as the driver does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

import numpy as np

from qa.errors import ClusterError
from qa.settings import Settings
from qa.text.chunking import Span, article_passages
from qa.types import Article


def _ray():
    try:
        import ray
        import ray.data  # noqa: F401 - the pipeline needs Ray Data, not only the core
    except ImportError:
        raise ClusterError("--ray needs Ray: pip install -e '.[cluster]' (or pip install 'ray[data,serve]')") from None
    return ray


def connect(address: str | None) -> bool:
    """Join Ray at `address` (`host:port` or `ray://host:port`; empty or None: RAY_ADDRESS, else a local instance
    started here) unless this process has already; True when it connected now (and so shuts Ray down after)."""
    ray = _ray()
    if ray.is_initialized():
        return False
    where = address or os.environ.get("RAY_ADDRESS") or None
    try:
        ray.init(address=where, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster {where!r}: {exc}") from None
    return True


def _chunk_rows(row: dict, chunk_chars: int, chunk_overlap: int) -> list[dict]:
    """article row -> one row per chunk (article position, chunk number, span, the text to embed)."""
    found = article_passages(row["title"], row["text"], chunk_chars, chunk_overlap)
    return [
        {"article": row["position"], "chunk": i, "start": s.start, "end": s.end, "passage": passage}
        for i, (s, passage) in enumerate(found)
    ]


class _Embedder:
    """A Ray actor: loads the embedding model once (one thread per actor CPU) and embeds batches of chunks."""

    def __init__(self, env: dict[str, str]):
        from qa.models.embedding import Embedder

        self.embedder = Embedder.from_settings(Settings.from_env(env), threads=1)
        try:
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors = self.embedder.encode([str(p) for p in batch["passage"]])
        return {**{k: batch[k] for k in ("article", "chunk", "start", "end")}, "vector": vectors}


def chunk_and_embed(
    articles: Sequence[Article],
    settings: Settings,
    chunk_chars: int,
    chunk_overlap: int,
    address: str | None = None,
    actors: int = 0,
) -> list[tuple[list[Span], np.ndarray]]:
    """Each article's chunk spans and their vectors, computed on Ray: `address` is a cluster (`host:port` or
    `ray://host:port`); empty or None uses RAY_ADDRESS, else starts a local Ray instance. `actors` embedders
    (0: one per CPU of the cluster)."""
    ray = _ray()
    started_here = connect(address)
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    try:
        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = settings.progress
        pool = actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        rows = ray.data.from_items(
            [{"position": i, "title": a.title, "text": a.text} for i, a in enumerate(articles)],
            override_num_blocks=min(len(articles), pool * 4) or 1,
        )
        sizes = {"chunk_chars": chunk_chars, "chunk_overlap": chunk_overlap}
        chunks = rows.flat_map(_chunk_rows, fn_kwargs=sizes, num_cpus=0)  # cheap; the embedders hold the CPUs
        embedded = chunks.map_batches(
            _Embedder,
            fn_constructor_args=(settings.to_env(),),
            batch_size=settings.batch_size,
            batch_format="numpy",
            concurrency=pool,
            num_cpus=1,
        )
        out: list[list[tuple[int, int, int, np.ndarray]]] = [[] for _ in articles]
        for batch in embedded.iter_batches(batch_size=1024, batch_format="numpy"):
            for a, c, s, e, v in zip(
                batch["article"], batch["chunk"], batch["start"], batch["end"], batch["vector"], strict=True
            ):
                out[int(a)].append((int(c), int(s), int(e), np.asarray(v, dtype=np.float32)))
    finally:
        if started_here:
            ray.shutdown()
    result = []
    for found in out:
        found.sort(key=lambda r: r[0])
        vectors = np.stack([r[3] for r in found]) if found else np.zeros((0, 0), np.float32)
        result.append(([Span(s, e) for _, s, e, _ in found], vectors))
    return result
