"""Benchmarks that need no external data run here in smoke mode (tiny sizes), so they cannot rot."""

import json
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
