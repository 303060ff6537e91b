"""A question, its history and its dates as the service accepts them, or a QuestionError that says why not."""

from __future__ import annotations

from collections.abc import Iterable

from qa.errors import QAError, QuestionError
from qa.ingest.metadata import parse_iso


def question_text(question: str | None, limit: int, error: type[QAError] = QuestionError) -> str:
    """The question with its white space collapsed, refused (as `error`) when empty or over `limit` characters."""
    text = " ".join((question or "").split())
    if not text:
        raise error("question must not be empty")
    if len(text) > limit:
        raise error(f"question is {len(text)} characters long; the limit is {limit}")
    return text


def history_texts(history: Iterable[str], limit: int, keep: int) -> list[str]:
    """The last `keep` non-empty earlier questions, white space collapsed, each at most `limit` characters."""
    texts = [" ".join(h.split()) for h in history if h and h.strip()][-keep:]  # keep=0: all
    if any(len(h) > limit for h in texts):
        raise QuestionError(f"history questions are limited to {limit} characters each")
    return texts


def date_window(since: str, until: str) -> tuple[str, str]:
    """`since` and `until` checked as ISO dates (YYYY-MM-DD, "" for open), `since` not after `until`."""
    for name, value in (("since", since), ("until", until)):
        try:
            if value and (len(value) != 10 or parse_iso(value) != value):
                raise ValueError
        except ValueError:
            raise QuestionError(f"{name} must be a date as YYYY-MM-DD, not {value!r}") from None
    if since and until and since > until:
        raise QuestionError(f"since ({since}) is after until ({until})")
    return since or "", until or ""


def passage_count(k: int | None, default: int, most: int) -> int:
    k = default if k is None else k
    if not 1 <= k <= most:
        raise QuestionError(f"k must be between 1 and {most}")
    return k
