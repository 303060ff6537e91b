"""The trained reader (the default answerer) on the seed article: calibrated, cited, abstaining (abstention is
also checked for the rules here)."""

import dataclasses

import pytest

from qa import QAService
from qa.answering.base import repeats, verified
from qa.answering.reader import tidy
from qa.payload import no_answer_message
from qa.text.metrics import exact

from .conftest import assert_cited, like, seed_questions

ANSWERABLE = [q for q in seed_questions() if q["answers"]]
UNANSWERABLE = [q for q in seed_questions() if not q["answers"]]


def eager(service: QAService, **changes) -> QAService:
    """The packaged reader alone (no cascade), never abstaining, sharing `service`'s loaded models."""
    return like(service, min_probability=0.0, second_reader="", **changes)


def test_shown_answers_are_cited_calibrated_and_mostly_right(service):
    shown = right = 0
    for q in ANSWERABLE:
        result = service.ask(q["question"])
        for i, answer in enumerate(result.answers):
            assert_cited(service, answer)
            floor = service.settings.min_probability if i == 0 else service.settings.extra_probability
            assert floor <= answer.score <= 1
        if result.answers:
            assert result.answers[0].score == pytest.approx(result.confidence, abs=1e-4)
            shown += 1
            right += exact(result.answers[0].text, q["answers"])
        assert len({a.text.lower() for a in result.answers}) == len(result.answers), "answers are distinct"
    assert shown >= 3 and right >= 0.8 * shown


@pytest.mark.parametrize("answerer", ["rules", "reader"])
@pytest.mark.parametrize("q", UNANSWERABLE, ids=[q["id"] for q in UNANSWERABLE])
def test_unanswerable_seed_questions_abstain(service, rules, answerer, q):
    """Both answerers abstain, their confidence under their own threshold."""
    qa = service if answerer == "reader" else rules
    result = qa.ask(q["question"])
    assert result.abstained and result.answers == []
    assert result.confidence < (qa.settings.min_probability if answerer == "reader" else qa.settings.min_score)


def test_threshold_zero_always_answers_with_verified_offsets(service):
    reader = eager(service)
    snapshot = reader.current().snapshot
    for q in seed_questions():
        answers = reader.ask(q["question"]).answers
        assert answers and all(verified(snapshot.articles, a) for a in answers)
        shifted = dataclasses.replace(answers[0], citation=dataclasses.replace(answers[0].citation, end=0))
        assert not verified(snapshot.articles, shifted)


@pytest.mark.parametrize(
    "span, tidied",
    [
        ("Boris Johnson,", "Boris Johnson"),
        (" (OAPEC", "OAPEC"),
        ("“Lucca”", "“Lucca”"),
        ("Lucca”", "Lucca"),
        ("the G8 (Group of Eight)", "the G8 (Group of Eight)"),
        ("U.S.", "U.S."),
    ],
)
def test_spans_are_tidied(span, tidied):
    text = f"<{span}>"
    start, end = tidy(text, 1, len(text) - 1)
    assert text[start:end] == tidied


def test_chat_shows_the_reader_score_as_a_probability(service):
    from litestar.testing import TestClient

    from web.app import create_app

    with TestClient(create_app(qa=service)) as client:
        page = client.get("/", params={"q": "How many cruise missiles hit the Syrian airbase?"}).text
        assert 'data-answerer="reader"' in page and "% likely right" in page and "score 0." not in page


def test_answers_never_cross_a_paragraph_break(service):
    reader = eager(service)
    for q in seed_questions():
        for answer in reader.ask(q["question"]).answers:
            assert "\n\n" not in answer.text.replace("\r", "")


def test_elliptical_follow_ups_are_read_filled_in_from_the_previous_question_as_read(service):
    """ "and the Syrian one?" after "Who is the Iranian president?" is read as "Who is the Syrian president?",
    and a second fragment builds on that reading; the answers are those of the question as read."""
    history = ["Who is the Iranian president?"]
    second = service.ask("and the Syrian one?", history=history)
    assert second.interpreted == "Who is the Syrian president?"
    third = service.ask("what about the Russian one?", history=[*history, "and the Syrian one?"])
    assert third.interpreted == "Who is the Russian president?"
    for result in (second, third):
        direct = service.ask(result.interpreted)
        assert [(a.text, a.score) for a in result.answers] == [(a.text, a.score) for a in direct.answers]
    assert service.ask("and the Syrian one?").interpreted is None  # no history: nothing to fill in


def test_who_else_reads_the_previous_question_again_without_the_answers_shown(service):
    """ "who else?" reads the previous question again and passes over every answer shown for it, however often it
    is repeated; once the candidates run out it says there is no other answer."""
    reader = eager(service, extra_probability=1.0)
    history = ["Who is the Italian foreign minister?"]
    shown = [a.text for a in reader.ask(history[0]).answers]
    assert len(shown) == 1
    result = reader.ask("who else?", history=history)
    assert result.interpreted == f"Who is the Italian foreign minister, other than {shown[0]}?"
    for _ in range(reader.settings.read_passages + 1):
        if result.abstained:
            break
        assert not repeats(result.answers[0].text, shown)
        shown.append(result.answers[0].text)
        history.append("who else?")
        result = reader.ask("and who else?", history=history)
    assert result.abstained and result.more and len(shown) > 2
    assert no_answer_message(result) == "No other answer found in the indexed articles."
    assert not reader.ask("who else?").more  # no history: nothing was shown before


def test_a_pronoun_follow_up_asks_the_turn_before_it_over_the_same_dates(service):
    """An API client that sends the history without having asked it here: the earlier turn is asked again with the
    follow-up's date window, as the client asked it (the seed article has no date, so there it had no answer)."""
    fresh = like(service)  # nothing remembered yet
    history = ["Who is the Italian foreign minister?"]
    assert fresh.ask("who did he call?", history=history, since="2017-01-01").interpreted is None
    assert fresh.ask("who did he call?", history=history).interpreted == "who did Angelino Alfano call?"


def test_who_else_passes_over_the_rules_answers_shown_too(rules):
    history = ["Who is the Italian foreign minister?"]
    shown = [a.text for a in rules.ask(history[0]).answers]
    more = rules.ask("who else?", history=history)
    assert shown and more.more and not any(repeats(a.text, shown) for a in more.answers)


def test_an_article_that_is_one_huge_sentence_costs_a_question_a_few_windows(fresh_service, tmp_path):
    """A 400 KB sentence (a hostile feed item) is cut into chunks of the usual size, so a question that retrieves
    it reads a few windows of it, and the quoted sentence stays a sentence's length."""
    source = tmp_path / "articles"
    source.mkdir()
    filler = " ".join(f"the committee of region {i} met again and discussed the weather" for i in range(6000))
    (source / "huge.txt").write_text("A very long report\nThe harbour master Ilse Marr opened the bridge, " + filler)
    qa = like(fresh_service, min_probability=0)
    qa.build(source)
    chunks = qa.current().snapshot.chunks
    assert max(c.end - c.start for c in chunks) <= qa.settings.chunk_chars
    before = qa.reader.windows_read
    result = qa.ask("Who opened the bridge?")
    assert qa.reader.windows_read - before <= 3 * qa.settings.read_passages
    assert result.answers and len(result.answers[0].sentence) <= qa.settings.chunk_chars


def test_the_reader_reads_the_best_read_passages_and_the_reply_returns_k(service):
    """Only the best `read_passages` are read (fewer look-alike spans, less time); a person still gets `k` passages
    to look through, and every answer comes from a passage that was read."""
    qa = eager(service, read_passages=2)
    before = qa.reader.windows_read
    result = qa.ask("Who is the Italian foreign minister?", k=5)
    assert len(result.passages) == 5
    assert 2 <= qa.reader.windows_read - before <= 4  # a chunk fills one window, rarely two
    read = result.passages[:2]
    for a in result.answers:
        c = a.citation
        assert any(p.chunk.article_id == c.article_id and p.chunk.start <= c.start < c.end <= p.chunk.end for p in read)


def test_an_abstention_says_whether_the_reader_has_a_guess_and_keeps_it_out_of_the_answers(service, client):
    """Passages that may answer but no answer the reader is sure of: its best candidate comes back as a guess,
    apart from `answers` (so abstention keeps its meaning), with its probability; nothing relevant: no guess."""
    s = service.settings
    unsure = service.ask("Who threatened sanctions?")
    assert unsure.abstained and unsure.guess is not None
    assert s.guess_probability <= unsure.guess.score < s.min_probability
    assert_cited(service, unsure.guess)
    off_topic = service.ask("Who painted the Mona Lisa?")
    assert off_topic.abstained and off_topic.guess is None
    body = client.post("/api/ask", json={"question": "Who threatened sanctions?"}).json()
    assert body["answers"] == [] and body["abstained"] and body["guess"]["text"] == unsure.guess.text
    assert body["message"].startswith("No answer the reader is sure of")
    body = client.post("/api/ask", json={"question": "Who painted the Mona Lisa?"}).json()
    assert body["guess"] is None and body["message"] == "No answer found in the indexed articles."
    never = like(service, guess_probability=1.0)
    assert never.ask("Who threatened sanctions?").guess is None
