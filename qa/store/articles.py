"""A generation's articles as a read-only mapping over its SQLite file, recent ones cached."""

from __future__ import annotations

import heapq
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from itertools import islice

from qa.store.schema import META_COLUMNS, article_columns
from qa.types import Article, ArticleSummary


class Articles(Mapping[str, Article]):
    """A generation's articles, their text read from its SQLite file when asked for (recent ones cached). The
    connection opens with the snapshot: a later commit deletes the file, and an open file stays readable."""

    def __init__(self, db: sqlite3.Connection, cached: int = 256):
        self.db, self.lock = db, threading.Lock()
        with self.lock:  # titles come before the text in a row: this reads none of the text
            self.titles = dict(db.execute("SELECT id, title FROM articles ORDER BY id").fetchall())
            have = article_columns(db)
            dated = "SELECT id, published FROM articles WHERE published != ''"
            self.published = dict(db.execute(dated).fetchall()) if "published" in have else {}
        # a generation written before metadata was stored reads as articles without it
        self.columns = ", ".join(c if c in have else f"{d} AS {c}" for c, d in META_COLUMNS.items())
        # least recently read last out; no cycle back to self, so a dropped snapshot closes its file at once
        self.cached, self.recent = cached, OrderedDict()
        self._newest: dict[int, list[tuple[str, str, str]]] = {}  # by limit: the same for the generation's life

    def __getitem__(self, article_id: str) -> Article:
        if article_id not in self.titles:  # unknown ids never reach SQLite or the cache
            raise KeyError(article_id)
        with self.lock:
            article = self.recent.pop(article_id, None)
            if article is None:
                query = f"SELECT id, title, text, source, {self.columns} FROM articles WHERE id = ?"
                *head, authors = self.db.execute(query, (article_id,)).fetchone()
                article = Article(*head, authors=tuple(json.loads(authors)))
            self.recent[article_id] = article
            if len(self.recent) > self.cached:
                self.recent.popitem(last=False)
        return article

    def __iter__(self) -> Iterator[str]:
        return iter(self.titles)

    def __len__(self) -> int:
        return len(self.titles)

    def page(self, offset: int = 0, limit: int | None = None) -> list[ArticleSummary]:
        """Up to `limit` articles (None: all) in id order from the `offset`-th, listed without their text."""
        query = "SELECT id, title, length(text) FROM articles ORDER BY id LIMIT ? OFFSET ?"
        with self.lock:
            rows = self.db.execute(query, (-1 if limit is None else limit, offset)).fetchall()
        return [ArticleSummary(*r) for r in rows]

    def newest(self, limit: int) -> list[tuple[str, str, str]]:
        """Up to `limit` articles as (id, title, published), newest first; undated ones follow in id order."""
        if limit not in self._newest:
            dated = heapq.nlargest(limit, self.published.items(), key=lambda item: (item[1], item[0]))
            undated = islice((i for i in self.titles if i not in self.published), max(0, limit - len(dated)))
            rows = [(i, self.titles[i], day) for i, day in dated] + [(i, self.titles[i], "") for i in undated]
            self._newest[limit] = rows
        return self._newest[limit]
