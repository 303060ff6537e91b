"""`qa-web --ray`: the app on Ray Serve, two replicas on a local Ray instance, answers as the plain service does
and picks up a generation written after the replicas started."""

import json
import socket
import time
import urllib.request

import pytest

from .conftest import seed_questions

pytest.importorskip("ray.serve")

VOLCANO = "Volcano erupts near Lumo\n\nThe Karsk volcano erupted on Tuesday, said the mayor of Lumo, Ana Petrov.\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _call(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as r:
        return json.loads(r.read())


def test_two_replicas_answer_as_the_service_and_pick_up_a_new_generation(fresh_service, tmp_path):
    from web import replicas

    fresh_service.build()
    settings = fresh_service.settings.replace(host="127.0.0.1", port=_free_port(), replicas=2, progress=False)
    url = replicas.deploy(settings)
    try:
        for q in [row["question"] for row in seed_questions()]:
            here, served = fresh_service.ask(q), _call(f"{url}/api/ask", {"question": q})
            assert [a["text"] for a in served["answers"]] == [a.text for a in here.answers], q
            assert [a["citation"] for a in served["answers"]] == [vars(a.citation) for a in here.answers], q
            for a, b in zip(served["answers"], here.answers, strict=True):
                assert abs(a["score"] - b.score) < 0.01, q
        path = tmp_path / "volcano.txt"
        path.write_text(VOLCANO)
        fresh_service.add(path)  # a generation written after the replicas started
        generation = fresh_service.manifest().generation
        seen: dict[int, int] = {}
        deadline = time.monotonic() + 60
        while len(seen) < 2 and time.monotonic() < deadline:  # Serve spreads requests over both replicas
            health = _call(f"{url}/health")
            seen[health["process"]] = health["generation"]
        assert len(seen) == 2 and set(seen.values()) == {generation}, seen
        for _ in range(4):
            answer = _call(f"{url}/api/ask", {"question": "Which volcano erupted near Lumo?"})["answers"][0]
            assert answer["citation"]["article_id"] == "volcano"
    finally:
        replicas.shutdown()
