"""Two answerers in turn: the first answers every question, and a second, stronger and slower, re-reads those the
first is unsure of. Most questions cost the first reader's time alone; the hard ones get the better judge."""

from __future__ import annotations

from collections.abc import Sequence

from qa.answering.base import Answerer, Answers
from qa.types import Passage


class Cascade:
    """`first`'s reply when its confidence reaches `below`, else `second`'s (its answers, or its abstention: the
    second reader is the better judge of both)."""

    def __init__(self, first: Answerer, second: Answerer, below: float):
        self.first, self.second, self.below = first, second, below

    def answers(self, question: str, passages: list[Passage], shown: Sequence[str] = ()) -> Answers:
        reply = self.first.answers(question, passages, shown)
        if reply.confidence >= self.below:
            return reply
        return self.second.answers(question, passages, shown)
