"""Benchmark results: a markdown table with a caption, written with the rows as JSON."""

from __future__ import annotations

import json
from pathlib import Path


def markdown(caption: str, columns: list[str], cells: list[list]) -> str:
    """`caption`, a blank line, then a table of `cells` under `columns`."""
    lines = [caption, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in cells]
    return "\n".join(lines) + "\n"


def write(out: Path, name: str, rows: list[dict], text: str) -> None:
    """`name`.json (the rows) and `name`.md (the table) under `out`; the table is printed too."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(rows, indent=2) + "\n")
    (out / f"{name}.md").write_text(text)
    print(text)
