"""Ingest: articles read from files, uploads, web pages and feeds, and written into the index (here or on Ray)."""
