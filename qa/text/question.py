"""Question analysis: the expected answer type, the topic a definition question asks about, and follow-ups."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from qa.text.tokens import STOPWORDS, stem, tokens


class AnswerType(StrEnum):
    PERSON = "person"
    DATE = "date"
    PLACE = "place"
    NUMBER = "number"
    DEFINITION = "definition"  # "who is X?" / "what is X?": a description of X
    ENTITY = "entity"  # what/which + noun: a name or a noun phrase
    SENTENCE = "sentence"  # why/how/yes-no: the sentence itself


def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(alternatives) + r")\b")


_PLACES = "city|country|place|state|town|region|location|continent|province|county|island"
_PEOPLE = "person|man|woman|player|scientist|writer|artist|leader|king|queen|president"
_SAYING = "say|said|do|think|want|mean|claim|argue|warn|announce|propose|plan"
_RULES: list[tuple[re.Pattern, AnswerType]] = [
    (
        _words(
            "how (many|much)",
            "what (number|percent|percentage|amount|proportion|fraction)",
            "how (long|old|far|big|large|tall|high|often)",
        ),
        AnswerType.NUMBER,
    ),
    (
        _words(
            "when",
            "what (year|day|month|date|time|century|decade|period)",
            "which (year|day|month|date|century|decade)",
            "in what year",
            "how soon",
        ),
        AnswerType.DATE,
    ),
    (_words("where", f"(what|which) ({_PLACES})"), AnswerType.PLACE),
    (_words("who", "whom", "whose", f"(which|what) ({_PEOPLE})", "name of the (person|man|woman)"), AnswerType.PERSON),
    (_words("why", "how", rf"what (did|does|do|will|would|has|have)\b.*\b({_SAYING})"), AnswerType.SENTENCE),
    (_words("what", "which", "name"), AnswerType.ENTITY),
]
_DEFINITION = re.compile(r"^\s*(who|what)\s+(is|was|are|were)\s+(?P<topic>.+?)\s*\??\s*$", re.I)
_HEAD = re.compile(r"\b(?:what|which)\s+(?:(?:type|kind|sort|form|variety)s?\s+of\s+)?([A-Za-z]+)", re.I)
_FOLLOW_UP = re.compile(r"\b(he|she|it|they|him|her|his|hers|its|their|them|this|that|these|those|there|then)\b", re.I)


@dataclass(frozen=True)
class Question:
    text: str
    type: AnswerType
    topic: str  # for DEFINITION questions, the named thing asked about
    terms: frozenset[str]  # stemmed content words
    head: str = ""  # stemmed noun after "what"/"which" ("what tower ...?" -> "tower")

    @property
    def is_follow_up(self) -> bool:
        """Refers back to an earlier turn (a pronoun), so history helps find passages."""
        return bool(_FOLLOW_UP.search(self.text))


def _answer_type(text: str) -> AnswerType:
    """The type of the earliest question phrase ("What workshop ... Doctor Who?" asks what, not who)."""
    low = " ".join(text.lower().split())
    found = [(m.start(), i, t) for i, (pattern, t) in enumerate(_RULES) if (m := pattern.search(low))]
    return min(found)[2] if found else AnswerType.SENTENCE


def analyse(text: str) -> Question:
    qtype = _answer_type(text)
    topic = ""
    m = _DEFINITION.match(text)
    if m and qtype in (AnswerType.PERSON, AnswerType.ENTITY) and not re.match(r"(the|a|an)\b", m.group("topic"), re.I):
        words = tokens(m.group("topic"))
        named = [w for w in words if w.text[:1].isupper() or w.text[:1].isdigit()]
        if named and len(named) >= len([w for w in words if w.text.lower() not in STOPWORDS]):
            qtype, topic = AnswerType.DEFINITION, m.group("topic")
    content = frozenset(stem(t.text) for t in tokens(text) if t.text.lower() not in STOPWORDS)
    head = _HEAD.search(text)
    return Question(
        text, qtype, topic, content, stem(head.group(1)) if head and head.group(1).lower() not in STOPWORDS else ""
    )
