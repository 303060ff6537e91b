"""What each call to a lent GPU carries: the files of .gpu/ spread over calls so that each call's working tree
(the repository's own files plus what it carries) stays under the 64 MiB that may travel. Files carried in one
call stay on the warm machine for the next, so all but the last call only carry; the last one runs.

    .venv/bin/python -m benchmarks.carry .gpu          # (bash benchmarks/lease.sh calls)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 64 * 2**20  # the working tree that travels, per call
SLACK = 2**20  # files this session adds before the call
PATHS_PER_CALL = 8


def tree_bytes(root: Path = ROOT) -> int:
    """Bytes of what travels anyway: tracked files, and untracked ones git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    return sum((root / name.decode()).stat().st_size for name in listed if name and (root / name.decode()).is_file())


def plan(gpu_dir: Path, room: int) -> list[list[Path]]:
    """The files under `gpu_dir` in calls of at most `room` bytes and PATHS_PER_CALL paths each, first fit from the
    largest; a folder travels whole, except MPNet's, whose files travel one by one."""
    items = [p for p in sorted(gpu_dir.iterdir()) if p.name != "mpnet"]
    pieces = sorted((gpu_dir / "mpnet").glob("piece-*")) if (gpu_dir / "mpnet").is_dir() else []
    small = [p for p in (gpu_dir / "mpnet").iterdir() if p not in pieces] if pieces else []
    calls: list[list[Path]] = []
    for item in sorted([*items, *small, *pieces], key=_size, reverse=True):
        if _size(item) > room:
            raise SystemExit(f"{item} ({_size(item) / 2**20:.1f} MiB) is larger than one call carries")
        home = next((c for c in calls if sum(map(_size, c)) + _size(item) <= room and len(c) < PATHS_PER_CALL), None)
        if home is None:
            calls.append(home := [])
        home.append(item)
    return calls


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else path.stat().st_size


def main() -> None:
    gpu_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ".gpu")
    tree = tree_bytes()
    calls = plan(gpu_dir, LIMIT - tree - SLACK)
    print(f"the repository's own files: {tree / 2**20:.1f} MiB; {len(calls)} calls", file=sys.stderr)
    for n, call in enumerate(calls, 1):
        carry = [str(p.relative_to(ROOT) if p.is_absolute() and p.is_relative_to(ROOT) else p) for p in call]
        print(json.dumps({"call": n, "mib": round(sum(map(_size, call)) / 2**20, 1), "carry": carry}))


if __name__ == "__main__":
    main()
