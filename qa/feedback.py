"""Answer feedback: "correct" / "wrong" verdicts on shown answers, kept in SQLite, exported as `qa eval` questions."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from qa.conversation.inputs import question_text
from qa.errors import FeedbackError, FeedbackUnavailable
from qa.store.files import write_whole

VERDICTS = ("correct", "wrong")
MAX_ANSWER_CHARS = 1000
SCHEMA = """CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
    article_id TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, verdict TEXT NOT NULL)"""


@dataclass(frozen=True)
class Feedback:
    """A verdict on one answer: the question, the answer's text and where it was quoted from."""

    question: str
    answer: str
    article_id: str
    start: int
    end: int
    verdict: str
    created: float = 0.0
    id: int = 0

    @classmethod
    def on(
        cls,
        text: str,
        question: str,
        answer: str,
        article_id: str,
        start: int,
        end: int,
        verdict: str,
        question_limit: int,
    ) -> Feedback:
        """A verdict on an answer shown from article `article_id`, whose `text` (as indexed now) must hold the
        answer at characters `start`-`end`."""
        question = question_text(question, question_limit, FeedbackError)
        if not answer or len(answer) > MAX_ANSWER_CHARS:
            raise FeedbackError(f"answer must have 1 to {MAX_ANSWER_CHARS} characters")
        if not 0 <= start < end <= len(text) or text[start:end] != answer:
            raise FeedbackError(f"characters {start}-{end} of article {article_id!r} are not the answer given")
        return cls(question, answer, article_id, start, end, verdict)


class FeedbackLog:
    """Feedback in its own SQLite file, outside every index generation (rebuilds keep it); safe across threads
    and worker processes (SQLite's own locking)."""

    def __init__(self, path: Path):
        self.path, self.lock = Path(path), threading.Lock()

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.execute(SCHEMA)
        return db

    def add(self, item: Feedback) -> int:
        """Store `item` (stamped now); returns its id."""
        if item.verdict not in VERDICTS:
            raise FeedbackError(f"verdict must be one of {', '.join(VERDICTS)}, not {item.verdict!r}")
        row = (time.time(), item.question, item.answer, item.article_id, item.start, item.end, item.verdict)
        try:
            with self.lock, closing(self._open()) as db, db:
                cursor = db.execute(
                    'INSERT INTO feedback (created, question, answer, article_id, start, "end", verdict) '
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                return int(cursor.lastrowid)
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackUnavailable(f"cannot store feedback in {self.path}: {exc}") from None

    def all(self) -> list[Feedback]:
        """Everything stored, oldest first."""
        if not self.path.exists():
            return []
        with self.lock, closing(self._open()) as db:
            rows = db.execute(
                'SELECT question, answer, article_id, start, "end", verdict, created, id FROM feedback ORDER BY id'
            ).fetchall()
        return [Feedback(*r) for r in rows]

    def export(self, target: Path, verdict: str = "correct") -> int:
        """Write the feedback with `verdict` to `target` (JSON lines, written whole or not at all); returns the
        number of lines. "correct": one `qa eval` question per question, its answers the ones marked correct.
        "wrong": one line per verdict, for review (the right answer is not known)."""
        if verdict not in VERDICTS:
            raise FeedbackError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        chosen = [f for f in self.all() if f.verdict == verdict]
        if verdict == "correct":
            questions: dict[str, dict] = {}
            for f in chosen:
                q = questions.setdefault(f.question, {"id": f"feedback-{f.id}", "question": f.question, "answers": []})
                if f.answer not in q["answers"]:
                    q["answers"].append(f.answer)
            lines = list(questions.values())
        else:
            lines = [
                {"id": f"feedback-{f.id}", "question": f.question, "wrong_answer": f.answer, "article_id": f.article_id,
                 "start": f.start, "end": f.end}
                for f in chosen
            ]  # fmt: skip
        write_whole(target, "".join(json.dumps(line) + "\n" for line in lines))
        return len(lines)
