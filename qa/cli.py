"""Command line: `qa index build|add|remove|stats`, `qa ask`, `qa eval` (a thin shell over QAService)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
from pathlib import Path

from qa import settings as settings_module
from qa.errors import QAError
from qa.payload import cited_as, no_answer_message, result_payload, score_label
from qa.service import QAService
from qa.settings import Settings

SNIPPET = 160  # characters of a passage `qa ask` prints


def settings_parser() -> argparse.ArgumentParser:
    """Options for every setting; accepted before or after the command."""
    p = argparse.ArgumentParser(add_help=False)
    group = p.add_argument_group("settings (each also read from QA_<NAME> environment variables)")
    for f in settings_module.fields():
        group.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            metavar=f.name.upper(),
            default=argparse.SUPPRESS,
            type=_setting_type(f),
            help=f"{f.metadata['help']} (default: {f.default})",
        )
    return p


def _setting_type(f):
    """An argparse type reading one setting; argparse then names the option and the problem in one line."""

    def parse(raw: str):
        try:
            return settings_module.parse_value(f, raw)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def parser() -> argparse.ArgumentParser:
    """Every `qa` command and its options."""
    common = settings_parser()
    p = argparse.ArgumentParser(
        prog="qa", description="Extractive question answering over news articles.", parents=[common]
    )
    sub = p.add_subparsers(dest="command", required=True)
    index = sub.add_parser("index", help="build and change the index", parents=[common]).add_subparsers(
        dest="action", required=True
    )
    build = index.add_parser(
        "build", help="rebuild the index from a file, a directory or an address (default: the seeds)", parents=[common]
    )
    build.add_argument("source", nargs="?", help="a file, a folder, or the http(s) address of a page or feed")
    add = index.add_parser("add", help="add or update articles; unchanged ones are skipped", parents=[common])
    add.add_argument(
        "paths", nargs="+", metavar="SOURCE", help="a file, a folder, or the http(s) address of a page or feed"
    )
    for command in (build, add):
        command.add_argument(
            "--full-text",
            action="store_true",
            help="read each feed entry from the page it links to (feeds often carry a line or two of each story); "
            "entries indexed that way before are not fetched again",
        )
        command.add_argument(
            "--ray",
            nargs="?",
            const="",
            metavar="ADDRESS",
            help="chunk and embed on Ray: a cluster (host:port or ray://host:port); without ADDRESS, "
            "RAY_ADDRESS or a local Ray instance (needs pip install -e '.[cluster]')",
        )
    remove = index.add_parser("remove", help="remove an article by id", parents=[common])
    remove.add_argument("article_id")
    index.add_parser("stats", help="what the index holds", parents=[common])
    ask = sub.add_parser("ask", help="answer a question with citations", parents=[common])
    ask.add_argument("question")
    ask.add_argument(
        "-k", type=int, default=None, help="passages to search and show (default: 3 shown after no answer)"
    )
    ask.add_argument("--json", action="store_true", help="print the JSON the API returns")
    ask.add_argument(
        "--after",
        action="append",
        default=[],
        metavar="QUESTION",
        help="an earlier question of the conversation (repeat, oldest first): read the question as its follow-up",
    )
    ask.add_argument("--since", default="", help="only articles published on or after this date (YYYY-MM-DD)")
    ask.add_argument("--until", default="", help="only articles published on or before this date (YYYY-MM-DD)")
    ev = sub.add_parser(
        "eval", help="exact match, F1, recall@k and abstention accuracy on a questions file", parents=[common]
    )
    ev.add_argument(
        "questions", type=Path, help='JSONL: {"question", "answers": [...], "history"?: [...]} ([] = must abstain)'
    )
    ev.add_argument("--docs", type=Path, help="index these articles first (in --index-dir) instead of using the index")
    ev.add_argument("--sample", type=int, default=None, help="evaluate a random sample of this many (0: all)")
    ev.add_argument("--seed", type=int, default=0, help="random seed for --sample")
    ev.add_argument("-k", type=int, default=5, help="k of recall@k")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument(
        "--answers",
        type=Path,
        metavar="FILE",
        help="also write each question's answers and verdict (right, partial, wrong, abstained, answered) to "
        "this JSONL file, replaced whole",
    )
    feedback = sub.add_parser("feedback", help="verdicts given on answers in the chat", parents=[common])
    export = feedback.add_subparsers(dest="action", required=True).add_parser(
        "export", help="write the feedback as JSON lines", parents=[common]
    )
    export.add_argument("file", type=Path, help="where to write (replaced whole)")
    export.add_argument(
        "--verdict",
        choices=("correct", "wrong"),
        default="correct",
        help="correct: `qa eval` questions with the answers marked correct; wrong: the wrong answers, for review",
    )
    _reader_parsers(sub, common)
    return p


def _reader_parsers(sub, common: argparse.ArgumentParser) -> None:
    from qa.training.trainer import TrainConfig

    reader = sub.add_parser("reader", help="train, export and evaluate the extractive reader", parents=[common])
    actions = reader.add_subparsers(dest="action", required=True)
    train = actions.add_parser("train", help="train or resume a reader checkpoint (time-boxed)")
    for f in dataclasses.fields(TrainConfig):
        flag, help = "--" + f.name.replace("_", "-"), f.metadata["help"]
        if f.type == "bool":
            train.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=help)
        elif f.default is None and f.name in ("data", "out"):
            train.add_argument(flag, required=True, help=help)
        else:
            kind = {"int": int, "float": float}.get(str(f.type), str)
            train.add_argument(flag, type=kind, default=f.default, help=f"{help} (default: {f.default})")
    export = actions.add_parser(
        "export", help="write a checkpoint's weights (fp16) for shipping, or the average of several", parents=[common]
    )
    export.add_argument("checkpoint", type=Path, nargs="+", help="a checkpoint, or several runs from one base")
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
    ev = actions.add_parser("eval", help="EM / F1 of the reader given each question's gold paragraph", parents=[common])
    ev.add_argument("dev", type=Path, help="directory with paragraphs.jsonl and qa.jsonl")
    ev.add_argument("--sample", type=int, default=1000, help="questions drawn at random (0: all)")
    ev.add_argument("--seed", type=int, default=0)


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from QA_* env vars, overridden by the options given on the command line."""
    return Settings.from_env(os.environ, **{f.name: getattr(args, f.name, None) for f in settings_module.fields()})


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        service = QAService(settings_from(args))
        code = _run(service, args)
        sys.stdout.flush()  # output to a pipe that was closed (`qa ask ... | head -1`) fails here, not at exit
        return code
    except BrokenPipeError:  # the reader of our output stopped reading: not an error to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the flush at exit stays quiet
        return 128 + signal.SIGPIPE  # what a shell reports for a command stopped by a closed pipe
    except (QAError, ValueError) as exc:  # ValueError: a bad option value or question file
        print(f"qa: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file named on the command line (or one it points to) that cannot be read or written
        print(f"qa: error: {exc.filename or ''}{': ' if exc.filename else ''}{exc.strerror or exc}", file=sys.stderr)
        return 2


def _run(service: QAService, args: argparse.Namespace) -> int:
    if args.command == "index":
        if args.action == "stats":
            print(json.dumps(service.stats(), indent=2))
            return 0
        if args.action == "build":
            report = service.build(args.source, ray=args.ray, full_text=args.full_text)
        elif args.action == "add":
            report = service.add(*args.paths, ray=args.ray, full_text=args.full_text)
        else:
            report = service.remove(args.article_id)
        print(_describe(report))
        return 0
    if args.command == "reader":
        return _reader(service, args)
    if args.command == "feedback":
        try:
            lines = service.feedback_log.export(args.file, args.verdict)
        except OSError as exc:
            raise ValueError(f"cannot write {args.file}: {exc.strerror}") from None
        print(f"{lines} {'questions' if args.verdict == 'correct' else 'wrong answers'} written to {args.file}")
        return 0
    if args.command == "ask":
        result = service.ask(args.question, args.k, history=args.after, since=args.since, until=args.until)
        if args.json:
            print(json.dumps(result_payload(result), indent=2))
        else:
            print(_format_result(result, service.settings.answerer, shown=args.k))
        return 0
    from qa.evaluation.report import evaluate, format_report

    report = evaluate(
        service, args.questions, docs=args.docs, sample=args.sample, seed=args.seed, k=args.k, answers=args.answers
    )
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    if args.answers and not args.json:
        print(f"answers and verdicts written to {args.answers}")
    return 0


def _reader(service: QAService, args: argparse.Namespace) -> int:
    from qa.training import trainer as training

    if args.action == "train":
        names = [f.name for f in dataclasses.fields(training.TrainConfig)]
        config = training.TrainConfig(**{n: getattr(args, n) for n in names})
        training.train(config, log=lambda line: print(line, flush=True))
    elif args.action == "export":
        print(f"wrote {training.export(args.checkpoint, args.out, args.dtype)}")
    else:
        from qa.evaluation.report import sampled
        from qa.training.scores import reader_scores
        from qa.training.squad import read_dev

        rows = sampled(read_dev(args.dev), args.sample, args.seed)
        print(json.dumps(reader_scores(service.reader, rows), indent=2))
    return 0


def _describe(report) -> str:
    """What a write did, with the ids of what it added, updated or removed (`qa index remove` takes them)."""
    parts = []
    for name in ("added", "updated", "unchanged", "removed"):
        ids = getattr(report, name)
        if ids:
            shown = "" if name == "unchanged" else f" ({', '.join(ids[:5])}{', …' if len(ids) > 5 else ''})"
            parts.append(f"{len(ids)} {name}{shown}")
    chunks = f"{report.chunks} chunk{'s' if report.chunks != 1 else ''}"
    speed = (
        f"; {chunks} embedded in {report.seconds:.1f}s ({report.chunks_per_second:.0f} chunks/s)"
        if report.chunks
        else ""
    )
    return ("; ".join(parts) or "nothing to do") + speed


def _format_result(result, answerer: str, shown: int | None = None) -> str:
    """Answers with their quotes and citations; after an abstention (or with -k) the passages searched, so that
    a reader can look for themselves."""
    lines = [f"Read as: {result.interpreted}"] if result.interpreted else []
    lines += [no_answer_message(result)] if result.abstained else []
    listed = [(f"{i}. " if len(result.answers) > 1 else "", a) for i, a in enumerate(result.answers, 1)]
    for mark, a in listed + ([("Best guess, not an answer: ", result.guess)] if result.guess else []):
        c = a.citation
        lines.append(f"{mark}{a.text}  ({score_label(a.score, answerer)})")
        lines.append(f"   “{a.sentence}”")
        lines.append(f"   — {cited_as(c)} [{c.article_id}, chars {c.start}-{c.end}]")
    if result.passages and (result.abstained or shown):
        lines.append("Closest passages:" if result.abstained else "Passages searched:")
        for p in result.passages[: shown or 3]:
            text = " ".join(p.text.split())
            snippet = text if len(text) <= SNIPPET else text[:SNIPPET].rsplit(" ", 1)[0] + "…"
            lines.append(f"   - {p.title} [{p.chunk.article_id}, chars {p.chunk.start}-{p.chunk.end}]: {snippet}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
