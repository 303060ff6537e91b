"""The contract every answerer keeps, and the checks and ordering the service applies to any answerer's answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple, Protocol

from qa.text.metrics import normalize
from qa.types import Answer, Article, Passage

READ_CHARS = 4000  # of each passage: chunks are cut near chunk_chars, but an index built before that may hold more


class Answers(NamedTuple):
    """An answerer's reply: the answers to show (none: abstain), how sure it is of its best candidate (reported
    even when abstaining), and, after an abstention, a candidate worth showing as a guess (None: none)."""

    answers: list[Answer]
    confidence: float
    guess: Answer | None = None


class Answerer(Protocol):
    """Reads the passages retrieved for a question and answers from them; its thresholds are set when it is made
    (`qa.answering.choice.answerer`), so every answerer is called alike."""

    def answers(self, question: str, passages: list[Passage], shown: Sequence[str] = ()) -> Answers:
        """Answers to `question` quoted from `passages`, passing over those naming one of the answers `shown`
        before ("who else?")."""
        ...


def repeats(text: str, shown: Sequence[str]) -> bool:
    """`text` names an answer already shown: the same words, or a part of it or more around it ("Johnson" and
    "Boris Johnson")."""
    words = f" {normalize(text)} "
    return words.strip() != "" and any(
        (other := f" {normalize(s)} ").strip() and (words in other or other in words) for s in shown
    )


def verified(articles: Mapping[str, Article], answer: Answer) -> bool:
    """The citation really points at the answer text, inside the quoted sentence, of the article as indexed."""
    c = answer.citation
    text = articles[c.article_id].text
    return (
        bool(answer.text.strip())
        and text[c.start : c.end] == answer.text
        and text[c.sentence_start : c.sentence_end] == answer.sentence
        and c.sentence_start <= c.start < c.end <= c.sentence_end
    )


def newest_first(answers: list[Answer], published: Mapping[str, str]) -> list[Answer]:
    """Answers from differently dated articles, the newest article's first (newer reporting supersedes
    older); the order is kept otherwise, and among answers from the same date."""
    dates = [published.get(a.citation.article_id, "") for a in answers]
    if len({d for d in dates if d}) < 2:
        return answers
    order = sorted(range(len(answers)), key=lambda i: dates[i], reverse=True)  # stable: ties keep their order
    return [answers[i] for i in order]
