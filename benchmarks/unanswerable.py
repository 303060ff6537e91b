"""Synthetic unanswerable questions for reader training, made from SQuAD v1.1 train questions over their own
paragraph the way SQuAD 2.0's annotators made three of their kinds by hand:

- swap: a name or number the paragraph holds is swapped for one it lacks ("When did Chopin leave Warsaw?" becomes
  "When did Liszt leave Warsaw?");
- antonym: a word the paragraph holds is replaced by its opposite, which it lacks ("What is the largest city"
  becomes "What is the smallest city");
- negation: "not" after the auxiliary before a participle ("Who was elected" becomes "Who was not elected"), or
  "never" before a past-tense verb after the question word ("Who founded" becomes "Who never founded"), where
  neither the question nor the answer's sentence already negates.

They teach the reader that an on-topic passage is not an answer when the question asks for something it does not
say. Written in the paragraph format `qa reader train` reads, one question per record.

    .venv/bin/python -m benchmarks.unanswerable --out FILE.jsonl.gz [--kinds antonym,negation] [--count 600]

Measured with short CPU stages from stage 7 at 192 tokens (models/reader/README.md), each adding questions to the
same 24,052 SQuAD questions: 1,200 swaps gave SQuAD 2.0 overall F1 0.568 (stage 7: 0.560), open v1.1 F1 0.671
(0.673) and 4 seed questions right (6); 600 antonyms plus 600 negations gave 0.582, 0.672 and 6 (a different six);
1,200 of each (`--kinds antonym,negation --count 1200 --seed 1`) gave 0.572, 0.682 and the same 6: stage 11. That
data was made before words and sentences were read with `qa.text.tokens` and `qa.text.chunking.split_sentences`; now the
generator finds 11,230 antonym and 5,309 negation questions (then 11,202 and 5,292), so the same command draws a
slightly different sample. At GPU scale (13,739 swaps added to stage 7's data) swaps gave 0.585 but cost open
v1.1 F1 (0.631).

The data is CC BY-SA 4.0, and so is what is trained on it.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

from benchmarks.squad import train_articles, write_paragraphs
from qa.text.chunking import split_sentences
from qa.text.metrics import normalize
from qa.text.tokens import tokens

# a run of capitalised words (inner "of", "the", "de" allowed), or a number
NAME = re.compile(r"\b[A-Z][\w'’.&-]*(?:\s+(?:(?:of|the|de|von|van|and)\s+)?[A-Z][\w'’.&-]*)*")
NUMBER = re.compile(r"\b\d[\d,.]*\d\b|\b\d\b")
# opposites; "first" is so common in questions that only a quarter of its chances are taken
_PAIRS = """largest smallest, biggest smallest, most least, first last, before after, earliest latest,
highest lowest, longest shortest, oldest newest, increase decrease, increased decreased, north south, east west,
northern southern, eastern western, more fewer, won lost, win lose, began ended, started ended, success failure,
successful unsuccessful, better worse, best worst, major minor, maximum minimum, upper lower, inside outside,
positive negative, public private, strong weak, stronger weaker, strongest weakest, above below, rise fall,
rose fell, allowed banned, accepted rejected, supported opposed, support oppose, early late, earlier later,
modern ancient, rich poor, richest poorest, male female, men women, internal external, opened closed,
legal illegal, common rare, larger smaller, bigger smaller, higher lower, longer shorter, older younger,
greatest least, entered left, import export, imports exports, wealthy poor, popular unpopular, hot cold,
warm cold, wet dry, heavy light, fast slow, faster slower, fastest slowest, top bottom, inner outer,
cheapest most expensive, high low, large small, big small, long short, old young, increasing decreasing,
gained lost, created destroyed, built destroyed, born died, birth death, victory defeat, winning losing,
primary secondary, official unofficial"""
OPPOSITE: dict[str, str] = {}
for _a, _b in (pair.split(maxsplit=1) for pair in _PAIRS.replace("\n", " ").split(", ")):
    OPPOSITE.setdefault(_a, _b)
    if " " not in _b:
        OPPOSITE.setdefault(_b, _a)
FIRST_KEPT = 0.25
AUXILIARIES = {"is", "was", "are", "were", "has", "have", "had", "can", "could", "would", "will", "should", "did"}
AUXILIARIES |= {"does", "do"}
PARTICIPLES = {"known", "taken", "given", "built", "made", "held", "found", "called", "named", "seen", "written"}
PARTICIPLES |= {"born", "chosen", "done", "sold", "paid", "won", "lost", "kept", "brought", "taught", "told"}
QUESTION_WORDS = {"who", "what", "which", "where", "when", "how", "why"}
NEGATION = re.compile(r"\b(?:not|never|no|nor|neither|without)\b|n't", re.IGNORECASE)
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


def antonym(question: str, context: str, rng: random.Random) -> str | None:
    """The question with one lower-case word its context holds replaced by the opposite, which the context lacks."""
    held = {t.text.lower() for t in tokens(context)}
    options = [
        t
        for t in tokens(question)
        if (word := t.text.lower()) in OPPOSITE
        and word in held
        and not set(OPPOSITE[word].split()) <= held
        and "-" not in question[max(t.start - 1, 0) : t.start] + question[t.end : t.end + 1]
        and (t.start == 0 or t.text.islower())  # "West's mother" is a name
        and (word != "first" or rng.random() < FIRST_KEPT)
    ]
    if not options:
        return None
    t = rng.choice(options)
    new = OPPOSITE[t.text.lower()]
    return question[: t.start] + (new.capitalize() if t.text[0].isupper() else new) + question[t.end :]


def negated(question: str, context: str, answer_start: int) -> str | None:
    """The question negated ("Who was not elected ...", "Who never founded ..."), unless it or the sentence of
    its answer in the context already negates."""
    sentence = next((s for s in split_sentences(context) if s.end > answer_start), None)
    if NEGATION.search(question) or (sentence and NEGATION.search(context[sentence.start : sentence.end])):
        return None
    words = tokens(question)
    if len(words) < 3 or words[0].text.lower() not in QUESTION_WORDS:
        return None
    for aux, verb in zip(words[1:3], words[2:4], strict=False):  # "Who was elected", "What island is included"
        if aux.text.lower() in AUXILIARIES and verb.text.islower():
            if verb.text.endswith("ed") or verb.text in PARTICIPLES:
                return question[: aux.end] + " not" + question[aux.end :]
    verb = words[1]  # "Who founded ..."
    if verb.text.islower() and verb.text.endswith("ed") and len(verb.text) > 4:
        return question[: verb.start] + "never " + question[verb.start :]
    return None


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--kinds", default="swap", help="comma-separated: swap, antonym, negation")
    p.add_argument("--count", type=int, default=0, help="questions of each kind, sampled (0: every one made)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    kinds = args.kinds.split(",")
    if unknown := set(kinds) - {"swap", "antonym", "negation"}:
        p.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    rng = random.Random(args.seed)
    articles = train_articles()
    pool: dict[str, list[str]] = {}
    for paras in articles.values():
        for para in paras:
            for qa in para["qas"]:
                for start, end, kind in mentions(qa["question"]):
                    pool.setdefault(kind, []).append(qa["question"][start:end])
    made: dict[str, list[dict]] = {kind: [] for kind in kinds}
    for title, paras in articles.items():
        for para in paras:
            for qa in para["qas"]:
                question, context = qa["question"], para["context"]
                for kind in kinds:
                    if kind == "swap":
                        changed = swapped(question, context, pool, rng)
                    elif kind == "antonym":
                        changed = antonym(question, context, rng)
                    else:
                        changed = negated(question, context, qa["answers"][0]["answer_start"])
                    if changed:
                        record = {"id": f"{qa['id']}/{kind}", "question": changed, "answers": []}
                        made[kind].append({"title": title, "context": context, "qas": [record]})
    print("made " + ", ".join(f"{len(v)} {k}" for k, v in made.items()))
    records = [r for v in made.values() for r in (rng.sample(v, min(args.count, len(v))) if args.count else v)]
    write_paragraphs(args.out, records)
    print(f"wrote {args.out}: {len(records)} unanswerable questions")


if __name__ == "__main__":
    main()
