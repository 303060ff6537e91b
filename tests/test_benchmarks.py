"""Benchmarks that need no external data run here in smoke mode (tiny sizes), so they cannot rot."""

import json
import os
import subprocess
import sys

from .conftest import ROOT


def test_serving_benchmark_smoke(fresh_service, tmp_path):
    fresh_service.build()
    out = tmp_path / "results"
    args = ["--workers", "1", "--concurrency", "2", "--requests", "4", "--answerer", "rules"]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve", *args, "--index-dir", str(fresh_service.settings.index_dir)]
        + ["--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    (row,) = json.loads((out / "serve.json").read_text())
    assert row["errors"] == 0 and row["requests_per_second"] > 0
    assert "| workers | concurrency |" in (out / "serve.md").read_text()


def _smoke(module: str, out, *args: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", module, "--smoke", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]


def test_search_benchmark_smoke(tmp_path):
    _smoke("benchmarks.search", tmp_path)
    rows = json.loads((tmp_path / "search.json").read_text())
    assert {r["index"] for r in rows} == {"flat", "ivf", "ivf-sq8"}
    assert next(r for r in rows if r["index"] == "flat")["recall_at_10"] == 1.0
    assert "| vectors | index |" in (tmp_path / "search.md").read_text()


def test_build_benchmark_smoke(tmp_path):
    _smoke("benchmarks.build", tmp_path, "--modes", "torch")
    (row,) = json.loads((tmp_path / "build.json").read_text())
    assert row["mode"] == "torch" and row["chunks"] > 0 and row["chunks_per_second"] > 0
    assert "| mode | seconds | chunks/s |" in (tmp_path / "build.md").read_text()
