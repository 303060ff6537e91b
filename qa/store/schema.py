"""The SQLite schema of a generation's metadata, its migration, and the queries BM25 is built from."""

from __future__ import annotations

import sqlite3

import numpy as np

from qa.text.chunking import passage_text
from qa.text.tokens import terms

META_COLUMNS = {"published": "''", "url": "''", "outlet": "''", "authors": "'[]'"}  # added after format 1 (default)
SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT NOT NULL, source TEXT NOT NULL,
    content_hash TEXT NOT NULL, added_at REAL NOT NULL, published TEXT NOT NULL DEFAULT '',
    url TEXT NOT NULL DEFAULT '', outlet TEXT NOT NULL DEFAULT '', authors TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
"""


def migrate(db: sqlite3.Connection) -> None:
    """Create the tables, or bring a copy of an older generation's up to date (it gains the metadata columns)."""
    db.executescript(SCHEMA)
    have = article_columns(db)
    for column, default in META_COLUMNS.items():
        if column not in have:
            db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT NOT NULL DEFAULT {default}")


def article_columns(db: sqlite3.Connection) -> set[str]:
    """The columns the articles table has (a generation written before metadata lacks META_COLUMNS)."""
    return {row[1] for row in db.execute("PRAGMA table_info(articles)")}


def chunk_terms(db: sqlite3.Connection, after: int = 0) -> list[list[str]]:
    """The BM25 terms of the chunks with ids above `after`, in id order (SQLite's substr counts characters, as
    Python's offsets do, so only the chunk's text is read)."""
    rows = db.execute(
        'SELECT a.title, substr(a.text, c.start + 1, c."end" - c.start) FROM chunks c '
        "JOIN articles a ON a.id = c.article_id WHERE c.id > ? ORDER BY c.id",
        (after,),
    )
    return [passage_terms(title, chunk) for title, chunk in rows]


def chunk_ids(db: sqlite3.Connection, up_to: int = 2**63 - 1) -> np.ndarray:
    """The ids of the chunks, up to `up_to`, in order."""
    rows = db.execute("SELECT id FROM chunks WHERE id <= ? ORDER BY id", (up_to,))
    return np.fromiter((r[0] for r in rows), dtype=np.int64)


def passage_terms(title: str, chunk: str) -> list[str]:
    """A chunk's BM25 terms: its passage text's search terms."""
    return terms(passage_text(title, chunk))
