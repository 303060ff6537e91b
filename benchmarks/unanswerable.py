"""Synthetic unanswerable questions for reader training: SQuAD v1.1 train questions whose named entity or number,
found in their own paragraph, is swapped for one the paragraph lacks ("When did Chopin leave Warsaw?" becomes
"When did Liszt leave Warsaw?" over the same paragraph). SQuAD 2.0's "entity swap" questions are made this way
by hand; these teach the reader that an on-topic passage is not an answer when the question names something it
does not hold. Written in the paragraph format `qa reader train` reads.

    .venv/bin/python -m benchmarks.unanswerable --out FILE.jsonl.gz [--share 0.25]

Measured once (stage 7's sibling run, see models/reader/README.md): 13,739 of these added to stage 7's data
lifted SQuAD 2.0 overall F1 from 0.560 to 0.585 but cost open v1.1 F1 (0.673 to 0.631) and one more seed
abstention, so the shipped reader does not use them. A smaller share (1,200 of 25,252 questions, a short CPU stage
at 192 tokens) did the same on a smaller scale: SQuAD 2.0 overall 0.568, open v1.1 0.671, seed 4 right instead of
6 (models/reader/README.md).

The data is CC BY-SA 4.0, and so is what is trained on it.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from benchmarks.squad import train_articles, write_paragraphs
from qa.metrics import normalize

# a run of capitalised words (inner "of", "the", "de" allowed), or a number
NAME = re.compile(r"\b[A-Z][\w'’.&-]*(?:\s+(?:(?:of|the|de|von|van|and)\s+)?[A-Z][\w'’.&-]*)*")
NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
OPENERS = {"The", "A", "An", "In", "On", "At", "Of", "To", "By", "For"}  # capitalised after a colon or a quote


def mentions(question: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of the names and numbers in a question. A question's first word is capitalised
    anyway, so it is not taken for a name; a possessive "'s" and trailing dots are left out."""
    found = []
    for m in NAME.finditer(question):
        start, text = m.start(), m.group()
        if start == 0:  # "What Chopin ..." -> "Chopin"; "About how ..." -> nothing
            text = text.split(maxsplit=1)[1] if " " in text else ""
            start = m.end() - len(text)
        text = re.sub(r"(?:['’]s)?[.]*$", "", text)
        if text and text not in OPENERS:
            found.append((start, start + len(text), f"name{min(len(text.split()), 3)}"))
    found += [(m.start(), m.end(), "number") for m in NUMBER.finditer(question)]
    return found


def swapped(question: str, context: str, pool: dict[str, list[str]], rng: random.Random) -> str | None:
    """The question with one mention its context holds replaced by one of the same kind the context lacks."""
    text = f" {normalize(context)} "
    held = [m for m in mentions(question) if f" {normalize(question[m[0] : m[1]])} " in text]
    if not held:
        return None
    start, end, kind = rng.choice(held)
    for _ in range(10):
        if kind == "number":
            old = question[start:end]
            value = int(old) + rng.choice([-1, 1]) * rng.randint(1, 30) if old.isdigit() else rng.randint(2, 999)
            new = str(max(value, 0))
        else:
            new = rng.choice(pool[kind])
        if normalize(new) and f" {normalize(new)} " not in text and new != question[start:end]:
            return question[:start] + new + question[end:]
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--share", type=float, default=0.25, help="share of the train questions swapped")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    rng = random.Random(args.seed)
    articles = train_articles()
    pool: dict[str, list[str]] = {}
    for paras in articles.values():
        for para in paras:
            for qa in para["qas"]:
                for start, end, kind in mentions(qa["question"]):
                    pool.setdefault(kind, []).append(qa["question"][start:end])
    records, made, tried = [], 0, 0
    for title, paras in articles.items():
        for para in paras:
            qas = []
            for qa in para["qas"]:
                if rng.random() >= args.share:
                    continue
                tried += 1
                question = swapped(qa["question"], para["context"], pool, rng)
                if question:
                    qas.append({"id": qa["id"] + "/swap", "question": question, "answers": []})
            if qas:
                records.append({"title": title, "context": para["context"], "qas": qas})
                made += len(qas)
    write_paragraphs(args.out, records)
    print(f"wrote {args.out}: {made} unanswerable questions of {tried} tried, over {len(records)} paragraphs")


if __name__ == "__main__":
    main()
