"""RSS and Atom feeds: one article per entry with its date, link, authors and outlet; what is already indexed
is skipped, from the command line and over the API."""

import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from qa.cli import main
from qa.errors import ArticleError
from qa.ingest.formats import load_path
from web.app import create_app

from .conftest import like

DATA = Path(__file__).parent / "data"


def test_feed_entries_become_articles_with_their_metadata():
    bridge, ferry = load_path(DATA / "feed_rss.xml", 1_000_000)  # the headline-only entry has nothing to quote
    assert (bridge.title, bridge.published, bridge.url) == (
        "Harbour bridge reopens",
        "2022-01-05T08:30:00+00:00",
        "https://harbour.example/bridge",
    )
    assert (bridge.outlet, bridge.authors) == ("Harbour Times", ("Jane Doe",))
    assert bridge.text.split("\n\n") == [
        "The harbour bridge reopened on Wednesday after three months of repairs.",
        "Engineer Omar Haddad led the work.",
    ]
    assert ferry.id == "ferry-2022-01-06" and ferry.authors == ()
    orchard, _ = load_path(DATA / "feed_atom.xml", 1_000_000)
    assert (orchard.outlet, orchard.authors, orchard.published) == (
        "Valley Gazette",
        ("Ana Ruiz",),
        "2022-02-01T09:15:00+00:00",
    )


def test_an_xml_file_that_is_no_feed_is_refused(tmp_path):
    path = tmp_path / "config.xml"
    path.write_text("<settings><colour>blue</colour></settings>")
    with pytest.raises(ArticleError, match="config.xml: not an RSS or Atom feed"):
        load_path(path, 1_000_000)


def test_every_entry_without_an_id_is_named(tmp_path):
    item = "<item><description>Some text.</description></item>"
    path = tmp_path / "anon.rss"
    path.write_text(f'<rss version="2.0"><channel><title>T</title>{item * 3}</channel></rss>')
    with pytest.raises(ArticleError) as err:
        load_path(path, 1_000_000)
    assert err.value.problems == [f"{path}: entry {n}: has no id, link or title" for n in (1, 2, 3)]


def test_feeds_are_added_once_from_the_command_line(tmp_path, capsys, settings):
    index = ["--index-dir", str(tmp_path / "index"), "--cache-dir", str(settings.cache_dir), "--progress", "false"]
    assert main(["index", "add", str(DATA / "feed_rss.xml"), *index]) == 0
    assert capsys.readouterr().out.startswith("2 added")
    assert main(["index", "add", str(DATA / "feed_rss.xml"), str(DATA / "feed_atom.xml"), *index]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 added (") and "; 2 unchanged" in out
    assert main(["ask", "Who led the work on the harbour bridge?", "--json", *index]) == 0
    cited = json.loads(capsys.readouterr().out)["answers"][0]["citation"]
    assert (cited["source"], cited["published"][:10]) == ("Harbour Times", "2022-01-05")


def test_the_same_content_under_another_id_is_skipped(fresh_service, tmp_path):
    fresh_service.build()
    record = {"title": "Ferry news", "text": "The morning ferry leaves at seven.", "source": "Harbour Times"}
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "first", **record}))
    (tmp_path / "b.jsonl").write_text(json.dumps({"id": "second", **record}))
    assert fresh_service.add(tmp_path / "a.jsonl").added == ["first"]
    assert fresh_service.add(tmp_path / "b.jsonl").unchanged == ["second"]
    assert "second" not in fresh_service.titles()


def test_a_feed_can_be_posted_as_it_is(fresh_service):
    fresh_service.build()
    qa = like(fresh_service, admin_token="t")
    headers = {"Authorization": "Bearer t", "content-type": "application/atom+xml"}
    with TestClient(create_app(qa=qa)) as client:
        r = client.post("/api/articles", content=(DATA / "feed_atom.xml").read_bytes(), headers=headers)
        assert r.status_code == 201 and len(r.json()["added"]) == 2
        again = client.post("/api/articles", content=(DATA / "feed_atom.xml").read_bytes(), headers=headers)
        assert again.json()["unchanged"] == r.json()["added"]
        bad = client.post("/api/articles", content=b"<notes/>", headers=headers)
        assert bad.status_code == 400 and "not an RSS or Atom feed" in bad.json()["detail"]
