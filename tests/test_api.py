"""The JSON API and the HTML pages through Litestar's TestClient."""

import logging
import re

import pytest
from litestar.testing import TestClient

from qa import QAService
from web.app import create_app

from .conftest import like, live


def ask(client, **body):
    return client.post("/api/ask", json=body)


def test_ask_contract_and_offset_invariant(client):
    r = ask(client, question="Who is the Italian foreign minister?", k=3)
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"question", "answers", "passages"}
    assert body["question"] == "Who is the Italian foreign minister?" and body["abstained"] is False
    assert 1 <= len(body["passages"]) <= 3
    for a in body["answers"]:
        assert set(a) == {"text", "score", "sentence", "citation"}
        c = a["citation"]
        assert {"article_id", "title", "start", "end"} <= set(c)
        article = client.get(f"/api/articles/{c['article_id']}").json()
        assert article["text"][c["start"] : c["end"]] == a["text"]
        assert article["title"] == c["title"]
    for p in body["passages"]:
        article = client.get(f"/api/articles/{p['article_id']}").json()
        assert article["text"][p["start"] : p["end"]] == p["text"]
    assert body["answers"][0]["text"] == "Angelino Alfano"


def test_date_window_is_checked_and_applied(client):
    r = ask(client, question="Who is the Italian foreign minister?", since="last week")
    assert r.status_code == 400 and "since must be a date" in r.json()["detail"]
    body = ask(client, question="Who is the Italian foreign minister?", since="2017-01-01").json()
    assert body["passages"] == [] and body["abstained"] is True  # the seed article carries no date
    assert (body["since"], body["until"]) == ("2017-01-01", None)  # the dates searched, echoed
    assert body["message"] == (
        "No answer found in the indexed articles published from 2017-01-01 on (articles without a date are left out)."
    )
    body = ask(client, question="Who is the Italian foreign minister?").json()
    assert (body["since"], body["until"]) == (None, None)


def test_abstention_is_explicit(client):
    body = ask(client, question="Who painted the Mona Lisa?").json()
    assert body["answers"] == [] and body["abstained"] is True and "No answer" in body["message"]


@pytest.mark.parametrize(
    "payload, status, detail",
    [
        ({"question": ""}, 400, "must not be empty"),
        ({"question": "q" * 5000}, 400, "the limit is 500"),
        ({"question": 5}, 400, "Validation failed"),
        ({}, 400, "Validation failed"),
        ({"question": "who?", "k": 0}, 400, "k must be between"),
        ({"question": "who?", "history": ["x" * 600]}, 400, "history"),
    ],
)
def test_bad_requests(client, payload, status, detail):
    r = ask(client, **payload)
    assert r.status_code == status
    assert detail in r.text


def test_malformed_json(client):
    r = client.post("/api/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["detail"]


def test_articles_are_listed_a_page_at_a_time(client, fresh_service, tmp_path, monkeypatch):
    listed = client.get("/api/articles").json()
    text = client.get("/api/articles/russia-sanctions-syria").json()["text"]
    assert listed == {
        "total": 1,
        "offset": 0,
        "limit": 100,
        "articles": [{"id": "russia-sanctions-syria", "title": listed["articles"][0]["title"], "chars": len(text)}],
    }
    assert client.get("/api/articles", params={"offset": 1}).json()["articles"] == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "many"}, {"offset": "9" * 23}):
        r = client.get("/api/articles", params=bad)
        assert r.status_code == 400 and list(bad)[0] in r.json()["detail"] + str(r.json().get("extra"))

    source = tmp_path / "many.jsonl"
    source.write_text(
        "".join(f'{{"id": "a{i:02}", "title": "Story {i}", "text": "Rain fell {i} times."}}\n' for i in range(25))
    )
    fresh_service.build(source)
    with TestClient(create_app(qa=fresh_service)) as c:
        pages = [c.get("/api/articles", params={"offset": o, "limit": 10}).json() for o in (0, 10, 20)]
    assert [p["total"] for p in pages] == [25] * 3 and [len(p["articles"]) for p in pages] == [10, 10, 5]
    assert [a["id"] for p in pages for a in p["articles"]] == [f"a{i:02}" for i in range(25)]
    monkeypatch.setattr("web.pages.LISTED", 10)  # the chat's side list names the first articles only
    with TestClient(create_app(qa=fresh_service)) as c:
        page = c.get("/").text
    assert "Articles (25)" in page and page.count('<li><a href="/articles/a') == 10 and "and 15 more" in page


def test_an_unforeseen_failure_is_a_500_that_logs_its_cause_and_tells_the_client_nothing(service, monkeypatch):
    def broken(*args):
        raise OSError("disk I/O error in /srv/secret/index/articles.sqlite")

    records: list[logging.LogRecord] = []
    catch = logging.Handler()
    catch.emit = records.append  # the app's logging setup replaces the root handlers pytest's caplog uses
    monkeypatch.setattr(service, "articles", broken)
    logging.getLogger("web").addHandler(catch)
    try:
        with TestClient(create_app(qa=service)) as c:
            api = c.get("/api/articles")
    finally:
        logging.getLogger("web").removeHandler(catch)
    assert api.status_code == 500 and "log says why" in api.json()["detail"] and "secret" not in api.text
    assert "content-security-policy" in api.headers
    failures = [r for r in records if "500" in r.getMessage()]
    assert failures and failures[0].exc_info and "disk I/O error" in failures[0].getMessage()


def test_unknown_article(client):
    r = client.get("/api/articles/no-such-thing")
    assert r.status_code == 404 and "no-such-thing" in r.json()["detail"]
    assert client.get("/articles/no-such-thing").status_code == 404


def test_health_articles_and_schema(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["pending"] == 0 and health["max_pending"] == 64
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths and all(p.startswith("/api/") for p in paths)
    operations = [op for ops in paths.values() for op in ops.values()]
    assert all(op.get("summary") and op.get("description") for op in operations)  # Swagger UI explains each
    assert "history" in paths["/api/ask"]["post"]["description"]


def test_chat_page_renders_server_side_answer(client):
    r = client.get("/", params={"q": "Who is the Italian foreign minister?"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "<mark>Angelino Alfano</mark>" in r.text
    assert 'href="/articles/russia-sanctions-syria?start=' in r.text
    assert "Articles (1)" in r.text and '<li><a href="/articles/russia-sanctions-syria">' in r.text  # the list
    empty = client.get("/", params={"q": " "})
    assert empty.status_code == 400 and "must not be empty" in empty.text


def test_article_page_highlights_span(client, service):
    answer = service.ask("Who is the Italian foreign minister?").answers[0]
    c = answer.citation
    r = client.get(f"/articles/{c.article_id}", params={"start": c.start, "end": c.end})
    assert f'<mark id="highlight">{answer.text}</mark>' in r.text
    bad = client.get(f"/articles/{c.article_id}", params={"start": 10, "end": 10**9})
    assert bad.status_code == 200 and "<mark" not in bad.text


def test_article_text_is_escaped(tmp_path, embedder, reader, settings):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "xss.txt").write_text(
        "Headline <img src=x onerror=alert(1)>\n\n"
        'The mayor <script>alert("x")</script> Jane Doe said the bridge will reopen.'
    )
    own = settings.replace(index_dir=tmp_path / "index", seeds_dir=tmp_path / "src")
    qa = QAService(own, embedder=embedder, reader=reader)
    with TestClient(create_app(qa=qa)) as c:
        page = c.get("/articles/xss").text
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page
        assert "<img src=x" not in page and "&lt;img src=x" in page
        chat = c.get("/", params={"q": "Who said the bridge will reopen?"}).text
        assert "<script>alert" not in chat and "<img src=x" not in chat


def test_app_builds_seed_index_when_missing(tmp_path, embedder, reader, settings):
    fresh = settings.replace(index_dir=tmp_path / "index")
    with TestClient(create_app(qa=QAService(fresh, embedder=embedder, reader=reader))) as c:
        assert c.get("/health").json()["articles"] == 1


def test_oversized_body_is_refused(client):
    r = client.post(
        "/api/ask", content=b'{"question": "' + b"a" * 400_000 + b'"}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and "byte limit" in r.json()["detail"]


@pytest.mark.parametrize(
    "body, status, detail",
    [
        (b'{"question": "who\xff?"}', 400, "UTF-8"),
        (b'{"question": "who?", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400, "nested"),
        (b'{"question": "who?", "k": "5"}', 400, "$.k"),
        (b'{"question": "who?", "k": 2.5}', 400, "$.k"),
        (b'{"question": "who?", "history": "x"}', 400, "$.history"),
        (b'["who?"]', 400, "object"),
    ],
)
def test_strict_json(client, body, status, detail):
    r = client.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and detail in r.json()["detail"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_ask_requires_json_content_type(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    r = client.post("/api/ask", content=b'{"question": "Who is the Italian foreign minister?"}', headers=headers)
    assert r.status_code == 415 and "application/json" in r.json()["detail"]
    ok = client.post(
        "/api/ask",
        content=b'{"question": "who?"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 200


def test_security_headers_and_favicon(client):
    for path in ("/", "/api/articles", "/schema/swagger", "/articles/russia-sanctions-syria"):
        h = client.get(path).headers
        csp = h["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "no-referrer"
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")


def test_docs_use_only_local_assets(client):
    for path in ("/schema", "/schema/swagger"):
        page = client.get(path)
        assert page.status_code == 200 and "SwaggerUI" not in page.text  # no inline script
        assert '<a href="/">← back to the chat</a>' in page.text
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets)
        for a in assets:
            assert client.get(a).status_code == 200, a


def test_rate_limit_is_a_setting(tmp_path, service):
    limited = like(service, rate_limit=3)
    with TestClient(create_app(qa=limited)) as c:
        codes = [c.get("/api/articles").status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
        assert c.get("/health").status_code == 200  # health checks are never limited


@pytest.mark.parametrize("trusted, limited", [("", True), ("127.0.0.1", False)], ids=["no-proxy", "behind-a-proxy"])
def test_a_client_cannot_choose_its_own_rate_limit_key(service, trusted, limited):
    """Through a real uvicorn: X-Forwarded-For counts only from `trusted_proxies` (none by default), so rotating it
    from 127.0.0.1 does not escape the limit; from a trusted proxy each forwarded client has its own count."""
    import httpx

    qa = like(service, rate_limit=3, trusted_proxies=trusted)
    app, settings = create_app(qa=qa), qa.settings
    with live(app, settings) as url:
        headers = [{"X-Forwarded-For": f"203.0.113.{n}"} for n in range(6)]
        codes = [httpx.get(f"{url}/api/articles", headers=h).status_code for h in headers]
    assert codes == ([200] * 3 + [429] * 3 if limited else [200] * 6)


def test_broken_index_at_start_gives_error_pages(tmp_path, embedder, reader, settings):
    own = settings.replace(index_dir=tmp_path / "index")
    own.index_dir.mkdir()
    (own.index_dir / "manifest.json").write_text("garbage")
    with TestClient(create_app(qa=QAService(own, embedder=embedder, reader=reader))) as c:
        health = c.get("/health")
        assert health.status_code == 503 and "unreadable manifest" in health.json()["index_error"]
        page = c.get("/", params={"q": "who?"})
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "qa index build" in page.text and "<h1>The index is unavailable</h1>" in page.text
        api = c.post("/api/ask", json={"question": "who?"})
        assert api.status_code == 503 and "unreadable manifest" in api.json()["detail"]
        missing = c.get("/articles/x")
        assert missing.status_code == 503 and "text/html" in missing.headers["content-type"]
        for body in (health.text, page.text, api.text):
            assert str(tmp_path) not in body  # anyone may read these: no server paths


def test_every_response_carries_the_security_headers_and_no_error_echoes_a_huge_value(client):
    for method, path in (("GET", "/no-such-page"), ("GET", "/api/no-such-route"), ("PUT", "/api/ask")):
        r = client.request(method, path)
        assert r.status_code in (404, 405) and r.headers["x-frame-options"] == "DENY", (method, path)
        assert "script-src 'self'" in r.headers["content-security-policy"]
    for path in ("/", "/health", "/api/articles", "/articles/russia-sanctions-syria"):
        head, got = client.head(path), client.get(path)
        assert (head.status_code, head.content) == (200, b"") and head.headers["x-frame-options"] == "DENY", path
        assert head.headers["content-type"] == got.headers["content-type"]
    huge = "2017-" + "9" * 100_000
    r = ask(client, question="Who is the Italian foreign minister?", since=huge)
    assert r.status_code == 400 and len(r.text) < 1000 and r.json()["detail"].endswith("…")


def test_the_attacker_probes_all_hold(fresh_service):
    """benchmarks.probe against a live server with an admin token: every hostile request a 4xx or a served
    answer, none over 5 s (the 400 KB one-sentence article included)."""
    from benchmarks.probe import run

    fresh_service.build()
    app = create_app(qa=like(fresh_service, admin_token="probe-secret"))
    with live(app) as url:
        rows = run(url, "probe-secret")
    assert len(rows) >= 25 and [r for r in rows if not r["held"]] == []


def test_a_body_that_never_arrives_gets_a_408_not_a_held_connection(service):
    import socket
    import time

    app = create_app(qa=like(service, body_timeout=1.0))
    with live(app) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            started = time.monotonic()
            conn.sendall(
                b"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
            )
            answer = conn.recv(4096)
            waited = time.monotonic() - started
            conn.settimeout(1)
            while b"did not arrive" not in answer:  # the body may come in a packet of its own
                more = conn.recv(4096)
                if not more:
                    break
                answer += more
    assert answer.startswith(b"HTTP/1.1 408") and b"did not arrive within 1 seconds" in answer
    assert 0.9 <= waited < 5


@pytest.mark.parametrize("route", ["api", "page"])
def test_a_question_whose_client_hangs_up_while_it_waits_is_never_read(service, route):
    """One question holds the only core; a second client sends its question (to the API, or to the chat page
    without JavaScript) and hangs up while it waits: the reader never reads it, and the next is answered."""
    import copy
    import json
    import socket
    import threading
    import time
    import urllib.request
    from urllib.parse import urlsplit

    from qa.models.cores import SharedCores

    started, release, read = threading.Event(), threading.Event(), []
    runner = service.reader.runner

    def held(inputs):
        read.append(inputs["input_ids"].shape)
        if len(read) == 1:
            started.set()
            release.wait(30)
        return runner(inputs)

    reader = copy.copy(service.reader)
    reader.runner = SharedCores(lambda threads: held, 1)
    qa = QAService(service.settings, service.embedder, reader)

    def ask(url: str, question: str) -> int:
        body = json.dumps({"question": question}).encode()
        request = urllib.request.Request(f"{url}/api/ask", body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status

    with live(create_app(qa.settings, qa)) as url:
        first: list = []
        thread = threading.Thread(target=lambda: first.append(ask(url, "Who is Dmitry Peskov?")))
        thread.start()
        assert started.wait(30)
        body = json.dumps({"question": "Who is the Iranian president?"}).encode()
        post = f"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        get = b"GET /?q=Who+is+the+Iranian+president HTTP/1.1\r\nHost: x\r\n\r\n"
        raw = {"api": f"{post}\r\n\r\n".encode() + body, "page": get}
        where = urlsplit(url)
        with socket.create_connection((where.hostname, where.port)) as conn:
            conn.sendall(raw[route])
            time.sleep(0.5)  # it waits for the core
        time.sleep(0.5)  # hung up: the server hears it
        release.set()
        thread.join(60)
        assert first == [200] and len(read) == 1, "the held question answered, the abandoned one never read"
        assert ask(url, "Who is the Iranian president?") == 200 and len(read) == 2


def test_questions_past_max_pending_are_refused_busy_with_retry_after(service):
    """One question held in the reader fills `max_pending=1`: the next is told to come back, not queued."""
    import copy
    import json
    import threading
    import urllib.error
    import urllib.request

    started, release = threading.Event(), threading.Event()
    runner = service.reader.runner

    def held(inputs):
        started.set()
        release.wait(30)
        return runner(inputs)

    reader = copy.copy(service.reader)
    reader.runner = held
    qa = QAService(service.settings.replace(max_pending=1), service.embedder, reader)

    def ask(url: str, question: str):
        body = json.dumps({"question": question}).encode()
        request = urllib.request.Request(f"{url}/api/ask", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as r:
                return r.status, dict(r.headers), json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), json.loads(e.read())

    with live(create_app(qa.settings, qa)) as url:
        first: list = []
        thread = threading.Thread(target=lambda: first.append(ask(url, "Who is Dmitry Peskov?")))
        thread.start()
        assert started.wait(30)
        status, headers, body = ask(url, "Who is the Iranian president?")
        release.set()
        thread.join(60)
        again = ask(url, "Who is the Iranian president?")
    assert status == 503 and headers["retry-after"] == "1" and "ask again in a moment" in body["detail"]
    assert first[0][0] == 200 and again[0] == 200, "the held question and the one asked after it are answered"


def test_max_pending_beyond_the_default_worker_threads_still_refuses_the_question_past_it(service):
    """With `max_pending` 45, above the 40 worker threads a server has by default, 45 questions wait at once (one
    held in the reader) and the 46th is refused busy, instead of queueing for a thread without end."""
    import copy
    import json
    import threading
    import time
    import urllib.error
    import urllib.request

    from qa.models.cores import SharedCores

    started, release = threading.Event(), threading.Event()
    runner = service.reader.runner

    def held(inputs):
        if not started.is_set():
            started.set()
            release.wait(60)
        return runner(inputs)

    reader = copy.copy(service.reader)
    reader.runner = SharedCores(lambda threads: held, 1)
    qa = QAService(service.settings.replace(max_pending=45), service.embedder, reader)
    statuses: list[int] = []

    def ask(url: str) -> None:
        body = json.dumps({"question": "Who is the Iranian president?"}).encode()
        request = urllib.request.Request(f"{url}/api/ask", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as r:
                statuses.append(r.status)
        except urllib.error.HTTPError as e:
            statuses.append(e.code)

    with live(create_app(qa.settings, qa)) as url:
        first = threading.Thread(target=ask, args=(url,))
        first.start()
        assert started.wait(30)
        rest = [threading.Thread(target=ask, args=(url,)) for _ in range(45)]
        for t in rest:
            t.start()
        deadline = time.monotonic() + 30
        while 503 not in statuses and time.monotonic() < deadline:
            time.sleep(0.05)
        with urllib.request.urlopen(f"{url}/health", timeout=10) as r:  # a thread is left for it
            pending = json.loads(r.read())["pending"]
        release.set()
        for t in [first, *rest]:
            t.join(120)
    assert sorted(statuses) == [200] * 45 + [503] and pending == 45


def test_busy_refusals_are_logged_as_a_count_not_a_line_each(caplog):
    from web.app import Refusals

    refusals = Refusals(seconds=60)
    with caplog.at_level("WARNING", logger="web"):
        for _ in range(5):
            refusals.note("5 questions are being answered or waiting")
        refusals.since -= 61  # a minute later
        refusals.note("6 questions are being answered or waiting")
    lines = [r.getMessage() for r in caplog.records if r.name == "web"]
    assert len(lines) == 2 and "1 question(s) refused" in lines[0] and "5 question(s) refused" in lines[1]
