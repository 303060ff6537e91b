"""Reader tuning data: the SQuAD 2.0 dev tuning articles (answerable and on-topic unanswerable questions over
their own paragraphs) mixed with a sample of SQuAD v1.1 train, in the paragraph format `qa reader train` reads.

    .venv/bin/python -m benchmarks.tuning --out FILE.jsonl.gz [--train-questions 12000] [--seed 0]

SQuAD 2.0 dev gives answer texts without offsets: an answer is placed at its first occurrence in the paragraph,
and a question none of whose answers occurs is left out. The data is CC BY-SA 4.0, and so is what is trained on it.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from benchmarks.squad import V2_DEV, train_articles, v2_parts, write_paragraphs


def v2_paragraphs(questions: Path) -> list[dict]:
    """The paragraphs of the questions in `questions` (a SQuAD 2.0 dev part), each with its questions."""
    texts = {}
    for line in (V2_DEV / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        texts[(p["doc_id"], p["para_idx"])] = (p["text"], p.get("title", p["doc_id"].split("/")[-1]))
    paragraphs: dict[tuple, dict] = {}
    for line in questions.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        text, title = texts[(q["doc_id"], q["para_idx"])]
        para = paragraphs.setdefault((q["doc_id"], q["para_idx"]), {"title": title, "context": text, "qas": []})
        answers = [{"text": a, "answer_start": text.find(a)} for a in q["answers"] if text.find(a) >= 0]
        if answers or not q["answers"]:
            para["qas"].append({"id": q["id"], "question": q["question"], "answers": answers})
    return list(paragraphs.values())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--train-questions", type=int, default=12000, help="SQuAD v1.1 train questions mixed in")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    tuning, _, _ = v2_parts()
    tuned = v2_paragraphs(tuning)
    train = [para for paras in train_articles().values() for para in paras]
    random.Random(args.seed).shuffle(train)
    mixed, questions = [], 0
    for para in train:
        if questions >= args.train_questions:
            break
        mixed.append(para)
        questions += len(para["qas"])
    rows = tuned + mixed
    write_paragraphs(args.out, rows)
    v2 = [q for para in tuned for q in para["qas"]]
    print(
        f"wrote {args.out}: {len(v2)} SQuAD 2.0 tuning questions ({sum(not q['answers'] for q in v2)} unanswerable) "
        f"and {questions} SQuAD v1.1 train questions"
    )


if __name__ == "__main__":
    main()
