"""File-system faults during index writes (read-only directory, full disk), in a private mount namespace."""

import json
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT, SEEDS

# Runs inside `unshare -m`: mounts a small tmpfs, then drives the real `qa` CLI against it.
SCRIPT = r"""
import contextlib, io, json, subprocess, sys
from pathlib import Path
from qa.cli import main

disk, seeds, big = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
index = disk / "index"

def qa(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*map(str, args), "--index-dir", str(index), "--progress", "false"])
    return {"code": code, "out": out.getvalue(), "err": err.getvalue().strip().splitlines(),
            "files": sorted(p.name for p in index.iterdir()) if index.exists() else []}

subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)], check=True)
steps = {"build": qa("index", "build", seeds), "stats": qa("index", "stats")}
subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
steps["readonly"] = qa("index", "build", seeds)
steps["readonly_add"] = qa("index", "add", big)
subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
with open(disk / "filler", "wb", buffering=0) as f:  # fill the disk to the last byte (unbuffered: nothing
    with contextlib.suppress(OSError):              # is left to flush when the file closes)
        while True:
            f.write(b"\0" * 65536)
steps["full"] = qa("index", "add", big)
steps["full_stats"] = qa("index", "stats")
(disk / "filler").unlink()
steps["after"] = qa("index", "add", big)
print(json.dumps(steps))
"""


def namespace_available() -> bool:
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not namespace_available(), reason="needs unshare -m (root or CAP_SYS_ADMIN)")
def test_read_only_and_full_disk_fail_cleanly(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    big = tmp_path / "council-report.txt"
    big.write_text("Council report\n\n" + "The council met again on Tuesday and discussed the budget at length. " * 20)
    run = subprocess.run(
        ["unshare", "-m", "--propagation", "private", sys.executable, "-c", SCRIPT, str(disk), str(SEEDS), str(big)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    steps = json.loads(run.stdout.strip().splitlines()[-1])
    assert steps["build"]["code"] == 0
    good = steps["build"]["files"]
    assert good == [".lock", "bm25-1", "manifest.json", "meta-1.sqlite", "vectors-1.faiss"]
    for step in ("readonly", "readonly_add", "full"):
        s = steps[step]
        assert s["code"] == 2, step
        assert len(s["err"]) == 1 and "Traceback" not in s["err"][0], (step, s["err"])
        assert str(disk / "index") in s["err"][0] and "previous index is unchanged" in s["err"][0]
        assert s["files"] == good, (step, s["files"])  # nothing left from the failed generation
    assert "Read-only file system" in steps["readonly"]["err"][0]
    assert "full" in steps["full"]["err"][0] or "No space left" in steps["full"]["err"][0]
    assert json.loads(steps["full_stats"]["out"]) == json.loads(steps["stats"]["out"])  # only live files count
    assert steps["after"]["code"] == 0 and steps["after"]["files"][-2:] == ["meta-2.sqlite", "vectors-2.faiss"]
