"""Hostile requests against a running server on this machine: every one must get a 4xx or a served answer, never a
5xx or a dropped connection, and no question may take over 5 s whatever the articles hold.

    .venv/bin/qa-web --port 8000 &     # with QA_ADMIN_TOKEN=secret for the admin probes
    .venv/bin/python -m benchmarks.probe --url http://127.0.0.1:8000 [--admin-token secret]

Only loopback addresses are probed. Writes probe.md (a table) and probe.json under --out. The admin probes add
one article (id `probe-one-sentence`) and remove it again.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks import report
from benchmarks.squad import ROOT

SLOW = 5.0  # seconds a question may take
JSON = {"Content-Type": "application/json"}
ONE_SENTENCE = "The harbour master Ilse Marr opened the bridge, " + " ".join(
    f"the committee of region {i} met again and discussed the weather" for i in range(6000)
)


def _json(value) -> bytes:
    return json.dumps(value).encode()


def _upload(name: str, data: bytes, headers: dict) -> tuple[bytes, dict]:
    """A multipart upload of one file (field `file`), with `headers` besides its content type."""
    boundary = "probeboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers}


def probes(admin: dict) -> list[tuple[str, str, str, bytes | None, dict, str]]:
    """(name, method, path, body, headers, expected: "4xx", "2xx" or "answer")."""
    ask = "/api/ask"
    many = "".join(json.dumps({"id": f"m{i}", "title": f"T{i}", "text": "x."}) + "\n" for i in range(1001))
    out = [
        ("ask without a JSON type", "POST", ask, _json({"question": "who?"}), {}, "4xx"),
        ("ask nested 1,000 deep", "POST", ask, b"[" * 1000 + b"]" * 1000, JSON, "4xx"),
        ("ask bad UTF-8", "POST", ask, b'{"question": "\xff\xfe"}', JSON, "4xx"),
        ("ask k as a string", "POST", ask, _json({"question": "who?", "k": "5"}), JSON, "4xx"),
        ("ask k = 51", "POST", ask, _json({"question": "who?", "k": 51}), JSON, "4xx"),
        ("ask a 100 KB question", "POST", ask, _json({"question": "why " * 25_000}), JSON, "4xx"),
        ("ask since = 100 KB", "POST", ask, _json({"question": "who?", "since": "2017-" + "9" * 100_000}), JSON, "4xx"),
        (
            "ask 1,000 history turns",
            "POST",
            ask,
            _json({"question": "and he?", "history": ["who?"] * 1000}),
            JSON,
            "answer",
        ),
        (
            "ask k = 50 with history",
            "POST",
            ask,
            _json({"question": "Who did he call?", "k": 50, "history": ["Who is the Italian foreign minister?"] * 10}),
            JSON,
            "answer",
        ),
        ("ask a lone surrogate", "POST", ask, b'{"question": "\\ud800?"}', JSON, "4xx"),
        ("articles offset 10^23", "GET", "/api/articles?offset=" + "9" * 23, None, {}, "4xx"),
        ("article path traversal", "GET", "/api/articles/..%2F..%2Fetc%2Fpasswd", None, {}, "4xx"),
        ("article page with markup", "GET", "/articles/%3Cscript%3Ealert(1)%3C%2Fscript%3E", None, {}, "4xx"),
        (
            "feedback citing nothing",
            "POST",
            "/api/feedback",
            _json(
                {
                    "question": "q",
                    "answer": "a",
                    "citation": {"article_id": "x", "start": 0, "end": 1},
                    "verdict": "correct",
                }
            ),
            JSON,
            "4xx",
        ),
        ("PUT on ask", "PUT", ask, b"{}", JSON, "4xx"),
        ("admin write without a token", "POST", "/api/articles", _json({"title": "T", "text": "x"}), JSON, "4xx"),
    ]
    if admin:
        out += [
            (
                "admin JSON nested 1,000 deep",
                "POST",
                "/api/articles",
                b"[" * 1000 + b"]" * 1000,
                {**JSON, **admin},
                "4xx",
            ),
            (
                "admin JSON published as a number",
                "POST",
                "/api/articles",
                _json({"title": "T", "text": "x", "published": 20170101}),
                {**JSON, **admin},
                "4xx",
            ),
            (
                "admin .jsonl with \\ud800",
                "POST",
                "/api/articles",
                *_upload("s.jsonl", b'{"title": "\\ud800", "text": "x"}\n', admin),
                "4xx",
            ),
            (
                "admin .jsonl line of 100,000 [",
                "POST",
                "/api/articles",
                *_upload("d.jsonl", b"[" * 100_000 + b"\n", admin),
                "4xx",
            ),
            (
                "admin upload of 1,001 articles",
                "POST",
                "/api/articles",
                *_upload("m.jsonl", many.encode(), admin),
                "4xx",
            ),
            (
                "admin fetch of a private address",
                "POST",
                "/api/articles",
                _json({"fetch": "http://127.0.0.1:9/"}),
                {**JSON, **admin},
                "4xx",
            ),
            (
                "admin one 400 KB sentence",
                "POST",
                "/api/articles",
                _json({"id": "probe-one-sentence", "title": "A very long report", "text": ONE_SENTENCE}),
                {**JSON, **admin},
                "2xx",
            ),
            (
                "ask what the long sentence says",
                "POST",
                ask,
                _json({"question": "Who opened the bridge?", "k": 50}),
                JSON,
                "answer",
            ),
            ("admin remove it", "DELETE", "/api/articles/probe-one-sentence", None, admin, "2xx"),
        ]
    return out


def send(base: str, method: str, path: str, body: bytes | None, headers: dict) -> tuple[int | str, float]:
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status: int | str = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        status = f"no answer ({getattr(exc, 'reason', exc)})"
    return status, time.perf_counter() - started


def run(base: str, admin_token: str = "") -> list[dict]:
    """Send every probe to `base` (a loopback address); one row per probe, with whether it held."""
    host = urlsplit(base).hostname or ""
    if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
        raise SystemExit(f"{base}: only servers on this machine (127.0.0.1, ::1, localhost) are probed")
    rows = []
    for name, method, path, body, headers, expected in probes(
        {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
    ):
        status, seconds = send(base.rstrip("/"), method, path, body, headers)
        good = isinstance(status, int) and (400 <= status < 500 if expected == "4xx" else 200 <= status < 300)
        slow = expected == "answer" and seconds > SLOW
        rows.append(
            {
                "probe": name,
                "status": status,
                "seconds": round(seconds, 2),
                "expected": expected,
                "held": good and not slow,
            }
        )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--admin-token", default="")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = p.parse_args()
    rows = run(args.url, args.admin_token)
    failed = [r for r in rows if not r["held"]]
    caption = (
        f"{len(rows)} hostile requests against {args.url} (`python -m benchmarks.probe`): {len(failed)} did not hold "
        f"(a 5xx, no answer, the wrong class of status, or a question over {SLOW:.0f} s)"
    )
    cells = [[r["probe"], r["status"], r["expected"], r["seconds"], "yes" if r["held"] else "**no**"] for r in rows]
    report.write(args.out, "probe", rows, report.markdown(caption, ["probe", "status", "expected", "s", "held"], cells))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
