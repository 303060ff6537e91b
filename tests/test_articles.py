import json
from pathlib import Path

import pytest

from qa.errors import MAX_LISTED, ArticleError
from qa.ingest.formats import load_path

LIMIT = 1_000_000


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_txt_first_line_is_title(tmp_path):
    [a] = load_path(write(tmp_path, "My Story.txt", "Big headline\n\nBody one.\n\nBody two.\n"), LIMIT)
    assert (a.id, a.title, a.text) == ("My-Story", "Big headline", "Body one.\n\nBody two.")


def test_markdown_heading_title(tmp_path):
    [a] = load_path(write(tmp_path, "m.md", "# Heading here\nText body."), LIMIT)
    assert a.title == "Heading here" and a.text == "Text body."


def test_html_visible_text_only(tmp_path):
    page = (
        "<html><head><title>T</title><script>var x='<p>no</p>';</script></head><body><nav>menu</nav>"
        "<h1>Real &amp; title</h1><p>First &lt;para&gt;.</p><p>Second para.</p></body></html>"
    )
    [a] = load_path(write(tmp_path, "p.html", page), LIMIT)
    assert a.title == "Real & title"
    assert a.text == "First <para>.\n\nSecond para."


NEWS_PAGE = Path(__file__).parent / "data" / "news_page.html"  # a made-up story inside a news site's page


def test_news_page_keeps_the_story_and_leaves_out_the_rest_of_the_page():
    """Menus, cookie notices, share buttons, related links, newsletter, comments and footer are not the story."""
    [a] = load_path(NEWS_PAGE, LIMIT)
    assert a.title == "Storm cuts power to 20,000 homes on the coast"
    paragraphs = a.text.split("\n\n")
    assert paragraphs[0].startswith("A storm with gusts") and paragraphs[-1].startswith("The national weather")
    assert len(paragraphs) == 5 and all(p in NEWS_PAGE.read_text() for p in paragraphs)
    for rest in ("cookies", "Subscribe", "Share on", "Related stories", "flood barrier", "briefing", "Typical,", "©"):
        assert rest not in a.text
    # the page's own date tag ("Monday, 3 March") is not a date: the story's JSON-LD gives it instead
    assert (a.published, a.outlet, a.authors) == ("2026-03-02", "Coastal Herald", ("Mara Lindqvist",))


@pytest.mark.parametrize(
    "body",
    [
        "<article><header><h1>Storm hits coast</h1></header><p>Body.</p></article>",  # in a <header>
        "<div><h1>Herald</h1></div><article><h1>Storm hits coast</h1><p>Body.</p></article>",  # one h1 per box
    ],
)
def test_page_headline(tmp_path, body):
    head = '<title>Storm hits coast | Herald</title><meta property="og:title" content="Storm hits coast">'
    [a] = load_path(write(tmp_path, "p.html", f"<html><head>{head}</head><body>{body}</body></html>"), LIMIT)
    assert a.title == "Storm hits coast"


def test_page_without_a_usable_date_or_title_is_still_read(tmp_path):
    page = '<html><head><meta name="date" content="Mo-Su 08:00-20:00"></head><body><p>Opening hours.</p></body></html>'
    [a] = load_path(write(tmp_path, "shop-hours.html", page), LIMIT)
    assert (a.title, a.text, a.published) == ("shop-hours", "Opening hours.", "")


def test_page_trafilatura_cannot_read_keeps_its_visible_text(tmp_path, monkeypatch, caplog):
    import trafilatura

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    [a] = load_path(write(tmp_path, "p.html", "<h1>Head</h1><nav>menu</nav><p>One.</p><p>Two.</p>"), LIMIT)
    assert (a.title, a.text) == ("Head", "One.\n\nTwo.") and "trafilatura could not read" in caplog.text


@pytest.mark.parametrize(
    "head, encoding",
    [
        ('<meta charset="iso-8859-1">', "cp1252"),  # read as windows-1252, as browsers do: the ’ is byte 0x92
        ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1250">', "cp1250"),
        ("", "cp1252"),  # no charset declared: the browsers' default
        ("", "utf-16"),  # a byte-order mark says it
    ],
)
def test_page_in_its_declared_charset(tmp_path, head, encoding):
    page = f"<html><head>{head}<title>Zürich</title></head><body><p>Grüße aus Zürich’s Altstadt.</p></body></html>"
    [a] = load_path(write(tmp_path, "p.html", page.encode(encoding)), LIMIT)
    assert (a.title, a.text) == ("Zürich", "Grüße aus Zürich’s Altstadt.")


def test_feed_in_its_declared_encoding(tmp_path):
    feed = (
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>Zeitung</title>'
        "<item><guid>z1</guid><title>Föhn in Zürich</title><description>Der Föhn erreichte 120 km/h.</description>"
        "</item></channel></rss>"
    )
    [a] = load_path(write(tmp_path, "z.rss", feed.encode("iso-8859-1")), LIMIT)
    assert (a.title, a.text, a.outlet) == ("Föhn in Zürich", "Der Föhn erreichte 120 km/h.", "Zeitung")


def test_jsonl_records(tmp_path):
    lines = [
        json.dumps({"id": "x/1", "title": "One", "text": "Alpha."}),
        "",
        json.dumps({"title": "Two", "text": "Beta."}),
    ]
    arts = load_path(write(tmp_path, "a.jsonl", "\n".join(lines)), LIMIT)
    assert [(a.id, a.title, a.text) for a in arts] == [("x-1", "One", "Alpha."), ("Two", "Two", "Beta.")]


def test_metadata_from_front_matter_html_meta_and_jsonl_fields(tmp_path):
    front = (
        "---\npublished: 2017-04-11\nsource: Sky News\nauthors: Jane Doe; John Roe\nurl: https://news.example/a\n---\n"
    )
    [md] = load_path(write(tmp_path, "m.md", front + "# Storm hits coast\nThe storm hit."), LIMIT)
    assert (md.title, md.text, md.published, md.outlet) == (
        "Storm hits coast",
        "The storm hit.",
        "2017-04-11",
        "Sky News",
    )
    assert md.authors == ("Jane Doe", "John Roe") and md.url == "https://news.example/a"
    page = (
        '<html><head><meta property="article:published_time" content="2017-04-11T09:30:00Z">'
        '<meta property="og:site_name" content="BBC News"><meta name="author" content="A. Writer">'
        '<link rel="canonical" href="https://bbc.example/1"></head><body><h1>Head</h1><p>Body.</p></body></html>'
    )
    [html] = load_path(write(tmp_path, "p.html", page), LIMIT)
    assert (html.published, html.outlet, html.authors, html.url) == (
        "2017-04-11T09:30:00+00:00",
        "BBC News",
        ("A. Writer",),
        "https://bbc.example/1",
    )
    [time_only] = load_path(
        write(tmp_path, "t.html", '<h1>H</h1><time datetime="2020-02-03">Feb 3</time><p>x</p>'), LIMIT
    )
    assert time_only.published == "2020-02-03"
    record = {"id": "r", "title": "R", "text": "T.", "published": "2020-01-02", "site": "Reuters", "author": ["A", "B"]}
    record["url"] = "javascript:alert(1)"  # only web links are kept
    [js] = load_path(write(tmp_path, "r.jsonl", json.dumps(record)), LIMIT)
    assert (js.published, js.outlet, js.authors, js.url) == ("2020-01-02", "Reuters", ("A", "B"), "")
    [plain] = load_path(write(tmp_path, "plain.txt", "Title\nText."), LIMIT)
    assert plain.meta == {} and plain.outlet == ""


def test_metadata_is_part_of_an_articles_identity_only_when_present(tmp_path):
    import hashlib

    [plain] = load_path(write(tmp_path, "plain.txt", "Title\nText."), LIMIT)
    assert plain.content_hash == hashlib.sha256(b"Title\0Text.").hexdigest()  # as indexes written before have it
    [dated] = load_path(write(tmp_path, "plain.txt", "---\npublished: 2021-05-06\n---\nTitle\nText."), LIMIT)
    assert dated.content_hash != plain.content_hash and dated.text == plain.text


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("date.md", "---\nsource: X\npublished: yesterday\n---\n# T\nText.", "date.md:3: published 'yesterday'"),
        ("date.jsonl", '{"title": "t", "text": "x", "published": "2017-13-45"}', "date.jsonl:1: published"),
        ("bad.jsonl", '{"title": "ok", "text": "fine"}\n{"title": broken', "bad.jsonl:2: invalid JSON"),
        ("bad.jsonl", '{"title": "no text"}', 'bad.jsonl:1: expected an object with a "text" string'),
        ("bin.txt", b"Title\n\xff\xfe bad bytes", "bin.txt: not valid UTF-8"),
        ("empty.txt", "Only a title\n\n", "empty.txt: article has no text"),
        ("notes.pdf", "whatever", "unsupported file type .pdf"),
    ],
)
def test_broken_files_name_the_file(tmp_path, name, content, message):
    path = write(tmp_path, name, content)
    with pytest.raises(ArticleError) as err:
        load_path(path, LIMIT)
    assert message in str(err.value) and str(path) in str(err.value)


def test_oversized_file_is_refused(tmp_path):
    path = write(tmp_path, "big.txt", "Title\n" + "x" * 200)
    with pytest.raises(ArticleError, match="larger than the 100-byte limit"):
        load_path(path, 100)


def test_jsonl_limit_applies_per_record(tmp_path):
    small = json.dumps({"title": "t", "text": "x" * 50})
    assert len(load_path(write(tmp_path, "many.jsonl", "\n".join([small] * 5)), 100)) == 5
    with pytest.raises(ArticleError, match="many.jsonl:2: article text is larger than the 100-byte limit"):
        load_path(write(tmp_path, "many.jsonl", small + "\n" + json.dumps({"title": "t", "text": "y" * 101})), 100)


def test_directory_loads_supported_files_sorted(tmp_path):
    write(tmp_path, "b.txt", "B\nbody b")
    write(tmp_path, "a.md", "# A\nbody a")
    write(tmp_path, "skip.csv", "x,y")
    write(tmp_path, "._b.txt", b"\x00\x05\x16\x07 macOS metadata")  # hidden files and folders are skipped
    (tmp_path / ".git").mkdir()
    write(tmp_path, ".git/notes.md", "# Not an article\nbody")
    assert [a.id for a in load_path(tmp_path, LIMIT)] == ["a", "b"]


def test_one_error_names_every_broken_file_and_line(tmp_path):
    write(tmp_path, "a.txt", "A\nbody a")
    write(tmp_path, "empty.txt", "Only a title\n")
    write(tmp_path, "bin.txt", b"Title\n\xff bad bytes")
    (tmp_path / "sub").mkdir()
    write(tmp_path, "sub/many.jsonl", '{"title": "ok", "text": "fine"}\n{"title": broken\n{"title": "no id or text"}')
    with pytest.raises(ArticleError) as err:
        load_path(tmp_path, LIMIT)
    assert len(err.value.problems) == 4
    for named in (
        "bin.txt: not valid UTF-8",
        "empty.txt: article has no text",
        "many.jsonl:2: invalid JSON",
        'many.jsonl:3: expected an object with a "text" string',
    ):
        assert sum(named in line for line in str(err.value).splitlines()) == 1, named
    assert str(err.value).startswith("4 problems:")


def test_error_lists_the_first_problems_and_counts_the_rest(tmp_path):
    write(tmp_path, "many.jsonl", "\n".join(["not json"] * (MAX_LISTED + 5)))
    with pytest.raises(ArticleError) as err:
        load_path(tmp_path / "many.jsonl", LIMIT)
    lines = str(err.value).splitlines()
    assert len(err.value.problems) == MAX_LISTED + 5 and len(lines) == MAX_LISTED + 2
    assert lines[-1].strip() == "... and 5 more"


def test_missing_path(tmp_path):
    with pytest.raises(ArticleError, match="no such file"):
        load_path(tmp_path / "nope.txt", LIMIT)
