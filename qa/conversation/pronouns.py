"""Follow-ups that point back: a pronoun naming the previous turn's answer or topic is replaced by it."""

from __future__ import annotations

import re

from qa.conversation.ellipsis import LINKS, WH
from qa.text.question import AnswerType, Question

PERSON = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
THING = re.compile(r"\b(it|its)\b", re.I)
PLACE = re.compile(r"\bthere\b", re.I)
THEY = re.compile(r"\b(they|them|their|theirs)\b", re.I)
POSSESSIVE = {"his", "hers", "its", "their", "theirs"}
# plurals without a final s, and words that end in s without being plurals
_PLURALS = {"people", "police", "children", "men", "women", "staff", "crew", "cattle"}
_NOT_PLURALS = {"news", "series", "species", "means", "this", "thus", "whereas", "always", "perhaps", "towards"}
_QUANTIFIERS = {"more", "less", "fewer", "about", "some", "many", "several", "most", "all", "two", "three", "the"}
_NOT_A_NOUN = {"about", "to", "for", "with", "at", "in", "on", "from", "by", "of", "and", "or", "as", "that", "if"}
MAX_WORDS = 8  # longer answers are descriptions, not something a pronoun names
# answer types whose answer a later pronoun can stand for, and which pronouns
PRONOUNS_FOR = {AnswerType.PERSON: PERSON, AnswerType.PLACE: PLACE, AnswerType.ENTITY: THING}
NEEDS_ANSWER = PRONOUNS_FOR.keys()  # the antecedent is the previous answer


def antecedents(previous: Question, answer: str | None) -> list[tuple[str, re.Pattern]]:
    """What a pronoun in the next question may stand for after `previous` was answered with `answer`, and
    which pronouns: "who threatened sanctions?" -> Boris Johnson for he/him/his; "who is Dmitry Peskov?" ->
    Dmitry Peskov; "where are the talks?" -> Lucca for "there"; "what killed 80 people?" -> it; "who began a
    strike?" -> drivers for they/them/their, unless the previous question names other things they may be
    ("who crowded onto extra buses?": "them" may be the buses)."""
    if previous.type == AnswerType.DEFINITION:
        words = previous.text.lower().split()
        if len(words) > 1 and words[1] in {"are", "were"}:
            return [(previous.topic, THEY)]
        return [(previous.topic, PERSON if words[0] == "who" else THING)]
    if not answer or not 0 < len(answer.split()) <= MAX_WORDS or previous.type not in PRONOUNS_FOR:
        return []
    found = []
    many = _plural(answer)
    if many and previous.type != AnswerType.PLACE and not _names_plurals(previous.text):
        found.append((_common(answer), THEY))
    either = many and len(answer.split()) == 1 and answer[:1].isupper()  # "Thomas", or "Thieves" opening a sentence
    if previous.type == AnswerType.PLACE or not many or either:  # not "he" for "drivers"
        found.append((answer, PRONOUNS_FOR[previous.type]))
    return found


def _plural(phrase: str) -> bool:
    """Names several: "drivers", "More than 250 firefighters", "Thieves", "Vennholt and Maranek" (not "Thomas
    Jones": a capitalised last word after others is a name)."""
    words = re.findall(r"[\w’'-]+", phrase)
    if not words:
        return False
    if _joined(phrase):
        return True
    head = words[-1]
    if len(words) > 1 and head[0].isupper():
        return False
    return _plural_noun(head.lower())


def _joined(phrase: str) -> bool:
    words = phrase.lower().split()
    return "and" in words[1:-1]


def _plural_noun(word: str) -> bool:
    if word in _PLURALS:
        return True
    return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")) and word not in _NOT_PLURALS


def _names_plurals(question: str) -> bool:
    """A plural noun in `question` other than its verb ("who threatens ..."): something else "they" may mean."""
    words = [w.strip(",;:?!.\"'“”‘’()") for w in question.split()]
    verbs = {i + 1 for i, w in enumerate(words) if w.lower() in WH}
    return any(
        w.isalpha() and w.islower() and w not in LINKS and _plural_noun(w) and i not in verbs
        for i, w in enumerate(words)
    )


def _common(answer: str) -> str:
    """A plural answer without the capital a quantifier had at the start of its sentence ("More than 250
    firefighters" -> "more than 250 firefighters"); anything else as it is ("Thieves" may be a name)."""
    first, _, rest = answer.partition(" ")
    if rest and first[:1].isupper() and first.lower() in _QUANTIFIERS:
        return first[0].lower() + first[1:] + " " + rest
    return answer


def resolve(question: str, previous: Question, answer: str | None) -> str | None:
    """`question` with its first pronoun that points back replaced, or None when nothing points back."""
    for name, pronouns in antecedents(previous, answer):
        m = pronouns.search(question)
        if not m:
            continue
        word, rest = m.group(0).lower(), re.findall(r"[\w'’-]+", question[m.end() :])
        if pronouns is PLACE:
            replacement = f"in {name}"
        elif word in POSSESSIVE or (word == "her" and rest and rest[0].lower() not in _NOT_A_NOUN):
            replacement = f"{name}'" if pronouns is THEY and name.endswith("s") else f"{name}'s"
        else:
            replacement = name
        return question[: m.start()] + replacement + question[m.end() :]
    return None
