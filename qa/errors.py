"""Every error the service raises on purpose, under one base (`QAError`), so that the CLI and the web app each
map them to exit codes and HTTP statuses in one place. Each also keeps the builtin base callers catch."""

from __future__ import annotations

from pathlib import Path

MAX_LISTED = 20  # problems one ArticleError names; the rest are counted


class QAError(Exception):
    """A request the service refuses or a resource it cannot use; the message says which and what to do."""


class ArticleError(QAError, ValueError):
    """Articles that cannot be read: each problem names its file (and line) and what is wrong with it. Loading
    goes on past a bad file or line so that one error names every problem found (the first `MAX_LISTED`)."""

    def __init__(self, *problems: str):
        self.problems = list(problems)
        listed = [f"  {p}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            listed.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        super().__init__(problems[0] if len(problems) == 1 else "\n".join([f"{len(problems)} problems:", *listed]))


class QuestionError(QAError, ValueError):
    """A question the service will not try to answer (empty, too long, bad history or dates)."""


class UnknownArticle(QAError, KeyError):
    """No article with this id is indexed."""

    def __str__(self) -> str:
        return f"no article with id {self.args[0]!r}"


class FeedbackError(QAError, ValueError):
    """Feedback that is not stored: the message says what is wrong with it."""


class FeedbackUnavailable(QAError, RuntimeError):
    """The feedback file cannot be written (a read-only or missing place): nothing was stored."""


class IndexStateError(QAError, RuntimeError):
    """The index is missing, unreadable or was built with other settings."""

    @classmethod
    def missing(cls, index_dir: Path) -> IndexStateError:
        return cls(f"no index in {index_dir}; build one with `qa index build`")


class IndexWriteError(IndexStateError):
    """The file system refused a write (read-only, full, permissions); the previous generation is untouched."""


class Busy(QAError, RuntimeError):
    """More questions are being answered or waiting than `max_pending` allows; ask again in a moment."""

    retry_after = 1  # seconds


class ModelError(QAError, RuntimeError):
    """The embedding model cannot be found or loaded."""


class ReaderError(QAError, RuntimeError):
    """The reader model cannot be found or loaded."""


class ClusterError(QAError, RuntimeError):
    """Ray is not installed or the cluster cannot be reached."""


class Abandoned(QAError, RuntimeError):
    """The one who asked has gone (closed the page, timed out) while the question waited: it is dropped unread,
    so that the cores go to questions someone still waits for."""
