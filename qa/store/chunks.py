"""A generation's chunks (article spans) in id order, held as arrays."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

import numpy as np

from qa.types import Chunk


class Chunks(Sequence[Chunk]):
    """A generation's chunks in id order, held as arrays (a million `Chunk` objects would cost ~300 MB)."""

    def __init__(self, rows: Iterable[tuple[int, str, int, int]]):
        rows_of: dict[str, int] = {}
        rows, parts = iter(rows), [np.zeros((0, 4), np.int64)]
        while batch := list(islice(rows, 65536)):  # in batches: no million tuples alive at once
            parts.append(np.array([(c, rows_of.setdefault(a, len(rows_of)), s, e) for c, a, s, e in batch], np.int64))
        self.article_ids = list(rows_of)
        columns = np.concatenate(parts).T
        self.ids, self.starts, self.ends = columns[0].copy(), columns[2].copy(), columns[3].copy()
        self.article_rows = columns[1].astype(np.int32)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> Chunk:  # type: ignore[override]  # no slices
        if not -len(self.ids) <= i < len(self.ids):
            raise IndexError(i)
        return Chunk(int(self.ids[i]), self.article_ids[self.article_rows[i]], int(self.starts[i]), int(self.ends[i]))

    def row(self, chunk_id: int) -> int:
        """The position of the chunk with this id (ids ascend: a binary search)."""
        i = int(np.searchsorted(self.ids, chunk_id))
        if i == len(self.ids) or self.ids[i] != chunk_id:
            raise KeyError(chunk_id)
        return i

    def by_id(self, chunk_id: int) -> Chunk:
        return self[self.row(chunk_id)]
