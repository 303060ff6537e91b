"""End-to-end serving benchmark: POST /api/ask against `qa-web --workers N` at several client concurrencies.

    .venv/bin/python -m benchmarks.serve [--workers 1 2] [--concurrency 1 8 32] [--requests 200] [--ray]
                                          [--seconds S] [--add ARTICLE]
                                          [--index-dir index/bench/seed] [--answerer reader]
                                          [--questions FILE.jsonl] [--sample 100]

Each run starts a fresh server on a free port, warms it up, then sends --requests questions (or asks for
--seconds; the seed questions, or --sample of those in --questions, cycled) from --concurrency client threads.
With --ray the server is `qa-web --ray` and --workers are its replicas; with --add, `qa index add ARTICLE` runs
halfway through each row, on a copy of the index. After each row it notes the largest resident memory (RSS) of
the server's processes (not with --ray: the replicas are Ray's). Writes serve[-ray][-while-adding].md (a table)
and .json under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.squad import ROOT, SEED_QUESTIONS, service
from qa.evaluation.report import load_questions
from qa.store.manifest import read_manifest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--index-dir", type=Path, help="index to serve (default: the seed articles in index/bench/seed)")
    p.add_argument("--answerer", default=os.environ.get("QA_ANSWERER", "reader"))
    p.add_argument("--questions", type=Path, default=SEED_QUESTIONS, help='.jsonl of {"question": ...}')
    p.add_argument("--sample", type=int, default=100, help="questions drawn from --questions (seed 0)")
    p.add_argument("--ray", action="store_true", help="serve with `qa-web --ray` (--workers are then replicas)")
    p.add_argument("--seconds", type=float, default=0, help="ask for this long per row instead of --requests")
    p.add_argument("--add", type=Path, help="halfway through each row, `qa index add` this file (to a copy)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    index_dir = args.index_dir or service("seed").settings.index_dir
    if args.add:  # the benchmark's index is left as it was
        copy = Path(tempfile.mkdtemp(prefix="serve-")) / "index"
        shutil.copytree(index_dir, copy, ignore=shutil.ignore_patterns(".lock"))
        index_dir = copy
    args.served = index_dir
    questions = [r["question"] for r in load_questions(args.questions, args.sample)]
    rows = []
    for workers in args.workers:
        server = Server(index_dir, workers, args.answerer, args.ray)
        with server as url:
            for concurrency in args.concurrency:
                row = {"workers": workers, "concurrency": concurrency, **load(url, questions, concurrency, args)}
                rows.append({**row, "largest_rss_mb": None if args.ray else largest_rss_mb(server.process.pid)})
                print(rows[-1], flush=True)
    name = ("serve-ray" if args.ray else "serve") + ("-while-adding" if args.add else "")
    report.write(args.out, name, rows, table(rows, args, index_dir))


class Server:
    """`python -m web` in a child process on a free port, until the block ends."""

    def __init__(self, index_dir: Path, workers: int, answerer: str, ray: bool = False):
        self.args = [sys.executable, "-m", "web", "--index-dir", str(index_dir), "--answerer", answerer]
        self.args += ["--ray", "--replicas", str(workers)] if ray else ["--workers", str(workers)]

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.process = subprocess.Popen(
            [*self.args, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while not _ready(url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {' '.join(self.args)}")
            time.sleep(0.5)
        return url

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(60)


def load(url: str, questions: list[str], concurrency: int, args) -> dict:
    """Latency percentiles and throughput of `args.requests` asks (or asks for `args.seconds`) from `concurrency`
    threads after a warm-up; with `args.add`, that file is added to the index halfway through."""
    for q in questions[:10]:
        _ask(url, q)
    started = time.perf_counter()
    stop = started + args.seconds if args.seconds else None
    added: list[int] = []  # the exit status of `qa index add`
    if args.add:
        threading.Timer((args.seconds or 10) / 2, _add, (args.served, args.add, added)).start()

    def client(n: int) -> list[tuple[float, bool]]:
        out, i = [], n
        while (stop and time.perf_counter() < stop) or (not stop and i < args.requests):
            out.append(_ask(url, questions[i % len(questions)]))
            i += concurrency
        return out

    with ThreadPoolExecutor(concurrency) as pool:
        results = [r for rs in pool.map(client, range(concurrency)) for r in rs]
    seconds = time.perf_counter() - started
    latencies = [ms for ms, ok in results if ok]
    return {
        "requests_per_second": round(len(results) / seconds, 1),
        "latency_ms_p50": round(float(np.percentile(latencies, 50)), 1) if latencies else None,
        "latency_ms_p95": round(float(np.percentile(latencies, 95)), 1) if latencies else None,
        "errors": sum(not ok for _, ok in results),
        **({"article_added": added == [0]} if args.add else {}),
    }


def largest_rss_mb(pid: int) -> float:
    """The largest resident memory, in MB, of process `pid` and every process under it (a worker's, with
    --workers)."""
    parents, rss = {}, {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:  # the process ended meanwhile
            continue
        child = int(status.parent.name)
        parents[child] = int(fields["PPid"])
        rss[child] = int(fields.get("VmRSS", "0 kB").split()[0]) / 1024

    def under(p: int) -> bool:
        while p and p != pid:
            p = parents.get(p, 0)
        return p == pid

    return round(max((mb for p, mb in rss.items() if under(p)), default=0.0), 1)


def _add(index_dir: Path, path: Path, status: list[int]) -> None:
    """`qa index add` of `path` to the index being served, in its own process, as an operator would."""
    run = subprocess.run([sys.executable, "-m", "qa", "index", "add", str(path), "--index-dir", str(index_dir)],
                         cwd=ROOT, capture_output=True)  # fmt: skip
    status.append(run.returncode)


def _ask(url: str, question: str) -> tuple[float, bool]:
    body = json.dumps({"question": question}).encode()
    request = urllib.request.Request(url + "/api/ask", body, {"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as r:
            ok = r.status == 200
            r.read()
    except (urllib.error.URLError, OSError):
        ok = False
    return 1000 * (time.perf_counter() - started), ok


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def table(rows: list[dict], args, index_dir: Path) -> str:
    per_row = f"{args.seconds:g} s" if args.seconds else f"{args.requests} requests"
    added = f", `qa index add {args.add.name}` halfway through each row" if args.add else ""
    caption = (
        f"POST /api/ask, {per_row} per row{added}, answerer={args.answerer}, index {index_dir} "
        f"({read_manifest(index_dir).chunks:,} chunks), questions {args.questions.name}, "
        f"{len(os.sched_getaffinity(0))} cores"
    )
    keys = ["workers", "concurrency", "requests_per_second", "latency_ms_p50", "latency_ms_p95", "errors"]
    columns = ["replicas (Ray Serve)" if args.ray else "workers", *keys[1:]]
    columns[2:5] = ["requests/s", "p50 ms", "p95 ms"]
    if not args.ray:
        keys, columns = [*keys, "largest_rss_mb"], [*columns, "largest process RSS MB"]
    if args.add:
        keys, columns = [*keys, "article_added"], [*columns, "article added"]
    return report.markdown(caption, columns, [[r[k] for k in keys] for r in rows])


if __name__ == "__main__":
    main()
