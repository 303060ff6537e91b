"""SQuAD-format data for the reader: questions with their contexts, no-answer pairs and labelled windows."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from qa.models.reader import clip_question
from qa.text.chunking import split_sentences
from qa.text.metrics import normalize


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    answer: tuple[int, int] | None  # character span in context; None = the context does not answer it
    answers: tuple[str, ...] = ()  # gold texts (dev)
    group: str = ""  # article title: no-answer contexts come from the same article


def paragraphs(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, record) of SQuAD-train-style paragraph JSONL (optionally gzipped), each record a
    `{"title", "context", "qas"}` object."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                para = json.loads(line)
                if not isinstance(para["context"], str) or not isinstance(para["qas"], list):
                    raise TypeError("context must be text and qas a list")
            except (KeyError, TypeError, json.JSONDecodeError) as exc:
                raise ValueError(f"{path}:{n}: not a SQuAD paragraph record ({exc})") from None
            yield n, para


def read_train(path: Path) -> list[Example]:
    """Questions with one answer offset each, from SQuAD-train-style paragraph JSONL (optionally gzipped)."""
    out = []
    for n, para in paragraphs(path):
        try:
            for qa in para["qas"]:
                answer = qa["answers"][0] if qa.get("answers") else None
                span = (answer["answer_start"], answer["answer_start"] + len(answer["text"])) if answer else None
                texts = tuple(a["text"] for a in qa.get("answers", []))
                out.append(Example(qa["question"], para["context"], span, texts, para.get("title", "")))
        except (KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"{path}:{n}: not a SQuAD paragraph record ({exc})") from None
    return out


def read_dev(directory: Path, questions: Path | None = None) -> list[Example]:
    """Questions with their gold paragraph from an eval directory (`paragraphs.jsonl` + `qa.jsonl`, or the
    `questions` file in that format)."""
    directory = Path(directory)
    paragraphs = {}
    for line in (directory / "paragraphs.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        paragraphs[(p["doc_id"], p["para_idx"])] = p["text"]
    out = []
    for line in Path(questions or directory / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        context = paragraphs[(q["doc_id"], q["para_idx"])]
        out.append(Example(q["question"], context, None, tuple(q["answers"]), q.get("title", "")))
    return out


def with_negatives(examples: list[Example], fraction: float, rng: random.Random) -> list[Example]:
    """The examples plus `fraction` as many no-answer ones: a question over another paragraph of its article."""
    by_group: dict[str, list[str]] = {}
    for e in examples:
        contexts = by_group.setdefault(e.group, [])
        if not contexts or contexts[-1] != e.context:
            contexts.append(e.context)
    extra = []
    for e in rng.sample(examples, int(len(examples) * fraction)):
        others = [c for c in by_group[e.group] if c != e.context]
        if others:
            extra.append(Example(e.question, rng.choice(others), None, (), e.group))
    return examples + extra


def without_answers(examples: list[Example], fraction: float, rng: random.Random) -> list[Example]:
    """The examples plus up to `fraction` as many on-topic no-answer ones: the question over its own paragraph
    with the answer's sentence cut out (skipped where the answer text still occurs or too little is left)."""
    extra = []
    for e in rng.sample(examples, int(len(examples) * fraction)):
        if e.answer is None:
            continue
        a, b = e.answer
        cut = [s for s in split_sentences(e.context) if s.start < b and a < s.end]
        if not cut:
            continue
        rest = (e.context[: cut[0].start] + e.context[cut[-1].end :]).strip()
        gold = normalize(e.context[a:b])
        if len(rest) >= 150 and gold and f" {gold} " not in f" {normalize(rest)} ":
            extra.append(Example(e.question, rest, None, (), e.group))
    return examples + extra


class Labelled(NamedTuple):
    """One training window: its token ids and types (None for models without them), the answer's token span
    ((0, 0): none here), and what a teacher needs to read the same text: the question as put, the context's
    characters [first, last) the window covers, and each token's character span in the context (None outside it)."""

    ids: list[int]
    types: list[int] | None
    start: int
    end: int
    question: str
    context: str
    first: int
    last: int
    offsets: list[tuple[int, int] | None]


def labelled_windows(
    tokenizer, batch: list[Example], max_length: int, stride: int, rng: random.Random
) -> list[Labelled]:
    """One window per example: one holding its answer, else any, labelled (0, 0)."""
    questions = [clip_question(tokenizer, e.question, max_length)[0] for e in batch]
    enc = tokenizer(
        questions,
        [e.context for e in batch],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    types = enc.get("token_type_ids")
    per_example: dict[int, list[Labelled]] = {}
    for w, i in enumerate(enc["overflow_to_sample_mapping"]):
        e, seq = batch[i], enc.sequence_ids(w)
        offsets = [tuple(o) if s == 1 else None for o, s in zip(enc["offset_mapping"][w], seq, strict=True)]
        ctx = [t for t, o in enumerate(offsets) if o is not None]
        if not ctx:
            continue  # an empty context: nothing to read
        first, last = offsets[ctx[0]][0], offsets[ctx[-1]][1]
        start = end = 0
        if e.answer is not None:
            a, b = e.answer
            if not (first <= a and last >= b):
                continue  # the answer is not (wholly) in this window
            start = next(t for t in ctx if offsets[t][1] > a)
            end = next(t for t in reversed(ctx) if offsets[t][0] < b)
        window = Labelled(
            enc["input_ids"][w], types[w] if types else None, start, end, questions[i], e.context, first, last, offsets
        )
        per_example.setdefault(i, []).append(window)
    return [rng.choice(found) for found in per_example.values()]
