"""The reader and the rules asked the same questions, side by side: the check that decides whether the rules can
go (they may once the reader answers every question they do).

    .venv/bin/python -m benchmarks.answerers [--questions FILE] [--out benchmarks/results]

Asks each question of the seed index (index/bench/seed) with answerer=reader and answerer=rules; writes
answerers.md (one row per question: each one's top answer, right or not) and answerers.json under --out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from benchmarks import report
from benchmarks.squad import ROOT, SEED_QUESTIONS, service
from qa import QAService
from qa.evaluation.report import load_questions
from qa.text.metrics import exact

INTRODUCED_WITH = {"question": "who threatened sanctions?", "answers": ["Boris Johnson"]}  # the README's


def verdict(qa: QAService, row: dict) -> tuple[str, bool]:
    """The top answer ("" for an abstention) and whether it is right (an abstention is, for no gold answer)."""
    answers = qa.ask(row["question"]).answers
    top = answers[0].text if answers else ""
    return top, exact(top, row["answers"]) if row["answers"] else not answers


def compare(reader: QAService, rules: QAService, rows: list[dict], name: str) -> tuple[list[dict], str]:
    """Each question's answer by each, and the markdown table of them."""
    out = []
    for row in rows:
        (by_reader, reader_right), (by_rules, rules_right) = verdict(reader, row), verdict(rules, row)
        out.append({"question": row["question"], "gold": row["answers"], "reader": by_reader,
                    "reader_right": reader_right, "rules": by_rules, "rules_right": rules_right})  # fmt: skip
    only_rules = [r["question"] for r in out if r["rules_right"] and not r["reader_right"]]

    def shown(r: dict, who: str) -> str:
        return f"{r[who] or '(abstains)'} {'✓' if r[who + '_right'] else '✗'}"

    cells = [[r["question"], " / ".join(r["gold"]) or "(abstain)", shown(r, "reader"), shown(r, "rules")] for r in out]
    right = f"right: reader {sum(r['reader_right'] for r in out)} / {len(out)}, rules"
    right += f" {sum(r['rules_right'] for r in out)} / {len(out)}; only the rules answer: "
    right += ", ".join(only_rules) or "none (the rules can go)"
    caption = f"Reader and rules on {name} (+ the README's question), seed index"
    text = report.markdown(caption, ["question", "gold", "reader", "rules"], cells) + "\n" + right + "\n"
    return out, text


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, default=SEED_QUESTIONS)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    reader = service("seed")
    rules = QAService(reader.settings.replace(answerer="rules"), reader.embedder, reader.reader)
    out, text = compare(reader, rules, [INTRODUCED_WITH, *load_questions(args.questions)], args.questions.name)
    report.write(args.out, "answerers", out, text)


if __name__ == "__main__":
    main()
