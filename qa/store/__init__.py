"""Store: the index on disk as atomic generations (manifest, SQLite, FAISS, BM25), written and served."""
