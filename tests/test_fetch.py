"""Articles from web addresses (`qa index add URL`): a page or a feed fetched from a local HTTP server, and each
way a fetch can fail named in one line, with the index left as it was."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from qa import QAService
from qa.cli import main
from qa.errors import ArticleError

from .conftest import like

DATA = Path(__file__).parent / "data"
ROUTES = {  # path -> (status, content type, body, extra headers)
    "/news/storm.html": (200, "text/html; charset=utf-8", (DATA / "news_page.html").read_bytes(), {}),
    "/feed": (200, "application/rss+xml", (DATA / "feed_rss.xml").read_bytes(), {}),
    "/data.json": (200, "application/json", b'{"a": 1}', {}),
    "/old": (301, "text/html", b"", {"Location": "/news/storm.html"}),
    "/to-ftp": (302, "text/html", b"", {"Location": "ftp://127.0.0.1/story.html"}),
    "/robots.txt": (200, "text/plain", b"User-agent: *\nDisallow: /private/\n", {}),
    "/private/story.html": (200, "text/html", (DATA / "news_page.html").read_bytes(), {}),
}


HITS: dict[str, int] = {}  # path -> requests served


def teasers(base: str) -> bytes:
    """A feed whose entries carry a line of each story and link to its page (one link is dead, one is a page
    robots.txt keeps robots from)."""
    items = [
        ("storm", "Storm cuts power to 20,000 homes", "/news/storm.html"),
        ("gone", "Ferry cancelled", "/gone"),
        ("secret", "Members only", "/private/story.html"),
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Coastal Herald</title>'
        + "".join(
            f"<item><guid>{guid}</guid><title>{title}</title><link>{base}{path}</link>"
            f"<description>{title}, the paper reports.</description></item>"
            for guid, title, path in items
        )
        + "</channel></rss>"
    ).encode()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        HITS[self.path] = HITS.get(self.path, 0) + 1
        if self.path == "/teasers":
            ROUTES["/teasers"] = (200, "application/rss+xml", teasers(f"http://{self.headers['Host']}"), {})
        status, kind, body, headers = ROUTES.get(self.path, (404, "text/html", b"gone", {}))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_page_and_feed_added_from_their_addresses(fresh_service, web):
    fresh_service.build()
    report = fresh_service.add(f"{web}/old", f"{web}/feed")  # a redirect to the page, and a feed
    arts = fresh_service.current().snapshot.articles
    page = arts[next(i for i in report.added if i.startswith("127.0.0.1"))]
    assert page.title == "Storm cuts power to 20,000 homes on the coast" and "cookies" not in page.text
    assert page.id == f"127.0.0.1-{web.rsplit(':', 1)[1]}-news-storm"  # named after the address served from
    assert page.url == f"{web}/news/storm.html" and page.origin == f"{web}/old" and page.published == "2026-03-02"
    entries = [arts[i] for i in report.added if arts[i].origin == f"{web}/feed"]
    assert len(entries) == len(report.added) - 1 >= 1 and all(e.url.startswith("http") for e in entries)
    again = fresh_service.add(f"{web}/news/storm.html")  # the same story at its own address: already there
    assert again.added == [] and len(again.unchanged) == 1


@pytest.mark.parametrize(
    "path, reason",
    [
        ("/missing", "the server answered 404"),
        ("/data.json", "serves application/json, not a web page or a feed"),
        ("/to-ftp", "redirected to ftp://127.0.0.1/story.html, not a web address"),
    ],
)
def test_fetch_failures_are_named_and_change_nothing(fresh_service, web, path, reason):
    fresh_service.build()
    before = fresh_service.manifest()
    with pytest.raises(ArticleError, match=reason) as caught:
        fresh_service.add(f"{web}{path}")
    assert str(caught.value).startswith(f"{web}{path}: ") and fresh_service.manifest() == before


def test_cli_adds_an_address_and_names_an_unreachable_one(fresh_service, web, capsys):
    fresh_service.build()
    options = ["--index-dir", str(fresh_service.settings.index_dir)]
    assert main(["index", "add", f"{web}/news/storm.html", *options]) == 0
    assert main(["index", "build", f"{web}/teasers", "--full-text", *options]) == 0  # a fresh index from a feed
    assert sorted(fresh_service.current().snapshot.articles) == ["gone", "secret", "storm"]
    closed = "http://127.0.0.1:9/story.html"  # the discard port: nothing listens
    assert main(["index", "add", closed, *options]) != 0
    assert f"{closed}: cannot fetch it" in capsys.readouterr().err


def test_body_over_the_size_limit_is_refused(web):
    from qa.ingest.fetch import fetch

    with pytest.raises(ArticleError, match="larger than the 100-byte limit"):
        fetch(f"{web}/news/storm.html", 100)
    name, data, final = fetch(f"{web}/feed", 1 << 20)
    assert name.endswith(".xml") and data == ROUTES["/feed"][2] and final == f"{web}/feed"


def test_feed_entries_read_from_the_pages_they_link_to(fresh_service, web, caplog):
    fresh_service = QAService(  # the test server is on this machine: an intranet feed, as far as links go
        fresh_service.settings.replace(fetch_private_links=True), fresh_service.embedder, fresh_service.reader
    )
    fresh_service.build()
    teaser = fresh_service.add(f"{web}/teasers")  # as the feed gives them: a line each
    arts = fresh_service.current().snapshot.articles
    assert arts["storm"].text == "Storm cuts power to 20,000 homes, the paper reports." and len(teaser.added) == 3
    full = fresh_service.add(f"{web}/teasers", full_text=True)
    arts = fresh_service.current().snapshot.articles
    assert full.updated == ["storm"] and sorted(full.unchanged) == ["gone", "secret"]  # they keep the feed's line
    assert "Erik Sandvall" in arts["storm"].text and "cookies" not in arts["storm"].text
    assert (arts["storm"].title, arts["storm"].url) == ("Storm cuts power to 20,000 homes", f"{web}/news/storm.html")
    assert "keeping the feed's own text of gone: " in caplog.text and "/private/story.html" not in HITS
    assert "/private/story.html: the site's robots.txt asks robots not to fetch it" in caplog.text
    pages = HITS["/news/storm.html"]
    again = fresh_service.add(f"{web}/teasers", full_text=True)  # what cron does every few minutes
    assert again.added == again.updated == [] and HITS["/news/storm.html"] == pages  # not fetched again


def test_feed_links_to_private_addresses_are_not_followed(fresh_service, web, caplog):
    """A feed's author chooses its links: by default they cannot make this machine fetch its own network (here
    the loopback test server) and index what it finds there, where the chat would quote it."""
    fresh_service.build()
    pages = HITS.get("/news/storm.html", 0)
    fresh_service.add(f"{web}/teasers", full_text=True)
    assert (
        fresh_service.current().snapshot.articles["storm"].text
        == "Storm cuts power to 20,000 homes, the paper reports."
    )
    assert HITS.get("/news/storm.html", 0) == pages and "127.0.0.1 is at a private address (127.0.0.1)" in caplog.text


def _admin(service, **settings):
    from litestar.testing import TestClient

    from web.app import create_app

    qa = like(service, admin_token="t0ken", **settings)
    client = TestClient(create_app(qa=qa))
    client.headers["Authorization"] = "Bearer t0ken"
    return client


def test_api_fetches_public_addresses_only(fresh_service, web):
    fresh_service.build()
    with _admin(fresh_service) as client:  # the test server is on this machine, so a private address
        r = client.post("/api/articles", json={"fetch": f"{web}/news/storm.html"})
        assert r.status_code == 400 and "127.0.0.1 is at a private address" in r.json()["detail"]
        for bad in ({"fetch": "file:///etc/passwd"}, {"fetch": f"{web}/x", "full_text": "yes"}, {"fetch": 1}):
            assert client.post("/api/articles", json=bad).status_code == 400
        assert client.post("/api/articles", json={"fetch": f"{web}/x", "title": "T"}).status_code == 400
    with _admin(fresh_service, fetch_private_links=True) as client:  # an intranet deployment
        r = client.post("/api/articles", json={"fetch": f"{web}/teasers", "full_text": True})
        assert r.status_code == 201 and sorted(r.json()["added"]) == ["gone", "secret", "storm"]
        storm = client.get("/api/articles/storm").json()
        assert "Erik Sandvall" in storm["text"] and storm["file"] == f"{web}/teasers"  # where it was read from


def test_a_private_address_is_refused_before_anything_connects_to_it():
    """The guard resolves and checks first: a refused link sends not one packet to the address (no connection
    to accept, so a refusal cannot tell which ports are open), whatever the spelling of the address."""
    import socket

    from qa.ingest.fetch import fetch

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        port = listener.getsockname()[1]
        for host in ("127.0.0.1", "localhost", "2130706433", "0x7f.0.0.1", "[::ffff:127.0.0.1]"):
            with pytest.raises(ArticleError, match="private address"):
                fetch(f"http://{host}:{port}/x", 1000, timeout=2, public=True)
        with pytest.raises(TimeoutError):
            listener.accept()
