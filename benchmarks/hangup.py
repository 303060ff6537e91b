"""What questions whose clients hang up still cost: --questions asked of /api/ask at once, of which --hang-up
clients close their connection --after seconds (while their questions wait for the reader); how long until the
others are all answered.

    .venv/bin/python -m benchmarks.hangup [--questions 40] [--hang-up 0 30] [--after 0.2] [--ray] [--index-dir DIR]

A server that drops a question nobody waits for answers the rest in about the time their own questions take; one
that reads every question makes them wait for the abandoned ones too. Runs `qa-web` (one worker) and, with
--ray, `qa-web --ray` (one replica) on the seed index. Writes hangup.md (a table) and hangup.json under --out.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import report
from benchmarks.serve import Server
from benchmarks.squad import ROOT, service

QUESTION = "Who is the Iranian president?"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=int, default=40, help="questions sent at once")
    p.add_argument("--hang-up", type=int, nargs="+", default=[0, 30], help="of them, clients that hang up")
    p.add_argument("--after", type=float, default=0.2, help="seconds after sending that they hang up")
    p.add_argument("--ray", action="store_true", help="also serve with `qa-web --ray` (one replica)")
    p.add_argument("--answerer", default="reader")
    p.add_argument("--index-dir", type=Path, help="index to serve (default: the seed articles in index/bench/seed)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    index_dir = args.index_dir or service("seed").settings.index_dir
    rows = []
    for ray in (False, True) if args.ray else (False,):
        with Server(index_dir, 1, args.answerer, ray) as url:
            burst(url, args.questions, 0, 0)  # warm-up
            for hang_up in args.hang_up:
                seconds, statuses = burst(url, args.questions, hang_up, args.after)
                server = "qa-web --ray, 1 replica" if ray else "qa-web, 1 worker"
                rows.append({"server": server, "asked": args.questions, "hung_up": hang_up, "seconds": seconds})
                rows[-1]["answered"] = f"{statuses.count(200)} of {len(statuses)}"
                print(rows[-1], flush=True)
    caption = (
        f"{args.questions} questions sent to POST /api/ask at once, some clients hanging up {args.after:g} s later; "
        "seconds until "
        f"the others are all answered (answerer={args.answerer}, index {index_dir})"
    )
    cells = [[r["server"], r["asked"], r["hung_up"], r["answered"], r["seconds"]] for r in rows]
    columns = ["server", "questions", "clients that hung up", "answered (200)", "seconds for the rest"]
    report.write(args.out, "hangup", rows, report.markdown(caption, columns, cells))


def burst(url: str, questions: int, hang_up: int, after: float) -> tuple[float, list[int]]:
    """Send `questions` at once, close the first `hang_up` connections `after` seconds later, and wait for the
    rest: (seconds until the last answer, their HTTP statuses)."""
    where = urlsplit(url)
    body = json.dumps({"question": QUESTION}).encode()
    head = f"POST /api/ask HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Type: application/json\r\n"
    request = f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body
    started = time.perf_counter()
    connections = []
    for _ in range(questions):
        connection = socket.create_connection((where.hostname, where.port))
        connection.sendall(request)
        connections.append(connection)
    time.sleep(after)  # a client that hangs up before its question is read is refused by any server
    for connection in connections[:hang_up]:
        connection.close()
    statuses: list[int] = []
    readers = [threading.Thread(target=_status, args=(c, statuses)) for c in connections[hang_up:]]
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    return round(time.perf_counter() - started, 2), statuses


def _status(connection: socket.socket, statuses: list[int]) -> None:
    with connection:
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    statuses.append(int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0)


if __name__ == "__main__":
    main()
