"""The data that travels through the pipeline, shared by every stage: articles, chunks, passages, answers,
results and index reports (plain frozen dataclasses, so each stage can be read on its own)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Article:
    """One article: `text` is what every character offset refers to."""

    id: str
    title: str
    text: str
    origin: str = ""  # where it was read from: a file path, an upload's name or an address (not the outlet)
    published: str = ""  # ISO 8601 date or date-time, as the article states it
    url: str = ""
    outlet: str = ""  # the publication: "source" in files and the API
    authors: tuple[str, ...] = ()

    @property
    def meta(self) -> dict:
        """The metadata present: published, url, source (the outlet), authors."""
        found = {"published": self.published, "url": self.url, "source": self.outlet, "authors": list(self.authors)}
        return {k: v for k, v in found.items() if v}

    @property
    def content_hash(self) -> str:
        meta = f"\0{json.dumps(self.meta, sort_keys=True)}" if self.meta else ""  # unchanged for articles without
        return hashlib.sha256(f"{self.title}\0{self.text}{meta}".encode()).hexdigest()


@dataclass(frozen=True)
class ArticleSummary:
    """An article as listed: its id, title and length in characters, without the text."""

    id: str
    title: str
    chars: int


@dataclass(frozen=True)
class Chunk:
    """A span of an article's text: the unit that is embedded, searched and read."""

    id: int
    article_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its title and text (so that no later stage reads the article again for them)."""

    chunk: Chunk
    title: str
    text: str
    score: float  # fused retrieval score


@dataclass(frozen=True)
class Citation:
    article_id: str
    title: str
    start: int  # article.text[start:end] == answer text
    end: int
    sentence_start: int
    sentence_end: int
    published: str = ""  # the article's metadata, where it has it
    source: str = ""  # the outlet
    url: str = ""

    @classmethod
    def of(cls, article: Article, start: int, end: int, sentence_start: int, sentence_end: int) -> Citation:
        """A citation of `article`'s characters, with the metadata it carries (date, outlet, link)."""
        a = article
        return cls(a.id, a.title, start, end, sentence_start, sentence_end, a.published, a.outlet, a.url)


@dataclass(frozen=True)
class Answer:
    text: str
    score: float  # reader: calibrated probability that the answer is right; rules: a 0-1 match score
    sentence: str
    citation: Citation


@dataclass(frozen=True)
class Result:
    question: str
    answers: list[Answer]
    passages: list[Passage]
    confidence: float  # reader: calibrated probability of the best candidate; rules: the best sentence's score
    interpreted: str | None = None  # the follow-up as read, its pronoun replaced ("what did Boris Johnson say?")
    since: str = ""  # the publication dates searched (ISO dates; "" for open)
    until: str = ""
    more: bool = False  # "who else?": the answers shown before were left out
    guess: Answer | None = None  # after an abstention, the reader's best candidate, shown as a guess

    @property
    def abstained(self) -> bool:
        return not self.answers


@dataclass
class IndexReport:
    """What one write to the index did, by article id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds if self.seconds else 0.0
