"""Feedback on answers: stored only when its citation quotes the answer, exported as `qa eval` questions,
posted over the API (rate-limited), and given from the chat's buttons in test_browser.py."""

import json

import pytest
from litestar.testing import TestClient

from qa import QAService
from qa.cli import main
from qa.errors import FeedbackError
from web.app import create_app

from .conftest import like

QUESTION = "Who is the Italian foreign minister?"


@pytest.fixture
def judged(service, tmp_path) -> QAService:
    """The seed index with its own feedback file."""
    return like(service, feedback_file=tmp_path / "feedback.sqlite")


def quote(qa, question=QUESTION):
    answer = qa.ask(question).answers[0]
    c = answer.citation
    return {"question": question, "answer": answer.text, "article_id": c.article_id, "start": c.start, "end": c.end}


def body_for(qa, verdict: str) -> dict:
    """The POST /api/feedback body for the reader's answer to QUESTION."""
    given = quote(qa)
    citation = {"article_id": given["article_id"], "start": given["start"], "end": given["end"]}
    return {"question": given["question"], "answer": given["answer"], "citation": citation, "verdict": verdict}


def test_feedback_is_stored_only_where_its_citation_quotes_the_answer(judged):
    given = quote(judged)
    first = judged.feedback(**given, verdict="correct")
    assert judged.feedback(**given, verdict="wrong") == first + 1
    stored = judged.feedback_log.all()
    assert [(f.answer, f.verdict) for f in stored] == [(given["answer"], "correct"), (given["answer"], "wrong")]
    assert all(f.created > 0 and f.question == QUESTION for f in stored)
    with pytest.raises(FeedbackError, match="verdict"):
        judged.feedback(**given, verdict="maybe")
    with pytest.raises(FeedbackError, match="not the answer given"):
        judged.feedback(**{**given, "start": given["start"] + 1}, verdict="correct")
    with pytest.raises(FeedbackError, match="answer must have"):
        judged.feedback(**{**given, "answer": ""}, verdict="correct")
    with pytest.raises(FeedbackError, match="question is 501 characters long"):
        judged.feedback(**{**given, "question": "x" * 501}, verdict="correct")
    assert len(judged.feedback_log.all()) == 2, "nothing refused was stored"


def test_export_gives_eval_questions_and_wrong_answers_for_review(judged, tmp_path, capsys):
    given = quote(judged)
    judged.feedback(**given, verdict="correct")
    judged.feedback(**given, verdict="correct")  # the same verdict twice: one question, one answer
    missile = quote(judged, "How many cruise missiles hit the Syrian airbase?")
    judged.feedback(**missile, verdict="wrong")
    s = judged.settings
    common = ["--index-dir", s.index_dir, "--feedback-file", s.feedback_file, "--cache-dir", s.cache_dir]
    assert main(["feedback", "export", str(tmp_path / "good.jsonl"), *map(str, common)]) == 0
    good = [json.loads(line) for line in (tmp_path / "good.jsonl").read_text().splitlines()]
    assert [(q["question"], q["answers"]) for q in good] == [(QUESTION, [given["answer"]])]
    assert main(["feedback", "export", str(tmp_path / "bad.jsonl"), "--verdict", "wrong", *map(str, common)]) == 0
    (bad,) = [json.loads(line) for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert bad["wrong_answer"] == missile["answer"] and bad["question"] == missile["question"]
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "good.jsonl"), "--json", *map(str, common)]) == 0  # a regression test
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 1 and report["exact_match"] == 1
    assert main(["feedback", "export", str(tmp_path / "no" / "such" / "dir.jsonl"), *map(str, common)]) == 2


def test_api_stores_feedback_and_refuses_bad_posts(judged):
    body = body_for(judged, "correct")
    with TestClient(create_app(qa=judged)) as client:
        r = client.post("/api/feedback", json=body)
        assert r.status_code == 201 and r.json()["id"] >= 1
        shifted = {**body, "citation": {**body["citation"], "end": body["citation"]["end"] + 1}}
        assert client.post("/api/feedback", json=shifted).status_code == 400
        unknown = {**body, "citation": {**body["citation"], "article_id": "no-such-article"}}
        assert client.post("/api/feedback", json=unknown).status_code == 404
        r = client.post("/api/feedback", json={**body, "verdict": "maybe"})
        assert r.status_code == 400 and "verdict" in r.json()["detail"]
        assert client.post("/api/feedback", json={**body, "citation": None}).status_code == 400
        assert "/api/feedback" in client.get("/schema/openapi.json").json()["paths"]
    assert len(judged.feedback_log.all()) == 1
    blocked = judged.settings.feedback_file.parent / "a-file"
    blocked.write_text("not a directory")
    nowhere = like(judged, feedback_file=blocked / "feedback.sqlite")
    with TestClient(create_app(qa=nowhere)) as client:
        r = client.post("/api/feedback", json=body)
        assert r.status_code == 503 and "cannot store feedback" in r.json()["detail"]


def test_feedback_is_rate_limited_apart_from_questions(judged):
    limited = like(judged, feedback_rate_limit=2)
    body = body_for(limited, "wrong")
    with TestClient(create_app(qa=limited)) as client:
        codes = [client.post("/api/feedback", json=body).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        assert client.post("/api/ask", json={"question": QUESTION}).status_code == 200  # questions are not
    assert len(limited.feedback_log.all()) == 2
