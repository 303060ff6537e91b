"""Web pages as articles: how much of each page's story is kept and how much of the rest (menus, cookie notices,
related links, comments) is left out, reading every visible paragraph against trafilatura's main text.

    .venv/bin/python -m benchmarks.webpage --data TRAFILATURA/tests [--smoke]

The pages and their expectations are trafilatura's own evaluation set (Apache 2.0; clone
https://github.com/adbar/trafilatura and pass its `tests` folder): 990 real pages (news, blogs, shops; most of
them German), each with snippets of its main text that must be kept and of boilerplate that must not. Kept
snippets are true positives, lost ones false negatives, boilerplate kept false positives. "English" is the pages
whose kept snippets hold at least three common English words. Pages are decoded as the loader decodes them.
Also counted: pages the article loader refuses (`qa index build` stops on them) and milliseconds per page.
Writes webpage.md and webpage.json under --out; --smoke reads one made-up page (no data, for the test suite).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from benchmarks import report
from benchmarks.squad import ROOT
from qa.errors import ArticleError
from qa.ingest.formats import from_bytes
from qa.ingest.webpage import decode, read_page

MODES = {"every visible paragraph (before)": False, "trafilatura's main text (now)": True}
_ENGLISH = re.compile(r"\b(the|and|of|to|is|was|that|with|for)\b", re.IGNORECASE)
SMOKE = {
    "file": "smoke.html",
    "html": "<html><body><nav>Home | World</nav><div class='cookie'>We use cookies.</div><article><h1>Storm</h1>"
    "<p>A storm hit the coast on Monday, cutting power to 20,000 homes.</p><p>Repairs take three days.</p>"
    "</article><footer>Copyright 2026</footer></body></html>",
    "with": ["cutting power to 20,000 homes", "Repairs take three days."],
    "without": ["We use cookies", "Copyright 2026"],
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, help="trafilatura's tests folder (evaldata.json, eval/, cache/)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--smoke", action="store_true", help="one made-up page (for the test suite)")
    args = p.parse_args()
    if args.smoke:
        pages = [SMOKE]
    elif args.data and (args.data / "evaldata.json").exists():
        pages = load(args.data)
    else:
        p.error("--data must be trafilatura's tests folder (git clone https://github.com/adbar/trafilatura)")
    english = [page for page in pages if sum(len(_ENGLISH.findall(w)) for w in page["with"]) >= 3]
    rows = []
    for mode, main_text in MODES.items():
        texts, seconds = {}, 0.0
        for page in pages:
            started = time.perf_counter()
            texts[page["file"]] = " ".join(read_page(page["html"], main=main_text).text.split())
            seconds += time.perf_counter() - started
        for subset, chosen in (("all", pages), ("English", english)):
            rows.append(
                {"mode": mode, "pages": subset, **scores(chosen, texts), "ms_per_page": 1000 * seconds / len(pages)}
            )
    refused = sum(not loads(page) for page in pages)
    columns = ["reading", "pages", "precision", "recall", "F1", "pages with no text"]
    cells = [
        [
            r["mode"],
            f"{r['pages']} ({r['count']})",
            f"{r['precision']:.3f}",
            f"{r['recall']:.3f}",
            f"{r['f1']:.3f}",
            r["empty"],
        ]
        for r in rows
    ]
    speed = ", ".join(f"{r['mode']} {r['ms_per_page']:.1f}" for r in rows[::2])
    caption = (
        f"Web pages read as articles (`python -m benchmarks.webpage`; trafilatura's evaluation set, "
        f"{len(pages)} pages). Milliseconds per page: {speed}. Pages the article loader refuses now: {refused}."
    )
    report.write(args.out, "webpage", [*rows, {"refused": refused}], report.markdown(caption, columns, cells))


def load(folder: Path) -> list[dict]:
    """trafilatura's evaluation pages with their expected snippets (a page is in eval/ or cache/)."""
    pages = []
    for entry in json.loads((folder / "evaldata.json").read_text()).values():
        path = folder / "eval" / entry["file"]
        path = path if path.exists() else folder / "cache" / entry["file"]
        page = {"file": entry["file"], "path": path, "with": entry["with"], "without": entry["without"]}
        pages.append({**page, "html": decode(path.read_bytes())})
    return pages


def scores(pages: list[dict], texts: dict[str, str]) -> dict:
    """Snippet precision, recall and F1 over `pages`, and how many pages came out empty."""
    tp = fn = fp = 0
    for page in pages:
        text = texts[page["file"]]
        kept = [" ".join(w.split()) in text for w in page["with"]]
        tp, fn = tp + sum(kept), fn + len(kept) - sum(kept)
        fp += sum(" ".join(w.split()) in text for w in page["without"])
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    empty = sum(not texts[page["file"]] for page in pages)
    return {"count": len(pages), "precision": precision, "recall": recall, "f1": f1, "empty": empty}


def loads(page: dict) -> bool:
    """Whether `qa index build` takes the page's file as an article (rather than stopping on it)."""
    data = page["path"].read_bytes() if "path" in page else page["html"].encode()
    try:
        return bool(from_bytes(data, page["file"], page["file"], 8 << 20))
    except ArticleError:
        return False


if __name__ == "__main__":
    main()
