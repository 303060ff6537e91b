"""Resolving a follow-up: its pronoun to the previous turn's answer or topic, an elliptical fragment ("and the
British one?") by filling it into the previous question."""

import pytest

from qa.answering.base import repeats
from qa.conversation.ellipsis import asks_for_more, fill_in, fragment
from qa.conversation.pronouns import resolve
from qa.text.question import analyse


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
        # they / them / their stand for a plural answer (a quantifier's capital from the start of its sentence dropped)
        ("Who began a 48-hour strike?", "drivers", "what pay rise do they want?", "what pay rise do drivers want?"),
        ("Who began a strike?", "drivers", "what is their union?", "what is drivers' union?"),
        ("Who broke into the museum?", "Thieves", "what did they steal?", "what did Thieves steal?"),
        (
            "Who was battling the blaze?",
            "More than 250 firefighters",
            "how many of them were hurt?",
            "how many of more than 250 firefighters were hurt?",
        ),
        ("Who met in Lucca?", "Vennholt and Maranek", "what did they agree?", "what did Vennholt and Maranek agree?"),
        ("Who led the talks?", "Thomas", "what did he say?", "what did Thomas say?"),  # a name that ends in s
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
        ("Who crowded onto extra buses?", "commuters", "who laid them on?"),  # "them" may be the buses
        ("Who began a strike?", "drivers", "what did he say?"),  # "he" is not the drivers
        ("Who met in Lucca?", "Vennholt and Maranek", "what did he say?"),  # which of them?
        ("Who runs the firm?", "Marta Linde", "what did they lose?"),  # "they" may be the firm
    ],
)
def test_nothing_to_resolve(previous, answer, question):
    assert resolve(question, analyse(previous), answer) is None


@pytest.mark.parametrize(
    "previous, question, expected",
    [
        # "the X one": the noun phrase's modifier is replaced, or added where it has none
        ("who is the US Secretary of State?", "and the British one?", "Who is the British Secretary of State?"),
        (
            "How many missiles hit the Syrian airbase?",
            "And the Russian one?",
            "How many missiles hit the Russian airbase?",
        ),
        (
            "What is the name of the Italian foreign minister?",
            "the French one?",
            "What is the name of the French foreign minister?",
        ),
        ("Who is the prime minister?", "and the Italian one?", "Who is the Italian prime minister?"),
        ("Who was the former prime minister?", "and the current one?", "Who was the current prime minister?"),
        ("Who is Veloria's trade minister?", "and the Ostrian one?", "Who is the Ostrian trade minister?"),
        ("who is the us secretary of state?", "and the british one?", "Who is the british secretary of state?"),
        ("who is the iranian president?", "and the syrian one?", "Who is the syrian president?"),
        ("who is the prime minister?", "and the italian one?", "Who is the italian prime minister?"),
        ("Who won the G7 vote?", "and the G20 one?", "Who won the G20 vote?"),
        # a phrase with the same preposition (or one of its kind) is replaced, else the fragment is added
        ("How many people were killed in Idlib province?", "and in Aleppo?", "How many people were killed in Aleppo?"),
        (
            "How many people were evacuated in the valley?",
            "and near Torvik?",
            "How many people were evacuated near Torvik?",
        ),
        ("Who is the director of the Bank of England?", "and of the Fed?", "Who is the director of the Fed?"),
        ("Who did Tillerson meet?", "and in Moscow?", "Who did Tillerson meet in Moscow?"),
        # a name replaces the last name, keeping its 's; a noun phrase the last noun phrase
        ("What did Johnson say about Russia?", "what about Iran?", "What did Johnson say about Iran?"),
        (
            "Who is Kelvar Telecom's chief executive?",
            "how about Nordlicht Air?",
            "Who is Nordlicht Air's chief executive?",
        ),
        ("What did Bashar al Assad say?", "what about Putin?", "What did Putin say?"),
        ("What did Johnson tell Putin?", "and Lavrov?", "What did Johnson tell Lavrov?"),
        ("What did the US say?", "what about Russia?", "What did Russia say?"),
        # a name after a title: the title's country or the like
        ("Who is the US Secretary of State?", "and Iran?", "Who is Iran's Secretary of State?"),
        ("What did the Velorian trade minister say?", "and Ostria?", "What did Ostria's trade minister say?"),
        ("What did the minister say?", "and the president?", "What did the president say?"),
        ("Who is the director of the city museum?", "and the police spokesman?", "Who is the police spokesman?"),
        ("Who is Brennard's manager?", "And Castor's captain?", "Who is Castor's captain?"),
        # a question word replaces the question phrase
        ("When will the cup final be played?", "and where?", "Where will the cup final be played?"),
        ("When will the cup final be played?", "Where?", "Where will the cup final be played?"),
        (
            "How many firefighters were fighting the fire?",
            "and how many aircraft?",
            "How many aircraft were fighting the fire?",
        ),
        # a preposition alone replaces its opposite; after a question phrase, both are filled in
        (
            "How many councillors voted for the budget?",
            "and against?",
            "How many councillors voted against the budget?",
        ),
        (
            "How many councillors voted for the budget?",
            "and how many against?",
            "How many councillors voted against the budget?",
        ),
        ("What did Vennholt say before the talks?", "and after?", "What did Vennholt say after the talks?"),
        (
            "How many people were injured in the north?",
            "and how many in the south?",
            "How many people were injured in the south?",
        ),
        ("When did the strike start in Lenz?", "and where in Drava?", "Where did the strike start in Drava?"),
        # an ordinal (or the like) alone replaces the noun phrase's, keeping its noun
        ("Who won the first round?", "and the second?", "Who won the second round?"),
        ("Who scored the first goal?", "and the last?", "Who scored the last goal?"),
    ],
)
def test_fragment_is_filled_in(previous, question, expected):
    assert fill_in(question, previous) == expected


@pytest.mark.parametrize(
    "previous, question",
    [
        ("Who threatened sanctions?", "and did he say why?"),  # a question of its own
        ("Who threatened sanctions?", "what did he say?"),  # a pronoun, not a fragment
        ("Who threatened sanctions?", "and him?"),
        ("How many people were killed in Idlib?", "and in?"),  # a preposition alone names nothing
        ("How many people died?", "and where?"),  # no question phrase to swap a lone "where" into
        ("Who is Dmitry Peskov?", "and why?"),
        ("How many votes did the budget pass by?", "and how many against?"),
        ("How many people died in Idlib?", "and against?"),  # no "for" for "against" to replace
        ("who threatened sanctions?", "and ground staff?"),  # nothing of its kind to replace
        ("Who is the director of the Bank of England?", "and Iran?"),  # a name, not a title Iran could hold
        ("Who threatened sanctions?", "and then the long list of every minister who spoke at the meeting?"),
    ],
)
def test_nothing_to_fill_in(previous, question):
    assert fill_in(question, previous) is None


def test_only_fragments_count_as_fragments():
    assert fragment("And the British one?") == ["the", "British", "one"]
    assert fragment("what about Iran?") == ["Iran"]
    assert fragment("Who is the British Foreign Secretary?") is None
    assert fragment("and what has EastRail offered?") is None
    assert fragment("and how many aircraft?") == ["how", "many", "aircraft"]
    assert fragment("and who won?") is None and fragment("and which team won?") is None
    assert fragment("where?") == ["where"] and fragment("Who won?") is None
    assert fragment("Lucca") is None  # a bare keyword is a question of its own


def test_who_else_asks_for_more():
    for question in ("who else?", "And who else?", "anyone else", "what else?", "so where else?"):
        assert asks_for_more(question), question
    for question in ("who else was there?", "who?", "else?", "who is Elsa?", "and the British one?"):
        assert not asks_for_more(question), question


def test_an_answer_shown_before_is_recognised_in_part_or_whole():
    assert repeats("Johnson", ["Boris Johnson"]) and repeats("Mr Boris Johnson", ["Boris Johnson"])
    assert repeats("boris johnson.", ["Boris Johnson"])
    assert not repeats("Johnsonville", ["Boris Johnson"]) and not repeats("Boris Johnson", [])
    assert not repeats("", ["Boris Johnson"]) and not repeats("Lavrov", ["", " "])
