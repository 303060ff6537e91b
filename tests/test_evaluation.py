import json

import pytest

from qa.evaluation import f1, load_questions, normalize


def test_normalize_and_f1():
    assert normalize("The  G8!") == "g8"
    assert f1("Boris Johnson", "Johnson") == pytest.approx(2 / 3)
    assert f1("", "x") == 0.0 and f1("a the", "the") == 0.0


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
