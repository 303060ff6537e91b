"""The JSON shape of an answer (shared by the API and `qa ask --json`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .answer import Answer
from .service import Result

NO_ANSWER = "No answer found in the indexed articles."


@dataclass(frozen=True)
class PassageView:
    article_id: str
    title: str
    start: int
    end: int
    text: str
    score: float


@dataclass(frozen=True)
class AskResponse:
    question: str
    answers: list[Answer]
    passages: list[PassageView]
    abstained: bool
    message: str | None
    interpreted: str | None  # a follow-up as it was read: "what did Boris Johnson say about Syria?"


def to_response(result: Result) -> AskResponse:
    passages = [
        PassageView(p.chunk.article_id, p.title, p.chunk.start, p.chunk.end, p.text, round(p.score, 5))
        for p in result.passages
    ]
    return AskResponse(
        result.question,
        result.answers,
        passages,
        result.abstained,
        NO_ANSWER if result.abstained else None,
        result.interpreted,
    )


def result_payload(result: Result) -> dict:
    return asdict(to_response(result))
