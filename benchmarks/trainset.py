"""One training file for `qa reader train` from several paragraph files (gzipped or not), one record per
paragraph: questions asked of the same paragraph (SQuAD's own and the synthetic unanswerable ones made from it)
share its text once, so the file that travels to a GPU lease is small. A file named twice counts twice.

    .venv/bin/python -m benchmarks.trainset --out .gpu/data.jsonl.gz FILE [FILE ...]

The SQuAD-derived data is CC BY-SA 4.0, and so is what is trained on it.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from benchmarks.squad import write_paragraphs
from qa.training.squad import paragraphs


def merged(paths: Iterable[Path]) -> list[dict]:
    """The paragraphs of all files in first-seen order, each (title, context) once with all its questions."""
    by_text: dict[tuple[str, str], dict] = {}
    for path in paths:
        for _, para in paragraphs(path):
            key = (para.get("title", ""), para["context"])
            by_text.setdefault(key, {"title": key[0], "context": key[1], "qas": []})["qas"] += para["qas"]
    return list(by_text.values())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("files", type=Path, nargs="+")
    args = p.parse_args()
    records = merged(args.files)
    write_paragraphs(args.out, records)
    questions = sum(len(r["qas"]) for r in records)
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out}: {questions} questions over {len(records)} paragraphs, {size:.1f} MB")


if __name__ == "__main__":
    main()
