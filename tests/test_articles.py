import json

import pytest

from qa.articles import ArticleError, load_path

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


def test_jsonl_records(tmp_path):
    lines = [
        json.dumps({"id": "x/1", "title": "One", "text": "Alpha."}),
        "",
        json.dumps({"title": "Two", "text": "Beta."}),
    ]
    arts = load_path(write(tmp_path, "a.jsonl", "\n".join(lines)), LIMIT)
    assert [(a.id, a.title, a.text) for a in arts] == [("x-1", "One", "Alpha."), ("Two", "Two", "Beta.")]


@pytest.mark.parametrize(
    "name, content, message",
    [
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
    assert [a.id for a in load_path(tmp_path, LIMIT)] == ["a", "b"]


def test_missing_path(tmp_path):
    with pytest.raises(ArticleError, match="no such file"):
        load_path(tmp_path / "nope.txt", LIMIT)
