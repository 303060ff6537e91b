"""Follow-up questions: a pronoun that points back at the previous turn is replaced by what it points at."""

from __future__ import annotations

import re

from .question import AnswerType, Question

PERSON = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
THING = re.compile(r"\b(it|its)\b", re.I)
PLACE = re.compile(r"\bthere\b", re.I)
POSSESSIVE = {"his", "hers", "its"}
_NOT_A_NOUN = {"about", "to", "for", "with", "at", "in", "on", "from", "by", "of", "and", "or", "as", "that", "if"}
MAX_WORDS = 8  # longer answers are descriptions, not something a pronoun names
# answer types whose answer a later pronoun can stand for, and which pronouns
PRONOUNS_FOR = {AnswerType.PERSON: PERSON, AnswerType.PLACE: PLACE, AnswerType.ENTITY: THING}
NEEDS_ANSWER = PRONOUNS_FOR.keys()  # the antecedent is the previous answer


def antecedent(previous: Question, answer: str | None) -> tuple[str, re.Pattern] | None:
    """What a pronoun in the next question may stand for after `previous` was answered with `answer`, and
    which pronouns: "who threatened sanctions?" -> Boris Johnson for he/him/his; "who is Dmitry Peskov?" ->
    Dmitry Peskov; "where are the talks?" -> Lucca for "there"; "what killed 80 people?" -> it."""
    if previous.type == AnswerType.DEFINITION:
        person = previous.text.lstrip().lower().startswith("who")
        return previous.topic, PERSON if person else THING
    if not answer or len(answer.split()) > MAX_WORDS or previous.type not in PRONOUNS_FOR:
        return None
    return answer, PRONOUNS_FOR[previous.type]


def resolve(question: str, previous: Question, answer: str | None) -> str | None:
    """`question` with its first matching pronoun replaced, or None when nothing points back."""
    found = antecedent(previous, answer)
    if not found:
        return None
    name, pronouns = found
    m = pronouns.search(question)
    if not m:
        return None
    word, rest = m.group(0).lower(), re.findall(r"[\w'’-]+", question[m.end() :])
    if pronouns is PLACE:
        replacement = f"in {name}"
    elif word in POSSESSIVE or (word == "her" and rest and rest[0].lower() not in _NOT_A_NOUN):
        replacement = f"{name}'s"
    else:
        replacement = name
    return question[: m.start()] + replacement + question[m.end() :]
