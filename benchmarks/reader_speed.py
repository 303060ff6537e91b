"""How long readers of other sizes take to read a question: the seed questions' 5 passages each, through the
int8 ONNX copy the service would serve (eager attention), on 1 and 2 threads.

    .venv/bin/python -m benchmarks.reader_speed [--reader NAME=DIR[:LAYERS] ...] [--seconds 8]

By default the shipped reader, and all-mpnet-base-v2 (the teacher's base, in ~/.cache/newsqa) whole and cut to
its first 6 layers. A checkpoint without a QA head gets a random one: the time is the same. Writes
reader-speed.md (a table) and reader-speed.json under --out. This is the cost side of a larger served reader or of
a cascade (issue 27).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.cores import seed_windows
from benchmarks.squad import ROOT, service
from qa.models.int8 import export_int8
from qa.models.runtime import OnnxRunner, load_torch, reader_path
from qa.models.tokenizer import FastTokenizer

MPNET = Path.home() / ".cache" / "newsqa" / "all-mpnet-base-v2"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reader", action="append", help="NAME=DIR or NAME=DIR:LAYERS (its first LAYERS layers)")
    p.add_argument("--seconds", type=float, default=8.0, help="reading time per row")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    readers = args.reader or [f"MiniLM-L6-H384 (shipped)={reader_path('packaged')}"]
    if not args.reader and (MPNET / "model.safetensors").exists():
        readers += [f"MPNet-base, first 6 layers={MPNET}:6", f"MPNet-base, 12 layers (the teacher)={MPNET}"]
    qa = service("seed")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for n, spec in enumerate(readers):
            name, _, where = spec.partition("=")
            path, _, layers = where.partition(":")
            onnx = export_int8(truncated(Path(path), int(layers or 0)), Path(work) / f"{n}.onnx")
            batches = seed_windows(qa, FastTokenizer(path))
            for threads in (1, 2):
                p50, p95 = timed(OnnxRunner(onnx, threads), batches, args.seconds)
                rows.append({"reader": name, "threads": threads, "p50_ms": p50, "p95_ms": p95})
                rows[-1]["int8_mb"] = round(onnx.stat().st_size / 1e6)
                print(rows[-1], flush=True)
    caption = (
        f"Reading one seed question ({len(batches)} questions, 5 passages each, 192-token windows), int8 ONNX "
        f"with eager attention, {args.seconds:g} s per row"
    )
    cells = [[r["reader"], r["threads"], r["p50_ms"], r["p95_ms"], r["int8_mb"]] for r in rows]
    columns = ["reader", "threads", "p50 ms", "p95 ms", "int8 MB"]
    report.write(args.out, "reader-speed", rows, report.markdown(caption, columns, cells))


def truncated(path: Path, layers: int):
    """The QA model at `path` (a random head where it has none), keeping only its first `layers` layers (0: all)."""
    model, _ = load_torch(path, trained_head=False)
    encoder = getattr(model, model.base_model_prefix).encoder
    if 0 < layers < len(encoder.layer):
        encoder.layer = encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    return model


def timed(runner: OnnxRunner, batches: list[dict], seconds: float) -> tuple[float, float]:
    """p50 and p95 ms of one question's windows, read one question at a time for `seconds`."""
    for batch in batches[:2]:
        runner(batch)
    times, stop = [], time.perf_counter() + seconds
    while time.perf_counter() < stop:
        for batch in batches:
            started = time.perf_counter()
            runner(batch)
            times.append(1000 * (time.perf_counter() - started))
    return round(float(np.percentile(times, 50)), 1), round(float(np.percentile(times, 95)), 1)


if __name__ == "__main__":
    main()
