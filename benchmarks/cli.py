"""How long one `qa ask` takes from the shell: a new process each time, over the seed index, once the int8 copies
exist (the first call builds them), with where the time goes (imports, models, the question).

    .venv/bin/python -m benchmarks.cli [--runs 5]

Writes cli.md (a table) and cli.json under --out.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import report
from benchmarks.squad import ROOT, service

QUESTION = "Who is the Italian foreign minister?"
# one process: the time to import the CLI, to load the models and index, and to answer; then what it imported
PROBE = """
import json, sys, time
t0 = time.perf_counter()
from qa.cli import parser, settings_from
from qa.service import QAService
t1 = time.perf_counter()
qa = QAService(settings_from(parser().parse_args(["ask", "x"])))
qa.warm_up()
t2 = time.perf_counter()
qa.ask(sys.argv[1])
t3 = time.perf_counter()
heavy = sorted({"torch", "transformers", "sentence_transformers"} & set(sys.modules))
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "ask": t3 - t2, "heavy": heavy}))
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    seed = service("seed")
    seed.ask(QUESTION)  # the index and both int8 copies exist before the first timed call
    os.environ["QA_INDEX_DIR"] = str(seed.settings.index_dir)
    qa = [str(Path(sys.executable).with_name("qa")), "ask", QUESTION]
    walls, parts = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run(qa, check=True, capture_output=True)
        walls.append(time.perf_counter() - started)
        probe = subprocess.run([sys.executable, "-c", PROBE, QUESTION], check=True, capture_output=True, text=True)
        parts.append(json.loads(probe.stdout.splitlines()[-1]))
    row = {
        "runs": args.runs,
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s_max": round(max(walls), 2),
        **{f"{k}_s": round(statistics.median(p[k] for p in parts), 2) for k in ("import", "load", "ask")},
        "heavy_imports": ", ".join(parts[-1]["heavy"]) or "none",
    }
    caption = (
        f'`qa ask "{QUESTION}"` in a new process, {args.runs} runs on {os.cpu_count()} cores '
        f"(`python -m benchmarks.cli`); import / load / ask: medians of the same steps in a probe process"
    )
    report.write(args.out, "cli", [row], report.markdown(caption, list(row), [list(row.values())]))


if __name__ == "__main__":
    main()
