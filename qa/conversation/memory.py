"""Conversation memory: how a follow-up is read given the turns before it, and which answers each turn showed."""

from __future__ import annotations

import threading
from collections.abc import Callable

from qa.conversation.ellipsis import asks_for_more, fill_in, fragment
from qa.conversation.pronouns import NEEDS_ANSWER, resolve
from qa.text.question import analyse

ANSWER_MEMORY = 1024  # recent (conversation -> answers shown) pairs kept for follow-ups (at most ~6 MB of keys)
Window = tuple[str, str]  # the publication dates searched (ISO dates; "" for open)


class Conversation:
    """Remembers the answers shown for recent conversations, keyed by what they depend on: the index generation
    (`stamp()`), the dates searched and the questions so far. A turn not answered here (an API client may send
    history it asked elsewhere) is asked again with `ask(question, history, window)`, which calls `remember`."""

    def __init__(self, stamp: Callable[[], tuple], ask: Callable[[str, list[str], Window], object]):
        self._stamp, self._ask = stamp, ask
        self._answered: dict[tuple, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def read(self, question: str, history: list[str], window: Window = ("", "")) -> tuple[str, str]:
        """The question to read and the text to search with. An elliptical follow-up ("and the British one?")
        is filled in from the previous question as it was read; a pronoun that points back at the previous
        turn's answer (or topic) is replaced by it (the previous turn asked again, if need be, over the same
        publication dates `window`); another follow-up searches with the previous question too."""
        more = asks_for_more(question)
        elliptical = not more and fragment(question) is not None
        if not history or not (more or elliptical or analyse(question).is_follow_up):
            return question, question
        before = self.read(history[-1], history[:-1], window)[0]
        if more:  # "who else?": the previous question again (the answers shown for it are left out)
            return before, before
        if elliptical:
            resolved = fill_in(question, before)
        else:
            previous, answer = analyse(before), None
            if previous.type in NEEDS_ANSWER:
                answer = next(iter(self._answers_of(history, window)), None)
            resolved = resolve(question, previous, answer)
        return (resolved, resolved) if resolved else (question, f"{before} {question}")

    def shown_before(self, question: str, history: list[str], window: Window) -> list[str]:
        """For "who else?", the answers shown for the question it asks again: those of the last turn and, while
        those turns were "who else?" too, of the turns before it (none for any other question)."""
        shown: list[str] = []
        if not history or not asks_for_more(question):
            return shown
        for n in range(len(history), 0, -1):
            shown[:0] = self._answers_of(history[:n], window)
            if not asks_for_more(history[n - 1]):
                break
        return shown

    def remember(self, stamp: tuple, turns: list[str], window: Window, answers: tuple[str, ...]) -> None:
        with self._lock:
            self._answered[(stamp, window, *turns)] = answers
            while len(self._answered) > ANSWER_MEMORY:
                self._answered.pop(next(iter(self._answered)))

    def _answers_of(self, history: list[str], window: Window) -> tuple[str, ...]:
        """The answers shown for the last turn of `history` (asked again, over the same dates, if need be)."""
        key = (self._stamp(), window, *history)
        if key not in self._answered:
            self._ask(history[-1], history[:-1], window)  # remembers them
        return self._answered.get(key, ())


def other_than(question: str, shown: list[str]) -> str:
    """ "who else?" as read: the question again, "other than" the answers shown ("A", "A and B", "A, B and C")."""
    names = list(dict.fromkeys(shown))
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{question.rstrip('?!. ')}, other than {listed}?"
