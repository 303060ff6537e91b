"""Live ingestion over the API: POST /api/articles (JSON or a file) and DELETE /api/articles/{id}, behind the
admin token; refused changes leave the index as it was."""

import pytest
from litestar.testing import TestClient

from web.app import create_app

from .conftest import like

TOKEN = "s3cret-token"
STORY = {
    "id": "volcano",
    "title": "Volcano erupts in Iceland",
    "text": "The Fagradalsfjall volcano erupted on Tuesday near Reykjavik, the Met Office said.",
    "published": "2021-03-19",
    "source": "Example Post",
}


@pytest.fixture
def admin(fresh_service):
    fresh_service.build()
    qa = like(fresh_service, admin_token=TOKEN)
    with TestClient(create_app(qa=qa)) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client


def ids(client) -> list[str]:
    return [a["id"] for a in client.get("/api/articles").json()["articles"]]


def test_write_routes_are_off_without_a_token_and_closed_without_the_right_one(client, admin):
    assert client.post("/api/articles", json=STORY).status_code == 403  # no token configured
    assert client.delete("/api/articles/russia-sanctions-syria").status_code == 403
    for header in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        r = admin.post("/api/articles", json=STORY, headers={"Authorization": "", **header})
        assert r.status_code == 401
    assert ids(admin) == ["russia-sanctions-syria"]
    schema = admin.get("/schema/openapi.json").json()
    assert schema["components"]["securitySchemes"]["adminToken"] == {"type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/articles"]["post"]["security"] == [{"adminToken": []}]
    assert schema["paths"]["/api/articles/{article_id}"]["delete"]["security"] == [{"adminToken": []}]
    assert "security" not in schema["paths"]["/api/ask"]["post"]


def test_json_article_is_added_updated_answered_and_removed(admin):
    r = admin.post("/api/articles", json=STORY)
    assert r.status_code == 201 and r.json()["added"] == ["volcano"] and r.json()["chunks"] >= 1
    assert admin.post("/api/articles", json=STORY).json()["unchanged"] == ["volcano"]
    changed = {**STORY, "text": STORY["text"] + " Flights were not affected."}
    assert admin.post("/api/articles", json=changed).json()["updated"] == ["volcano"]
    body = admin.post("/api/ask", json={"question": "Which volcano erupted near Reykjavik?"}).json()
    assert body["answers"] and body["answers"][0]["citation"]["article_id"] == "volcano"
    assert body["answers"][0]["citation"]["source"] == "Example Post"
    stored = admin.get("/api/articles/volcano").json()
    assert stored["published"] == "2021-03-19" and stored["text"] == changed["text"]
    r = admin.delete("/api/articles/volcano")
    assert r.status_code == 200 and r.json()["removed"] == ["volcano"]
    assert admin.delete("/api/articles/volcano").status_code == 404
    assert ids(admin) == ["russia-sanctions-syria"]


def test_file_upload_of_any_supported_type(admin):
    page = "---\npublished: 2022-01-05\nsource: Harbour Times\n---\n# Bridge reopens\nThe harbour bridge reopened."
    r = admin.post("/api/articles", files={"file": ("bridge.md", page.encode(), "text/markdown")})
    assert r.status_code == 201 and r.json()["added"] == ["bridge"]
    article = admin.get("/api/articles/bridge").json()
    assert (article["title"], article["source"], article["file"]) == ("Bridge reopens", "Harbour Times", "bridge.md")
    lines = b'{"id": "a", "title": "A", "text": "One."}\n{"id": "b", "title": "B", "text": "Two."}\n'
    r = admin.post("/api/articles", files={"file": ("two.jsonl", lines, "application/x-ndjson")})
    assert sorted(r.json()["added"]) == ["a", "b"]


@pytest.mark.parametrize(
    "request_kwargs, status, detail",
    [
        ({"json": {"title": "No text"}}, 400, 'expected an object with a "text" string'),
        ({"json": {**STORY, "published": "someday"}}, 400, "published 'someday' is not an ISO 8601"),
        ({"content": b"{broken", "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ({"files": {"file": ("notes.pdf", b"%PDF", "application/pdf")}}, 400, "unsupported file type .pdf"),
        ({"files": {"file": ("empty.txt", b"Only a title\n", "text/plain")}}, 400, "empty.txt: article has no text"),
        ({"files": {"file": ("two.jsonl", b"{bad\n{}", "application/x-ndjson")}}, 400, "2 problems:\n  two.jsonl:1"),
        ({"files": {"other": ("a.txt", b"T\nx", "text/plain")}}, 400, 'multipart field named "file"'),
        ({"content": b"title=x", "headers": {"content-type": "text/plain"}}, 415, "multipart/form-data"),
        ({"json": {**STORY, "published": 20170101}}, 400, 'published must be a string such as "2017-04-11"'),
        (
            {"content": b"[" * 1000 + b"]" * 1000, "headers": {"content-type": "application/json"}},
            400,
            "nested deeper than 32 levels",
        ),
        (
            {
                "content": b'{"title": "S", "text": "Half \\ud800 a character."}',
                "headers": {"content-type": "application/json"},
            },
            400,
            "surrogate",
        ),
        (
            {"files": {"file": ("s.jsonl", b'{"title": "\\ud800", "text": "x"}\n', "application/x-ndjson")}},
            400,
            "s.jsonl:1: holds an unpaired surrogate",
        ),
        (
            {"files": {"file": ("deep.jsonl", b"[" * 100_000 + b"\n", "application/x-ndjson")}},
            400,
            "deep.jsonl:1: JSON nested too deeply",
        ),
    ],
)
def test_bad_articles_are_refused_and_nothing_changes(admin, request_kwargs, status, detail):
    r = admin.post("/api/articles", **request_kwargs)
    assert r.status_code == status and detail in r.json()["detail"]
    assert "/tmp" not in r.json()["detail"]  # an upload is named as sent, not where it was put
    assert ids(admin) == ["russia-sanctions-syria"]


def test_an_upload_of_too_many_articles_is_refused_before_any_embedding(admin):
    lines = "".join(f'{{"id": "a{i}", "title": "Story {i}", "text": "Rain fell {i} times."}}\n' for i in range(1001))
    r = admin.post("/api/articles", files={"file": ("many.jsonl", lines.encode(), "application/x-ndjson")})
    assert r.status_code == 400 and "1001 articles in one upload, more than max_upload_articles (1000)" in r.text
    assert ids(admin) == ["russia-sanctions-syria"]
