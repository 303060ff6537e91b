"""Hybrid retrieval: dense search finds paraphrases, BM25 finds rare exact terms; RRF keeps both."""

import math

import pytest

from qa import QuestionError
from qa.store.bm25 import BM25
from qa.text.tokens import terms

from .conftest import like

ARTICLES = {
    "storm": "Storm batters coast\n\nA powerful storm flooded seaside towns overnight, and thousands lost electricity.",
    "budget": "Budget approved\n\nParliament approved the annual budget, raising spending on schools and hospitals.",
    "recall": "Car maker recalls model\n\nThe company recalled the XK-42 sedan because of a brake defect.",
}


@pytest.fixture
def news(fresh_service, tmp_path):
    for name, text in ARTICLES.items():
        (tmp_path / f"{name}.txt").write_text(text)
    fresh_service.build(tmp_path)
    return fresh_service


def top_article(service, question):
    return service.ask(question).passages[0].chunk.article_id


def test_paraphrase_found_by_meaning(news):
    assert top_article(news, "Which places had a power cut after bad weather?") == "storm"
    assert top_article(news, "How much money will the government spend on education?") == "budget"


def test_rare_exact_term_found(news):
    assert top_article(news, "XK-42") == "recall"


def test_passages_are_distinct_and_ranked(news):
    passages = news.ask("storm budget recall", k=3).passages
    assert len({p.chunk.id for p in passages}) == len(passages)
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


def test_bm25_prefers_documents_with_rarer_terms():
    bm25 = BM25.build([terms(d) for d in ["the cat sat", "the dog sat", "a cat and a dog", ""]])
    assert bm25.df("cat") == 2 and bm25.idf("cat") < bm25.idf("zebra")
    assert [i for i, _ in bm25.top("dog sat", 3)][0] == 1
    assert bm25.top("zebra", 3) == [] and bm25.top("the", 3) == []


def test_bm25_scores_are_lucene_bm25(tmp_path):
    """The saved and memory-mapped matrix scores as the formula says: idf times saturated tf, distinct terms."""
    docs = [["cat", "sat", "cat"], ["dog", "sat"], ["cat", "dog", "bird", "fish"]]
    BM25.build(docs).save(tmp_path / "bm25")
    bm25 = BM25.load(tmp_path / "bm25")
    avg = sum(map(len, docs)) / len(docs)

    def expected(doc, query):
        total = 0.0
        for term in set(query):
            tf, df = doc.count(term), sum(term in d for d in docs)
            idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
            total += idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * len(doc) / avg)) if tf else 0.0
        return total

    want = [expected(d, ["cat", "sat"]) for d in docs]
    assert bm25.scores("cats sat sat") == pytest.approx(want, rel=1e-5)  # stemmed and deduplicated like the docs
    assert [i for i, _ in bm25.top("cats sat", 2)] == sorted(range(3), key=lambda i: -want[i])[:2]
    empty = tmp_path / "empty"
    BM25.build([]).save(empty)
    assert BM25.load(empty).top("cat", 3) == []


def test_bm25_changed_equals_a_fresh_build(tmp_path):
    """Dropping and adding documents on a saved (memory-mapped) index gives the index built from scratch."""
    docs = [["cat", "sat"], ["dog", "sat", "dog"], ["bird"], [], ["cat", "dog", "fish"], ["fish", "sat"]]
    BM25.build(docs).save(tmp_path / "bm25")
    keep = [True, False, True, True, False, True]
    added = [["zebra", "cat"], ["dog"]]
    changed = BM25.load(tmp_path / "bm25").changed(keep, added)
    scratch = BM25.build([d for d, k in zip(docs, keep, strict=True) if k] + added)
    assert changed.size == scratch.size == 6
    for query in ("cat sat", "dog", "zebra fish", "bird cat dog sat", "nothing"):
        assert changed.scores(query) == pytest.approx(scratch.scores(query), rel=1e-6)
    assert [changed.df(t) for t in ("cat", "dog", "sat", "unknown")] == [
        scratch.df(t) for t in ("cat", "dog", "sat", "unknown")
    ]


def test_score_fusion_normalises_each_retriever():
    from qa.search.fusion import normalised, reciprocal_rank

    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]  # cosine scores
    lexical = [(3, 30.0), (4, 10.0)]  # BM25 scores, another scale
    fused = normalised(0.5, dense, lexical)
    assert fused == {1: 0.5, 2: 0.25, 3: 0.5, 4: 0.0}
    assert normalised(1.0, dense, lexical)[1] == 1.0 and normalised(0.0, dense, lexical)[3] == 1.0
    assert normalised(0.5, [(7, 0.3)], []) == {7: 0.5}  # one candidate: full marks for that retriever
    ranks = reciprocal_rank(60, dense, lexical)
    assert max(ranks, key=ranks.get) == 3  # found by both


def test_newer_reporting_ranks_first_and_a_date_window_restricts_the_search(fresh_service, tmp_path):
    """Two articles disagree on who heads the agency; the newer one's answer comes first, and since/until search
    only the articles published in the window (undated ones are outside every window)."""
    folder = tmp_path / "dated"
    folder.mkdir()
    for name, day, head in (("old", "2016-05-01", "Maria Lind"), ("new", "2018-03-02", "Omar Haddad")):
        body = f"The head of the Ports Agency is {head}, officials said."
        text = f"---\npublished: {day}\n---\nPorts agency news\n\n{body}"
        (folder / f"{name}.txt").write_text(text)
    (folder / "undated.txt").write_text("Harbour notes\n\nThe Ports Agency opened a new office in the harbour.")
    fresh_service.build(folder)
    eager = fresh_service  # the default thresholds show both answers
    assert [a for a, _, _ in fresh_service.newest(10)] == ["new", "old", "undated"]  # the chat's article list
    assert fresh_service.newest(1) == [("new", "Ports agency news", "2018-03-02")]
    question = "Who is the head of the Ports Agency?"
    answers = eager.ask(question).answers
    assert [a.text for a in answers[:2]] == ["Omar Haddad", "Maria Lind"]
    assert [a.citation.published for a in answers[:2]] == ["2018-03-02", "2016-05-01"]
    assert {p.chunk.article_id for p in eager.ask(question, since="2017-01-01").passages} == {"new"}
    assert {p.chunk.article_id for p in eager.ask(question, until="2017-01-01").passages} == {"old"}
    assert eager.ask(question, since="2019-01-01").passages == []
    for bad in ({"since": "yesterday"}, {"until": "2017-02-30"}, {"since": "2018-01-01", "until": "2017-01-01"}):
        with pytest.raises(QuestionError):
            eager.ask(question, **bad)
    recent = like(fresh_service, recency_weight=1.0)
    assert recent.ask(question).passages[0].chunk.article_id == "new"
