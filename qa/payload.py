"""How an answer is shown: its JSON shape (the API and `qa ask --json`) and the labels the chat page and `qa ask`
print."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from qa.types import Answer, Result

NO_ANSWER = "No answer found in the indexed articles."
SENTENCE_LIKE = 0.8  # an answer this much of its sentence's length is shown once, as the highlighted quote
UNSURE = 0.6  # a reader's answer below this probability is drawn as uncertain
NOT_SURE = "No answer the reader is sure of: its best guess is below, with the passages it read."


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
    guess: Answer | None = None  # after an abstention, the reader's best candidate, which is not an answer


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
        result.guess,
    )


def no_answer_message(result: Result) -> str:
    """What an abstention says: "No answer found in the indexed articles." ("No other answer" after "who
    else?"), or that the reader has a guess it is not sure of; and the dates searched, if limited."""
    window = published_window(result.since, result.until)
    message = NOT_SURE if result.guess else NO_ANSWER
    message = message.replace("No answer", "No other answer") if result.more else message
    return f"{message[:-1]} {window} (articles without a date are left out)." if window else message


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


def score_help(answerer: str) -> str:
    """What the score means, said once beside it (the chat's tooltip)."""
    if answerer == "reader":
        return (
            "The reader's estimate that this answer is right, measured on questions it was not trained on: "
            "of answers shown at 70%, about 7 in 10 were right."
        )
    return "How well the sentence matches the question (0 to 1); not a probability."


def cited_as(citation) -> str:
    """A citation as a person writes one: outlet, date, title, where known ("Reuters · 2017-04-11 · Russian
    military officers could face sanctions"); the quote beside it says the rest."""
    return " · ".join(x for x in (citation.source, citation.published[:10], citation.title) if x)


def by_article(passages: list[PassageView]) -> list[list[PassageView]]:
    """Passages grouped by their article, in rank order of each article's first: its title is said once."""
    groups: dict[str, list[PassageView]] = {}
    for p in passages:
        groups.setdefault(p.article_id, []).append(p)
    return list(groups.values())
