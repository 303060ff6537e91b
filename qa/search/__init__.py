"""Search: the passages of one index snapshot that best match a question, dense and BM25 fused."""
