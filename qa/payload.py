"""How an answer is shown: its JSON shape (the API and `qa ask --json`) and the labels the chat page and `qa ask`
print."""

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
    since: str | None  # only articles published on or after this date were searched (None: no limit)
    until: str | None  # ... and on or before this one


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
        no_answer_message(result) if result.abstained else None,
        result.interpreted,
        result.since or None,
        result.until or None,
    )


def no_answer_message(result: Result) -> str:
    """What an abstention says: "No answer found in the indexed articles." ("No other answer" after "who
    else?") and the dates searched, if limited."""
    window = published_window(result.since, result.until)
    message = NO_ANSWER.replace("No answer", "No other answer") if result.more else NO_ANSWER
    return f"{message[:-1]} {window}." if window else message


def published_window(since: str, until: str) -> str:
    """The dates searched, as the chat says them: "published from 2017-04-01 to 2017-04-30", "published from
    2017-04-01 on", "published up to 2017-04-30"; "" when all dates were searched."""
    if since and until:
        return f"published from {since} to {until}"
    return f"published from {since} on" if since else f"published up to {until}" if until else ""


def result_payload(result: Result) -> dict:
    return asdict(to_response(result))


def score_label(score: float, answerer: str) -> str:
    """The reader's calibrated probability as "76% likely right"; the rules' match score as "score 0.76"."""
    return f"{100 * score:.0f}% likely right" if answerer == "reader" else f"score {score:.2f}"


def dateline(citation) -> list[str]:
    """What a citation says of its article beyond the title, where known: "as of <date>" and the outlet."""
    return [x for x in (f"as of {citation.published[:10]}" if citation.published else "", citation.source) if x]
