"""Resolving a follow-up's pronoun to the previous turn's answer or topic."""

import pytest

from qa.followup import resolve
from qa.question import analyse


@pytest.mark.parametrize(
    "previous, answer, question, expected",
    [
        (
            "who threatened sanctions?",
            "Boris Johnson",
            "what did he say about Syria?",
            "what did Boris Johnson say about Syria?",
        ),
        ("who threatened sanctions?", "Boris Johnson", "where is his office?", "where is Boris Johnson's office?"),
        ("who hosts the talks?", "Angelino Alfano", "who called her?", "who called Angelino Alfano?"),
        ("who chairs the board?", "Jane Doe", "what did her deputy say?", "what did Jane Doe's deputy say?"),
        ("Who is Dmitry Peskov?", None, "what did he say?", "what did Dmitry Peskov say?"),
        ("Where are the G7 talks being held?", "Lucca", "who else is there?", "who else is in Lucca?"),
        ("What killed more than 80 people?", "a chemical attack", "who ordered it?", "who ordered a chemical attack?"),
    ],
)
def test_pronoun_is_replaced(previous, answer, question, expected):
    assert resolve(question, analyse(previous), answer) == expected


@pytest.mark.parametrize(
    "previous, answer, question",
    [
        ("who threatened sanctions?", None, "what did he say?"),  # the previous turn abstained
        ("who threatened sanctions?", "Boris Johnson", "what did Russia say?"),  # no pronoun
        ("when did the talks start?", "Monday", "what happened then?"),  # dates are not resolved
        ("who spoke?", "the man who chaired the long meeting of ministers", "what did he say?"),  # not a name
        ("who threatened sanctions?", "Boris Johnson", "when did it happen?"),  # "it" is not a person
    ],
)
def test_nothing_to_resolve(previous, answer, question):
    assert resolve(question, analyse(previous), answer) is None
