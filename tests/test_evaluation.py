import json

import pytest

from qa.evaluation.report import load_questions
from qa.models.reader import Found
from qa.text.metrics import best_f1, f1, normalize
from qa.training.scores import no_answer_scores, reader_scores
from qa.training.squad import Example


def test_normalize_and_f1():
    assert normalize("The  G8!") == "g8"
    assert f1("Boris Johnson", "Johnson") == pytest.approx(2 / 3)
    assert f1("", "x") == 0.0 and f1("a the", "the") == 0.0
    assert best_f1("Boris Johnson", ["Johnson", "Boris Johnson"]) == 1.0 and best_f1("Johnson", []) == 0.0


def test_load_questions_sample_and_errors(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps({"question": f"q{i}", "answers": []}) for i in range(10)))
    assert len(load_questions(path)) == 10
    sample = load_questions(path, sample=3, seed=1)
    assert len(sample) == 3 and sample == load_questions(path, sample=3, seed=1)
    assert load_questions(path, sample=0) == load_questions(path)  # 0: all of them
    with pytest.raises(ValueError, match="sample"):
        load_questions(path, sample=-1)
    path.write_text('{"question": "q"}')
    with pytest.raises(ValueError, match="q.jsonl:1"):
        load_questions(path)
    path.write_text('{"question": "and where?", "answers": [], "history": [["when?"]]}')
    with pytest.raises(ValueError, match="history"):
        load_questions(path)


class Margins:
    """A reader whose best span in a context is its first word, `margin` logits above the no-answer logit,
    where `margin` is the context's second word."""

    def read(self, question, contexts, top=3):
        first, margin = contexts[0].split()[:2]
        return [Found(0, 0, len(first), float(margin), 0.0, 0.5)]


def ex(answer, margin, gold):
    return Example("q?", f"{answer} {margin}", None, tuple(gold), "t")


def test_no_answer_margin_is_tuned_on_one_set_and_scored_on_another():
    # tuning: answering above a margin of 1 is best (unanswerable at 0 and 1, answerable at 2 and 3, a wrong one at -1)
    tuning = [
        ex("oslo", 3, ["oslo"]),
        ex("rome", 2, ["rome"]),
        ex("lima", 1, []),
        ex("bern", 0, []),
        ex("kyiv", -1, ["x"]),
    ]
    report = [ex("oslo", 5, ["oslo"]), ex("rome", 0.5, ["rome"]), ex("lima", 4, []), ex("bern", -2, [])]
    scores = no_answer_scores(Margins(), tuning, report)
    assert scores["no_answer_margin"] == 1.0
    assert scores["f1"] == 0.5  # "oslo" answered right, "rome" (0.5) withheld
    assert scores["no_answer_accuracy"] == 0.5  # "lima" (4) answered, "bern" abstained
    assert scores["overall_f1"] == 0.5 and scores["questions"] == 4


def test_gold_paragraph_scores_count_answerable_questions_and_score_abstention_where_some_are_not():
    answerable = [ex("oslo", 3, ["oslo"]), ex("rome", -1, ["paris"])]
    scores = reader_scores(Margins(), answerable)
    assert scores["exact_match"] == 50.0 and "best_overall_f1" not in scores  # SQuAD v1.1: nothing to abstain on
    scores = reader_scores(Margins(), [*answerable, ex("lima", 0, [])])  # SQuAD 2.0 dev once crashed here
    assert scores["exact_match"] == 50.0 and scores["f1"] == 50.0 and scores["unanswerable"] == 1
    assert scores["best_overall_f1"] == pytest.approx(100 * 2 / 3, abs=0.01)  # answer "oslo" only
    assert scores["best_no_answer_margin"] == 0.0
