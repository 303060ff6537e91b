"""Text: sentences and chunks, search terms, question analysis and answer metrics (no models, no index)."""
