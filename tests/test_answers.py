"""Answering on the seed article with the rules (`answerer=rules`) and the real packaged embedder."""

import dataclasses

import pytest

from qa import QuestionError
from qa.answering.base import verified
from qa.text.question import AnswerType, analyse

from .conftest import assert_cited, seed_questions

ANSWERABLE = [q for q in seed_questions() if q["answers"]]


def test_who_threatened_sanctions(rules):
    result = rules.ask("who threatened sanctions?")
    assert result.answers, "must answer"
    assert result.answers[0].text == "Boris Johnson"
    assert_cited(rules, result.answers[0])


@pytest.mark.parametrize("q", ANSWERABLE, ids=[q["id"] for q in ANSWERABLE])
def test_answerable_seed_questions_get_cited_answers(rules, q):
    result = rules.ask(q["question"])
    assert not result.abstained
    for answer in result.answers:
        assert_cited(rules, answer)
    assert len({a.text.lower() for a in result.answers}) == len(result.answers), "answers are distinct"


def test_most_seed_answers_are_right(rules):
    hits = 0
    for q in ANSWERABLE:
        texts = [a.text.lower() for a in rules.ask(q["question"]).answers]
        hits += any(g.lower() in texts for g in q["answers"])
    assert hits >= len(ANSWERABLE) // 2


def test_follow_up_uses_history(rules):
    alone = rules.ask("Where is he meeting them?")
    followed = rules.ask("Where is he meeting them?", history=["What will Mr Tillerson do in Russia?"])
    top = followed.passages[0]
    assert "Tillerson" in top.text or "Lavrov" in top.text
    assert followed.question == alone.question


@pytest.mark.parametrize("bad, message", [("", "empty"), ("   \n ", "empty"), ("x" * 501, "limit is 500")])
def test_bad_questions(rules, bad, message):
    with pytest.raises(QuestionError, match=message):
        rules.ask(bad)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Who threatened sanctions?", AnswerType.PERSON),
        ("How many cruise missiles hit the airbase?", AnswerType.NUMBER),
        ("When did the attack happen?", AnswerType.DATE),
        ("In what year was it built?", AnswerType.DATE),
        ("Where are the talks held?", AnswerType.PLACE),
        ("Who is Dmitry Peskov?", AnswerType.DEFINITION),
        ("Who is the Italian foreign minister?", AnswerType.PERSON),
        ("Which group would Russia rejoin?", AnswerType.ENTITY),
        ("Why did Russia object?", AnswerType.SENTENCE),
    ],
)
def test_question_types(text, expected):
    assert analyse(text).type is expected


def test_answers_whose_offsets_do_not_match_are_refused(rules):
    snapshot = rules.current().snapshot
    good = rules.ask("who threatened sanctions?").answers[0]
    shifted = dataclasses.replace(good, citation=dataclasses.replace(good.citation, start=good.citation.start + 1))
    outside = dataclasses.replace(good, citation=dataclasses.replace(good.citation, sentence_end=good.citation.start))
    assert verified(snapshot.articles, good)
    assert not verified(snapshot.articles, shifted) and not verified(snapshot.articles, outside)


def test_names_lose_titles_and_sentence_initial_words():
    from qa.answering.rules.candidates import candidates
    from qa.text.chunking import Span

    text = "Speaking in Rome, US Secretary of State Rex Tillerson met Foreign Secretary Boris Johnson."
    spans = candidates(text, Span(0, len(text)), analyse("Who met them?"), lambda t: 1.0)
    found = {text[c.start : c.end] for c in spans}
    assert {"Rex Tillerson", "Boris Johnson"} <= found
    assert not any(f.split()[0] in ("Speaking", "State", "US", "Secretary", "Foreign") for f in found)


def test_follow_up_pronoun_resolves_to_the_previous_answer(rules):
    first = rules.ask("who threatened sanctions?").answers[0].text
    follow = rules.ask("what did he say about Syria?", history=["who threatened sanctions?"])
    assert follow.interpreted == f"what did {first} say about Syria?"
    assert "Johnson" in follow.passages[0].text
    assert follow.answers and "Alfano" not in follow.answers[0].sentence
    assert_cited(rules, follow.answers[0])
