"""Session fixtures: the real packaged model, and the seed index built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from litestar.testing import TestClient

from qa import QAService, Settings
from qa.embedding import Embedder
from web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED_EVAL = ROOT.parent / "shared" / "eval"
SEED_QUESTIONS = SHARED_EVAL / "seed_questions.jsonl"


def seed_questions() -> list[dict]:
    return [json.loads(line) for line in SEED_QUESTIONS.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    settings = Settings()
    return Embedder(settings.model, settings.device, settings.batch_size, settings.offline)


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(index_dir=tmp_path_factory.mktemp("seed") / "index", seeds_dir=SEEDS, progress=False)


@pytest.fixture(scope="session")
def service(settings, embedder) -> QAService:
    qa = QAService(settings, embedder=embedder)
    qa.build()
    return qa


@pytest.fixture(scope="session")
def client(service):
    with TestClient(create_app(qa=service)) as c:
        yield c


@pytest.fixture
def fresh_service(tmp_path, embedder):
    """A service over its own empty index directory, for tests that change the index."""
    return QAService(Settings(index_dir=tmp_path / "index", seeds_dir=SEEDS, progress=False), embedder=embedder)
