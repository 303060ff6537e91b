"""Extractive question answering over news articles: indexing, retrieval and answering (no web code)."""

from importlib import import_module

_EXPORTS = {"QAService": "service", "QuestionError": "errors", "UnknownArticle": "errors", "Settings": "settings"}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    """The exports load on first use, so that reader training (`qa.training`) runs without the index's libraries."""
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
