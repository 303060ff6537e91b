"""Extractive question answering over news articles: indexing, retrieval and answering (no web code)."""

from .service import QAService, QuestionError, UnknownArticle
from .settings import Settings

__all__ = ["QAService", "QuestionError", "Settings", "UnknownArticle"]
