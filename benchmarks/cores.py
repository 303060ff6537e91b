"""How the reader best uses the cores when questions arrive together: one call per question on every core, one
call per question per core side by side, or the windows of several questions batched into one call.

    .venv/bin/python -m benchmarks.cores [--seconds 6] [--out benchmarks/results]

Reads the seed questions' reader windows (5 passages each, from index/bench/seed) with the int8 reader only (no
search, no HTTP), for `--seconds` per row. Writes cores.md (a table) and cores.json under --out. This is the
measurement behind `qa.models.cores.SharedCores`, and why the reader does not batch across requests.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.squad import ROOT, SEED_QUESTIONS, service
from qa.evaluation.report import load_questions
from qa.models.reader import tokenizer_windows
from qa.models.runtime import OnnxRunner, reader_onnx, reader_path


def seed_windows(qa, tokenizer) -> list[dict]:
    """Each seed question's reader inputs: its windows over the passages `qa` retrieves for it, cut by `tokenizer`
    as the service's reader cuts them."""
    length, stride = qa.settings.reader_max_length, qa.settings.reader_stride
    questions = [row["question"] for row in load_questions(SEED_QUESTIONS)]
    read = [(q, [p.text for p in qa.passages(q)]) for q in questions]
    return [tokenizer_windows(tokenizer, q, passages, length, stride)["inputs"] for q, passages in read]


def batched(requests: list[dict], pad: int) -> dict:
    """Several questions' windows as one batch, padded to the longest."""
    width = max(r["input_ids"].shape[1] for r in requests)
    out = {}
    for name in requests[0]:
        fill = pad if name == "input_ids" else 0
        parts = [np.pad(r[name], ((0, 0), (0, width - r[name].shape[1])), constant_values=fill) for r in requests]
        out[name] = np.concatenate(parts)
    return out


def rate(runners: list, requests: list[dict], per_call: int, pad: int, seconds: float) -> float:
    """Questions read per second with one client thread per runner, each reading `per_call` questions a call."""
    stop, done = time.perf_counter() + seconds, [0] * len(runners)

    def work(n: int) -> None:
        i = n
        while time.perf_counter() < stop:
            runners[n](batched([requests[(i + j) % len(requests)] for j in range(per_call)], pad))
            done[n] += per_call
            i += per_call

    threads = [threading.Thread(target=work, args=(n,)) for n in range(len(runners))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=6.0)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    qa = service("seed")
    reader, cores = qa.reader, len(os.sched_getaffinity(0))
    onnx = reader_onnx(reader_path(qa.settings.reader), qa.settings.cache_dir)
    pad = getattr(reader.tokenizer, "pad_token_id", None) or 0
    requests = seed_windows(qa, reader.tokenizer)
    wide, narrow = OnnxRunner(onnx, cores), [OnnxRunner(onnx, 1) for _ in range(cores)]
    rows = []
    for label, runners, per_call in [
        ("1 call at a time, 1 thread", narrow[:1], 1),
        (f"1 call at a time, {cores} threads (before SharedCores)", [wide], 1),
        *((f"1 call at a time, {cores} threads, {k} questions batched per call", [wide], k) for k in (2, 4, 8)),
        (f"{cores} calls side by side, 1 thread each (SharedCores under load)", narrow, 1),
        (f"{cores} calls side by side, 1 thread each, 2 questions batched per call", narrow, 2),
    ]:
        rows.append(
            {"setup": label, "questions_per_second": round(rate(runners, requests, per_call, pad, args.seconds), 1)}
        )
        print(rows[-1], flush=True)
    caption = (
        f"Reader only (int8 ONNX, 5 passages per question, seed questions), {cores} cores, {args.seconds:g} s per row"
    )
    cells = [[r["setup"], r["questions_per_second"]] for r in rows]
    report.write(args.out, "cores", rows, report.markdown(caption, ["setup", "questions/s"], cells))


if __name__ == "__main__":
    main()
