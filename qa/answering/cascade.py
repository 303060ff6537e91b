"""Two answerers in turn: the first answers every question, and a second, stronger and slower, re-reads those the
first is unsure of. Most questions cost the first reader's time alone; the hard ones get the better judge."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from qa.answering.base import Answerer, Answers
from qa.types import Passage


class Cascade:
    """`first`'s reply when its confidence reaches `below`, else the `second` answerer's: its answers replace the
    first's, and its abstention confirms the first's. Where the first did answer (re-read because `below` is above
    its own threshold), the second's abstention does not take that answer away: re-reading up to 0.8 with such
    vetoes cost open SQuAD v1.1 3 points of right answers and news nothing (the reader's model card, "The second
    reader replaces answers"). The second is made when first needed, so that a one-off `qa ask` the first reader
    is sure of never loads the larger model (a server loads it when warming up)."""

    def __init__(self, first: Answerer, second: Callable[[], Answerer], below: float):
        self.first, self.below = first, below
        self._make, self._second, self._lock = second, None, threading.Lock()

    @property
    def second(self) -> Answerer:
        with self._lock:
            if self._second is None:
                self._second = self._make()
            return self._second

    def answers(self, question: str, passages: list[Passage], shown: Sequence[str] = ()) -> Answers:
        reply = self.first.answers(question, passages, shown)
        if reply.confidence >= self.below:
            return reply
        second = self.second.answers(question, passages, shown)
        return second if second_stands(bool(reply.answers), bool(second.answers)) else reply


def second_stands(first_answered: bool, second_answered: bool) -> bool:
    """Whether the second reader's reply is the cascade's: its answers always, its abstention only where the first
    abstained too (the one rule, shared with `benchmarks.cascade`)."""
    return second_answered or not first_answered
