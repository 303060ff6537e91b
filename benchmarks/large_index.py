"""A large index for end-to-end benchmarks without embedding millions of chunks: a built index's articles are
written again as copies (new ids, same texts) until there are `--chunks` chunks, each copy's vectors drawn around
the original's (unit noise scaled 0.6-1.2, as `benchmarks.search` does). Retrieval, BM25 and the reader then work
at full size; the originals stay in, so their questions still have answers. Then it measures, as
`benchmarks.build` does, how long a new process takes to open the index and how long adding one article takes.

    .venv/bin/python -m benchmarks.large_index --source INDEX_DIR --out INDEX_DIR [--chunks 1000000]
"""

from __future__ import annotations

import argparse
import functools
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.build import open_and_add
from benchmarks.search import unit
from qa import QAService
from qa.settings import Settings
from qa.store import schema
from qa.store.snapshot import Snapshot
from qa.store.vectors import contents
from qa.store.writer import writing
from qa.text.chunking import Span


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--source", type=Path, required=True, help="a built index (e.g. the build benchmark's)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--chunks", type=int, default=1_000_000)
    args = p.parse_args()
    started = time.perf_counter()
    source = Snapshot(args.source)
    ids, vectors = contents(source.vectors)
    row = {int(i): n for n, i in enumerate(ids)}
    by_article: dict[str, list] = {}
    for c in source.chunks:
        by_article.setdefault(c.article_id, []).append(c)
    rng = np.random.default_rng(0)
    schema.passage_terms = functools.lru_cache(maxsize=None)(
        schema.passage_terms
    )  # copies repeat texts: their terms once
    total, copy = 0, 0
    with writing(args.out, replace(source.manifest, generation=0), True, Settings().ann_threshold) as w:
        while total < args.chunks:
            for article in source.articles.values():
                chunks = by_article.get(article.id, [])
                if not chunks:
                    continue
                own = vectors[[row[c.id] for c in chunks]]
                if copy:
                    article = replace(article, id=f"{article.id}~{copy}")
                    noise = unit(rng.standard_normal(own.shape)) * rng.uniform(0.6, 1.2, (len(own), 1))
                    own = unit(own + noise.astype(np.float32))
                w.add(article, [Span(c.start, c.end) for c in chunks], own)
                total += len(chunks)
                if total >= args.chunks:
                    break
            copy += 1
            print(f"{total:,} chunks written ({time.perf_counter() - started:.0f}s)", flush=True)
    print(f"wrote {args.out}: {total:,} chunks in {time.perf_counter() - started:.0f}s")
    print(open_and_add(QAService(Settings.from_env(os.environ, progress=False).replace(index_dir=args.out))))


if __name__ == "__main__":
    main()
